import PerchCore
import PerchHAL

/// Simulated GPIO chips whose lines tests drive from the outside and observe.
///
/// Levels here are physical (what a voltmeter shows); requests see logical values
/// (`activeLow` inverts). An input's physical level is what drives it from outside
/// (`drive`, or an output wired to it), else its pull (pull-up 1, pull-down 0, none 0).
/// Everything is in tables sized at construction, so requests, sets and edge events
/// allocate nothing.
public final class SimGPIO: GPIOController {
    public struct LineRef: Sendable, Equatable {
        public let chip: Int
        public let offset: Int

        public init(chip: Int, offset: Int) {
            self.chip = chip
            self.offset = offset
        }
    }

    /// One output level change, for tests that check what an LED did and when.
    public struct Transition: Sendable, Equatable {
        public let level: Bool
        public let timestampNanoseconds: UInt64

        public init(level: Bool, timestampNanoseconds: UInt64) {
            self.level = level
            self.timestampNanoseconds = timestampNanoseconds
        }
    }

    /// A class so that reaching a line's state never copies its event and history rings.
    private final class Line {
        let name: Label
        var held = false
        var settings = GPIOLineSettings(direction: .input)
        var outputLevel = false
        var externalLevel: Bool? = nil
        var inputLevel = false
        var events = EventQueue()
        var transitions = 0
        var history = TransitionLog()
        var wiredTo: LineRef? = nil

        init(name: Label) { self.name = name }
    }

    private struct Chip {
        let label: Label
        let lines: [Line]
    }

    private let chips: [Chip]
    private let clock: SimClock

    /// `chips`: each chip's label and line names (offset = position).
    public init(clock: SimClock, chips: [(label: String, lines: [String])]) {
        self.clock = clock
        self.chips = chips.map { chip in
            Chip(label: Label(chip.label), lines: chip.lines.map { Line(name: Label($0)) })
        }
    }

    // MARK: GPIOController

    public func request(
        chip: NameBytes, line selector: GPIOLineSelector, settings: GPIOLineSettings
    ) throws(GPIOError) -> GPIOLineID {
        guard let chipIndex = chips.firstIndex(where: { $0.label.matches(chip) }) else {
            throw .chipNotFound
        }
        let offset: Int
        switch selector {
        case .name(let name):
            guard let found = chips[chipIndex].lines.firstIndex(where: { $0.name.matches(name) }) else {
                throw .lineNotFound
            }
            offset = found
        case .offset(let number):
            guard number < UInt32(chips[chipIndex].lines.count) else { throw .lineNotFound }
            offset = Int(number)
        }
        if settings.direction == .output && !settings.edges.isEmpty { throw .invalidSettings }
        let ref = LineRef(chip: chipIndex, offset: offset)
        guard !chips[chipIndex].lines[offset].held else { throw .busy }
        chips[chipIndex].lines[offset].held = true
        chips[chipIndex].lines[offset].settings = settings
        chips[chipIndex].lines[offset].events = EventQueue()
        if settings.direction == .output {
            setOutputLevel(ref, settings.initialValue != settings.activeLow)
        } else {
            chips[chipIndex].lines[offset].inputLevel = inputLevel(ref)
        }
        return GPIOLineID(raw: Int32(chipIndex << 16 | offset))
    }

    public func setValue(_ id: GPIOLineID, _ value: Bool) throws(GPIOError) {
        let ref = try held(id)
        let settings = chips[ref.chip].lines[ref.offset].settings
        guard settings.direction == .output else { throw .notOutput }
        setOutputLevel(ref, value != settings.activeLow)
    }

    public func value(_ id: GPIOLineID) throws(GPIOError) -> Bool {
        let ref = try held(id)
        let line = chips[ref.chip].lines[ref.offset]
        let level = line.settings.direction == .output ? line.outputLevel : line.inputLevel
        return level != line.settings.activeLow
    }

    public func nextEdge(_ id: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? {
        let ref = try held(id)
        return chips[ref.chip].lines[ref.offset].events.pop()
    }

    public func release(_ id: GPIOLineID) {
        guard let ref = try? held(id) else { return }
        chips[ref.chip].lines[ref.offset].held = false
    }

    // MARK: The outside world (tests, the demo)

    public func line(chip: String, name: String) -> LineRef? {
        let chipLabel = Label(chip)
        let lineLabel = Label(name)
        guard let chipIndex = chips.firstIndex(where: { $0.label == chipLabel }),
              let offset = chips[chipIndex].lines.firstIndex(where: { $0.name == lineLabel })
        else { return nil }
        return LineRef(chip: chipIndex, offset: offset)
    }

    /// Drives an input from outside at a physical level (a pressed button), or lets it
    /// float back to its pull with nil.
    public func drive(_ ref: LineRef, _ level: Bool?) {
        chips[ref.chip].lines[ref.offset].externalLevel = level
        updateInput(ref)
    }

    /// Connects an output to another line: whenever the output changes, it drives the other.
    public func wire(_ output: LineRef, to input: LineRef) {
        chips[output.chip].lines[output.offset].wiredTo = input
        drive(input, chips[output.chip].lines[output.offset].outputLevel)
    }

    /// The physical level a meter on the line would show.
    public func level(_ ref: LineRef) -> Bool {
        let line = chips[ref.chip].lines[ref.offset]
        return line.held && line.settings.direction == .output ? line.outputLevel : inputLevel(ref)
    }

    public func isHeld(_ ref: LineRef) -> Bool { chips[ref.chip].lines[ref.offset].held }

    /// How many times the line's output level changed since the simulation began.
    public func transitionCount(_ ref: LineRef) -> Int { chips[ref.chip].lines[ref.offset].transitions }

    /// The most recent output transitions, oldest first (up to `TransitionLog.capacity`).
    public func history(_ ref: LineRef) -> [Transition] { chips[ref.chip].lines[ref.offset].history.entries }

    /// Edge events lost because the line's queue was full.
    public func droppedEvents(_ ref: LineRef) -> Int { chips[ref.chip].lines[ref.offset].events.dropped }

    // MARK: Internals

    private func held(_ id: GPIOLineID) throws(GPIOError) -> LineRef {
        let chip = Int(id.raw >> 16)
        let offset = Int(id.raw & 0xFFFF)
        guard id.raw >= 0, chip < chips.count, offset < chips[chip].lines.count,
              chips[chip].lines[offset].held
        else { throw .notRequested }
        return LineRef(chip: chip, offset: offset)
    }

    private func inputLevel(_ ref: LineRef) -> Bool {
        let line = chips[ref.chip].lines[ref.offset]
        if let external = line.externalLevel { return external }
        return line.held && line.settings.bias == .pullUp
    }

    private func setOutputLevel(_ ref: LineRef, _ level: Bool) {
        let previous = chips[ref.chip].lines[ref.offset].outputLevel
        chips[ref.chip].lines[ref.offset].outputLevel = level
        if previous != level {
            chips[ref.chip].lines[ref.offset].transitions &+= 1
            chips[ref.chip].lines[ref.offset].history.append(
                Transition(level: level, timestampNanoseconds: clock.nanoseconds))
        }
        if let target = chips[ref.chip].lines[ref.offset].wiredTo { drive(target, level) }
    }

    /// Recomputes an input's level and queues the edge it made, if it is watched for it.
    private func updateInput(_ ref: LineRef) {
        let line = chips[ref.chip].lines[ref.offset]
        guard line.held, line.settings.direction == .input else { return }
        let level = inputLevel(ref)
        guard level != line.inputLevel else { return }
        chips[ref.chip].lines[ref.offset].inputLevel = level
        let logicalHigh = level != line.settings.activeLow
        let edge: GPIOEdges = logicalHigh ? .rising : .falling
        if line.settings.edges.contains(edge) {
            chips[ref.chip].lines[ref.offset].events.push(
                GPIOEdgeEvent(edge: edge, timestampNanoseconds: clock.nanoseconds))
        }
    }
}

/// A line's pending edge events: a fixed ring; when full, new events are dropped and
/// counted (as the kernel does when nobody reads).
struct EventQueue {
    static let capacity = 16
    private var slots = InlineArray<16, GPIOEdgeEvent>(repeating: GPIOEdgeEvent(edge: [], timestampNanoseconds: 0))
    private var head = 0
    private var count = 0
    private(set) var dropped = 0

    mutating func push(_ event: GPIOEdgeEvent) {
        guard count < Self.capacity else { dropped &+= 1; return }
        slots[(head + count) % Self.capacity] = event
        count += 1
    }

    mutating func pop() -> GPIOEdgeEvent? {
        guard count > 0 else { return nil }
        let event = slots[head]
        head = (head + 1) % Self.capacity
        count -= 1
        return event
    }
}

/// The last `capacity` output transitions of a line.
struct TransitionLog {
    static let capacity = 64
    private var slots = InlineArray<64, SimGPIO.Transition>(
        repeating: SimGPIO.Transition(level: false, timestampNanoseconds: 0))
    private var next = 0
    private var total = 0

    mutating func append(_ transition: SimGPIO.Transition) {
        slots[next] = transition
        next = (next + 1) % Self.capacity
        total &+= 1
    }

    var entries: [SimGPIO.Transition] {
        let kept = min(total, Self.capacity)
        var result: [SimGPIO.Transition] = []
        result.reserveCapacity(kept)
        var index = (next - kept + Self.capacity) % Self.capacity
        for _ in 0..<kept {
            result.append(slots[index])
            index = (index + 1) % Self.capacity
        }
        return result
    }
}
