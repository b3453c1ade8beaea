import PerchCore

/// The simulated board's clock: it only moves when slept on or told to, so a guest that
/// sleeps 500 ms finishes instantly and always sees the same times, and actions scheduled
/// on it (a button press at t = 1.2 s) run exactly when simulated time passes them.
/// Being a `PlatformClock`, it can be WASI's clock too, so both agree on the time.
public final class SimClock: PlatformClock {
    /// Monotonic (and CPU) time; realtime is `realtimeBase` later.
    public private(set) var nanoseconds: UInt64
    public let realtimeBase: UInt64

    private struct Scheduled {
        let time: UInt64
        let sequence: Int
        let action: () -> Void
    }
    private var pending: [Scheduled] = []
    private var nextSequence = 0

    public init(startNanoseconds: UInt64 = 0, realtimeBase: UInt64 = 1_700_000_000_000_000_000) {
        self.nanoseconds = startNanoseconds
        self.realtimeBase = realtimeBase
    }

    public func now(_ clock: ClockID) -> UInt64? {
        clock == .realtime ? realtimeBase &+ nanoseconds : nanoseconds
    }

    public func resolution(_ clock: ClockID) -> UInt64? { 1 }

    /// Runs `action` when the clock reaches `time`, or at once if it already has.
    /// Actions at the same time run in the order they were scheduled.
    public func schedule(atNanoseconds time: UInt64, _ action: @escaping () -> Void) {
        if time <= nanoseconds {
            action()
            return
        }
        let entry = Scheduled(time: time, sequence: nextSequence, action: action)
        nextSequence &+= 1
        var index = pending.count
        while index > 0, pending[index - 1].time > time { index -= 1 }
        pending.insert(entry, at: index)
    }

    public func schedule(atMilliseconds time: UInt64, _ action: @escaping () -> Void) {
        schedule(atNanoseconds: time &* 1_000_000, action)
    }

    /// When the next scheduled action falls due, if any.
    public var nextScheduledNanoseconds: UInt64? { pending.first?.time }

    /// Moves time forward, stopping at each scheduled action on the way to run it.
    public func advance(nanoseconds delta: UInt64) {
        let target = nanoseconds &+ delta
        while let first = pending.first, first.time <= target {
            pending.removeFirst()
            if first.time > nanoseconds { nanoseconds = first.time }
            first.action()
        }
        nanoseconds = target
    }

    public func sleep(nanoseconds delta: UInt64) { advance(nanoseconds: delta) }
}
