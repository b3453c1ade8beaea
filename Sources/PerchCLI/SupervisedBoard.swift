import PerchCore
import PerchHAL
import PerchHALLinux

/// A board's GPIO as one supervised app sees it. An edge wait normally suspends for its
/// whole timeout and relies on the board clock's sleep ending at the edge
/// (`LinuxBoardClock`); `perch serve` never sleeps on that clock (its loop waits in one
/// poll of its links), so here `wakeOnEdge` notes the line's event descriptor instead,
/// and the serve loop polls the noted descriptors of suspended apps with its links
/// (`InterpretedApp.wakeDescriptors`): an edge resumes the waiting app at once, and a
/// waiting app costs no wake-ups. The notes are this app's and last one suspension
/// (`disarm` before each slice), as the board clock's are one sleep. A controller
/// without descriptors (the simulated board) answers false: the wait looks again every
/// `SupervisedBudget.edgePollNanoseconds`.
final class ServedGPIO: GPIOController {
    let base: any GPIOController
    /// Event descriptors of the lines this app's current edge waits are on.
    private(set) var armedDescriptors: [Int32] = []

    init(_ base: any GPIOController) {
        self.base = base
        // Room for every line a LinuxGPIO holds, so arming never allocates.
        armedDescriptors.reserveCapacity(LinuxGPIO.capacity)
    }

    func request(chip: NameBytes, line: GPIOLineSelector, settings: GPIOLineSettings) throws(GPIOError) -> GPIOLineID {
        try base.request(chip: chip, line: line, settings: settings)
    }
    func setValue(_ line: GPIOLineID, _ value: Bool) throws(GPIOError) { try base.setValue(line, value) }
    func value(_ line: GPIOLineID) throws(GPIOError) -> Bool { try base.value(line) }
    func nextEdge(_ line: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? { try base.nextEdge(line) }
    func release(_ line: GPIOLineID) { base.release(line) }
    func edgeDescriptor(_ line: GPIOLineID) -> Int32? { base.edgeDescriptor(line) }

    func wakeOnEdge(_ line: GPIOLineID) -> Bool {
        guard let descriptor = base.edgeDescriptor(line) else { return false }
        if !armedDescriptors.contains(descriptor) { armedDescriptors.append(descriptor) }
        return true
    }

    func disarm() { armedDescriptors.removeAll(keepingCapacity: true) }
}

extension DeviceBoard {
    /// This board for one supervised app: its GPIO behind the app's own `ServedGPIO`
    /// (lines stay exclusive: requests go to the one shared controller), everything else
    /// shared.
    func served() -> (board: DeviceBoard, gpio: ServedGPIO?) {
        let gpio = self.gpio.map { ServedGPIO($0) }
        return (DeviceBoard(name: name, gpio: gpio, clock: clock, pins: pins, buses: buses, sensors: sensors), gpio)
    }
}
