import ArgumentParser
import WUScrubCore

/// The wuscrub command: repairs Windows Update error 0x80070002 on an offline Windows installation.
@main
struct WUScrub: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wuscrub",
        abstract: "Repair Windows Update error 0x80070002 on an offline Windows installation.",
        discussion: """
            Disables the Windows Update service (wuauserv) in the SYSTEM hive, empties \
            SoftwareDistribution\\DataStore and SoftwareDistribution\\Download, then puts the \
            service's original start mode back. Every step is journaled in \
            <Windows>/Logs/wuscrub so that an interrupted run can be resumed or rolled back.

            Exit codes:
            \(ExitStatus.table)
            """,
        version: version,
        subcommands: [Reset.self, Status.self, Resume.self, Rollback.self, HiveGroup.self]
    )
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Argument(help: "The mount point of the Windows partition (the folder that holds Windows).")
    var root: String

    @Flag(help: "Print one JSON document on standard output (schema: README, 'JSON output').")
    var json = false
}
