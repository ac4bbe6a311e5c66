import ArgumentParser
import FoundationEssentials
import WUScrubCore

/// The one JSON document `--json` prints (schema version 1, described in docs/json-schema.md), and the
/// source of the text output too.
///
/// A class: a command fills one document, and its many large optional members make a struct's
/// copy and assignment code large (docs/architecture.md §12.5).
final class Document: Encodable {
    struct Failure: Encodable {
        var kind: String
        var message: String
    }

    var schemaVersion = 1
    var tool = "wuscrub"
    var version = WUScrub.version
    var command: String
    var root: String
    var dryRun: Bool?
    /// "success", "planned" (dry run), "purge-incomplete", or the error kind.
    var outcome = "success"
    var exitCode: Int32 = 0
    var error: Failure?
    var install: WindowsInstall?
    var plan: ResetPlan?
    var result: ResetOutcome?
    var status: StatusReport?
    /// `hive check` / `hive recover`: the recovery analysis.
    var check: RecoveryAnalysis?
    /// `hive recover`: where the recovered hive was written.
    var output: String?
    /// `reset --device`: what was mounted where, and whether it was unmounted again.
    var device: DeviceReport?
    /// `scan`: the installations found.
    var scan: ScanReport?
    /// `quarantine list|purge`: the quarantine folders, and what a purge removed.
    var quarantines: QuarantineListing?
    /// `diagnose`: what Windows Update last reported.
    var diagnosis: Diagnosis?
    /// `updates`: the installed updates.
    var updates: UpdatesReport?

    init(command: String, root: String, dryRun: Bool? = nil) {
        self.command = command
        self.root = root
        self.dryRun = dryRun
    }
}

/// The device `reset --device` mounted.
struct DeviceReport: Encodable {
    var device: String
    var mountPoint: String
    /// Whether it was unmounted at the end (checked in the mount table); nil until then.
    var unmounted: Bool?
}
