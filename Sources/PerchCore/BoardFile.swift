/// A board file (`boards/<name>/board.txt`): what Perch needs to know about the board it
/// runs on. Data, not code, so one binary serves every board of its CPU family.
///
/// Format (documented for users in boards/README.md): UTF-8 lines of `key = value`;
/// `#` starts a comment; blank lines are ignored; `[gpio]`, `[i2c]`, `[serial]` and
/// `[sensor]` start sections. Keys before any section describe the board:
///
///     name = rpi4                      # required
///     description = Raspberry Pi 4 ...
///     platform = linux                 # required: sim | linux | baremetal
///     triple = aarch64-none-none-elf   # Swift target triple of the build
///     toolset = toolchain/aarch64-linux.json
///     ram = 1G                         # RAM Perch may use (required, a size)
///     arena = 64M                      # default arena size (required, <= ram)
///
///     [gpio]
///     chip = testbed-gpio              # chip label (labels, not numbers, are stable)
///     LED = 0                          # line label = offset on that chip
///
///     [i2c]
///     i2c1 = /dev/i2c-1                # bus label = device path, or
///     sensors = adapter:i2c-fake       #   adapter:NAME, found by adapter name at run time
///
///     [serial]
///     console = /dev/ttyS0 115200      # port label = device [baud]
///
///     [sensor]
///     climate = bme280 i2c1 0x76       # sensor label = driver, i2c bus label, address
public struct BoardFile: Sendable {
    public var name = ""
    public var description = ""
    public var platform = BoardPlatform.sim
    public var triple = ""
    public var toolset = ""
    public var ramBytes = 0
    public var arenaBytes = 0
    /// Label of the GPIO chip the lines belong to; empty if the board declares no GPIO.
    public var gpioChip = ""
    public var gpioLines: [Line] = []
    public var i2cBuses: [Bus] = []
    public var serialPorts: [SerialPort] = []
    public var sensors: [Sensor] = []

    public struct Line: Sendable {
        public var label: String
        public var offset: Int
    }

    public struct Bus: Sendable {
        public var label: String
        /// `/dev/i2c-N`, `adapter:NAME`, or `sim` on the simulated board.
        public var device: String
    }

    public struct SerialPort: Sendable {
        public var label: String
        public var device: String
        /// 0 when the file leaves the line speed as configured.
        public var baud: Int
    }

    public struct Sensor: Sendable {
        public var label: String
        public var driver: String
        public var bus: String
        public var address: UInt8
    }

    public init() {}

    public func gpioLine(_ label: String) -> Line? {
        gpioLines.first { sameBytes($0.label, label) }
    }

    public func i2cBus(_ label: String) -> Bus? {
        i2cBuses.first { sameBytes($0.label, label) }
    }

    public func serialPort(_ label: String) -> SerialPort? {
        serialPorts.first { sameBytes($0.label, label) }
    }

    public func sensor(_ label: String) -> Sensor? {
        sensors.first { sameBytes($0.label, label) }
    }
}

public enum BoardPlatform: UInt8, Sendable {
    /// The in-process simulated board (tests, the demo).
    case sim
    /// A Linux board: GPIO through the character device, I2C through /dev/i2c-N.
    case linux
    /// No operating system: Perch is the firmware.
    case baremetal
}

/// What is wrong with a board file, and on which line (1-based; 0 for the file as a
/// whole, e.g. a required key that never appears).
public struct BoardFileError: Error, Sendable {
    public enum Kind: Sendable {
        case notKeyValue
        case emptyKey
        case emptyValue
        case badSectionHeader
        case unknownSection(String)
        case unknownKey(String)
        case duplicateKey(String)
        case badSize(String)
        case badNumber(String)
        case badPlatform(String)
        case badSensor(String)
        case unknownBus(String)
        case missingGPIOChip
        case missingKey(StaticString)
        case arenaExceedsRAM
        case notUTF8
    }

    public let kind: Kind
    public let line: Int

    public var message: String {
        let text: String
        switch kind {
        case .notKeyValue: text = "expected 'key = value'"
        case .emptyKey: text = "missing key before '='"
        case .emptyValue: text = "missing value after '='"
        case .badSectionHeader: text = "expected '[section]'"
        case .unknownSection(let name):
            text = "unknown section '[\(name)]' (expected [gpio], [i2c], [serial] or [sensor])"
        case .unknownKey(let key): text = "unknown key '\(key)'"
        case .duplicateKey(let key): text = "'\(key)' given twice"
        case .badSize(let value): text = "'\(value)' is not a size (examples: 65536, 512K, 4M)"
        case .badNumber(let value): text = "'\(value)' is not a number"
        case .badPlatform(let value): text = "platform '\(value)' is not sim, linux or baremetal"
        case .badSensor(let value): text = "sensor '\(value)' is not 'DRIVER BUS ADDRESS' (address 0x00..0x7f)"
        case .unknownBus(let bus): text = "sensor on bus '\(bus)', which [i2c] does not declare"
        case .missingGPIOChip: text = "[gpio] lines need 'chip = LABEL'"
        case .missingKey(let key): text = "missing '\(key)'"
        case .arenaExceedsRAM: text = "arena is larger than ram"
        case .notUTF8: text = "not UTF-8 text"
        }
        return line > 0 ? "board file line \(line): \(text)" : "board file: \(text)"
    }
}

extension BoardFile {
    /// Parses a board file's bytes; throws the first problem with its line number.
    public static func parse(_ text: UnsafeRawBufferPointer) throws(BoardFileError) -> BoardFile {
        var parser = BoardFileParser()
        var lineStart = 0
        var lineNumber = 0
        while lineStart < text.count {
            var lineEnd = lineStart
            while lineEnd < text.count, text[lineEnd] != UInt8(ascii: "\n") { lineEnd &+= 1 }
            lineNumber &+= 1
            try parser.line(UnsafeRawBufferPointer(rebasing: text[lineStart..<lineEnd]), number: lineNumber)
            lineStart = lineEnd &+ 1
        }
        return try parser.finish()
    }

    public static func parse(_ bytes: [UInt8]) throws(BoardFileError) -> BoardFile {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(BoardFileError) in try parse(buffer) }
        }
        return try result.get()
    }

    public static func parse(_ text: StaticString) throws(BoardFileError) -> BoardFile {
        try parse(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

private enum Section {
    case board, gpio, i2c, serial, sensor
}

private struct BoardFileParser {
    var board = BoardFile()
    var section = Section.board
    /// Keys seen, as "section/key", to reject duplicates.
    var seen: [[UInt8]] = []
    var sensorLines: [Int] = []
    var gpioLine = 0

    mutating func line(_ raw: UnsafeRawBufferPointer, number: Int) throws(BoardFileError) {
        let commentStart = raw.firstIndex(of: UInt8(ascii: "#")) ?? raw.count
        let line = trimmed(raw[0..<commentStart])
        if line.isEmpty { return }
        guard validUTF8(line) else { throw BoardFileError(kind: .notUTF8, line: number) }
        if line[0] == UInt8(ascii: "[") {
            guard line.count >= 3, line[line.count - 1] == UInt8(ascii: "]") else {
                throw BoardFileError(kind: .badSectionHeader, line: number)
            }
            let name = trimmed(line[1..<(line.count - 1)])
            switch string(name) {
            case let s where sameBytes(s, "gpio"): section = .gpio
            case let s where sameBytes(s, "i2c"): section = .i2c
            case let s where sameBytes(s, "serial"): section = .serial
            case let s where sameBytes(s, "sensor"): section = .sensor
            default: throw BoardFileError(kind: .unknownSection(string(name)), line: number)
            }
            return
        }
        guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
            throw BoardFileError(kind: .notKeyValue, line: number)
        }
        let key = trimmed(line[0..<equals])
        let value = trimmed(line[(equals + 1)...])
        guard !key.isEmpty else { throw BoardFileError(kind: .emptyKey, line: number) }
        guard !value.isEmpty else { throw BoardFileError(kind: .emptyValue, line: number) }
        let qualified = [sectionTag] + key
        if seen.contains(qualified) {
            throw BoardFileError(kind: .duplicateKey(string(key)), line: number)
        }
        seen.append(qualified)
        try assign(key: string(key), value: value, line: number)
    }

    var sectionTag: UInt8 {
        switch section {
        case .board: return 0
        case .gpio: return 1
        case .i2c: return 2
        case .serial: return 3
        case .sensor: return 4
        }
    }

    mutating func assign(key: String, value: [UInt8], line: Int) throws(BoardFileError) {
        let text = string(value)
        switch section {
        case .board:
            if sameBytes(key, "name") {
                board.name = text
            } else if sameBytes(key, "description") {
                board.description = text
            } else if sameBytes(key, "platform") {
                if sameBytes(text, "sim") {
                    board.platform = .sim
                } else if sameBytes(text, "linux") {
                    board.platform = .linux
                } else if sameBytes(text, "baremetal") {
                    board.platform = .baremetal
                } else {
                    throw BoardFileError(kind: .badPlatform(text), line: line)
                }
            } else if sameBytes(key, "triple") {
                board.triple = text
            } else if sameBytes(key, "toolset") {
                board.toolset = text
            } else if sameBytes(key, "ram") {
                guard let bytes = parseByteSize(value) else { throw BoardFileError(kind: .badSize(text), line: line) }
                board.ramBytes = bytes
            } else if sameBytes(key, "arena") {
                guard let bytes = parseByteSize(value) else { throw BoardFileError(kind: .badSize(text), line: line) }
                board.arenaBytes = bytes
            } else {
                throw BoardFileError(kind: .unknownKey(key), line: line)
            }
        case .gpio:
            if sameBytes(key, "chip") {
                board.gpioChip = text
            } else {
                guard let offset = parseDecimal(value) else { throw BoardFileError(kind: .badNumber(text), line: line) }
                board.gpioLines.append(BoardFile.Line(label: key, offset: offset))
                if gpioLine == 0 { gpioLine = line }
            }
        case .i2c:
            board.i2cBuses.append(BoardFile.Bus(label: key, device: text))
        case .serial:
            let fields = split(value)
            var baud = 0
            if fields.count == 2 {
                guard let number = parseDecimal(fields[1]) else {
                    throw BoardFileError(kind: .badNumber(string(fields[1])), line: line)
                }
                baud = number
            } else if fields.count != 1 {
                throw BoardFileError(kind: .notKeyValue, line: line)
            }
            board.serialPorts.append(BoardFile.SerialPort(label: key, device: string(fields[0]), baud: baud))
        case .sensor:
            let fields = split(value)
            guard fields.count == 3, let address = parseAddress(fields[2]) else {
                throw BoardFileError(kind: .badSensor(text), line: line)
            }
            board.sensors.append(
                BoardFile.Sensor(label: key, driver: string(fields[0]), bus: string(fields[1]), address: address))
            sensorLines.append(line)
        }
    }

    /// Checks that need the whole file.
    func finish() throws(BoardFileError) -> BoardFile {
        if board.name.isEmpty { throw BoardFileError(kind: .missingKey("name"), line: 0) }
        if !seen.contains([0] + Array("platform".utf8)) {
            throw BoardFileError(kind: .missingKey("platform"), line: 0)
        }
        if board.ramBytes == 0 { throw BoardFileError(kind: .missingKey("ram"), line: 0) }
        if board.arenaBytes == 0 { throw BoardFileError(kind: .missingKey("arena"), line: 0) }
        if board.arenaBytes > board.ramBytes { throw BoardFileError(kind: .arenaExceedsRAM, line: 0) }
        if !board.gpioLines.isEmpty && board.gpioChip.isEmpty {
            throw BoardFileError(kind: .missingGPIOChip, line: gpioLine)
        }
        for (index, sensor) in board.sensors.enumerated() where board.i2cBus(sensor.bus) == nil {
            throw BoardFileError(kind: .unknownBus(sensor.bus), line: sensorLines[index])
        }
        return board
    }
}

private func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
}

private func trimmed<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
    var result = Array(bytes)
    while let last = result.last, isSpace(last) { result.removeLast() }
    var start = 0
    while start < result.count, isSpace(result[start]) { start &+= 1 }
    return Array(result[start...])
}

/// Fields separated by runs of spaces or tabs.
private func split(_ bytes: [UInt8]) -> [[UInt8]] {
    var fields: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
        if isSpace(byte) {
            if !current.isEmpty { fields.append(current); current = [] }
        } else {
            current.append(byte)
        }
    }
    if !current.isEmpty { fields.append(current) }
    return fields
}

/// A 7-bit I2C address written `0x76` or `118`.
private func parseAddress(_ bytes: [UInt8]) -> UInt8? {
    var value = 0
    if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] | 0x20 == UInt8(ascii: "x") {
        guard bytes.count <= 4 else { return nil }
        for byte in bytes[2...] {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte &- UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte &- UInt8(ascii: "a")) &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte &- UInt8(ascii: "A")) &+ 10
            default: return nil
            }
            value = value &* 16 &+ digit
        }
    } else {
        guard let decimal = parseDecimal(bytes) else { return nil }
        value = decimal
    }
    return value <= 0x7f ? UInt8(value) : nil
}

private func validUTF8(_ bytes: [UInt8]) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

private func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Byte-wise equality: String `==` would pull Unicode tables into Embedded builds.
func sameBytes(_ a: String, _ b: String) -> Bool {
    a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
}

func sameBytes(_ a: String, _ b: StaticString) -> Bool {
    let bytes = UnsafeBufferPointer(start: b.utf8Start, count: b.utf8CodeUnitCount)
    return a.utf8.count == bytes.count && a.utf8.elementsEqual(bytes)
}
