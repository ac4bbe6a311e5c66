import ArgumentParser
import WUScrubCore

extension WUScrub {
    /// `wuscrub hive check|recover FILE`: transaction-log recovery on a single hive file.
    struct HiveGroup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hive",
            abstract: "Inspect or recover one registry hive and its transaction logs (FILE.LOG, .LOG1, .LOG2).",
            subcommands: [Check.self, Recover.self]
        )
    }
}

/// A hive file and the output format.
struct HiveFileOptions: ParsableArguments {
    @Argument(help: "The primary hive file; its logs are found beside it, names matched without regard to case.")
    var file: String

    @Flag(help: "Print one JSON document on standard output.")
    var json = false
}

extension WUScrub.HiveGroup {
    /// `wuscrub hive check FILE`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the base block, the dirty state, the logs found and what replaying them would apply.",
            discussion: "Writes nothing. Exits 0 for a clean or recoverable hive, 4 when a dirty hive cannot be recovered safely."
        )

        @OptionGroup var options: HiveFileOptions

        func run() throws {
            try Runner(json: options.json, subject: options.file, command: "hive check").run { document, _ in
                let analysis = try HiveRecovery.analyze(hiveAt: options.file)
                document.check = analysis
                if analysis.outcome == .refused {
                    throw RecoveryError.refused(path: options.file, reason: analysis.refusal ?? "no recovery is possible")
                }
                return .success
            }
        }
    }

    /// `wuscrub hive recover FILE --output OUT`.
    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the recovered hive to a new file; FILE and its logs are never modified."
        )

        @OptionGroup var options: HiveFileOptions

        @Option(name: .shortAndLong, help: "The file to create (it must not exist).")
        var output: String

        @Flag(help: "When the logs cannot be applied, write the primary as it is (marked clean) and list what is discarded.")
        var discardUnreconciled = false

        func run() throws {
            try Runner(json: options.json, subject: options.file, command: "hive recover").run { document, _ in
                let analysis = try HiveRecovery.analyze(hiveAt: options.file, discardUnreconciled: discardUnreconciled)
                document.check = analysis
                switch analysis.outcome {
                case .refused:
                    throw RecoveryError.refused(path: options.file, reason: analysis.refusal ?? "no recovery is possible")
                case .clean:
                    throw ValidationError("'\(options.file)' is clean: there is nothing to recover, and no file was written.")
                case .recovered, .discarded:
                    try FileIO.createDurably(analysis.recovered!, at: output)
                    try FileIO.fsyncDirectory(containing: output)
                    document.output = output
                    return .success
                }
            }
        }
    }
}
