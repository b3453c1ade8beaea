import CPerchHALLinux
import PerchCore
import PerchHAL

/// GPIO through libgpiod 1.6, loaded at the first request (so perch needs libgpiod only
/// on boards that use GPIO). Chips are found by label, lines by name or offset; the
/// kernel keeps requests exclusive across processes (`busy`).
public final class LinuxGPIO: GPIOController {
    public static let capacity = 32
    private var lines: [perch_gpio_line]
    private var held: [Bool]
    /// Lines whose edge ends the next `sleepUntilEdge` (armed by `wakeOnEdge`).
    private var wakeArmed: [Bool]
    /// Scratch for the armed lines' event descriptors and their slots; made once.
    private var wakeDescriptors: [Int32]
    private var wakeSlots: [Int]
    /// The errno of a failed edge sleep, reported by the line's next `nextEdge` (0: none).
    private var edgeSleepFailure: [Int32]
    /// NUL-terminated copies of the names a request passes to C; made once.
    private var chipName: [CChar]
    private var lineName: [CChar]
    private static let nameCapacity = 64

    public init() {
        lines = Array(repeating: perch_gpio_line(chip: nil, line: nil), count: Self.capacity)
        held = Array(repeating: false, count: Self.capacity)
        wakeArmed = Array(repeating: false, count: Self.capacity)
        wakeDescriptors = Array(repeating: -1, count: Self.capacity)
        wakeSlots = Array(repeating: 0, count: Self.capacity)
        edgeSleepFailure = Array(repeating: 0, count: Self.capacity)
        chipName = Array(repeating: 0, count: Self.nameCapacity)
        lineName = Array(repeating: 0, count: Self.nameCapacity)
    }

    deinit {
        for slot in 0..<Self.capacity where held[slot] { perch_gpio_release(&lines[slot]) }
    }

    /// Whether libgpiod could be loaded (for `perch` to explain a failing GPIO board).
    public static var libgpiodAvailable: Bool { perch_gpiod_load() == 0 }

    public func request(
        chip: NameBytes, line selector: GPIOLineSelector, settings: GPIOLineSettings
    ) throws(GPIOError) -> GPIOLineID {
        if settings.direction == .output && !settings.edges.isEmpty { throw .invalidSettings }
        guard let slot = held.firstIndex(of: false) else { throw .tooManyLines }
        guard copy(chip, into: &chipName) else { throw .chipNotFound }
        var offset: UInt32 = 0
        var byName = false
        switch selector {
        case .name(let name):
            guard copy(name, into: &lineName) else { throw .lineNotFound }
            byName = true
        case .offset(let number):
            offset = number
        }
        var line = perch_gpio_line(chip: nil, line: nil)
        let result = chipName.withUnsafeBufferPointer { chipC in
            lineName.withUnsafeBufferPointer { lineC in
                perch_gpio_request(
                    chipC.baseAddress, byName ? lineC.baseAddress : nil, offset,
                    settings.direction == .output ? Int32(PERCH_GPIO_OUTPUT) : Int32(PERCH_GPIO_INPUT),
                    Int32(settings.bias.rawValue), settings.activeLow ? 1 : 0, Int32(settings.edges.rawValue),
                    settings.initialValue ? 1 : 0, "perch", &line)
            }
        }
        if result < 0 {
            switch -result {
            case Int32(PERCH_ENODEV): throw .chipNotFound
            case Int32(PERCH_ENOENT): throw .lineNotFound
            case Int32(PERCH_EBUSY): throw .busy
            case Int32(PERCH_ENOSYS): throw .unavailable
            case Int32(PERCH_EINVAL): throw .invalidSettings
            default: throw .system(errno: -result)
            }
        }
        lines[slot] = line
        held[slot] = true
        edgeSleepFailure[slot] = 0
        return GPIOLineID(raw: Int32(slot))
    }

    public func setValue(_ id: GPIOLineID, _ value: Bool) throws(GPIOError) {
        let slot = try heldSlot(id)
        let result = perch_gpio_set(&lines[slot], value ? 1 : 0)
        if result < 0 { throw .system(errno: -result) }
    }

    public func value(_ id: GPIOLineID) throws(GPIOError) -> Bool {
        let slot = try heldSlot(id)
        let result = perch_gpio_get(&lines[slot])
        if result < 0 { throw .system(errno: -result) }
        return result != 0
    }

    public func nextEdge(_ id: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? {
        let slot = try heldSlot(id)
        let failure = edgeSleepFailure[slot]
        if failure != 0 {
            edgeSleepFailure[slot] = 0
            throw .system(errno: failure)
        }
        var edge: Int32 = 0
        var timestamp: UInt64 = 0
        let result = perch_gpio_next_event(&lines[slot], &edge, &timestamp)
        if result < 0 { throw .system(errno: -result) }
        guard result == 1 else { return nil }
        return GPIOEdgeEvent(edge: edge == Int32(PERCH_GPIO_EDGE_RISING) ? .rising : .falling,
                             timestampNanoseconds: timestamp)
    }

    public func release(_ id: GPIOLineID) {
        guard let slot = try? heldSlot(id) else { return }
        perch_gpio_release(&lines[slot])
        held[slot] = false
        wakeArmed[slot] = false
        edgeSleepFailure[slot] = 0
    }

    /// Lines requested with edges have an event descriptor the next sleep can wait on.
    public func wakeOnEdge(_ id: GPIOLineID) -> Bool {
        guard edgeDescriptor(id) != nil else { return false }
        wakeArmed[Int(id.raw)] = true
        return true
    }

    /// The line's event descriptor (libgpiod's), readable while an edge is queued.
    public func edgeDescriptor(_ id: GPIOLineID) -> Int32? {
        guard let slot = try? heldSlot(id) else { return nil }
        let descriptor = perch_gpio_event_fd(&lines[slot])
        return descriptor >= 0 ? descriptor : nil
    }

    /// Sleeps up to `nanoseconds` in one `poll` of the armed lines' event descriptors,
    /// ending at the first queued edge, and disarms them. False (nothing slept) when no
    /// line is armed. A poll that fails ends the sleep at once with the errno kept for
    /// each armed line's next `nextEdge`: the waiting module gets an error naming its pin
    /// instead of a `pending` that would send it straight back into the same poll.
    public func sleepUntilEdge(nanoseconds: UInt64) -> Bool {
        var count = 0
        for slot in 0..<Self.capacity where wakeArmed[slot] {
            wakeArmed[slot] = false
            if let descriptor = edgeDescriptor(GPIOLineID(raw: Int32(slot))) {
                wakeDescriptors[count] = descriptor
                wakeSlots[count] = slot
                count += 1
            }
        }
        guard count > 0 else { return false }
        // poll counts milliseconds: round up so the sleep never ends before its time.
        let milliseconds = Int32(min((nanoseconds / 1_000_000) &+ (nanoseconds % 1_000_000 == 0 ? 0 : 1), UInt64(Int32.max)))
        let polled = Int32(count)
        let result = wakeDescriptors.withUnsafeBufferPointer { perch_wait_readable($0.baseAddress, polled, milliseconds) }
        // A signal (-EINTR) ends the sleep early, as an edge would: the waiter finds no
        // edge and waits again for what is left of its timeout.
        if result < 0 && result != -Int32(PERCH_EINTR) {
            for index in 0..<count { edgeSleepFailure[wakeSlots[index]] = -result }
        }
        return true
    }

    private func heldSlot(_ id: GPIOLineID) throws(GPIOError) -> Int {
        let slot = Int(id.raw)
        guard slot >= 0, slot < Self.capacity, held[slot] else { throw .notRequested }
        return slot
    }

    /// Copies a name and its terminating NUL; false if it does not fit or holds a NUL.
    private func copy(_ name: NameBytes, into buffer: inout [CChar]) -> Bool {
        let bytes = name.bytes
        guard bytes.count < buffer.count, !bytes.contains(0) else { return false }
        for index in 0..<bytes.count { buffer[index] = CChar(bitPattern: bytes[index]) }
        buffer[bytes.count] = 0
        return true
    }
}
