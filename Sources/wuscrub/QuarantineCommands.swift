import ArgumentParser
import WUScrubCore

extension WUScrub {
    /// `wuscrub quarantine list|purge ROOT`: the folders `reset --quarantine` left.
    struct QuarantineGroup: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "quarantine", abstract: "List or delete the quarantine folders 'reset --quarantine' left in SoftwareDistribution.", subcommands: [List.self, Purge.self])
    }
}

extension WUScrub.QuarantineGroup {
    /// `wuscrub quarantine list ROOT`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each quarantine folder, oldest first, with what it holds and whether rollback can put it back. Writes nothing."
        )

        @OptionGroup var options: CommonOptions

        func run() throws {
            try Runner(options: options, command: "quarantine list").run { document, runner in
                let install = try WindowsInstall.locate(root: options.root)
                document.install = install
                var resetter = WUScrub.resetter(install)
                resetter.progress = runner.progress
                document.quarantines = try resetter.quarantineFolders()
                return .success
            }
        }
    }

    /// `wuscrub quarantine purge ROOT`.
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the quarantine folders but the newest --keep, with the purge's walker (links never followed, nothing on another file system).",
            discussion: "A deleted quarantine cannot be put back: 'wuscrub rollback' then has nothing to move. Refuses while a run is unfinished."
        )

        @OptionGroup var options: CommonOptions

        @Option(help: "How many of the newest quarantine folders to keep.")
        var keep = 0

        @Flag(help: "Show what would be deleted; write nothing.")
        var dryRun = false

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when there is no terminal).")
        var yes = false

        func validate() throws {
            guard keep >= 0 else { throw ValidationError("--keep takes a number of folders, 0 or more") }
        }

        func run() throws {
            try Runner(options: options, command: "quarantine purge").run(dryRun: dryRun) { document, runner in
                let (resetter, interruption) = try WUScrub.interruptibleResetter(root: options.root, document: &document, runner: runner)
                defer { interruption.stop() }
                let plan = try resetter.purgeQuarantines(keeping: keep, dryRun: true)
                document.quarantines = plan
                if dryRun || (plan.purged ?? []).isEmpty {
                    document.outcome = dryRun ? "planned" : "success"
                    return .success
                }
                try runner.confirm("Delete \(plan.purged!.count) quarantine folder(s) for good?", showing: document, yes: yes, interruption: interruption)
                try interruption.check()
                let done = try resetter.purgeQuarantines(keeping: keep, dryRun: false)
                document.quarantines = done
                return (done.purged ?? []).allSatisfy(\.isComplete) ? .success : .purgeIncomplete
            }
        }
    }
}
