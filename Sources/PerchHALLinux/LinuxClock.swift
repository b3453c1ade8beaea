import CPerchLinux
import PerchHAL

/// CLOCK_MONOTONIC, the time base libgpiod stamps edge events with on current kernels.
public final class LinuxClock: MonotonicClock {
    public init() {}

    public var nanoseconds: UInt64 {
        var now: UInt64 = 0
        _ = perch_clock_gettime(1, &now)  // 1: the monotonic clock in WASI's numbering
        return now
    }

    public func sleep(nanoseconds: UInt64) { perch_sleep_ns(nanoseconds) }
}
