import PerchCore

/// Which way a GPIO line points.
public enum GPIODirection: UInt8, Sendable {
    case input = 0
    case output = 1
}

/// The pull resistor asked for on a line (wasi-gpio `pull-resistor`; libgpiod bias flags).
public enum GPIOBias: UInt8, Sendable {
    /// Leave whatever the hardware or a previous user configured.
    case asIs = 0
    case disabled = 1
    case pullUp = 2
    case pullDown = 3
}

/// A set of edges: which transitions a line reports, or which a waiter wants.
public struct GPIOEdges: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let rising = GPIOEdges(rawValue: 1)
    public static let falling = GPIOEdges(rawValue: 2)
    public static let both: GPIOEdges = [.rising, .falling]
}

/// How a line is requested. Values are logical: with `activeLow` a logical 1 is a low level,
/// and a rising edge is a logical 0 → 1 transition.
public struct GPIOLineSettings: Sendable, Equatable {
    public var direction: GPIODirection
    public var bias: GPIOBias
    public var activeLow: Bool
    /// Edges to report (inputs only); empty means no edge detection.
    public var edges: GPIOEdges
    /// The logical value an output starts with.
    public var initialValue: Bool

    public init(
        direction: GPIODirection, bias: GPIOBias = .asIs, activeLow: Bool = false,
        edges: GPIOEdges = [], initialValue: Bool = false
    ) {
        self.direction = direction
        self.bias = bias
        self.activeLow = activeLow
        self.edges = edges
        self.initialValue = initialValue
    }

    public static func == (lhs: GPIOLineSettings, rhs: GPIOLineSettings) -> Bool {
        lhs.direction == rhs.direction && lhs.bias == rhs.bias && lhs.activeLow == rhs.activeLow
            && lhs.edges.rawValue == rhs.edges.rawValue && lhs.initialValue == rhs.initialValue
    }
}

/// One edge seen on a line. `timestampNanoseconds` is on the board clock's monotonic time base.
public struct GPIOEdgeEvent: Sendable, Equatable {
    /// Exactly one of `.rising` or `.falling`.
    public var edge: GPIOEdges
    public var timestampNanoseconds: UInt64

    public init(edge: GPIOEdges, timestampNanoseconds: UInt64) {
        self.edge = edge
        self.timestampNanoseconds = timestampNanoseconds
    }

    public static func == (lhs: GPIOEdgeEvent, rhs: GPIOEdgeEvent) -> Bool {
        lhs.edge.rawValue == rhs.edge.rawValue && lhs.timestampNanoseconds == rhs.timestampNanoseconds
    }
}

/// A line on a chip: by the name the chip gives it, or by its offset.
public enum GPIOLineSelector {
    case name(NameBytes)
    case offset(UInt32)
}

/// A requested line, as numbered by the controller that granted it.
public struct GPIOLineID: Sendable, Equatable {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// Why a GPIO operation failed.
public enum GPIOError: Error, Sendable, Equatable {
    /// No chip carries the label.
    case chipNotFound
    /// The chip has no such line name or offset.
    case lineNotFound
    /// Someone (this or another process) already holds the line.
    case busy
    /// The settings cannot be applied (e.g. edge detection on an output).
    case invalidSettings
    /// The id does not name a line this controller currently holds.
    case notRequested
    /// Writing an input line.
    case notOutput
    /// The controller's fixed table of requested lines is full.
    case tooManyLines
    /// The backend itself is missing (e.g. libgpiod not installed).
    case unavailable
    /// The operating system refused with this errno.
    case system(errno: Int32)
}

/// One GPIO controller: the lines of every chip a board has. Requests are exclusive: a line
/// held by anyone (another holder in this process, or another process) answers `.busy`.
/// Every method returns at once; an edge wait is a poll of `nextEdge`, so the runtime
/// suspends the guest between polls instead of blocking. A controller that can also end
/// the board clock's sleep when an edge arrives (`wakeOnEdge`) lets a waiting guest stay
/// suspended for its whole timeout instead of being resumed to look again.
public protocol GPIOController: AnyObject {
    func request(
        chip: NameBytes, line: GPIOLineSelector, settings: GPIOLineSettings
    ) throws(GPIOError) -> GPIOLineID
    /// Sets an output's logical value.
    func setValue(_ line: GPIOLineID, _ value: Bool) throws(GPIOError)
    /// The logical value of an input, or the last value set on an output.
    func value(_ line: GPIOLineID) throws(GPIOError) -> Bool
    /// The oldest queued edge event, or nil if none has happened; never blocks.
    func nextEdge(_ line: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent?
    /// Gives the line back; unknown ids are ignored.
    func release(_ line: GPIOLineID)
    /// Asks that the board clock's next sleep end as soon as an edge is queued on the line
    /// (for that one sleep). False when the controller cannot: the waiter looks again
    /// after a short sleep instead.
    func wakeOnEdge(_ line: GPIOLineID) -> Bool
    /// A descriptor that is readable while an edge is queued on the line (a Linux line's
    /// event fd), for a runtime that waits in one `poll` of its own instead of sleeping on
    /// the board clock (`perch serve`, with its links). Nil when the controller has none,
    /// or the line was not requested with edges.
    func edgeDescriptor(_ line: GPIOLineID) -> Int32?
}

extension GPIOController {
    public func wakeOnEdge(_ line: GPIOLineID) -> Bool { false }
    public func edgeDescriptor(_ line: GPIOLineID) -> Int32? { nil }
}
