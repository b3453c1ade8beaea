import CPerchLinkSys
import PerchCore
import PerchLink
import PerchSupervisor

// The pusher's side of the supervisor: keygen, push, and the remote control commands.
// Each talks the link protocol (docs/link-protocol.md) to a `perch serve`.

private var toOption: Option { Option("to", value: "TARGET", help: "tcp://HOST:PORT or serial:/dev/ttyX[@BAUD]") }
private var jsonOption: Option { Option("json", help: "print JSON instead of text") }

extension Command {
    static var keygen: Command {
        Command(
            name: "keygen", summary: "Create an Ed25519 signing key (FILE, mode 0600) and FILE.pub",
            usage: "keygen FILE"
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let path = try arguments.positional(0, "FILE")
            do throws(KeyFile.Failure) {
                let pair = try KeyFile.generate(to: path)
                print("wrote \(path) (secret, mode 0600) and \(path).pub")
                print("public key \(hexString(pair.publicKey))")
                return ExitStatus.success
            } catch {
                printError("perch: \(error.message)")
                return ExitStatus.failure
            }
        }
    }

    static var push: Command {
        Command(
            name: "push", summary: "Sign a module and hot-swap it into a running 'perch serve'",
            usage: "push --to TARGET --app NAME --key KEYFILE [--grant G]... [--version N] FILE",
            options: [
                toOption,
                Option("app", value: "NAME", help: "app name on the device (A-Z a-z 0-9 _ -, at most 32)"),
                Option("key", value: "KEYFILE", help: "secret key from 'perch keygen'"),
                Option("grant", value: "GRANT", help: "capability for the app, e.g. gpio:17 (repeatable)"),
                Option("version", value: "N", help: "version number (default: current Unix time; must increase)"),
                Option("arena", value: "SIZE", help: "arena for the app (default 1M)"),
                Option("fuel", value: "N", help: "fuel per slice (default 100000)"),
                Option("chunk", value: "SIZE", help: "upload chunk size (default 1024)"),
                jsonOption,
            ]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let path = try arguments.positional(0, "FILE")
            let target = try linkTarget(arguments)
            guard let app = arguments.value("app") else { throw .missingValue(flag: "app") }
            guard Manifest.isValidAppName(app) else {
                throw .badValue(flag: "app", value: app, expected: "1-32 of A-Z a-z 0-9 _ -")
            }
            guard let keyPath = arguments.value("key") else { throw .missingValue(flag: "key") }
            let key: Ed25519.KeyPair
            do throws(KeyFile.Failure) {
                guard let pair = try KeyFile.load(keyPath).keyPair else {
                    printError("perch: \(keyPath) is a public key; push needs the secret key")
                    return ExitStatus.usage
                }
                key = pair
            } catch {
                printError("perch: \(error.message)")
                return ExitStatus.usage
            }
            let module: [UInt8]
            do throws(FileError) { module = try readFile(path) } catch { throw .file(error) }
            // Flags parse as non-negative; the clock stays UInt64 (Int would trap on armv7 after 2038).
            let version = try arguments.integer("version").map { UInt64($0) } ?? perch_link_realtime_seconds()
            let arenaFlag = try arguments.size("arena") ?? 1 << 20
            let fuelFlag = try arguments.integer("fuel") ?? 100_000
            guard let arena = UInt32(exactly: arenaFlag) else { throw .badSize(flag: "arena", value: String(arenaFlag)) }
            guard let fuel = UInt32(exactly: fuelFlag) else { throw .badNumber(flag: "fuel", value: String(fuelFlag)) }
            guard let deploy = makeDeploy(
                module: module, app: app, version: version, grants: arguments.values("grant"),
                arenaSize: arena, fuelSlice: fuel, signer: key)
            else {
                printError("perch: grants must be 1-64 printable characters, unique, at most 32")
                return ExitStatus.usage
            }
            var options = PushOptions()
            options.chunkSize = try arguments.size("chunk") ?? 1024
            let json = arguments.has("json")
            let started = monotonicNanoseconds()
            let result = PerchSupervisor.push(
                module: module, deploy: deploy, options: options,
                connect: { () throws(LinkIOError) -> LinkClient in try LinkClient.connect(target) },
                progress: { if !json { print($0) } })
            let ms = (monotonicNanoseconds() &- started) / 1_000_000
            switch result {
            case .success(let note):
                if json {
                    print("{\"ok\":true,\"app\":\(jsonString(app)),\"version\":\(version),\"bytes\":\(module.count),\"ms\":\(ms),\"note\":\(jsonString(note))}")
                } else {
                    print("\(app) v\(version): \(note) (\(module.count) bytes, \(ms) ms)")
                }
                return ExitStatus.success
            case .failure(let failure):
                if json {
                    print("{\"ok\":false,\"app\":\(jsonString(app)),\"version\":\(version),\"error\":\(jsonString(failure.message))}")
                } else {
                    printError("perch: push of \(app) v\(version) failed: \(failure.message)")
                }
                return ExitStatus.failure
            }
        }
    }

    static var status: Command {
        Command(
            name: "status", summary: "Show the apps on a device: state, versions, restarts",
            usage: "status --to TARGET [--json] [APP]", options: [toOption, jsonOption]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let target = try linkTarget(arguments)
            let app = arguments.positionals.first ?? ""
            let json = arguments.has("json")
            return remote(target, .status(app: app)) { reply in
                guard case .statusReply(let apps) = reply else { return false }
                if json {
                    var items: [String] = []
                    for s in apps {
                        items.append("{\"app\":\(jsonString(s.app)),\"state\":\"\(stateName(s.state))\",\"version\":\(s.committedVersion),\"previous\":\(s.previousVersion),\"refused\":\(s.refusedVersion),\"restarts\":\(s.restarts),\"error\":\(jsonString(s.lastError))}")
                    }
                    print("[" + items.joined(separator: ",") + "]")
                } else if apps.isEmpty {
                    print("no apps installed")
                } else {
                    for s in apps {
                        var line = "\(s.app): \(stateName(s.state))"
                        line += s.committedVersion == 0 ? ", no version installed" : " v\(s.committedVersion)"
                        if s.previousVersion != 0 { line += " (rollback to v\(s.previousVersion) possible)" }
                        if s.restarts > 0 { line += ", \(s.restarts) restarts" }
                        if s.refusedVersion != 0 { line += "; v\(s.refusedVersion) refused" }
                        if !s.lastError.isEmpty { line += ", last error: \(s.lastError)" }
                        print(line)
                    }
                }
                return true
            }
        }
    }

    static var logs: Command {
        Command(
            name: "logs", summary: "Print a device's log (supervisor events and app output)",
            usage: "logs --to TARGET [--follow] [APP]",
            options: [toOption, Option("follow", help: "keep printing new lines until interrupted")]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let target = try linkTarget(arguments)
            let app = arguments.positionals.first ?? ""
            let client: LinkClient
            do throws(LinkIOError) { client = try LinkClient.connect(target) } catch {
                printError("perch: \(error.message)")
                return ExitStatus.failure
            }
            var since: UInt32 = 0
            while true {
                let reply: Message
                do throws(LinkIOError) { reply = try client.request(.logs(app: app, since: since)) } catch {
                    printError("perch: \(error.message)")
                    return ExitStatus.failure
                }
                guard case .logsReply(let next, let text) = reply else {
                    printError("perch: unexpected reply to logs")
                    return ExitStatus.failure
                }
                if !text.isEmpty { printRaw(text) }
                let caughtUp = next == since
                since = next
                if caughtUp {
                    if !arguments.has("follow") { return ExitStatus.success }
                    var none: [Int16] = []
                    _ = perch_link_poll([], [], &none, 0, 500)
                }
            }
        }
    }

    static var stop: Command {
        control("stop", "stop --to TARGET APP", "Stop an app (it stays installed and stopped across restarts)") { .stop(app: $0) }
    }
    static var start: Command {
        control("start", "start --to TARGET APP", "Start a stopped or failed app") { .start(app: $0) }
    }
    static var rollback: Command {
        control("rollback", "rollback --to TARGET APP", "Go back to an app's previous version (or abandon a swap in progress)") {
            .rollback(app: $0)
        }
    }
    static var remove: Command {
        control("remove", "remove --to TARGET APP", "Stop an app and delete it from the device") { .remove(app: $0) }
    }

    private static func control(
        _ name: StaticString, _ usage: StaticString, _ summary: StaticString, _ make: @escaping (String) -> Message
    ) -> Command {
        Command(name: name, summary: summary, usage: usage, options: [toOption, jsonOption]) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let target = try linkTarget(arguments)
            let app = try arguments.positional(0, "APP")
            let json = arguments.has("json")
            return remote(target, make(app)) { reply in
                guard case .done(let text) = reply else { return false }
                print(json ? "{\"ok\":true,\"message\":\(jsonString(text))}" : text)
                return true
            }
        }
    }
}

private func linkTarget(_ arguments: Arguments) throws(UsageError) -> LinkTarget {
    guard let text = arguments.value("to") else { throw .missingValue(flag: "to") }
    guard let target = LinkTarget.parse(text) else {
        throw .badValue(flag: "to", value: text, expected: "tcp://HOST:PORT or serial:/dev/ttyX[@BAUD]")
    }
    return target
}

/// One request to a device; `show` prints the expected reply and returns false for any other.
private func remote(_ target: LinkTarget, _ request: Message, _ show: (Message) -> Bool) -> Int32 {
    let reply: Message
    do throws(LinkIOError) {
        let client = try LinkClient.connect(target)
        reply = try client.request(request)
    } catch {
        printError("perch: \(error.message)")
        return ExitStatus.failure
    }
    if case .error(let code, let reason) = reply {
        printError("perch: \(code.name): \(reason)")
        return ExitStatus.failure
    }
    if show(reply) { return ExitStatus.success }
    printError("perch: unexpected reply from the device")
    return ExitStatus.failure
}

func stateName(_ state: AppRunState) -> String {
    switch state {
    case .stopped: return "stopped"
    case .running: return "running"
    case .swapping: return "swapping"
    case .failed: return "failed"
    }
}

/// A JSON string literal (quotes, backslashes and control characters escaped).
func jsonString(_ text: String) -> String {
    var out: [UInt8] = [UInt8(ascii: "\"")]
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    for c in text.utf8 {
        switch c {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 15)]]
        default: out.append(c)
        }
    }
    out.append(UInt8(ascii: "\""))
    return String(decoding: out, as: UTF8.self)
}

/// Writes text as is (it already ends in a newline).
func printRaw(_ text: String) {
    var copy = text
    copy.withUTF8 { bytes in _ = perch_link_write(1, bytes.baseAddress, bytes.count) }
}
