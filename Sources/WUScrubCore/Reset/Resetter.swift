#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The reset state machine: preflight → journal → backup → disable → purge → restore → verify → done.
///
/// Every phase change is written to the journal first, so an interrupted run can be resumed
/// (each step is idempotent) or rolled back. The library never prints; callers render the results.
public struct Resetter: Sendable {
    /// The installation to work on.
    public let install: WindowsInstall
    /// Recorded in the journal.
    public let toolVersion: String
    /// How many hive backups to keep.
    public static let backupsKept = 3
    /// Called at each named point of a run; tests make it throw (or exit) to simulate a crash there.
    public var checkpoint: @Sendable (Checkpoint) throws -> Void = { _ in }

    /// The points where a run can be interrupted on purpose (fault injection for tests).
    public enum Checkpoint: Hashable, Sendable, CustomStringConvertible {
        /// Just after the journal recorded that this phase starts.
        case phaseStarted(Journal.Phase)
        /// The recovered hive is written and fsynced, the journal knows its hash, the rename has not happened.
        case beforeRecoveredHiveRename
        /// The disabled hive is written and fsynced, the journal knows its hash, the rename has not happened.
        case beforeHiveRename
        /// The disabled hive replaced the original; the journal has not moved on yet.
        case afterHiveRename
        /// The purge has removed its first entry and no other: a folder is partly emptied.
        case midPurge
        /// The original bytes are back; the journal has not moved on yet.
        case afterRestore

        public var description: String {
            switch self {
            case .phaseStarted(let phase): "after-journal-\(phase.rawValue)"
            case .beforeRecoveredHiveRename: "before-recovered-hive-rename"
            case .beforeHiveRename: "before-hive-rename"
            case .afterHiveRename: "after-hive-rename"
            case .midPurge: "mid-purge"
            case .afterRestore: "after-restore"
            }
        }

        /// Every point, in the order a run passes them.
        public static var all: [Checkpoint] {
            let phases = Journal.Phase.allCases.filter { $0 != .rolledBack }
            var points: [Checkpoint] = []
            for phase in phases {
                points.append(.phaseStarted(phase))
                if phase == .recover { points.append(.beforeRecoveredHiveRename) }
                if phase == .disable { points += [.beforeHiveRename, .afterHiveRename] }
                if phase == .purge { points.append(.midPurge) }
                if phase == .restore { points.append(.afterRestore) }
            }
            return points
        }
    }

    /// With a dirty hive whose logs cannot be applied: edit the hive as it is, discarding them.
    public var discardUnreconciled = false

    public init(install: WindowsInstall, toolVersion: String, discardUnreconciled: Bool = false) {
        self.install = install
        self.toolVersion = toolVersion
        self.discardUnreconciled = discardUnreconciled
    }

    var store: JournalStore { JournalStore(root: install.root, directory: install.stateDirectory) }
    var hiveFile: String { install.path(install.systemHive) }
    var backupDirectory: String { install.stateDirectory + "/backup" }

    /// The purge folders present, relative to the mount root.
    var purgeFolders: [String] { [install.dataStore, install.download].compactMap { $0 } }

    // MARK: - Preflight

    /// Checks everything a reset needs and describes what it would do, writing nothing.
    ///
    /// - Returns: The plan, with the purge counted by a dry-run walk.
    /// - Throws: `ImageError.readOnly`, `ResetError.unfinishedJournal` or `.dirtyHive`,
    ///   `HiveError` for a hive that is invalid or lacks the service, `FileIOError`.
    public func preflight() throws -> ResetPlan {
        try VolumeCheck.checkNotHibernated(root: install.root)
        try VolumeCheck.checkWritable(root: install.root)
        // A journal another run is still writing is not an unfinished run: say it is busy.
        try InstallLock.checkNotHeld(install: install)
        if let journal = try store.load(), !journal.phase.isClosed {
            throw ResetError.unfinishedJournal(path: install.stateDirectory + "/journal.json", phase: journal.phase)
        }
        let bytes = try FileIO.read(hiveFile)
        let status = try HiveStatus(path: install.systemHive, bytes: bytes)
        var recovery: RecoveryAnalysis?
        let starts: [ServiceStart]
        if status.isDirty {
            let analysis = try analyzeRecovery()
            recovery = analysis
            starts = try withTemporaryHive(analysis.recovered!) { try readStarts(at: $0, checkEditable: true) }
        } else {
            starts = try readStarts(checkEditable: true)
        }
        return ResetPlan(
            install: install, hive: status, starts: starts, purge: purgeFolders.map { purgeReport($0, dryRun: true) },
            missingFolders: missingFolders(), journalPath: install.stateDirectory + "/journal.json",
            backupDirectory: backupDirectory, recovery: recovery,
            volume: Volume.describe(root: install.root, windows: install.path(install.windows))
        )
    }

    /// Analyzes the hive's logs; throws when recovery is refused.
    func analyzeRecovery() throws -> RecoveryAnalysis {
        let analysis = try HiveRecovery.analyze(hiveAt: hiveFile, discardUnreconciled: discardUnreconciled)
        guard analysis.recovered != nil, analysis.outcome == .recovered || analysis.outcome == .discarded else {
            throw RecoveryError.refused(path: install.systemHive, reason: analysis.refusal ?? "no recovery is possible")
        }
        return analysis
    }

    /// Runs `body` on a private copy of hive bytes in the system's temporary folder (never on the Windows volume).
    func withTemporaryHive<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let path = try FileIO.scratchCopy(bytes, label: "wuscrub-hive")
        defer { unlink(path) }
        return try body(path)
    }

    /// Checks the volume again, probes a write in wuscrub's folder and takes the install's lock.
    func prepareToWrite() throws -> InstallLock {
        try VolumeCheck.checkNotHibernated(root: install.root)
        // statvfs, then a probe in the deepest existing folder of wuscrub's state path, before the
        // lock creates the rest of it (a folder the lock creates is one writes work in).
        var existing = install.path(install.stateDirectory)
        while !FileIO.exists(existing), existing != install.path(install.windows) { existing = FileIO.parent(of: existing) }
        try VolumeCheck.checkWritable(root: install.root, probeDirectory: existing)
        return try InstallLock(install: install)
    }

    func readStarts(at path: String? = nil, checkEditable: Bool) throws -> [ServiceStart] {
        let hive = try Hive(path: path ?? hiveFile)
        defer { hive.close() }
        let starts = try ServiceConfiguration.read(hive)
        if checkEditable {
            for start in starts {
                let key = ServiceStart.serviceKey(in: start.controlSet)
                guard let node = try hive.node(at: key) else { throw HiveError.keyNotFound(path: install.systemHive, key: key) }
                for entry in try hive.valueEntries(of: node) where entry.size > BaseBlock.maximumSingleCellData {
                    throw HiveError.bigValueOnKey(path: install.systemHive, key: key, value: entry.name, size: entry.size)
                }
            }
        }
        return starts
    }

    /// Walks one purge folder (counting only, with `dryRun`); a folder that cannot be opened
    /// becomes a report with one failure, so the run goes on to restore the service.
    func purgeReport(_ folder: String, dryRun: Bool = false, removalLimit: Int? = nil) -> PurgeReport {
        do {
            return try Purger(dryRun: dryRun, removalLimit: removalLimit).purgeContents(under: install.root, components: folder.split(separator: "/").map(String.init))
        } catch {
            var report = PurgeReport(folder: folder)
            report.failureCount = 1
            report.failures = [PurgeFailure(path: folder, operation: "open", errno: 0, message: "\(error)")]
            return report
        }
    }

    func missingFolders() -> [String] {
        let base = install.softwareDistribution ?? install.windows + "/SoftwareDistribution"
        var missing: [String] = []
        if install.dataStore == nil { missing.append(base + "/DataStore") }
        if install.download == nil { missing.append(base + "/Download") }
        return missing
    }

    // MARK: - Running

    /// Runs a reset from a plan made by `preflight()`.
    ///
    /// - Parameter plan: The plan; the hive must still have the hash recorded in it.
    /// - Returns: What was done. A purge with failures still restores the service.
    public func run(_ plan: ResetPlan) throws -> ResetOutcome {
        let lock = try prepareToWrite()
        defer { lock.release() }
        if let journal = try store.load(), !journal.phase.isClosed {
            throw ResetError.unfinishedJournal(path: install.stateDirectory + "/journal.json", phase: journal.phase)
        }
        let now = Date.wholeSecond()
        let runID = UUID().uuidString.lowercased()
        let stamp = ISO8601DateFormatter.compact.string(from: now)
        var journal = Journal(
            toolVersion: toolVersion, runID: runID, startedAt: now, updatedAt: now, phase: .journal,
            hivePath: install.systemHive, originalHiveSHA256: plan.hive.sha256, originalHiveSize: plan.hive.size,
            originalStarts: plan.starts,
            backupPath: backupDirectory + "/" + newBackupName(stamp: stamp, runID: runID)
        )
        journal.recovery = plan.recovery
        guard try FileIO.sha256(ofFile: hiveFile) == plan.hive.sha256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "it changed after the plan was made")
        }
        try store.save(&journal, note: "journal created for \(install.systemHive); original start values " +
                       plan.starts.map { "\($0.controlSet)=\($0.start)" }.joined(separator: ", "))
        try checkpoint(.phaseStarted(.journal))
        return try proceed(&journal, from: .backup)
    }

    /// Continues an interrupted run from the phase its journal records.
    ///
    /// - Throws: `ResetError.nothingToResume` when there is no open journal.
    public func resume() throws -> ResetOutcome {
        let lock = try prepareToWrite()
        defer { lock.release() }
        var journal = try openJournal()
        try removeStaleTemporaryFiles()
        try store.appendLog("resuming run \(journal.runID.prefix(8)) at phase \(journal.phase.rawValue)")
        return try proceed(&journal, from: journal.phase)
    }

    /// Puts the original start values back and closes the journal; purges nothing.
    ///
    /// - Throws: `ResetError.nothingToResume` when there is no open journal.
    public func rollback() throws -> ResetOutcome {
        let lock = try prepareToWrite()
        defer { lock.release() }
        var journal = try openJournal()
        try removeStaleTemporaryFiles()
        var byteIdentical = false
        if journal.phase > .backup {
            byteIdentical = try restore(journal)
        }
        // A hive still exactly as found was never edited (it may be dirty, waiting for recovery).
        let untouched = try FileIO.sha256(ofFile: hiveFile) == journal.originalHiveSHA256
        let finalStarts = untouched ? journal.originalStarts : try verify(journal)
        journal.phase = .rolledBack
        try store.save(&journal, note: "rolled back: original start values restored")
        return ResetOutcome(journal: journal, restoredByteIdentical: byteIdentical,
                            finalHiveSHA256: try FileIO.sha256(ofFile: hiveFile), finalStarts: finalStarts)
    }

    /// Removes temporary files a crashed run left: beside the hive (`.SYSTEM.wuscrub-*.tmp`) and
    /// beside the journal (`.journal.json.wuscrub-*.tmp`).
    func removeStaleTemporaryFiles() throws {
        let hiveName = install.systemHive.split(separator: "/").last.map(String.init) ?? "SYSTEM"
        for (folder, original) in [(install.configDirectory, hiveName), (install.stateDirectory, "journal.json")] {
            let directory = install.path(folder)
            for name in try FileIO.names(in: directory) where FileIO.isTemporaryName(name, for: original) {
                try FileIO.remove(directory + "/" + name)
                try store.appendLog("removed a temporary file left by an interrupted run: \(folder)/\(name)")
            }
        }
    }

    /// The open journal of an interrupted run, checked against this installation.
    public func openJournal() throws -> Journal {
        guard let journal = try store.load(), !journal.phase.isClosed else {
            throw ResetError.nothingToResume(path: install.stateDirectory + "/journal.json")
        }
        guard journal.hivePath == install.systemHive else {
            throw ResetError.journalUnreadable(path: store.journalPath, detail: "it is for hive '\(journal.hivePath)', not '\(install.systemHive)'")
        }
        return journal
    }

    /// Runs the phases from `first` to the end, recording each in the journal before it runs.
    func proceed(_ journal: inout Journal, from first: Journal.Phase) throws -> ResetOutcome {
        var byteIdentical = false
        var finalStarts: [ServiceStart] = []
        for phase in Journal.Phase.allCases where phase >= first && phase < .done {
            if journal.phase != phase {
                journal.phase = phase
                try store.save(&journal, note: "starting")
                try checkpoint(.phaseStarted(phase))
            }
            switch phase {
            case .journal: break
            case .backup: try backup(&journal)
            case .recover: try recover(&journal)
            case .disable: try disable(&journal)
            case .purge:
                journal.purge = try purge()
                let missing = missingFolders()
                for folder in missing { try FileIO.makeDirectories(folder, under: install.root) }
                if !missing.isEmpty { journal.createdFolders = missing }
                let removed = journal.purge!.map { "\($0.folder): \($0.files) files, \($0.directories) dirs, \($0.links) links, \($0.bytes) bytes, \($0.failureCount) failures" }
                try store.save(&journal, note: "purged " + removed.joined(separator: "; "))
            case .restore: byteIdentical = try restore(journal)
            case .verify: finalStarts = try verify(journal)
            case .done, .rolledBack: break
            }
        }
        journal.phase = .done
        try store.save(&journal, note: "done")
        try checkpoint(.phaseStarted(.done))
        if finalStarts.isEmpty { finalStarts = try verify(journal) }
        return ResetOutcome(journal: journal, restoredByteIdentical: byteIdentical,
                            finalHiveSHA256: try FileIO.sha256(ofFile: hiveFile), finalStarts: finalStarts)
    }

    // MARK: - Steps

    /// Copies the original hive (and its logs) into the backup folder, checks the copies, prunes old backups.
    func backup(_ journal: inout Journal) throws {
        let current = try FileIO.sha256(ofFile: hiveFile)
        guard current == journal.originalHiveSHA256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "its SHA-256 is no longer the one recorded before the backup")
        }
        try FileIO.makeDirectories(backupDirectory, under: install.root)
        try copyChecked(hiveFile, to: journal.backupPath, expected: journal.originalHiveSHA256)
        if journal.recovery != nil {
            var logBackups: [String] = []
            for log in try HiveRecovery.discoverLogs(forHive: hiveFile) {
                let suffix = log.split(separator: ".").last.map(String.init) ?? "LOG"
                let target = journal.backupPath + "." + suffix
                try copyChecked(log, to: target, expected: try FileIO.sha256(ofFile: log))
                logBackups.append(target)
            }
            journal.logBackupPaths = logBackups
            try store.save(&journal, note: "backed up the hive and its logs: " + logBackups.joined(separator: ", "))
        }
        try pruneBackups(keeping: journal.backupPath)
    }

    /// Copies a file into the backup folder (or keeps an earlier identical copy) and checks its hash.
    func copyChecked(_ source: String, to relative: String, expected: String) throws {
        let target = install.path(relative)
        if FileIO.exists(target) {
            if try FileIO.sha256(ofFile: target) == expected { return }
            try FileIO.remove(target)
        }
        _ = try FileIO.copyDurably(source, to: target)
        guard try FileIO.sha256(ofFile: target) == expected else { throw ResetError.backupMismatch(path: relative) }
    }

    /// Replaces a dirty hive with its recovered form (the replay committed once by hivex, so its
    /// sequence numbers end above every one in the logs), and backs that baseline up.
    func recover(_ journal: inout Journal) throws {
        guard let planned = journal.recovery else { return }
        let current = try FileIO.sha256(ofFile: hiveFile)
        if current == journal.baselineHiveSHA256 { return }
        guard current == journal.originalHiveSHA256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "it is neither the dirty original nor the recovered hive")
        }
        let analysis = try analyzeRecovery()
        guard analysis.applied.map(\.sequences) == planned.applied.map(\.sequences),
              analysis.applied.map(\.format) == planned.applied.map(\.format), analysis.outcome == planned.outcome else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "its logs changed since the plan was made")
        }
        let floor = analysis.finalSequence ?? 0
        var pending = journal
        try HiveEditor.rewrite(
            hiveFile, source: analysis.recovered!,
            edit: { _ in },
            verify: { hive in
                let block = BaseBlock(try FileIO.read(hive.path)[0..<512])
                guard let block, Serial.isAfter(block.primarySequence, floor) else {
                    throw HiveError.verificationFailed(path: hive.path, detail: "its sequence number is not above \(floor), the last in the logs")
                }
                _ = try ServiceConfiguration.read(hive)
            },
            beforeReplace: { digest, path in
                let baseline = journal.backupPath + "-recovered"
                try copyChecked(path, to: baseline, expected: digest)
                pending.baselineHiveSHA256 = digest
                pending.baselineBackupPath = baseline
                let applied = analysis.applied.map { "\($0.path.split(separator: "/").last ?? "") \($0.sequences.first ?? 0)…\($0.sequences.last ?? 0)" }
                try store.save(&pending, note: analysis.outcome == .discarded
                    ? "discarding the logs (" + analysis.discarded.joined(separator: "; ") + "), replacing the hive"
                    : "logs replayed (" + applied.joined(separator: ", ") + "), replacing the hive with the recovered one")
                try checkpoint(.beforeRecoveredHiveRename)
            }
        )
        journal = pending
    }

    /// Keeps the backups of the newest runs, by serial (a run's hive, logs and recovered hive share
    /// it); files that are not wuscrub backups are left alone.
    func pruneBackups(keeping current: String) throws {
        let directory = install.path(backupDirectory)
        let currentSerial = Resetter.backupSerial(of: String(current.split(separator: "/").last ?? ""))
        let backups = try FileIO.names(in: directory).compactMap { name in Resetter.backupSerial(of: name).map { (name, $0) } }
        let others = Set(backups.map(\.1)).subtracting([currentSerial].compactMap { $0 }).sorted(by: >)
        let kept = Set(others.prefix(Resetter.backupsKept - 1)).union([currentSerial].compactMap { $0 })
        for (name, serial) in backups where !kept.contains(serial) {
            try FileIO.remove(directory + "/" + name)
        }
    }

    /// The backup name of a new run: `SYSTEM-<serial>-<time>-<run>`, where the serial is one more
    /// than the highest already in the backup folder, so runs are ordered even when the clock is not.
    func newBackupName(stamp: String, runID: String) -> String {
        let names = (try? FileIO.names(in: install.path(backupDirectory))) ?? []
        let serial = (names.compactMap(Resetter.backupSerial).max() ?? 0) + 1
        let digits = String(serial)
        return "SYSTEM-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "-\(stamp)-\(runID.prefix(8))"
    }

    /// The serial of a wuscrub backup file name (`SYSTEM-000042-…`), or nil for any other name.
    static func backupSerial(of name: String) -> Int? {
        let parts = name.split(separator: "-", maxSplits: 2)
        guard parts.count == 3, parts[0] == "SYSTEM", parts[1].count >= 6, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(parts[1])
    }

    /// Sets Start = 4 in every chosen control set (skipped when the hive already is the disabled one).
    func disable(_ journal: inout Journal) throws {
        let current = try FileIO.sha256(ofFile: hiveFile)
        if current == journal.disabledHiveSHA256 { return }
        if current != journal.restoreTargetSHA256 {
            let starts = try readStarts(checkEditable: false)
            guard starts.allSatisfy({ $0.start == ServiceStart.disabled }) else {
                throw ResetError.hiveChanged(path: install.systemHive, detail: "it is neither the original nor the disabled hive")
            }
            journal.disabledHiveSHA256 = current
            try store.save(&journal, note: "hive already disabled")
            return
        }
        let sets = journal.originalStarts.map { (controlSet: $0.controlSet, start: ServiceStart.disabled) }
        var pending = journal
        _ = try HiveEditor.rewrite(
            hiveFile,
            edit: { hive in try ServiceConfiguration.setStart(sets, in: hive) },
            verify: { hive in try checkStarts(hive, expected: sets) },
            beforeReplace: { digest, _ in
                pending.disabledHiveSHA256 = digest
                try store.save(&pending, note: "disabled hive written (sha256 \(digest.prefix(16))), replacing the original")
                try checkpoint(.beforeHiveRename)
            }
        )
        journal = pending
        try checkpoint(.afterHiveRename)
    }

    /// Empties DataStore and Download; failures are recorded, never thrown (only a checkpoint throws).
    ///
    /// The walk first stops after one removal, passes the `midPurge` checkpoint there (a folder
    /// partly emptied, the state a crash during the purge leaves), then carries on.
    func purge() throws -> [PurgeReport] {
        var reports: [PurgeReport] = []
        var pending = true
        for folder in purgeFolders {
            var first: PurgeReport?
            if pending {
                let partial = purgeReport(folder, removalLimit: 1)
                if partial.removals > 0 {
                    pending = false
                    try checkpoint(.midPurge)
                    first = partial
                }
            }
            var report = purgeReport(folder, dryRun: false)
            if let first { report.add(removalsOf: first) }
            reports.append(report)
        }
        return reports
    }

    /// Puts the original start values back: byte for byte from the backup when the hive is still
    /// exactly what the disable step wrote, otherwise by setting the values with hivex.
    ///
    /// - Returns: Whether the bytes of the original were put back.
    func restore(_ journal: Journal) throws -> Bool {
        let current = try FileIO.sha256(ofFile: hiveFile)
        if current == journal.restoreTargetSHA256 || current == journal.originalHiveSHA256 { return true }
        if current == journal.disabledHiveSHA256 {
            let original = try FileIO.read(install.path(journal.restoreSourcePath))
            guard FileIO.sha256(original) == journal.restoreTargetSHA256 else {
                throw ResetError.backupMismatch(path: journal.restoreSourcePath)
            }
            try HiveEditor.replace(hiveFile, with: original)
            try checkpoint(.afterRestore)
            try store.appendLog("run \(journal.runID.prefix(8)): hive bytes put back from \(journal.restoreSourcePath)")
            return true
        }
        let sets = journal.originalStarts.map { (controlSet: $0.controlSet, start: $0.start) }
        let present = try readStarts(checkEditable: false)
        if present.map(\.start) == sets.map(\.start) { return false }
        try HiveEditor.rewrite(
            hiveFile,
            edit: { hive in try ServiceConfiguration.setStart(sets, in: hive) },
            verify: { hive in try checkStarts(hive, expected: sets) }
        )
        try store.appendLog("run \(journal.runID.prefix(8)): original start values set with hivex (the hive had changed since the disable step)")
        return false
    }

    /// Checks that the hive is valid and clean and holds the original start values.
    func verify(_ journal: Journal) throws -> [ServiceStart] {
        let status = try HiveStatus(path: install.systemHive, file: hiveFile)
        guard !status.isDirty else {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "the hive is not clean after the run")
        }
        if let floor = journal.recovery?.finalSequence, journal.baselineHiveSHA256 != nil,
           !Serial.isAfter(status.primarySequence, floor) {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "its sequence number \(status.primarySequence) is not above \(floor), the last in its logs")
        }
        let starts = try readStarts(checkEditable: false)
        let expected = journal.originalStarts.map { (controlSet: $0.controlSet, start: $0.start) }
        guard starts.map(\.controlSet) == expected.map(\.controlSet), starts.map(\.start) == expected.map(\.start) else {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "Start values are " +
                starts.map { "\($0.controlSet)=\($0.start)" }.joined(separator: ", ") + ", expected " +
                expected.map { "\($0.controlSet)=\($0.start)" }.joined(separator: ", "))
        }
        return starts
    }
}

/// Checks the `wuauserv` start values of a hive.
func checkStarts(_ hive: Hive, expected: [(controlSet: String, start: UInt32)]) throws {
    for (controlSet, start) in expected {
        let key = ServiceStart.serviceKey(in: controlSet)
        guard let service = try hive.node(at: key), let value = try hive.value(named: "Start", in: service) else {
            throw HiveError.verificationFailed(path: hive.path, detail: "\(key)\\Start is missing")
        }
        guard value.dwordValue == start else {
            throw HiveError.verificationFailed(path: hive.path, detail: "\(key)\\Start reads \(value), expected \(start)")
        }
    }
}

extension ISO8601DateFormatter {
    /// `20261125T043500Z`: sortable and safe in file names.
    static var compact: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
        return formatter
    }
}
