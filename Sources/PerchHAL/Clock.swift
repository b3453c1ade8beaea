/// The board's monotonic time: what `time.monotonic_ms` reads and what the runtime sleeps
/// on when a guest suspends. A simulated board advances it instead of waiting, which is
/// what makes device tests deterministic.
public protocol MonotonicClock: AnyObject {
    var nanoseconds: UInt64 { get }
    /// Waits `nanoseconds` (a simulated clock just moves forward that far).
    func sleep(nanoseconds: UInt64)
}
