#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// The reset state machine: preflight → journal → backup → recover → disable → purge → restore →
/// verify → done (docs/architecture.md §3).
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

    /// How many workers the purge (and its count) uses; nil chooses by file system (`Purger.jobs`).
    public var purgeJobs: Int?

    /// Told of each entry the purge removes or a count counts, and of the phase (counting,
    /// purging), for a caller that shows progress (docs/architecture.md §7.4); nil costs nothing.
    public var progress: PurgeProgress?
    /// Whether counts (dry-run walks) give the files' bytes: one `statx` per entry more, which
    /// on ntfs-3g is a round trip each (`scan` asks for it; `status` and the plan do not).
    public var countsBytes = false

    /// With a dirty hive whose logs cannot be applied: edit the hive as it is, discarding them.
    public var discardUnreconciled = false

    /// `reset --quarantine`: the purge phase moves the folders' entries into a quarantine folder
    /// by renames, which `rollback` can put back (docs/architecture.md §16).
    public var quarantines = false

    /// The services whose start values the run disables and puts back: wuauserv, or for
    /// `reset --full` `ServiceStart.fullResetServices` (docs/architecture.md §17). A resumed or
    /// rolled-back run takes its services from its journal, never from here.
    public var services: [String] = [ServiceStart.wuauserv]

    /// `reset --full` (docs/architecture.md §17): also the BITS queue (into the quarantine), catroot2
    /// (renamed) and the start values of `ServiceStart.fullResetServices`. It implies `quarantines`.
    public var full = false {
        didSet {
            if full { quarantines = true }
            services = full ? ServiceStart.fullResetServices : [ServiceStart.wuauserv]
        }
    }

    /// The start values read so far, by hive hash (shared by the copies of this value: the
    /// preflight's readings serve the run it plans).
    let readings = ServiceReadings()

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

    // MARK: - Running

    /// Runs a reset from a plan made by `preflight()`.
    ///
    /// - Parameter plan: The plan; the hive must still have the hash recorded in it.
    /// - Returns: What was done. A purge with failures still restores the service; so does a
    ///   purge stopped by a signal (`interruptedBy`).
    /// - Throws: `ResetError.interrupted` when a signal stopped the run before the service was
    ///   disabled (nothing changed); the errors of `preflight()`; `VolumeError` on I/O failures.
    public func run(_ plan: ResetPlan) throws(WUScrubError) -> ResetOutcome {
        try WUScrubError.wrap {
            let volume = try InstallVolume(install)
            let lock = try prepareToWrite(volume)
            defer { lock.release() }
            if let journal = try store.load(from: volume), !journal.phase.isClosed {
                throw ResetError.unfinishedJournal(path: journalPath, phase: journal.phase)
            }
            volume.knownHive = plan.prepared?.source
            guard try hiveSHA256(volume) == plan.hive.sha256 else {
                throw ResetError.hiveChanged(path: install.systemHive, detail: "it changed after the plan was made")
            }
            let prepared = try plan.prepared ?? preflight().prepared!
            if let signal = stopRequested() { throw ResetError.interrupted(signal: signal, phase: .journal) }
            let now = Date.wholeSecond()
            let runID = UUID().uuidString.lowercased()
            let stamp = Date.ISO8601FormatStyle.compact.format(now)
            let backup = BackupName(serial: nextBackupSerial(volume), stamp: stamp, runID: runID)
            var journal = Journal(
                toolVersion: toolVersion, runID: runID, startedAt: now, updatedAt: now, phase: .journal,
                hivePath: install.systemHive, originalHiveSHA256: plan.hive.sha256, originalHiveSize: plan.hive.size,
                originalStarts: plan.starts,
                backupPath: backupDirectory + "/" + backup.name
            )
            journal.recovery = plan.recovery
            if quarantines, let path = quarantinePath(startedAt: now, runID: runID) {
                journal.quarantinePath = path
                journal.folderTimes = folderTimes(volume)
                if full { recordFullReset(try plan.full ?? fullResetPlan(volume), in: &journal, volume: volume) }
            }
            try store.save(&journal, note: "journal created for \(install.systemHive); original start values " +
                           plan.starts.map(\.label).joined(separator: ", "), in: volume)
            try reach(.phaseStarted(.journal))
            // A plan shown before a question counted the purge: its total is the progress's.
            let total = plan.purgeCounted ? plan.purge.reduce(0) { $0 + $1.removals } : nil
            return try proceed(&journal, from: .backup, volume: volume, prepared: prepared, purgeTotal: total)
        }
    }

    /// Opens an interrupted run's journal under the lock, checks the run's backups and confirms
    /// the start values it will put back (before anything changes), removes stale temporary
    /// files, then runs `body` on the journal: what resume and rollback share.
    func withOpenJournal(_ body: (inout Journal, InstallVolume) throws -> ResetOutcome) throws -> ResetOutcome {
        let volume = try InstallVolume(install)
        let lock = try prepareToWrite(volume)
        defer { lock.release() }
        return try withOpenJournal(volume, body)
    }

    /// `withOpenJournal(_:)` on a volume already opened and locked.
    func withOpenJournal(_ volume: InstallVolume, _ body: (inout Journal, InstallVolume) throws -> ResetOutcome) throws -> ResetOutcome {
        var journal = try openJournal(volume)
        try checkOwnBackups(journal, volume: volume)
        // The values the run will put back, confirmed against its backup before anything changes.
        if journal.phase > .recover, journal.phase != .putBack { _ = try confirmedStarts(journal, volume: volume) }
        removeStaleTemporaryFiles(volume)
        return try body(&journal, volume)
    }

    /// Continues an interrupted run from the phase its journal records.
    ///
    /// - Throws: `ResetError.nothingToResume` when there is no open journal, `.journalDamaged`.
    public func resume() throws(WUScrubError) -> ResetOutcome {
        try WUScrubError.wrap {
            try withOpenJournal { journal, volume in
                try store.appendLog("resuming run \(journal.runID.prefix(8)) at phase \(journal.phase.rawValue)", in: volume)
                if journal.phase == .putBack { return try closeRollback(&journal, volume: volume, finalStarts: nil, byteIdentical: false, notes: []) }
                return try proceed(&journal, from: journal.phase, volume: volume, prepared: nil)
            }
        }
    }

    /// Puts the original start values back and, for a quarantine run, the quarantined entries;
    /// closes the journal as `rolled-back`. Deletes nothing.
    ///
    /// An unfinished run gets its start values back (the `restore` step); a quarantine run, finished
    /// or not, also gets its entries moved back (`putBack`). The report's start values are read
    /// back from the hive, never taken from the journal.
    /// - Throws: `ResetError.nothingToResume` when there is neither an open journal nor a
    ///   quarantine of the last run to put back, `.journalDamaged`.
    public func rollback() throws(WUScrubError) -> ResetOutcome {
        try WUScrubError.wrap {
            let volume = try InstallVolume(install)
            let lock = try prepareToWrite(volume)
            defer { lock.release() }
            // A closed run (finished, interrupted, or rolled back with entries left in the
            // quarantine), or a put-back that stopped: only the entries move.
            // In `put-back` the start values are settled: it only moves entries, even when the
            // quarantine folder is already gone (a crash after its removal).
            if var journal = try store.load(from: volume),
               journal.phase == .putBack || (journal.phase.isClosed && hasQuarantineToPutBack(journal, volume: volume)) {
                try store.appendLog("rolling back run \(journal.runID.prefix(8)) (closed as \(journal.phase.rawValue)): putting back its quarantine", in: volume)
                return try closeRollback(&journal, volume: volume, finalStarts: nil, byteIdentical: false, notes: [])
            }
            return try withOpenJournal(volume) { journal, volume in
                var notes: [String] = []
                var byteIdentical = false
                if journal.phase > .backup {
                    byteIdentical = try restore(journal, volume: volume, notes: &notes)
                }
                let image = try readHive(volume)
                // A hive still exactly as found was never edited (it may be dirty, waiting for recovery).
                let untouched = image.sha256 == journal.originalHiveSHA256
                let finalStarts = untouched ? try startsAsFound(image, services: journal.services, volume: volume) : try verify(journal, volume: volume)
                return try closeRollback(&journal, volume: volume, finalStarts: finalStarts,
                                         byteIdentical: byteIdentical || untouched, notes: notes)
            }
        }
    }

    /// The end of a rollback, the start values being the original ones: puts a quarantine back
    /// when the run made one, then closes the journal as `rolled-back`.
    ///
    /// - Parameter finalStarts: The start values checked by the caller; nil reads them as found.
    func closeRollback(_ journal: inout Journal, volume: InstallVolume, finalStarts: [ServiceStart]?,
                       byteIdentical: Bool, notes: [String]) throws -> ResetOutcome {
        if hasQuarantineToPutBack(journal, volume: volume) || journal.phase == .putBack {
            try finishPutBack(&journal, volume: volume)
            if let signal = stopRequested(), journal.putBack?.contains(where: { $0.stopped == true }) == true {
                // Left open in `put-back`: `resume` or `rollback` moves the rest.
                var result = outcome(journal, volume: volume, byteIdentical: byteIdentical,
                                     finalStarts: try finalStarts ?? startsAsFound(readHive(volume), services: journal.services, volume: volume), notes: notes)
                result.interruptedBy = signal
                return result
            }
        }
        let starts = try finalStarts ?? startsAsFound(readHive(volume), services: journal.services, volume: volume)
        journal.phase = .rolledBack
        try store.save(&journal, note: journal.putBack == nil ? "rolled back: original start values restored"
                       : "rolled back: original start values restored, quarantined entries put back", in: volume)
        var result = outcome(journal, volume: volume, byteIdentical: byteIdentical, finalStarts: starts, notes: notes)
        // A finished run's rollback only moves entries: the hive is as the run (or Windows since) left it.
        if finalStarts == nil { result.hiveUntouched = true }
        return result
    }

    /// The journal `rollback` would act on: an open one, or a closed one whose quarantine is still
    /// there to put back.
    public func journalToRollBack() throws(WUScrubError) -> Journal {
        try WUScrubError.wrap {
            let volume = try InstallVolume(install)
            if let journal = try store.load(from: volume),
               journal.phase == .putBack || (journal.phase.isClosed && hasQuarantineToPutBack(journal, volume: volume)) {
                return journal
            }
            return try openJournal(volume)
        }
    }

    /// The open journal of an interrupted run, validated against this installation.
    public func openJournal() throws(WUScrubError) -> Journal {
        try WUScrubError.wrap {
            try openJournal(try InstallVolume(install))
        }
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
    /// - Parameter purgeTotal: How many entries the plan counted in the purge folders, if it did.
    func proceed(_ journal: inout Journal, from first: Journal.Phase, volume: InstallVolume,
                 prepared: PreparedHives?, purgeTotal: Int? = nil) throws -> ResetOutcome {
        var byteIdentical = false
        var finalStarts: [ServiceStart] = []
        var notes: [String] = []
        var stoppedBy: Int32?
        for phase in Journal.Phase.runPhases where phase >= first && phase < .done {
            if phase <= .disable { try stopIfRequested(&journal, volume: volume) }
            if journal.phase != phase {
                journal.phase = phase
                try store.save(&journal, note: "starting", in: volume)
                try reach(.phaseStarted(phase))
                if phase <= .disable { try stopIfRequested(&journal, volume: volume) }
            }
            if let label = phase.progressLabel { progress?.step(label) }
            defer { if phase.progressLabel != nil { progress?.end() } }
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
                let results: [PurgeReport]
                if let path = journal.quarantinePath {
                    progress?.step("Moving the entries of DataStore and Download into the quarantine")
                    results = try quarantine(into: path, volume: volume)
                    progress?.end()
                    journal.quarantine = results
                    if !results.contains(where: { $0.stopped == true }), journal.catroot2Path != nil || journal.bitsQueuePath != nil {
                        journal.fullReset = try fullResetMoves(journal, volume: volume)
                    }
                } else {
                    results = try purge(expecting: purgeTotal)
                    journal.purge = results
                }
                stoppedBy = (results + (journal.fullReset ?? [])).contains { $0.stopped == true } ? stopRequested() ?? SIGINT : nil
                if stoppedBy == nil {
                    let missing = missingFolders()
                    for folder in missing { _ = try volume.root.makeDirectories(folder) }
                    if !missing.isEmpty { journal.createdFolders = missing }
                }
                let removed = (results + (journal.fullReset ?? [])).map { "\($0.folder): \($0.files) files, \($0.directories) dirs, \($0.links) links, " + ($0.bytes.map { "\($0) bytes, " } ?? "") + "\($0.failureCount) failures" + ($0.stopped == true ? ", stopped" : "") }
                try store.save(&journal, note: (stoppedBy.map { "purge stopped by \(ResetError.signalName($0)); " } ?? "") + (journal.quarantinePath.map { "moved into \($0): " } ?? "purged ") + removed.joined(separator: "; "), in: volume)
            case .restore: byteIdentical = try restore(journal, volume: volume, notes: &notes)
            case .verify: finalStarts = try verify(journal, volume: volume)
            case .done, .rolledBack, .interrupted, .putBack: break
            }
        }
        journal.phase = stoppedBy == nil ? .done : .interrupted
        try store.save(&journal, note: stoppedBy.map { "interrupted by \(ResetError.signalName($0)): original start values restored, purge unfinished" } ?? "done", in: volume)
        if stoppedBy == nil { try reach(.phaseStarted(.done)) }
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
        if let path = journal.quarantinePath, journal.phase != .rolledBack, (try? volume.root.directory(at: path)) != nil {
            result.quarantineHeld = quarantineContents(path, volume: volume)
        }
        result.leftAlone = strays(volume)
        result.notes = notes
        return result
    }
}

extension Date.ISO8601FormatStyle {
    /// `20261125T043500Z`: sortable and safe in file names.
    static var compact: Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(dateSeparator: .omitted, dateTimeSeparator: .standard, timeSeparator: .omitted,
                                timeZoneSeparator: .omitted, includingFractionalSeconds: false, timeZone: .gmt)
    }
}
