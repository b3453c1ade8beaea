import Foundation
import PerchLink
import PerchSupervisor
import Testing
@testable import PerchCLI

/// Runs the `perch` executable (with `environment` added to this process's); returns its
/// exit status and output (stdout and stderr).
func runPerch(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: perchBinary!)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A temporary folder with a deploy key made by `perch keygen` (`key`, its public half
/// `trust`) and the modules a test pushes; `remove()` deletes it.
struct PushWorkspace {
    let dir: String
    var key: String { dir + "/deploy.key" }
    var trust: String { key + ".pub" }

    init(_ prefix: String) throws {
        dir = NSTemporaryDirectory() + prefix + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keygen = try runPerch(["keygen", dir + "/deploy.key"])
        try #require(keygen.status == 0, "perch keygen: \(keygen.output)")
    }

    /// `perch push` of the module file at `path` to `to` as `app`, version `version`,
    /// signed with the workspace's key; `options` go before the file.
    func push(
        _ path: String, to: String, app: String, version: Int, _ options: [String] = []
    ) throws -> (status: Int32, output: String) {
        try runPerch(["push", "--to", to, "--app", app, "--key", key, "--version", "\(version)"] + options + [path])
    }

    /// Writes `module` as `name` in the folder; returns its path.
    func write(_ module: [UInt8], as name: String) throws -> String {
        let path = dir + "/" + name
        try Data(module).write(to: URL(fileURLWithPath: path))
        return path
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

/// The repository root (boards/ is read from there).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Whether this machine has GPIO chips; without them a Linux board's line requests fail.
let hostHasGPIOChips = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.contains { $0.hasPrefix("gpiochip") } ?? false

@Suite(.enabled(if: perchBinary != nil, "needs the perch executable (swift build, or PERCH_BIN)"))
struct SupervisorCommandTests {
    /// keygen, push, status (text and JSON), logs, stop, start, rollback, remove through the
    /// command line against a real `perch serve`.
    @Test func commandLineDrivesARunningServe() throws {
        let workspace = try PushWorkspace("perch-cmd-")
        defer { workspace.remove() }
        let v1 = try workspace.write(SupervisedInterpreterTests.hello, as: "v1.wasm")
        let v2 = try workspace.write(SupervisedInterpreterTests.sleeper, as: "v2.wasm")
        let server = try ServeProcess(store: workspace.dir + "/store", trust: workspace.trust)
        defer { server.kill9() }
        let to = "tcp://127.0.0.1:\(server.port)"

        let push1 = try workspace.push(v1, to: to, app: "hello", version: 1)
        #expect(push1.status == 0 && push1.output.contains("committed"), "\(push1.output)")
        let push2 = try workspace.push(v2, to: to, app: "hello", version: 2, ["--json"])
        #expect(push2.status == 0 && push2.output.contains("\"ok\":true"), "\(push2.output)")
        let replay = try workspace.push(v2, to: to, app: "hello", version: 2)
        #expect(replay.status == 1 && replay.output.contains("replay"), "\(replay.output)")

        let status = try runPerch(["status", "--to", to, "--json"])
        #expect(status.output.contains("\"app\":\"hello\",\"state\":\"running\",\"version\":2,\"previous\":1"), "\(status.output)")
        let logs = try runPerch(["logs", "--to", to, "hello"])
        #expect(logs.output.contains("[hello] hello, log!"), "\(logs.output)")

        #expect(try runPerch(["stop", "--to", to, "hello"]).output.contains("stopped hello"))
        #expect(try runPerch(["status", "--to", to]).output.contains("hello: stopped v2"))
        #expect(try runPerch(["start", "--to", to, "hello"]).output.contains("started hello v2"))
        let rollback = try runPerch(["rollback", "--to", to, "hello"])
        #expect(rollback.output.contains("rolled back to v1"), "\(rollback.output)")
        #expect(try runPerch(["status", "--to", to]).output.contains("hello: running v1"))
        #expect(try runPerch(["remove", "--to", to, "hello"]).status == 0)
        let gone = try runPerch(["stop", "--to", to, "hello"])
        #expect(gone.status == 1 && gone.output.contains("no such app"), "\(gone.output)")
        let badTarget = try runPerch(["status", "--to", "udp://x"])
        #expect(badTarget.status == 2)
    }

    /// examples/supervisor/blink-v1.wat: opens gpio "LED" (trapping if it cannot), calls
    /// perch.ready, toggles the LED every 500 ms.
    static let blink: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x11,0x03,0x60,0x04,0x7f,0x7f,0x7f,0x7f,0x01,0x7f,0x60,0x01,0x7f,0x01,0x7f,0x60,0x00,0x00,0x02,0x39,0x04,0x04,0x67,0x70,0x69,0x6f,0x04,0x6f,0x70,0x65,0x6e,0x00,0x00,0x04,0x67,0x70,0x69,0x6f,0x06,0x74,0x6f,0x67,0x67,0x6c,0x65,0x00,0x01,0x04,0x74,0x69,0x6d,0x65,0x08,0x73,0x6c,0x65,0x65,0x70,0x5f,0x6d,0x73,0x00,0x01,0x05,0x70,0x65,0x72,0x63,0x68,0x05,0x72,0x65,0x61,0x64,0x79,0x00,0x02,0x03,0x02,0x01,0x02,0x05,0x03,0x01,0x00,0x01,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x04,0x0a,0x27,0x01,0x25,0x00,0x41,0x10,0x41,0x03,0x41,0x01,0x41,0x00,0x10,0x00,0x04,0x40,0x00,0x0b,0x10,0x03,0x03,0x40,0x41,0x00,0x28,0x02,0x00,0x10,0x01,0x1a,0x41,0xf4,0x03,0x10,0x02,0x1a,0x0c,0x00,0x0b,0x0b,0x0b,0x09,0x01,0x00,0x41,0x10,0x0b,0x03,0x4c,0x45,0x44]

    /// `serve --board` opens boards through the same code as `run --board`: the simulated
    /// board lends its LED; a bare-metal board is refused up front.
    @Test func serveOpensBoardsLikeRun() throws {
        let workspace = try PushWorkspace("perch-board-")
        defer { workspace.remove() }
        let blink = try workspace.write(Self.blink, as: "blink.wasm")

        let sim = try ServeProcess(store: workspace.dir + "/sim", trust: workspace.trust, board: repositoryRoot + "/boards/sim")
        defer { sim.kill9() }
        let onSim = try workspace.push(blink, to: "tcp://127.0.0.1:\(sim.port)", app: "blink", version: 1, ["--grant", "gpio:LED"])
        #expect(onSim.status == 0 && onSim.output.contains("committed"), "\(onSim.output)")

        let bare = try runPerch(["serve", "--store", workspace.dir + "/bare", "--board", repositoryRoot + "/boards/mps2-an386", "--exit-after", "1"])
        #expect(bare.status == 2 && bare.output.contains("bare metal"), "\(bare.output)")
    }

    /// A Linux board (rpi4) under `serve` goes to the Linux GPIO backend, which on a machine
    /// without GPIO chips refuses the line: logged, the swap fails. (Skipped, and counted as
    /// skipped, where the machine has GPIO chips.)
    @Test(.enabled(if: !hostHasGPIOChips, "this machine has GPIO chips: the line might be granted"))
    func serveOnALinuxBoardWithoutGPIOChipsRefusesTheLine() throws {
        let workspace = try PushWorkspace("perch-board-")
        defer { workspace.remove() }
        let blink = try workspace.write(Self.blink, as: "blink.wasm")
        let pi = try ServeProcess(store: workspace.dir + "/pi", trust: workspace.trust, board: repositoryRoot + "/boards/rpi4")
        defer { pi.kill9() }
        let to = "tcp://127.0.0.1:\(pi.port)"
        let onPi = try workspace.push(blink, to: to, app: "blink", version: 1, ["--grant", "gpio:LED"])
        #expect(onPi.status == 1 && onPi.output.contains("health window"), "\(onPi.output)")
        let logs = try runPerch(["logs", "--to", to, "blink"])
        #expect(logs.output.contains("[blink] perch: gpio.open: pin 'LED' unavailable"), "\(logs.output)")
    }

    /// A first install that traps: push fails with the reason, status shows the app failed
    /// with no version and the refused one, nothing runs; a later good push installs.
    @Test func failedFirstInstallIsShownThenAGoodPushInstalls() throws {
        let workspace = try PushWorkspace("perch-cmd-")
        defer { workspace.remove() }
        let bad = try workspace.write(SupervisedInterpreterTests.trap, as: "trap.wasm")
        let good = try workspace.write(SupervisedInterpreterTests.hello, as: "hello.wasm")
        let server = try ServeProcess(store: workspace.dir + "/store", trust: workspace.trust)
        defer { server.kill9() }
        let to = "tcp://127.0.0.1:\(server.port)"

        let push = try workspace.push(bad, to: to, app: "hello", version: 5)
        #expect(push.status == 1 && push.output.contains("unreachable"), "\(push.output)")
        let status = try runPerch(["status", "--to", to])
        #expect(status.output.contains("hello: failed, no version installed; v5 refused, last error: trap: unreachable"), "\(status.output)")
        let json = try runPerch(["status", "--to", to, "--json"])
        #expect(json.output.contains("\"state\":\"failed\",\"version\":0,\"previous\":0,\"refused\":5"), "\(json.output)")
        let logs = try runPerch(["logs", "--to", to, "hello"])
        #expect(logs.output.contains("no version installed, nothing runs"), "\(logs.output)")
        let start = try runPerch(["start", "--to", to, "hello"])
        #expect(start.status == 1 && start.output.contains("v5 was refused"), "\(start.output)")

        let fixed = try workspace.push(good, to: to, app: "hello", version: 6)
        #expect(fixed.status == 0 && fixed.output.contains("committed"), "\(fixed.output)")
        let after = try runPerch(["status", "--to", to])
        #expect(after.output.contains("hello: running v6") && !after.output.contains("refused"), "\(after.output)")
    }
}

/// socat, which links two pseudo-terminals into a null-modem cable.
let socatPath: String? = ["/usr/bin/socat", "/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Two pseudo-terminals joined by socat: `device` for `perch serve --serial`, `host` for
/// the pusher, like the two ends of a USB-serial cable.
final class PtyPair {
    let process = Process()
    let device: String
    let host: String

    init(in dir: String) throws {
        device = dir + "/tty-device"
        host = dir + "/tty-host"
        process.executableURL = URL(fileURLWithPath: socatPath!)
        process.arguments = ["pty,raw,echo=0,link=" + device, "pty,raw,echo=0,link=" + host]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // socat makes the links once it runs; a loaded machine may take a while.
        var linked: Bool { FileManager.default.fileExists(atPath: device) && FileManager.default.fileExists(atPath: host) }
        for _ in 0..<1000 where !linked {
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard linked else {
            stop()
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: device + " (socat made no pty pair in 10 s)"])
        }
    }

    /// SIGKILL: the test runner's threads block SIGTERM, and children inherit that mask.
    func stop() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite(.enabled(if: perchBinary != nil && socatPath != nil, "needs the perch executable and socat"))
struct SupervisorSerialCommandTests {
    /// `perch serve --serial` and `perch push/status/logs/rollback --to serial:` through the
    /// real binaries over a pty pair, with noise and a corrupt frame on the line first.
    @Test func serveAndPushOverASerialPtyPair() throws {
        let workspace = try PushWorkspace("perch-serial-")
        defer { workspace.remove() }
        let v1 = try workspace.write(SupervisedInterpreterTests.hello, as: "v1.wasm")
        let v2 = try workspace.write(SupervisedInterpreterTests.sleeper, as: "v2.wasm")
        let pair = try PtyPair(in: workspace.dir)
        defer { pair.stop() }
        let server = try ServeProcess(store: workspace.dir + "/store", trust: workspace.trust, link: ["--serial", pair.device + "@115200"])
        defer { server.kill9() }
        let to = "serial:" + pair.host + "@115200"

        // Line noise: a hello frame with a flipped payload bit, then garbage.
        var noise: [UInt8] = []
        _ = Message.hello(client: "noise").encode(sequence: 7, into: &noise)
        noise[9] ^= 0x10
        noise += [0x00, 0x13, 0x37, 0x0a]
        let line = try #require(FileHandle(forWritingAtPath: pair.host))
        line.write(Data(noise))
        try line.close()

        let push1 = try workspace.push(v1, to: to, app: "hello", version: 1)
        #expect(push1.status == 0 && push1.output.contains("committed"), "\(push1.output)")
        let push2 = try workspace.push(v2, to: to, app: "hello", version: 2, ["--json", "--chunk", "256"])
        #expect(push2.status == 0 && push2.output.contains("\"ok\":true"), "\(push2.output)")
        let status = try runPerch(["status", "--to", to, "--json"])
        #expect(status.output.contains("\"app\":\"hello\",\"state\":\"running\",\"version\":2,\"previous\":1"), "\(status.output)")
        let logs = try runPerch(["logs", "--to", to])
        #expect(logs.output.contains("[hello] hello, log!"), "\(logs.output)")
        #expect(logs.output.contains("CRC mismatch"), "the corrupt frame is logged: \(logs.output)")
        let rollback = try runPerch(["rollback", "--to", to, "hello"])
        #expect(rollback.output.contains("rolled back to v1"), "\(rollback.output)")
        let badBaud = try runPerch(["status", "--to", "serial:" + pair.host + "@12345"])
        #expect(badBaud.status == 1 && badBaud.output.contains("12345 baud is not a standard serial speed"), "\(badBaud.output)")
    }
}

