#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The reset state machine: preflight → journal → backup → disable → purge → restore → verify → done.
///
/// Every phase change is written to the journal first, so an interrupted run can be resumed
/// (each step is idempotent) or rolled back. Every file is reached through the volume layer
/// (`InstallVolume`), every hivex call runs in a sandbox on bytes already read (`HiveSandbox`), and the hives a
/// run writes are computed and validated in the preflight. The library never prints; callers
/// render the results.
public struct Resetter: Sendable {
    /// The installation to work on.
    public let install: WindowsInstall
    /// Recorded in the journal.
    public let toolVersion: String
    /// How many hive backups to keep.
    public static let backupsKept = 3
    /// Called at each named point of a run; tests make it throw (or exit) to simulate a crash there.
    public var checkpoint: @Sendable (Checkpoint) throws -> Void = { _ in }
    /// The signal that asks the run to stop (SIGINT, SIGTERM, SIGHUP), once one was received.
    ///
    /// Before the disable step the run then stops with nothing changed; after it, the purge stops
    /// at its next entry and the original start values are restored before the run ends.
    public var stopRequested: @Sendable () -> Int32? = { nil }

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
            let phases = Journal.Phase.allCases.filter { $0 != .rolledBack && $0 != .interrupted }
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

    var store: JournalStore { JournalStore(install: install) }
    var backupDirectory: String { install.stateDirectory + "/" + InstallVolume.backupFolderName }
    var journalPath: String { store.journalPath }

    /// The purge folders present, relative to the mount root.
    var purgeFolders: [String] { [install.dataStore, install.download].compactMap { $0 } }

    // MARK: - Preflight

    /// Checks everything a reset needs and describes what it would do, writing nothing.
    ///
    /// The hives the run will write (the recovered one for a dirty hive, the disabled one) are
    /// computed here, in the hivex sandbox, and checked; the plan carries them.
    /// - Returns: The plan, with the purge counted by a dry-run walk.
    /// - Throws: `ImageError.readOnly`, `ResetError.unfinishedJournal`, `.journalDamaged`,
    ///   `RecoveryError` for a dirty hive, `HiveError` for a hive that is invalid or lacks the
    ///   service, `VolumeError` for an entry that is not what it should be.
    public func preflight() throws -> ResetPlan {
        let volume = try InstallVolume(install)
        try VolumeCheck.checkNotHibernated(in: volume.root)
        try VolumeCheck.checkWritable(root: install.root)
        try volume.checkStateFolder()
        try volume.checkHiveLogs()
        // A journal another run is still writing is not an unfinished run: say it is busy.
        try InstallLock.checkNotHeld(volume)
        if let journal = try store.load(from: volume), !journal.phase.isClosed {
            throw ResetError.unfinishedJournal(path: journalPath, phase: journal.phase)
        }
        let bytes = try readHive(volume)
        let status = try HiveStatus(path: install.systemHive, bytes: bytes)
        var recovery: RecoveryAnalysis?
        var baseline: [UInt8]?
        if status.isDirty {
            let analysis = try analyzeRecovery(volume, hive: bytes)
            recovery = analysis
            baseline = try commitRecovered(analysis)
        }
        let starts = try readStarts(baseline ?? bytes, checkEditable: true)
        let disabled = try disabledHive(from: baseline ?? bytes, starts: starts)
        var plan = ResetPlan(
            install: install, hive: status, starts: starts, purge: purgeFolders.map { purgeReport($0, dryRun: true) },
            missingFolders: missingFolders(), journalPath: journalPath,
            backupDirectory: backupDirectory, recovery: recovery,
            volume: Volume.describe(root: install.root, windows: install.path(install.windows))
        )
        plan.leftAlone = strays(volume)
        plan.prepared = PreparedHives(baseline: baseline, disabled: disabled)
        return plan
    }

    /// Checks the volume again, probes a write in wuscrub's folder and takes the install's lock.
    func prepareToWrite(_ volume: InstallVolume) throws -> InstallLock {
        try VolumeCheck.checkNotHibernated(in: volume.root)
        try volume.checkStateFolder()
        try volume.checkHiveLogs()
        // statvfs, then a probe in the deepest existing folder of wuscrub's state path, before the
        // lock creates the rest of it (a folder the lock creates is one writes work in).
        var probe = volume.root
        for component in install.stateDirectory.split(separator: "/") {
            guard let next = try probe.subdirectory(String(component)) else { break }
            probe = next
        }
        try VolumeCheck.checkWritable(root: install.root, probeDirectory: probe)
        return try InstallLock(volume: volume)
    }

    /// Walks one purge folder (counting only, with `dryRun`); a folder that cannot be opened
    /// becomes a report with one failure, so the run goes on to restore the service.
    func purgeReport(_ folder: String, dryRun: Bool = false, removalLimit: Int? = nil) -> PurgeReport {
        // A signal stops a counting walk too (the preflight's), so that it is answered at once.
        let stop = stopRequested
        let shouldStop: @Sendable () -> Bool = { stop() != nil }
        do {
            return try Purger(dryRun: dryRun, removalLimit: removalLimit, shouldStop: shouldStop)
                .purgeContents(under: install.root, components: folder.split(separator: "/").map(String.init))
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
    /// - Returns: What was done. A purge with failures still restores the service; so does a
    ///   purge stopped by a signal (`interruptedBy`).
    /// - Throws: `ResetError.interrupted` when a signal stopped the run before the service was
    ///   disabled (nothing changed); the errors of `preflight()`; `VolumeError` on I/O failures.
    public func run(_ plan: ResetPlan) throws -> ResetOutcome {
        let volume = try InstallVolume(install)
        let lock = try prepareToWrite(volume)
        defer { lock.release() }
        if let journal = try store.load(from: volume), !journal.phase.isClosed {
            throw ResetError.unfinishedJournal(path: journalPath, phase: journal.phase)
        }
        guard try hiveSHA256(volume) == plan.hive.sha256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "it changed after the plan was made")
        }
        let prepared = try plan.prepared ?? preflight().prepared!
        if let signal = stopRequested() { throw ResetError.interrupted(signal: signal, phase: .journal) }
        let now = Date.wholeSecond()
        let runID = UUID().uuidString.lowercased()
        let stamp = ISO8601DateFormatter.compact.string(from: now)
        let backup = BackupName(serial: nextBackupSerial(volume), stamp: stamp, runID: runID)
        var journal = Journal(
            toolVersion: toolVersion, runID: runID, startedAt: now, updatedAt: now, phase: .journal,
            hivePath: install.systemHive, originalHiveSHA256: plan.hive.sha256, originalHiveSize: plan.hive.size,
            originalStarts: plan.starts,
            backupPath: backupDirectory + "/" + backup.name
        )
        journal.recovery = plan.recovery
        try store.save(&journal, note: "journal created for \(install.systemHive); original start values " +
                       plan.starts.map { "\($0.controlSet)=\($0.start)" }.joined(separator: ", "), in: volume)
        try checkpoint(.phaseStarted(.journal))
        return try proceed(&journal, from: .backup, volume: volume, prepared: prepared)
    }

    /// Continues an interrupted run from the phase its journal records.
    ///
    /// - Throws: `ResetError.nothingToResume` when there is no open journal, `.journalDamaged`.
    public func resume() throws -> ResetOutcome {
        let volume = try InstallVolume(install)
        let lock = try prepareToWrite(volume)
        defer { lock.release() }
        var journal = try openJournal(volume)
        try checkOwnBackups(journal, volume: volume)
        // The values the run will put back, confirmed against its backup before anything changes.
        if journal.phase > .recover { _ = try confirmedStarts(journal, volume: volume) }
        removeStaleTemporaryFiles(volume)
        try store.appendLog("resuming run \(journal.runID.prefix(8)) at phase \(journal.phase.rawValue)", in: volume)
        return try proceed(&journal, from: journal.phase, volume: volume, prepared: nil)
    }

    /// Puts the original start values back and closes the journal; purges nothing.
    ///
    /// The report's start values are read back from the hive, never taken from the journal.
    /// - Throws: `ResetError.nothingToResume` when there is no open journal, `.journalDamaged`.
    public func rollback() throws -> ResetOutcome {
        let volume = try InstallVolume(install)
        let lock = try prepareToWrite(volume)
        defer { lock.release() }
        var journal = try openJournal(volume)
        try checkOwnBackups(journal, volume: volume)
        // The values the run will put back, confirmed against its backup before anything changes.
        if journal.phase > .recover { _ = try confirmedStarts(journal, volume: volume) }
        removeStaleTemporaryFiles(volume)
        var notes: [String] = []
        var byteIdentical = false
        if journal.phase > .backup {
            byteIdentical = try restore(journal, volume: volume, notes: &notes)
        }
        let bytes = try readHive(volume)
        // A hive still exactly as found was never edited (it may be dirty, waiting for recovery).
        let untouched = FileIO.sha256(bytes) == journal.originalHiveSHA256
        let finalStarts = untouched ? try startsAsFound(bytes, volume: volume) : try verify(journal, volume: volume)
        journal.phase = .rolledBack
        try store.save(&journal, note: "rolled back: original start values restored", in: volume)
        return outcome(journal, volume: volume, byteIdentical: byteIdentical || untouched, finalStarts: finalStarts, notes: notes)
    }

    /// The open journal of an interrupted run, validated against this installation.
    public func openJournal() throws -> Journal {
        try openJournal(try InstallVolume(install))
    }

    func openJournal(_ volume: InstallVolume) throws -> Journal {
        guard let journal = try store.load(from: volume), !journal.phase.isClosed else {
            throw ResetError.nothingToResume(path: journalPath)
        }
        return journal
    }

    /// Runs the phases from `first` to the end, recording each in the journal before it runs.
    ///
    /// A stop requested before the disabled hive is in place closes the journal as interrupted
    /// with nothing changed; one requested later stops the purge, and the run goes on to restore
    /// the original start values before it closes the journal as interrupted.
    func proceed(_ journal: inout Journal, from first: Journal.Phase, volume: InstallVolume,
                 prepared: PreparedHives?) throws -> ResetOutcome {
        var byteIdentical = false
        var finalStarts: [ServiceStart] = []
        var notes: [String] = []
        var stoppedBy: Int32?
        for phase in Journal.Phase.allCases where phase >= first && phase < .done {
            if phase <= .disable { try stopIfRequested(&journal, volume: volume) }
            if journal.phase != phase {
                journal.phase = phase
                try store.save(&journal, note: "starting", in: volume)
                try checkpoint(.phaseStarted(phase))
                if phase <= .disable { try stopIfRequested(&journal, volume: volume) }
            }
            switch phase {
            case .journal: break
            case .backup: try backup(&journal, volume: volume)
            case .recover: try recover(&journal, volume: volume, prepared: prepared)
            case .disable:
                do {
                    try disable(&journal, volume: volume, prepared: prepared)
                } catch is StopBeforeRename {
                    try stopIfRequested(&journal, volume: volume)
                }
            case .purge:
                journal.purge = try purge()
                stoppedBy = journal.purge!.contains { $0.stopped == true } ? stopRequested() ?? SIGINT : nil
                if stoppedBy == nil {
                    let missing = missingFolders()
                    for folder in missing { _ = try volume.root.makeDirectories(folder) }
                    if !missing.isEmpty { journal.createdFolders = missing }
                }
                let removed = journal.purge!.map { "\($0.folder): \($0.files) files, \($0.directories) dirs, \($0.links) links, \($0.bytes) bytes, \($0.failureCount) failures" + ($0.stopped == true ? ", stopped" : "") }
                try store.save(&journal, note: (stoppedBy.map { "purge stopped by \(ResetError.signalName($0)); " } ?? "") + "purged " + removed.joined(separator: "; "), in: volume)
            case .restore: byteIdentical = try restore(journal, volume: volume, notes: &notes)
            case .verify: finalStarts = try verify(journal, volume: volume)
            case .done, .rolledBack, .interrupted: break
            }
        }
        journal.phase = stoppedBy == nil ? .done : .interrupted
        try store.save(&journal, note: stoppedBy.map { "interrupted by \(ResetError.signalName($0)): original start values restored, purge unfinished" } ?? "done", in: volume)
        if stoppedBy == nil { try checkpoint(.phaseStarted(.done)) }
        if finalStarts.isEmpty { finalStarts = try verify(journal, volume: volume) }
        var result = outcome(journal, volume: volume, byteIdentical: byteIdentical, finalStarts: finalStarts, notes: notes)
        // A signal after the purge had finished: the run completed (done), and still says it was signalled.
        result.interruptedBy = stoppedBy ?? stopRequested()
        return result
    }

    /// Before the disabled hive is in place: when a stop was requested, closes the journal as
    /// interrupted and throws `ResetError.interrupted`. If the hive on disk is not the one the run
    /// started from (a resumed run whose disabled hive is already in place), it does nothing: the
    /// run goes on, and its purge stops at once, so that the start values are restored first.
    func stopIfRequested(_ journal: inout Journal, volume: InstallVolume) throws {
        guard let signal = stopRequested() else { return }
        let current = try hiveSHA256(volume)
        guard current == journal.restoreTargetSHA256 || current == journal.originalHiveSHA256 else { return }
        let phase = journal.phase
        journal.phase = .interrupted
        try store.save(&journal, note: "interrupted by \(ResetError.signalName(signal)) before the service was disabled: nothing changed", in: volume)
        throw ResetError.interrupted(signal: signal, phase: phase)
    }

    /// The outcome of a run, with what was read back from the hive and found in the folders.
    func outcome(_ journal: Journal, volume: InstallVolume, byteIdentical: Bool, finalStarts: [ServiceStart],
                 notes: [String]) -> ResetOutcome {
        var result = ResetOutcome(journal: journal, restoredByteIdentical: byteIdentical,
                                  finalHiveSHA256: (try? hiveSHA256(volume)) ?? "", finalStarts: finalStarts)
        if let name = BackupName(parsing: String(journal.backupPath.split(separator: "/").last ?? "")),
           (try? volume.backupDirectory()?.entry(name.name))??.kind == .regularFile {
            result.backupPath = journal.backupPath
        }
        result.leftAlone = strays(volume)
        result.notes = notes
        return result
    }

    /// Empties DataStore and Download; failures are recorded, never thrown (only a checkpoint throws).
    ///
    /// The walk first stops after one removal, passes the `midPurge` checkpoint there (a folder
    /// partly emptied, the state a crash during the purge leaves), then carries on. A requested
    /// stop ends the walk at its next entry.
    func purge() throws -> [PurgeReport] {
        var reports: [PurgeReport] = []
        var pending = true
        for folder in purgeFolders {
            if stopRequested() != nil {
                var report = PurgeReport(folder: folder)
                report.stopped = true
                reports.append(report)
                continue
            }
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
}

extension ISO8601DateFormatter {
    /// `20261125T043500Z`: sortable and safe in file names.
    static var compact: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
        return formatter
    }
}
