import PerchCore
import PerchHAL

/// The `time` host module: the board clock in milliseconds and a sleep that suspends the
/// guest (the runtime waits on the board clock, which a simulated board just advances).
public final class TimeModule: HostModule {
    public var moduleName: StaticString { "time" }

    private static let functions: [DeviceFunction] = [
        DeviceFunction(name: "monotonic_ms", signature: ")I"),
        DeviceFunction(name: "sleep_ms", signature: "i)i"),
    ]

    private let clock: any PlatformClock
    private let diagnostics: DeviceDiagnostics

    public init(clock: any PlatformClock, diagnostics: DeviceDiagnostics) {
        self.clock = clock
        self.diagnostics = diagnostics
    }

    public func lookup(field: NameBytes) -> Int? { lookupFunction(field, in: Self.functions) }

    public func signature(of index: Int) -> HostSignature { HostSignature(Self.functions[index].signature) }

    public func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        if index == 0 {
            call.setI64(0, (clock.now(.monotonic) ?? 0) / 1_000_000)
            return .done
        }
        let milliseconds = Int32(bitPattern: call.i32(0))
        guard milliseconds >= 0 else {
            let c = DeviceCall(call: call, module: .time, function: "sleep_ms", diagnostics: diagnostics)
            return c.fail(.invalid, "duration", value: UInt64(call.i32(0)))
        }
        call.setI32(0, DeviceStatus.ok.rawValue)
        return .suspend(wakeAfterNanoseconds: UInt64(milliseconds) &* 1_000_000)
    }
}
