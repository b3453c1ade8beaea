import PerchSpecTest

extension Command {
    static var spectest: Command {
        Command(
            name: "spectest",
            summary: "Run converted spec scripts (wast2json JSON) and count passes and failures",
            usage: "spectest [--quiet] SCRIPT.json...",
            options: [Option("quiet", help: "print only the per-file and total lines, not each failure")]
        ) { arguments throws(UsageError) in
            _ = try arguments.positional(0, "SCRIPT.json")
            var runner = makeExecutingSpecRunner { path in try? readFile(path) }
            var passed = 0, failed = 0, skipped = 0
            for path in arguments.positionals {
                let (directory, name) = scriptLocation(path)
                let result = runner.run(scriptNamed: name, in: directory)
                print(result.summary)
                if !arguments.has("quiet") {
                    for message in result.messages { print("  " + message) }
                }
                passed += result.passed
                failed += result.failed
                skipped += result.skippedCount
            }
            print("spectest: \(passed) passed, \(failed) failed, \(skipped) skipped")
            return failed == 0 ? ExitStatus.success : ExitStatus.failure
        }
    }
}

/// `dir/name.json` -> (`dir`, `name`); a folder `dir/name` -> (`dir/name`, `name`).
private func scriptLocation(_ path: String) -> (directory: String, name: String) {
    var bytes = Array(path.utf8)
    while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
    let slash = bytes.lastIndex(of: UInt8(ascii: "/"))
    let base = Array(bytes[(slash.map { $0 + 1 } ?? 0)...])
    let directory = slash.map { String(decoding: bytes[..<$0], as: UTF8.self) } ?? "."
    if base.count > 5 && base.suffix(5).elementsEqual(".json".utf8) {
        return (directory, String(decoding: base.dropLast(5), as: UTF8.self))
    }
    return (String(decoding: bytes, as: UTF8.self), String(decoding: base, as: UTF8.self))
}
