import PerchCore
import PerchHAL

/// A board's GPIO as supervised apps see it: the same lines, minus the wake-at-edge. An
/// edge wait normally suspends for its whole timeout and relies on the board clock's sleep
/// ending at the edge (`LinuxBoardClock`); `perch serve` never sleeps on that clock (its
/// loop waits on the links), so there the wait must look again every
/// `SupervisedBudget.edgePollNanoseconds` instead.
final class PolledEdgeGPIO: GPIOController {
    let base: any GPIOController

    init(_ base: any GPIOController) { self.base = base }

    func request(chip: NameBytes, line: GPIOLineSelector, settings: GPIOLineSettings) throws(GPIOError) -> GPIOLineID {
        try base.request(chip: chip, line: line, settings: settings)
    }
    func setValue(_ line: GPIOLineID, _ value: Bool) throws(GPIOError) { try base.setValue(line, value) }
    func value(_ line: GPIOLineID) throws(GPIOError) -> Bool { try base.value(line) }
    func nextEdge(_ line: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? { try base.nextEdge(line) }
    func release(_ line: GPIOLineID) { base.release(line) }
    func wakeOnEdge(_ line: GPIOLineID) -> Bool { false }
}

extension DeviceBoard {
    /// This board with its GPIO behind `PolledEdgeGPIO` (everything else shared).
    func withPolledEdges() -> DeviceBoard {
        DeviceBoard(
            name: name, gpio: gpio.map { PolledEdgeGPIO($0) }, clock: clock, pins: pins, buses: buses, sensors: sensors)
    }
}
