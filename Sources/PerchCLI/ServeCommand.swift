import CPerchLinkSys
import PerchCore
import PerchHAL
import PerchHALSim
import PerchLink
import PerchPlatform
import PerchSupervisor

extension Command {
    static var serve: Command {
        Command(
            name: "serve", summary: "Run the supervisor: apps in fuel slices, signed updates over TCP/serial",
            usage: "serve --store DIR [--board FILE] [--listen ADDR:PORT] [--serial PATH[@BAUD]] [--trust KEYFILE]...",
            options: [
                Option("store", value: "DIR", help: "where committed modules and their state live"),
                Option("board", value: "FILE", help: "board file or its folder (boards/rpi4), or sim: the devices that GPIO/I2C/sensor grants reach"),
                Option("listen", value: "ADDR:PORT", help: "accept link connections over TCP (port 0: any free port)"),
                Option("serial", value: "PATH[@BAUD]", help: "speak the link protocol on a serial line (default 115200 baud)"),
                Option("trust", value: "KEYFILE", help: "public key allowed to sign uploads (repeatable)"),
                Option("device", value: "NAME", help: "name reported to 'perch push' (default perch)"),
                Option("health-slices", value: "N", help: "slices a new module must survive before commit (default 20)"),
                Option("exit-after", value: "SECONDS", help: "stop serving after this long (demos, tests)"),
            ]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 0)
            guard let storePath = arguments.value("store") else { throw .missingValue(flag: "store") }
            var keys: [[UInt8]] = []
            for path in arguments.values("trust") {
                do throws(KeyFile.Failure) { keys += try KeyFile.load(path).publicKeys } catch {
                    printError("perch: \(error.message)")
                    return ExitStatus.usage
                }
            }
            // libsodium is loaded at its first use; with keys to check, fail now, not at the first push.
            if !keys.isEmpty && !Ed25519.start() {
                printError("perch: --trust: " + Ed25519.unavailableMessage)
                return ExitStatus.failure
            }
            let linux = LinuxPlatform()
            // The same board files as `perch run --board`: sim, a file, or a board's folder.
            var board: OpenedBoard? = nil
            if let path = arguments.value("board") {
                let file = equalBytes(path.utf8, "sim".utf8) ? SimBoard.standardFile : try readBoard(path)
                switch openBoard(file, base: Platform(clock: linux, random: linux, files: linux), command: "serve") {
                case .success(let opened): board = opened
                case .failure(let failure):
                    printError(failure.message)
                    return ExitStatus.usage
                }
            }
            var config = SupervisorConfig()
            if let name = arguments.value("device") { config.deviceName = name }
            if let n = try arguments.integer("health-slices") { config.healthSlices = max(1, n) }
            let exitAfter = try arguments.integer("exit-after")

            let store: Store
            do throws(StoreError) { store = try Store(root: storePath, files: PosixStoreFiles()) } catch {
                printError("perch: store '\(storePath)': \(error.message)")
                return ExitStatus.failure
            }
            let runner = InterpreterAppRunner(clock: linux, random: linux, board: board?.devices)
            let supervisor = Supervisor(store: store, trustedKeys: keys, runner: runner, config: config, clock: monotonicNanoseconds)
            // Unbuffered: the log must reach a pipe or file line by line (tests, systemd).
            supervisor.onLog = { printRaw($0 + "\n") }
            let server = LinkServer(supervisor: supervisor)
            if let listen = arguments.value("listen") {
                guard let address = LinkTarget.parseListen(listen) else {
                    throw .badValue(flag: "listen", value: listen, expected: "ADDR:PORT")
                }
                do throws(LinkIOError) {
                    let port = try server.listen(host: address.host, port: address.port)
                    printRaw("listening on \(address.host):\(port)\n")
                } catch {
                    printError("perch: --listen \(listen): \(error.message)")
                    return ExitStatus.failure
                }
            }
            if let serial = arguments.value("serial") {
                guard case .serial(let path, let baud)? = LinkTarget.parse("serial:" + serial) else {
                    throw .badValue(flag: "serial", value: serial, expected: "PATH[@BAUD]")
                }
                do throws(LinkIOError) {
                    server.attach(serialDescriptor: try openSerial(path, baud: baud))
                    printRaw("serial link on \(path) at \(baud) baud\n")
                } catch {
                    printError("perch: --serial \(serial): \(error.message)")
                    return ExitStatus.failure
                }
            }
            if keys.isEmpty { printRaw("no --trust key: uploads will be refused\n") }
            supervisor.startInstalledApps()
            serveLoop(supervisor, server, board?.sim, exitAfterSeconds: exitAfter)
            return ExitStatus.success
        }
    }
}

/// Apps run in fuel slices; between slices one poll waits on the links and on the GPIO
/// lines suspended apps wait on for an edge, only as long as no app is due. The
/// simulated board's clock follows real time.
private func serveLoop(_ supervisor: Supervisor, _ server: LinkServer, _ sim: SimBoard?, exitAfterSeconds: Int?) {
    let loop = ServeLoop(supervisor: supervisor, server: server, sim: sim)
    let deadline = exitAfterSeconds.map { loop.last &+ UInt64($0) &* 1_000_000_000 }
    while true {
        var waitLimitMs = 1000
        if let deadline {
            let now = monotonicNanoseconds()
            if now >= deadline { break }
            waitLimitMs = Int(min((deadline - now) / 1_000_000, 1000))
        }
        loop.round(waitLimitMs: waitLimitMs)
    }
}

/// One round of `perch serve`: the due apps' slices, then the wait. Apart so that tests
/// can run rounds.
final class ServeLoop {
    let supervisor: Supervisor
    let server: LinkServer
    let sim: SimBoard?
    private(set) var last: UInt64
    private var ledOn: Bool

    init(supervisor: Supervisor, server: LinkServer, sim: SimBoard?) {
        self.supervisor = supervisor
        self.server = server
        self.sim = sim
        last = monotonicNanoseconds()
        ledOn = sim?.level("LED") ?? false
    }

    /// Runs the apps that are due, then waits in one poll of the links and the suspended
    /// apps' edge descriptors until an app is due, a link has work, an awaited edge comes
    /// (its app is then due) or `waitLimitMs` passes.
    func round(waitLimitMs: Int) {
        let now = monotonicNanoseconds()
        sim?.clock.advance(nanoseconds: now &- last)
        last = now
        let next = supervisor.runRound()
        if let sim {
            // Show the simulated LED, the demo's visible output.
            let level = sim.level("LED") ?? false
            if level != ledOn {
                ledOn = level
                supervisor.log("board", level ? "LED on" : "LED off")
            }
        }
        var waitMs = waitLimitMs
        if let next { waitMs = min(waitMs, next == 0 ? 0 : Int(min((next - 1) / 1_000_000 + 1, 1000))) }  // rounded up, no overflow
        for index in server.service(timeoutMs: waitMs, wakeDescriptors: supervisor.wakeDescriptors()) {
            supervisor.wake(readable: index)
        }
    }
}
