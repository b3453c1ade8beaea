import PerchSelfTest

extension Command {
    static var selftest: Command {
        Command(
            name: "selftest",
            summary: "Run the built-in device self-test (the same checks as the Cortex-M4 image)",
            usage: "selftest [--group NAME]...",
            options: [Option("group", value: "NAME", help: "run only this check group (repeatable)")]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 0)
            let groups = arguments.values("group")
            for name in groups where !SelfTestGroup.all.contains(where: { equalBytes($0.name.bytes, name.utf8) }) {
                throw .badValue(flag: "group", value: name, expected: SelfTestGroup.names)
            }
            let results = runSelfTests { group in
                groups.isEmpty || groups.contains { equalBytes($0.utf8, group.bytes) }
            }
            return results.failed == 0 ? ExitStatus.success : ExitStatus.failure
        }
    }
}
