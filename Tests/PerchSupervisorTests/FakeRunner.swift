@testable import PerchLink
@testable import PerchSupervisor

/// Behaviour a fake module asks for in its first byte.
enum FakeBehaviour: UInt8 {
    case healthy = 0       // yields every slice
    case invalid = 1       // rejected by "validation"
    case trapsAtStart = 2
    case loopsForever = 3  // never yields
    case callsReady = 4
    case arenaTooSmall = 5 // rejected by "instantiation"
    case trapsLater = 6    // healthy for 3 slices, then traps every time
    case loopsLater = 7    // healthy for 3 slices, then never yields again
    case waitsLong = 8     // suspends for a minute each slice (an edge wait with no edge)
}

final class FakeInstance: AppInstance {
    let behaviour: FakeBehaviour
    let version: UInt64
    var slices = 0
    var restored: [UInt8]?
    var output: [String] = []

    init(_ behaviour: FakeBehaviour, version: UInt64) {
        self.behaviour = behaviour
        self.version = version
    }

    func run(fuel: UInt64) -> SliceOutcome {
        slices += 1
        switch behaviour {
        case .trapsAtStart: return .trapped(reason: "unreachable")
        case .loopsForever: return .outOfFuel
        case .callsReady: return .ready
        case .trapsLater: return slices > 3 ? .trapped(reason: "integer divide by zero") : .suspended(wakeAfterNanoseconds: 0)
        case .loopsLater: return slices > 3 ? .outOfFuel : .suspended(wakeAfterNanoseconds: 0)
        case .waitsLong: return .suspended(wakeAfterNanoseconds: 60_000_000_000)
        default:
            if slices == 1 { output.append("hello from v\(version)") }
            return .suspended(wakeAfterNanoseconds: 1_000)
        }
    }

    func saveState() -> [UInt8]? { [UInt8(truncatingIfNeeded: version), UInt8(truncatingIfNeeded: slices)] }
    func restoreState(_ state: [UInt8]) -> Bool { restored = state; return true }
    func takeOutput() -> [String] { defer { output = [] }; return output }
    var discarded = false
    /// Fakes holding a GPIO line: such an instance cannot be resumed after a failed swap.
    var holdsLine = false
    func pauseForSwap() -> Bool { !holdsLine }
    func discard() { discarded = true }
    /// What it waits on while suspended (a GPIO line's event descriptor, say).
    var waitsOn: [Int32] = []
    func wakeDescriptors(into descriptors: inout [Int32]) { descriptors += waitsOn }
}

final class FakeRunner: AppRunner {
    var instances: [FakeInstance] = []

    func prepare(module: [UInt8], manifest: Manifest) throws(PrepareFailure) -> any AppInstance {
        let behaviour = FakeBehaviour(rawValue: module.first ?? 0) ?? .healthy
        switch behaviour {
        case .invalid: throw .invalidModule("type mismatch at offset 0x1f (function 0)")
        case .arenaTooSmall: throw .instantiateFailed("arena full: linear memory needs 131072 bytes, 4096 free")
        default:
            let instance = FakeInstance(behaviour, version: manifest.version)
            instances.append(instance)
            return instance
        }
    }

    func latest(_ version: UInt64) -> FakeInstance? { instances.last { $0.version == version } }
}

/// A manually advanced clock.
final class TestClock {
    var now: UInt64 = 1_000_000_000
    func advance(ms: UInt64) { now += ms * 1_000_000 }
}

/// A module blob for the fake runner: behaviour byte, then filler.
func fakeModule(_ behaviour: FakeBehaviour, size: Int = 3000, seed: UInt8 = 0) -> [UInt8] {
    [behaviour.rawValue] + (1..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}

func signedDeploy(_ module: [UInt8], app: String = "blinky", version: UInt64, signer: Ed25519.KeyPair = testSigner) -> Deploy {
    makeDeploy(module: module, app: app, version: version, grants: ["gpio:17"], arenaSize: 65536, fuelSlice: 1000, signer: signer)!
}
