import Foundation
import PerchCore
import PerchHAL
import PerchHALSim
import PerchLink
import PerchPlatform
import PerchSupervisor
import Testing
@testable import PerchCLI

/// `perch serve`'s loop with an app waiting for a GPIO edge: one poll covers the links
/// and the waiting app's edge descriptor, so an edge resumes the app at once instead of
/// when its wait (here: for ever) would end. The simulated board, which has no
/// descriptors, still gets its edges by looking again every 5 ms.
@Suite struct ServeEdgeWakeTests {
    /// Opens BUTTON for rising edges, calls perch.ready, then for ever waits for a rising
    /// edge with no timeout (repeating the call while it answers pending) and writes
    /// "edge\n" for each (wat2wasm of the text in the commit that added this test).
    static let edgeWaiter: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x0c,0x02,0x60,0x04,0x7f,0x7f,0x7f,0x7f,0x01,0x7f,0x60,0x00,0x00,0x02,0x4e,0x04,0x04,0x67,0x70,0x69,0x6f,0x04,0x6f,0x70,0x65,0x6e,0x00,0x00,0x04,0x67,0x70,0x69,0x6f,0x09,0x77,0x61,0x69,0x74,0x5f,0x65,0x64,0x67,0x65,0x00,0x00,0x05,0x70,0x65,0x72,0x63,0x68,0x05,0x72,0x65,0x61,0x64,0x79,0x00,0x01,0x16,0x77,0x61,0x73,0x69,0x5f,0x73,0x6e,0x61,0x70,0x73,0x68,0x6f,0x74,0x5f,0x70,0x72,0x65,0x76,0x69,0x65,0x77,0x31,0x08,0x66,0x64,0x5f,0x77,0x72,0x69,0x74,0x65,0x00,0x00,0x03,0x02,0x01,0x01,0x05,0x03,0x01,0x00,0x01,0x07,0x13,0x02,0x06,0x6d,0x65,0x6d,0x6f,0x72,0x79,0x02,0x00,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x04,0x0a,0x33,0x01,0x31,0x00,0x41,0x10,0x41,0x06,0x41,0x20,0x41,0x00,0x10,0x00,0x1a,0x10,0x02,0x03,0x40,0x41,0x00,0x28,0x02,0x00,0x41,0x01,0x41,0x7f,0x41,0x80,0x01,0x10,0x01,0x45,0x04,0x40,0x41,0x01,0x41,0x20,0x41,0x01,0x41,0x30,0x10,0x03,0x1a,0x0b,0x0c,0x00,0x0b,0x0b,0x0b,0x24,0x03,0x00,0x41,0x10,0x0b,0x06,0x42,0x55,0x54,0x54,0x4f,0x4e,0x00,0x41,0x20,0x0b,0x08,0x40,0x00,0x00,0x00,0x05,0x00,0x00,0x00,0x00,0x41,0xc0,0x00,0x0b,0x05,0x65,0x64,0x67,0x65,0x0a]

    let signer = Ed25519.keyPair(seed: [UInt8](repeating: 5, count: 32))!

    /// A supervisor over `board` (timed by the simulated clock, which the serve loop moves
    /// with real time) with the edge waiter installed and committed, and its serve loop.
    func serving(_ board: DeviceBoard, _ sim: SimBoard, in dir: String) throws -> (Supervisor, ServeLoop) {
        let linux = LinuxPlatform()
        let runner = InterpreterAppRunner(clock: linux, random: linux, board: board)
        let supervisor = Supervisor(
            store: try Store(root: dir, files: PosixStoreFiles()), trustedKeys: [signer.publicKey], runner: runner,
            config: SupervisorConfig(), clock: { sim.clock.nanoseconds })
        let loop = ServeLoop(supervisor: supervisor, server: LinkServer(supervisor: supervisor), sim: sim)
        let module = Self.edgeWaiter
        let deploy = makeDeploy(
            module: module, app: "waiter", version: 1, grants: ["gpio:BUTTON"], arenaSize: 1 << 20, fuelSlice: 10_000,
            signer: signer)!
        supervisor.handle(.uploadBegin(manifest: deploy.manifestBytes, signature: deploy.signature), session: 1, sequence: 1)
        module.withUnsafeBytes { supervisor.handle(.chunk(offset: 0, data: $0), session: 1, sequence: 2) }
        supervisor.handle(.commit(app: "waiter"), session: 1, sequence: 3)
        // (The link server drops the replies: session 1 is no connection of its.)
        for _ in 0..<20 where supervisor.status(app: "waiter").first?.committedVersion != 1 { loop.round(waitLimitMs: 0) }
        #expect(supervisor.status(app: "waiter").first?.committedVersion == 1, "\(supervisor.logs(app: "", since: 0).text)")
        loop.round(waitLimitMs: 0)  // its first wait: pending, suspended
        return (supervisor, loop)
    }

    func edges(_ supervisor: Supervisor) -> Int {
        supervisor.logs(app: "waiter", since: 0).text.components(separatedBy: "[waiter] edge").count - 1
    }

    @Test func anEdgeOnTheWaitedLineResumesTheAppFromTheServeLoopsPoll() throws {
        let dir = NSTemporaryDirectory() + "perch-serve-edge-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = SimBoard()
        let gpio = try SignalledGPIO(sim.gpio)
        let devices = sim.devices
        let board = DeviceBoard(
            name: devices.name, gpio: gpio, clock: devices.clock, pins: devices.pins, buses: devices.buses,
            sensors: devices.sensors)
        let (supervisor, loop) = try serving(board, sim, in: dir)

        // Waiting with no timeout: suspended, its line's descriptor in the serve loop's poll.
        #expect(supervisor.wakeDescriptors() == [gpio.readEnd])
        loop.round(waitLimitMs: 0)
        #expect(edges(supervisor) == 0)

        // Each press arrives while the loop waits: the poll ends and the app sees it in
        // the next round (without the wake it would sleep a minute and see nothing), then
        // waits again with its descriptor back in the poll.
        for press in 1...2 {
            sim.drive("BUTTON", false)
            sim.drive("BUTTON", true)
            gpio.signal()
            loop.round(waitLimitMs: 60_000)
            loop.round(waitLimitMs: 0)
            #expect(edges(supervisor) == press)
            #expect(supervisor.wakeDescriptors() == [gpio.readEnd])
        }

        // A wake for an app stopped since the poll began does nothing; a stopped app is
        // not polled for.
        supervisor.handle(.stop(app: "waiter"), session: 1, sequence: 4)
        supervisor.wake(readable: 0)
        #expect(supervisor.status(app: "waiter").first?.state == .stopped)
        #expect(supervisor.wakeDescriptors().isEmpty)
    }

    @Test func onTheSimulatedBoardTheWaitLooksAgainAndSeesTheEdge() throws {
        let dir = NSTemporaryDirectory() + "perch-serve-edge-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = SimBoard()
        let (supervisor, loop) = try serving(sim.devices, sim, in: dir)
        #expect(supervisor.wakeDescriptors().isEmpty)  // nothing to poll: it looks again
        sim.drive("BUTTON", true)
        for _ in 0..<200 where edges(supervisor) == 0 { loop.round(waitLimitMs: 1000) }
        #expect(edges(supervisor) == 1)
    }
}

/// The simulated board's GPIO with an edge descriptor, as a Linux line has: a pipe the
/// test writes a byte into when it makes an edge, drained once the edges are taken.
final class SignalledGPIO: GPIOController {
    let base: SimGPIO
    let readEnd: Int32
    let writeEnd: Int32

    init(_ base: SimGPIO) throws {
        self.base = base
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func request(chip: NameBytes, line: GPIOLineSelector, settings: GPIOLineSettings) throws(GPIOError) -> GPIOLineID {
        try base.request(chip: chip, line: line, settings: settings)
    }
    func setValue(_ line: GPIOLineID, _ value: Bool) throws(GPIOError) { try base.setValue(line, value) }
    func value(_ line: GPIOLineID) throws(GPIOError) -> Bool { try base.value(line) }
    func release(_ line: GPIOLineID) { base.release(line) }
    func edgeDescriptor(_ line: GPIOLineID) -> Int32? { readEnd }

    func nextEdge(_ line: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? {
        let event = try base.nextEdge(line)
        if event == nil {
            var bytes = [UInt8](repeating: 0, count: 16)
            while read(readEnd, &bytes, bytes.count) > 0 {}
        }
        return event
    }
}
