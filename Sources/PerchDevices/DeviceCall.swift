import PerchCore

/// What every device module does around a call: read guest buffers through
/// `GuestMemory.range` (the one bounds check for guest pointers), write results, and turn
/// a failure into a status for the guest plus a named record for the runtime.
struct DeviceCall {
    let call: HostCall
    let module: DeviceModuleKind
    let function: StaticString
    let diagnostics: DeviceDiagnostics

    /// The guest bytes `pointer ..< pointer + length`, or nil (the failure is recorded).
    func bytes(_ pointer: UInt32, _ length: UInt32) -> UnsafeMutableRawBufferPointer? {
        if let range = call.memory.range(pointer, length) { return range }
        _ = fail(.fault, "pointer", value: UInt64(pointer))
        return nil
    }

    func name(_ pointer: UInt32, _ length: UInt32) -> NameBytes? {
        guard let range = bytes(pointer, length) else { return nil }
        return NameBytes(start: UnsafeRawPointer(range.baseAddress), count: range.count)
    }

    /// Checks that an out-parameter of `length` bytes fits before any side effect happens.
    func checkOut(_ pointer: UInt32, _ length: UInt32) -> Bool { bytes(pointer, length) != nil }

    func store32(_ value: UInt32, at pointer: UInt32) { call.memory.store(value, at: pointer) }
    func store64(_ value: UInt64, at pointer: UInt32) { call.memory.store(value, at: pointer) }

    func ok() -> HostOutcome {
        call.setI32(0, DeviceStatus.ok.rawValue)
        return .done
    }

    /// Records the failure and returns its status to the guest.
    func fail(
        _ status: DeviceStatus, _ subject: StaticString, name: NameBytes? = nil, value: UInt64? = nil
    ) -> HostOutcome {
        diagnostics.record(DeviceFailure(
            module: module, function: function, status: status, subject: subject, name: name, value: value))
        call.setI32(0, status.rawValue)
        return .done
    }
}

/// The signature table of a device module: import name and `HostSignature` text.
struct DeviceFunction {
    let name: StaticString
    let signature: StaticString
}

func lookupFunction(_ field: NameBytes, in table: [DeviceFunction]) -> Int? {
    table.firstIndex { field == $0.name }
}
