extension Command {
    static var help: Command {
        Command(
            name: "help", summary: "List the commands, or show one command's options",
            usage: "help [COMMAND]"
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            guard let name = arguments.positionals.first else {
                printOverview()
                return ExitStatus.success
            }
            guard let command = Command.named(name.utf8) else { throw .unknownCommand(name) }
            printCommandHelp(command)
            return ExitStatus.success
        }
    }
}
