import Foundation
import PerchHALSim
import Testing

/// The emulated board (boards/qemu-virt-arm64, `make test-emulated`) runs the same example
/// modules as ExampleTests with the same expected output; its fake I2C chips are loaded
/// with register bytes from tests/fake-chips.txt. These tests keep that file honest: each
/// state holds exactly what the simulated chip holds in the same scenario.
@Suite struct EmulatedCaseTests {
    struct RegisterWrite {
        let state: String
        let address: UInt8
        let register: UInt8
        let bytes: [UInt8]
    }

    static func fakeChipWrites() throws -> [RegisterWrite] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("boards/qemu-virt-arm64/tests/fake-chips.txt"), encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            // "STATE 0xADDRESS 0xREGISTER 0xBYTE...": a malformed line fails the test, naming it.
            let fields = line.split(separator: " ")
            let numbers = try fields.dropFirst().map { field in
                try #require(field.hasPrefix("0x") ? UInt8(field.dropFirst(2), radix: 16) : nil, "fake-chips.txt: '\(line)'")
            }
            try #require(numbers.count >= 3, "fake-chips.txt: '\(line)' needs an address, a register and bytes")
            return RegisterWrite(state: String(fields[0]), address: numbers[0], register: numbers[1], bytes: Array(numbers.dropFirst(2)))
        }
    }

    /// What a simulated BME280 in normal mode holds at `register`, `count` bytes on.
    static func bme280Registers(_ chip: SimBME280, from register: UInt8, count: Int) -> [UInt8] {
        _ = [UInt8(0xF2), 0x01, 0xF4, 0x27].withUnsafeBytes { chip.write($0) }
        _ = [register].withUnsafeBytes { chip.write($0) }
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { chip.read(into: $0) }
        return bytes
    }

    static func tmp102Register(_ chip: SimTMP102, _ register: UInt8) -> [UInt8] {
        _ = [register].withUnsafeBytes { chip.write($0) }
        var bytes = [UInt8](repeating: 0, count: 2)
        bytes.withUnsafeMutableBytes { chip.read(into: $0) }
        return bytes
    }

    /// The scenarios of ExampleTests.weatherPrintsTheBME280Readings and
    /// thermostatSwitchesWithHysteresis, by state name.
    static let climates: [String: (celsius: Double, pascals: Double, percent: Double)] = [
        "climate": (21.37, 100_650, 45.5), "climate-cold": (-3.2, 100_650, 45.5),
    ]
    static let temperatures: [String: Double] = [
        "temperature": 18.5, "temperature-20.5": 20.5, "temperature-21.5": 21.5, "temperature-19.5": 19.5,
    ]

    @Test func fakeChipsHoldWhatTheSimulatedChipsHold() throws {
        let writes = try Self.fakeChipWrites()
        #expect(Set(writes.map(\.state)) == Set(Self.climates.keys).union(Self.temperatures.keys))
        for write in writes {
            let actual: [UInt8]
            if let climate = Self.climates[write.state] {
                #expect(write.address == 0x76)
                let chip = SimBME280()
                chip.temperatureCelsius = climate.celsius
                chip.pressurePascals = climate.pascals
                chip.humidityPercent = climate.percent
                actual = Self.bme280Registers(chip, from: write.register, count: write.bytes.count)
            } else if let celsius = Self.temperatures[write.state] {
                #expect(write.address == 0x48)
                let chip = SimTMP102()
                chip.temperatureCelsius = celsius
                actual = Self.tmp102Register(chip, write.register)
            } else {
                continue
            }
            let hex = actual.map { "0x" + String($0, radix: 16, uppercase: false).leftPadded(2) }.joined(separator: " ")
            #expect(write.bytes == actual, "\(write.state) 0x\(String(write.address, radix: 16)) 0x\(String(write.register, radix: 16)): \(hex)")
        }
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
