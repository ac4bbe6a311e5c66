import ArgumentParser
import Foundation
import WUScrubCore

extension WUScrub {
    /// `wuscrub reset ROOT`: the whole repair.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable wuauserv, empty DataStore and Download, restore wuauserv's start mode.",
            discussion: "Refuses a dirty SYSTEM hive, a read-only mount and an unfinished earlier run, changing nothing."
        )

        @Argument(help: "The mount point of the Windows partition (the folder that holds Windows).")
        var root: String?

        @Option(help: "Instead of ROOT: an NTFS partition or image file to mount with ntfs-3g in a private directory, reset, and unmount.")
        var device: String?

        @Flag(help: "Print one JSON document on standard output (schema: README, 'JSON output').")
        var json = false

        @Flag(help: "Print the plan (hive, control sets, what would be removed); write nothing, not even the journal.")
        var dryRun = false

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when there is no terminal).")
        var yes = false

        @Flag(help: "With a dirty hive whose logs cannot be replayed: edit the hive as it is, discarding the pending changes (listed in the report).")
        var discardUnreconciled = false

        func validate() throws {
            guard (root == nil) != (device == nil) else {
                throw ValidationError("give either ROOT or --device DEVICE, not both and not neither")
            }
        }

        func run() throws {
            let runner = Runner(json: json, subject: root ?? device ?? "", command: "reset")
            try runner.run(dryRun: dryRun) { document, runner in
                if let device { return try resetDevice(device, document: &document, runner: runner) }
                return try reset(root: root!, document: &document, runner: runner)
            }
        }

        /// The reset of the installation under `root`.
        private func reset(root: String, document: inout Document, runner: Runner) throws -> ExitStatus {
            let install = try WindowsInstall.locate(root: root)
            document.install = install
            let resetter = WUScrub.resetter(install, discardUnreconciled: discardUnreconciled)
            let plan = try resetter.preflight()
            document.plan = plan
            if dryRun {
                document.outcome = "planned"
                return .success
            }
            try runner.confirm("Reset Windows Update on '\(root)'?", showing: document, yes: yes)
            let outcome = try resetter.run(plan)
            document.result = outcome
            return outcome.purgeComplete ? .success : .purgeIncomplete
        }

        /// `--device`: mounts, resets, and always tries to unmount; the report says whether that
        /// worked, and a failed unmount is an error.
        private func resetDevice(_ device: String, document: inout Document, runner: Runner) throws -> ExitStatus {
            let mount = try DeviceMount(device: device)
            document.device = DeviceReport(device: device, mountPoint: mount.mountPoint)
            let result: Result<ExitStatus, any Error>
            do {
                result = .success(try reset(root: mount.mountPoint, document: &document, runner: runner))
            } catch {
                result = .failure(error)
            }
            var unmountError: ImageError?
            do { try mount.unmount() } catch { unmountError = error }
            document.device?.unmounted = unmountError == nil
            switch result {
            case .success(let status):
                if let unmountError { throw unmountError }
                return status
            case .failure(let error):
                if let unmountError { throw DeviceRunFailure(failure: error, unmount: unmountError) }
                throw error
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
            try Runner(options: options, command: "status").run { document, _ in
                let install = try WindowsInstall.locate(root: options.root)
                document.install = install
                document.status = StatusReport(install: install)
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
            abstract: "Put wuauserv's original start values back and close the journal (purges nothing)."
        )

        @OptionGroup var options: CommonOptions

        @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
        var yes = false

        func run() throws {
            try continueRun(command: "rollback", verb: "Roll back", options: options, yes: yes) { try $0.rollback() }
        }
    }
}

/// Runs `resume` or `rollback` on the open journal, after confirmation.
private func continueRun(command: String, verb: String, options: CommonOptions, yes: Bool,
                         _ action: (Resetter) throws -> ResetOutcome) throws {
    try Runner(options: options, command: command).run { document, runner in
        let install = try WindowsInstall.locate(root: options.root)
        document.install = install
        let resetter = WUScrub.resetter(install)
        let journal = try resetter.openJournal()
        try runner.confirm("\(verb) the run stopped in phase '\(journal.phase.rawValue)'?", showing: document, yes: yes)
        let outcome = try action(resetter)
        document.result = outcome
        return outcome.purgeComplete || command == "rollback" ? .success : .purgeIncomplete
    }
}

extension WUScrub {
    /// The fault-injection point named by `WUSCRUB_FAULT` (tests only), read once at start.
    static let faultPoint = ProcessInfo.processInfo.environment["WUSCRUB_FAULT"]

    /// A resetter for this process; with `WUSCRUB_FAULT=<point>` (for example `after-hive-rename`)
    /// the process exits at once, with status 99, when the run reaches that point — a crash for tests.
    static func resetter(_ install: WindowsInstall, discardUnreconciled: Bool = false) -> Resetter {
        var resetter = Resetter(install: install, toolVersion: version, discardUnreconciled: discardUnreconciled)
        if let fault = faultPoint {
            resetter.checkpoint = { point in
                if point.description == fault { _exit(99) }
            }
        }
        return resetter
    }
}
