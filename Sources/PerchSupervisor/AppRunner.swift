import PerchLink

/// How one slice of an app's execution ended.
public enum SliceOutcome: Sendable {
    /// The fuel slice ran out while the app was still computing: it did not yield. The
    /// watchdog counts these as strikes.
    case outOfFuel
    /// The app yielded (a sleep, a wait): run it again after this many nanoseconds.
    case suspended(wakeAfterNanoseconds: UInt64)
    /// The app called `perch_ready`: it declares itself healthy (ends a health window).
    case ready
    /// The app's start function returned or it called `proc_exit`.
    case exited(code: UInt32)
    case trapped(reason: String)
}

/// Why a module could not be made into a runnable instance.
public enum PrepareFailure: Error {
    /// Decoding or validation rejected it (message names the byte offset).
    case invalidModule(String)
    /// Imports, grants, arena size or start-up failed.
    case instantiateFailed(String)

    public var message: String {
        switch self {
        case .invalidModule(let m): return "invalid module: " + m
        case .instantiateFailed(let m): return "instantiation failed: " + m
        }
    }
}

/// One instantiated app, run by the supervisor in fuel slices. Between two `run` calls the
/// instance is at a fuel boundary: that is the safe point where a swap happens.
public protocol AppInstance: AnyObject {
    func run(fuel: UInt64) -> SliceOutcome
    /// State from an exported `perch_save`, handed to the successor's `perch_restore`;
    /// nil if the module exports none.
    func saveState() -> [UInt8]?
    /// Gives saved state to `perch_restore`; false if the module exports none or it failed.
    func restoreState(_ state: [UInt8]) -> Bool
    /// Lines the app wrote (stdout/stderr) since the last call, for `perch logs`.
    func takeOutput() -> [String]
    /// The swap is about to start the successor: give up exclusive resources (GPIO lines)
    /// it will need. Returns true if the instance can still be resumed should the swap
    /// fail; false if it gave up something it cannot get back (then a failed swap starts
    /// the old version afresh from the store).
    func pauseForSwap() -> Bool
    /// The instance will never run again: release everything it holds.
    func discard()
    /// While the app is suspended: descriptors whose readability should resume it before
    /// its wake-up time (the event fds of GPIO lines it waits on for an edge), appended to
    /// `descriptors`. The serve loop polls them with its links (`Supervisor.wakeDescriptors`).
    func wakeDescriptors(into descriptors: inout [Int32])
}

extension AppInstance {
    /// An app that waits on nothing but time.
    public func wakeDescriptors(into descriptors: inout [Int32]) {}
}

/// Turns verified module bytes into an instance (decode, validate, instantiate into the
/// app's own arena region with the manifest's grants). The interpreter implements this;
/// tests use a scripted fake.
public protocol AppRunner: AnyObject {
    func prepare(module: [UInt8], manifest: Manifest) throws(PrepareFailure) -> any AppInstance
}
