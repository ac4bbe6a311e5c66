import ArgumentParser
import FoundationEssentials
import WUScrubCore

extension WUScrub {
    /// `wuscrub reset ROOT`: the whole repair.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable wuauserv, empty DataStore and Download, restore wuauserv's start mode.",
            discussion: "A dirty SYSTEM hive is first recovered from its transaction logs. Refuses, changing nothing: a dirty hive whose logs cannot be replayed safely (unless --discard-unreconciled), a hibernated or read-only volume, an unfinished earlier run."
        )

        @Argument(help: "The mount point of the Windows partition (the folder that holds Windows).")
        var root: String?

        @Option(help: "Instead of ROOT: an NTFS partition or image file to mount with ntfs-3g in a private directory, reset, and unmount.")
        var device: String?

        @Flag(help: "Print one JSON document on standard output (schema version 1, described in docs/json-schema.md of wuscrub's source).")
        var json = false

        @Flag(help: "Print the plan (hive, control sets, what would be removed); write nothing, not even the journal.")
        var dryRun = false

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when there is no terminal).")
        var yes = false

        @Flag(help: "With a dirty hive whose logs cannot be replayed: edit the hive as it is, discarding the pending changes (listed in the report).")
        var discardUnreconciled = false

        @Flag(help: "Move the contents of DataStore and Download into SoftwareDistribution/wuscrub-quarantine-<time>-<run> (renames only) instead of deleting them: 'wuscrub rollback' puts them back, 'wuscrub quarantine purge' deletes them.")
        var quarantine = false

        @Flag(help: "Microsoft's longer reset, offline (implies --quarantine): also rename System32/catroot2 to catroot2.wuscrub-<run> (never deleted), move the BITS queue (ProgramData/Microsoft/Network/Downloader: qmgr*.dat, qmgr.db and its ESE files) into the quarantine, and disable BITS, CryptSvc, UsoSvc and WaaSMedicSvc (where present) with wuauserv during the work, their start values put back after. 'wuscrub rollback' undoes all of it.")
        var full = false

        @Option(help: "How many folders the purge empties at once (default: chosen by file system, wider on ntfs-3g).")
        var jobs: Int?

        @Flag(help: "Show no progress line on standard error (shown only on a terminal, without --json, TERM not dumb).")
        var noProgress = false

        func validate() throws {
            guard (root == nil) != (device == nil) else {
                throw ValidationError("give either ROOT or --device DEVICE, not both and not neither")
            }
            if let jobs, !(1...64).contains(jobs) {
                throw ValidationError("--jobs takes a number from 1 to 64")
            }
        }

        func run() throws {
            let runner = Runner(json: json, subject: root ?? device ?? "", command: "reset", progress: !noProgress)
            try runner.run(dryRun: dryRun) { document, runner in
                if let device { return try resetDevice(device, document: &document, runner: runner) }
                // SIGINT, SIGTERM and SIGHUP stop the run at a safe point, never with the service disabled.
                let interruption = dryRun ? nil : Interruption(device: nil, beforeNotice: runner.beforeNotice)
                defer { interruption?.stop() }
                do {
                    return try reset(root: root!, document: &document, runner: runner, interruption: interruption)
                } catch var interrupted as Interrupted where interrupted.outcome.isEmpty {
                    interrupted.outcome = " before the reset started: the Windows installation was not changed."
                    throw interrupted
                }
            }
        }

        /// The reset of the installation under `root`; with `interruption`, a caught signal stops it
        /// before the confirmation, at the prompt, or at the run's next checkpoint.
        private func reset(root: String, document: inout Document, runner: Runner,
                           interruption: Interruption? = nil, device: String? = nil) throws -> ExitStatus {
            let install = try WindowsInstall.locate(root: root)
            document.install = install
            var resetter = WUScrub.resetter(install, discardUnreconciled: discardUnreconciled, interruption: interruption)
            resetter.purgeJobs = jobs
            resetter.progress = runner.progress
            resetter.quarantines = quarantine
            resetter.full = full
            // A quarantine's plan says how much space it will hold: its count gives the sizes.
            resetter.countsBytes = resetter.quarantines
            // Only a plan that is shown (a dry run, or before the question) counts the purge first.
            var plan = try resetter.preflight(countingPurge: dryRun || !yes)
            plan.lastReported = Diagnosis(install: install).brief
            document.plan = plan
            if dryRun {
                document.outcome = "planned"
                return .success
            }
            try interruption?.check()
            let subject = device.map { "'\($0)' (mounted at '\(root)')" } ?? "'\(root)'"
            try runner.confirm("Reset Windows Update on \(subject)?", showing: document, yes: yes, interruption: interruption)
            try interruption?.check()
            let outcome = try resetter.run(plan)
            document.result = outcome
            if let signal = outcome.interruptedBy {
                throw Interrupted(signal: signal, outcome: Interrupted.afterDisable(outcome, root: device.map { "--device \($0)" } ?? root))
            }
            return outcome.purgeComplete ? .success : .purgeIncomplete
        }

        /// `--device`: catches SIGINT, SIGTERM and SIGHUP, mounts, resets, and always tries to
        /// unmount; the report says whether that worked, and a failed unmount is an error.
        private func resetDevice(_ device: String, document: inout Document, runner: Runner) throws -> ExitStatus {
            let interruption = Interruption(device: device, beforeNotice: runner.beforeNotice)
            defer { interruption.stop() }
            var report = document
            defer { document = report }
            return try DeviceSession(device: device, interruption: interruption).run(
                mounted: { report.device = DeviceReport(device: device, mountPoint: $0) },
                install: { report.install },
                unmounted: { report.device?.unmounted = $0 }
            ) { mountPoint in
                try reset(root: mountPoint, document: &report, runner: runner, interruption: interruption, device: device)
            }
        }
    }

    /// `wuscrub status ROOT`: what is there, read-only.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the installation, the SYSTEM hive's state, wuauserv's start mode, the folders and any unfinished run."
        )

        @OptionGroup var options: CommonOptions

        func run() throws {
            try inspect(options, command: "status") { document, install, runner in
                document.status = StatusReport(install: install, progress: runner.progress, diagnosing: true)
            }
        }
    }

    /// `wuscrub diagnose ROOT`: what Windows Update last reported, read-only.
    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what Windows Update last reported (ReportingEvents.log, WindowsUpdate.log) and whether a reset fixes it (writes nothing).",
            discussion: "Reads at most the last 16 MiB of each log. Exit 0 whenever the installation was found, even when a log is missing or refused."
        )

        @OptionGroup var options: CommonOptions

        func run() throws {
            try inspect(options, command: "diagnose") { document, install, _ in
                document.diagnosis = Diagnosis(install: install)
            }
        }
    }

    /// `wuscrub scan`: the Windows installations this machine can see, read-only.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the Windows installations this machine can see, their state, and the command to run next (writes nothing).",
            discussion: """
                Looks at mounted NTFS file systems (ntfs-3g, ntfs3) and any mount holding a Windows \
                folder, as status does, and reads the first sector of partitions that are not \
                mounted to find NTFS and BitLocker ones. Nothing is mounted, unmounted or written.
                """
        )

        @Flag(help: "Print one JSON document on standard output (schema version 1, described in docs/json-schema.md of wuscrub's source).")
        var json = false

        @Flag(help: "Show no progress line on standard error (shown only on a terminal, without --json, TERM not dumb).")
        var noProgress = false

        /// Tests: read proc/self/mountinfo, sys/class/block and dev under this folder instead.
        @Option(help: .hidden)
        var systemRoot: String?

        func run() throws {
            try Runner(json: json, subject: "", command: "scan", progress: !noProgress).run { document, runner in
                let report = Scanner.scan(systemRoot.map { ScanSources(systemRoot: $0) } ?? .host, progress: runner.progress)
                document.scan = report
                return .success
            }
        }
    }

    /// `wuscrub resume ROOT`: finish an interrupted run.
    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Continue an interrupted reset from the phase its journal records."
        )

        @OptionGroup var options: CommonOptions

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var yes = false

        func run() throws {
            try continueRun(command: "resume", verb: "Resume", options: options, yes: yes) { try $0.resume() }
        }
    }

    /// `wuscrub rollback ROOT`: put the original start values back.
    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Undo: put the original start values back and a quarantine run's entries back into DataStore and Download (for a --full run also catroot2's name and the BITS queue); close the journal (deletes nothing).",
            discussion: "Acts on an unfinished run, or on the last run when it was a 'reset --quarantine' whose quarantine folder is still there. An entry whose name exists again in the folder stays in the quarantine (never replaced) and is listed."
        )

        @OptionGroup var options: CommonOptions

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var yes = false

        func run() throws {
            try continueRun(command: "rollback", verb: "Roll back", options: options, yes: yes) { try $0.rollback() }
        }
    }
}

/// Runs a read-only command on the installation under ROOT: locates it, then `fill`s the document (exit 0).
private func inspect(_ options: CommonOptions, command: String, _ fill: (inout Document, WindowsInstall, Runner) -> Void) throws {
    try Runner(options: options, command: command).run { document, runner in
        let install = try WindowsInstall.locate(root: options.root)
        document.install = install
        fill(&document, install, runner)
        return .success
    }
}

/// Runs `resume` or `rollback` on the open journal, after confirmation.
private func continueRun(command: String, verb: String, options: CommonOptions, yes: Bool,
                         _ action: (Resetter) throws -> ResetOutcome) throws {
    try Runner(options: options, command: command).run { document, runner in
        let (resetter, interruption) = try WUScrub.interruptibleResetter(root: options.root, document: &document, runner: runner)
        defer { interruption.stop() }
        let journal = command == "rollback" ? try resetter.journalToRollBack() : try resetter.openJournal()
        let question = journal.phase.isClosed
            ? "\(verb) run \(journal.runID.prefix(8)) (\(journal.phase.rawValue)): move its quarantine back into DataStore and Download?"
            : "\(verb) the run stopped in phase '\(journal.phase.rawValue)'?"
        try runner.confirm(question, showing: document, yes: yes, interruption: interruption)
        let outcome = try action(resetter)
        document.result = outcome
        if let signal = outcome.interruptedBy {
            throw Interrupted(signal: signal, outcome: Interrupted.afterDisable(outcome, root: options.root))
        }
        if command == "rollback" { return outcome.putBackComplete ? .success : .purgeIncomplete }
        return outcome.purgeComplete ? .success : .purgeIncomplete
    }
}

extension WUScrub {
    /// The installation under `root` (recorded in `document`) and a resetter for it that a caught
    /// signal asks to stop, showing the runner's progress; the caller stops the interruption.
    static func interruptibleResetter(root: String, document: inout Document, runner: Runner) throws -> (Resetter, Interruption) {
        let install = try WindowsInstall.locate(root: root)
        document.install = install
        let interruption = Interruption(device: nil, beforeNotice: runner.beforeNotice)
        var resetter = WUScrub.resetter(install, interruption: interruption)
        resetter.progress = runner.progress
        return (resetter, interruption)
    }

    /// A resetter for this process. With `interruption`, a caught signal asks the run to stop
    /// (`Resetter.stopRequested`): before the disabled hive is in place it stops with nothing
    /// changed; after, the purge stops at its next entry and the start mode is put back first, so
    /// Windows Update is never left disabled.
    ///
    /// Debug builds only (the tests'): `WUSCRUB_FAULT=<point>[:<signal>]` injects a crash or a
    /// signal at a checkpoint (`FaultInjection`, docs/testing.md §6).
    static func resetter(_ install: WindowsInstall, discardUnreconciled: Bool = false,
                         interruption: Interruption? = nil) -> Resetter {
        var resetter = Resetter(install: install, toolVersion: version, discardUnreconciled: discardUnreconciled)
        if let interruption { resetter.stopRequested = { interruption.caughtSignal } }
        #if WUSCRUB_TEST_HOOKS
        if let fault = ProcessInfo.processInfo.environment["WUSCRUB_FAULT"] {
            FaultInjection(fault).install(in: &resetter, interruption: interruption)
        }
        #endif
        return resetter
    }
}
