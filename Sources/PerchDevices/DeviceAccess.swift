import PerchCore
import PerchHAL

/// The kinds of board resource a guest opens by label.
enum DeviceResource {
    case pin, bus, sensor

    /// How failures name it (`gpio.open: pin 'BUTTON' not granted`).
    var subject: StaticString {
        switch self {
        case .pin: return "pin"
        case .bus: return "bus"
        case .sensor: return "sensor"
        }
    }
}

/// What one device module (gpio, i2c, sensor) of one guest reaches and holds: the board,
/// the grants, the diagnostics its failures go to, and its fixed table of open handles.
/// The open-by-label checks (declared by the board, then granted: deny by default) and the
/// handle bookkeeping of open/close live here once for all three modules. A class, so a
/// module's calls reach it through one reference instead of copying (and retaining) its
/// fields on every host call.
final class DeviceAccess<Entry> {
    let board: DeviceBoard
    let resource: DeviceResource
    private let grants: DeviceGrants
    private let diagnostics: DeviceDiagnostics
    private var handles: HandleTable<Entry>

    init(board: DeviceBoard, resource: DeviceResource, grants: DeviceGrants, diagnostics: DeviceDiagnostics, capacity: Int) {
        self.board = board
        self.resource = resource
        self.grants = grants
        self.diagnostics = diagnostics
        self.handles = HandleTable(capacity: capacity)
    }

    /// The context of one host call of `module`'s `function`.
    func call(_ call: HostCall, _ module: DeviceModuleKind, _ function: StaticString) -> DeviceCall {
        DeviceCall(call: call, module: module, function: function, diagnostics: diagnostics)
    }

    /// The board's index of `label` when the board declares it and the guest was granted
    /// it; nil after recording `not_found` or `denied`, named by the label.
    func grantedIndex(_ c: DeviceCall, _ label: NameBytes) -> Int? {
        let index: Int?
        let granted: Bool
        switch resource {
        case .pin: (index, granted) = (board.pinIndex(label), grants.allowsPin(label))
        case .bus: (index, granted) = (board.busIndex(label), grants.allowsBus(label))
        case .sensor: (index, granted) = (board.sensorIndex(label), grants.allowsSensor(label))
        }
        guard let index else {
            _ = c.fail(.notFound, resource.subject, name: label)
            return nil
        }
        guard granted else {
            _ = c.fail(.denied, resource.subject, name: label)
            return nil
        }
        return index
    }

    /// Keeps `entry` open and writes its handle to `handleOut` (which the caller checked
    /// first); false after recording `no_handles` when the table is full.
    func open(_ c: DeviceCall, _ entry: Entry, label: NameBytes, handleOut: UInt32) -> Bool {
        guard let handle = handles.insert(entry) else {
            _ = c.fail(.noHandles, resource.subject, name: label)
            return false
        }
        c.store32(handle, at: handleOut)
        return true
    }

    /// The slot and entry of an open handle; nil after recording `bad_handle`.
    func find(_ c: DeviceCall, _ handle: UInt32) -> (slot: Int, entry: Entry)? {
        if let found = handles.lookup(handle) { return found }
        _ = c.fail(.badHandle, "handle", value: UInt64(handle))
        return nil
    }

    func update(slot: Int, _ entry: Entry) { handles.update(slot: slot, entry) }

    /// Closes an open handle and returns what it held; nil after recording `bad_handle`.
    func close(_ c: DeviceCall, _ handle: UInt32) -> Entry? {
        guard let (slot, _) = find(c, handle) else { return nil }
        return handles.remove(slot: slot)
    }

    /// Closes every handle, giving each entry to `release` (when the guest's instance ends).
    func closeAll(_ release: (Entry) -> Void) {
        for slot in handles.occupiedSlots {
            if let entry = handles.remove(slot: slot) { release(entry) }
        }
    }
}
