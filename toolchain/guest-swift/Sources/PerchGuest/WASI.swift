// PerchGuest (the Embedded Swift guest SDK, toolchain/guest-swift): the few WASI preview1
// calls a small program needs, without a libc. Nothing here allocates.

@_extern(wasm, module: "wasi_snapshot_preview1", name: "fd_write")
@_extern(c)
private func wasi_fd_write(_ fd: UInt32, _ iovs: UnsafeRawPointer, _ count: UInt32,
                           _ written: UnsafeMutablePointer<UInt32>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "clock_time_get")
@_extern(c)
private func wasi_clock_time_get(_ clock: UInt32, _ precision: UInt64, _ time: UnsafeMutablePointer<UInt64>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "poll_oneoff")
@_extern(c)
private func wasi_poll_oneoff(_ subscriptions: UnsafeRawPointer, _ events: UnsafeMutableRawPointer,
                              _ count: UInt32, _ eventCount: UnsafeMutablePointer<UInt32>) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "random_get")
@_extern(c)
private func wasi_random_get(_ buffer: UnsafeMutableRawPointer, _ length: UInt32) -> UInt16

@_extern(wasm, module: "wasi_snapshot_preview1", name: "proc_exit")
@_extern(c)
private func wasi_proc_exit(_ code: UInt32)

public enum Guest {
    /// Writes raw bytes to stdout (fd 1).
    public static func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var iovec: (UInt32, UInt32) = (UInt32(UInt(bitPattern: base)), UInt32(bytes.count))
        var written: UInt32 = 0
        _ = withUnsafeBytes(of: &iovec) { wasi_fd_write(1, $0.baseAddress!, 1, &written) }
    }

    public static func print(_ text: StaticString) {
        write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Prints `value` in decimal (no allocation: digits go to a stack buffer).
    public static func print(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = value
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            write(UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// Nanoseconds on the monotonic clock.
    public static func monotonicNanoseconds() -> UInt64 {
        var time: UInt64 = 0
        _ = wasi_clock_time_get(1, 1, &time)
        return time
    }

    /// Sleeps through `poll_oneoff` with one relative clock subscription (Perch suspends
    /// the guest and resumes it when the time is up).
    public static func sleep(milliseconds: UInt64) {
        var subscription: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &subscription) { s in
            s.storeBytes(of: UInt64(1), toByteOffset: 0, as: UInt64.self)       // userdata
            s.storeBytes(of: UInt8(0), toByteOffset: 8, as: UInt8.self)         // tag: clock
            s.storeBytes(of: UInt32(1), toByteOffset: 16, as: UInt32.self)      // monotonic
            s.storeBytes(of: milliseconds &* 1_000_000, toByteOffset: 24, as: UInt64.self)
        }
        var event: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count: UInt32 = 0
        withUnsafeBytes(of: &subscription) { s in
            withUnsafeMutableBytes(of: &event) { e in _ = wasi_poll_oneoff(s.baseAddress!, e.baseAddress!, 1, &count) }
        }
    }

    public static func random() -> UInt64 {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { wasi_random_get($0.baseAddress!, 8) }
        return value
    }

    public static func exit(_ code: UInt32) -> Never {
        wasi_proc_exit(code)
        while true {}  // proc_exit does not return
    }
}
