import PerchSelfTest

extension Command {
    static var selftest: Command {
        Command(
            name: "selftest",
            summary: "Run the built-in device self-test (the same checks as the Cortex-M4 image)",
            usage: "selftest [--group NAME]... [--verbose]",
            options: [
                Option("group", value: "NAME", help: "run only this check group (repeatable)"),
                Option("verbose", help: "name each group as it starts (to place a crash)"),
            ]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 0)
            let groups = arguments.values("group")
            for name in groups where !SelfTestGroup.all.contains(where: { equalBytes($0.name.bytes, name.utf8) }) {
                throw .badValue(flag: "group", value: name, expected: SelfTestGroup.names)
            }
            let verbose = arguments.has("verbose")
            let results = runSelfTests(
                include: { group in groups.isEmpty || groups.contains { equalBytes($0.utf8, group.bytes) } },
                willRun: { group in if verbose { print("group \(group)") } })
            return results.failed == 0 ? ExitStatus.success : ExitStatus.failure
        }
    }
}
