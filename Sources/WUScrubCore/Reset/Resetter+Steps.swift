#if canImport(Glibc)
import Glibc
#endif

/// The steps of a run, each idempotent so that a resumed run can repeat the one it stopped in.
extension Resetter {
    /// Copies the original hive (and its logs) into the backup folder, checks the copies, prunes old backups.
    func backup(_ journal: inout Journal, volume: InstallVolume) throws {
        let image = try readHive(volume)
        guard image.sha256 == journal.originalHiveSHA256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "its SHA-256 is no longer the one recorded before the backup")
        }
        let name = try backupName(journal)
        let folder = try volume.makeStateDirectory().makeSubdirectory(InstallVolume.backupFolderName)
        try writeBackup(image, named: name.name, in: folder)
        if journal.recovery != nil {
            let config = try volume.configDirectory()
            var logBackups: [String] = []
            for log in try HiveRecovery.logNames(forHive: volume.hiveName, among: try config.names(), folder: config.shown) {
                guard let part = BackupName.logPart(suffix: String(log.split(separator: ".").last ?? "")),
                      let file = try config.file(log) else { continue }
                let log = try HiveImage.read(file, limit: InstallVolume.maximumHiveBytes, what: "a transaction log")
                let target = name.with(part).name
                try writeBackup(log, named: target, in: folder)
                logBackups.append(backupDirectory + "/" + target)
            }
            journal.logBackupPaths = logBackups
            try store.save(&journal, note: "backed up the hive and its logs: " + logBackups.joined(separator: ", "), in: volume)
        }
        pruneBackups(keeping: name, in: folder, volume: volume)
    }

    /// The run's backup name, from its (validated) journal.
    func backupName(_ journal: Journal) throws -> BackupName {
        guard let name = BackupName(parsing: String(journal.backupPath.split(separator: "/").last ?? "")) else {
            throw ResetError.journalDamaged(path: journalPath, reason: "its backupPath is not a backup name")
        }
        return name
    }

    /// Writes a backup file (or keeps an earlier identical one), copied by the kernel from the
    /// sealed image, and checks what was written by reading it back through its descriptor.
    func writeBackup(_ image: HiveImage, named name: String, in folder: VolumeDirectory) throws {
        if let existing = try folder.file(name) {
            if try existing.sha256(limit: InstallVolume.maximumHiveBytes, what: "a hive backup") == image.sha256 { return }
            try folder.remove(name)
        }
        let file = try folder.createFile(name)
        try image.write(to: file)
        try file.sync()
        try folder.sync()
        guard try file.sha256(limit: InstallVolume.maximumHiveBytes, what: "a hive backup") == image.sha256 else {
            throw ResetError.backupMismatch(path: folder.display(name))
        }
    }

    /// Replaces a dirty hive with its recovered form (the replay committed once by hivex, so its
    /// sequence numbers end above every one in the logs), and backs that baseline up.
    func recover(_ journal: inout Journal, volume: InstallVolume, prepared: PreparedHives?) throws {
        guard let planned = journal.recovery else { return }
        let image = try readHive(volume)
        let current = image.sha256
        if current == journal.baselineHiveSHA256 { return }
        guard current == journal.originalHiveSHA256 else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "it is neither the dirty original nor the recovered hive")
        }
        let analysis = try analyzeRecovery(volume, hive: image)
        guard analysis.applied.map(\.sequences) == planned.applied.map(\.sequences),
              analysis.applied.map(\.format) == planned.applied.map(\.format), analysis.outcome == planned.outcome else {
            throw ResetError.hiveChanged(path: install.systemHive, detail: "its logs changed since the plan was made")
        }
        let baseline = try prepared?.baseline ?? commitRecovered(analysis)
        let name = try backupName(journal).with(.recovered)
        var pending = journal
        try replaceHive(with: baseline, volume: volume) { digest in
            let folder = try volume.makeStateDirectory().makeSubdirectory(InstallVolume.backupFolderName)
            try writeBackup(baseline, named: name.name, in: folder)
            pending.baselineHiveSHA256 = digest
            pending.baselineBackupPath = backupDirectory + "/" + name.name
            let applied = analysis.applied.map { "\($0.path.split(separator: "/").last ?? "") \($0.sequences.first ?? 0)…\($0.sequences.last ?? 0)" }
            try store.save(&pending, note: analysis.outcome == .discarded
                ? "discarding the logs (" + analysis.discarded.joined(separator: "; ") + "), replacing the hive"
                : "logs replayed (" + applied.joined(separator: ", ") + "), replacing the hive with the recovered one", in: volume)
            try reach(.beforeRecoveredHiveRename)
        }
        journal = pending
    }

    /// Sets Start = 4 for every recorded service in every chosen control set (skipped when the hive
    /// already is the disabled one).
    ///
    /// The disabled hive was computed and checked in the preflight; a resumed run computes it
    /// again from the hive on disk, which must be the one the run started from.
    func disable(_ journal: inout Journal, volume: InstallVolume, prepared: PreparedHives?) throws {
        let image = try readHive(volume)
        let current = image.sha256
        if current == journal.disabledHiveSHA256 { return }
        if current != journal.restoreTargetSHA256 {
            let starts = try readStarts(image, services: journal.services, checkEditable: false)
            guard starts.allSatisfy({ $0.start == ServiceStart.disabled }) else {
                throw ResetError.hiveChanged(path: install.systemHive, detail: "it is neither the original nor the disabled hive")
            }
            journal.disabledHiveSHA256 = current
            try store.save(&journal, note: "hive already disabled", in: volume)
            return
        }
        let sets = journal.originalStarts.map { $0.setting(ServiceStart.disabled) }
        let disabled: HiveImage
        if let prepared, (prepared.baseline?.sha256 ?? current) == current {
            disabled = prepared.disabled
        } else {
            disabled = try editedHive(sets, services: journal.services, from: image)
            try checkStarts(disabled, services: journal.services, expected: sets)
        }
        var pending = journal
        try replaceHive(with: disabled, volume: volume) { digest in
            pending.disabledHiveSHA256 = digest
            try store.save(&pending, note: "disabled hive written (sha256 \(digest.prefix(16))), replacing the original", in: volume)
            try reach(.beforeHiveRename)
            // Stopping here leaves the original in place: the temporary file is removed.
            if stopRequested() != nil {
                journal = pending
                throw StopBeforeRename()
            }
        }
        journal = pending
        try reach(.afterHiveRename)
    }

    /// Thrown from the last point before the disabled hive replaces the original, when a stop was requested.
    struct StopBeforeRename: Error {}

    /// Puts the original start values back: byte for byte from the backup when the hive is still
    /// exactly what the disable step wrote and the backup is intact, otherwise by setting the
    /// values with hivex (the backup is then not needed: `notes` says why it was not used).
    ///
    /// Bytes are written over the hive only if they are a valid, clean hive whose SHA-256 is the
    /// one this run recorded for the hive it started from.
    /// - Returns: Whether the bytes of the original were put back.
    func restore(_ journal: Journal, volume: InstallVolume, notes: inout [String]) throws -> Bool {
        let image = try readHive(volume)
        let current = image.sha256
        if current == journal.restoreTargetSHA256 || current == journal.originalHiveSHA256 { return true }
        if current == journal.disabledHiveSHA256 {
            do {
                let original = try restoreSource(journal, volume: volume)
                _ = try confirmedStarts(journal, volume: volume, backup: original)
                try replaceHive(with: original, volume: volume)
                try reach(.afterRestore)
                try store.appendLog("run \(journal.runID.prefix(8)): hive bytes put back from \(journal.restoreSourcePath)", in: volume)
                return true
            } catch let reason as BackupUnusable {
                notes.append("the backup '\(journal.restoreSourcePath)' could not be used (\(reason.detail)): the original start values were set with hivex instead")
            }
        }
        let sets = try confirmedStarts(journal, volume: volume).map { $0.setting($0.start) }
        let present = try readStarts(image, services: journal.services, checkEditable: false)
        if present.map(\.label) == sets.map(\.argument) { return false }
        let restored = try editedHive(sets, services: journal.services, from: image)
        try checkStarts(restored, services: journal.services, expected: sets)
        try replaceHive(with: restored, volume: volume)
        try store.appendLog("run \(journal.runID.prefix(8)): original start values set with hivex (" +
                            (notes.last ?? "the hive had changed since the disable step") + ")", in: volume)
        return false
    }

    /// The start values the run puts back and checks, confirmed rather than taken from the journal
    /// on its word: read from the hash-checked backup when it is usable (a journal whose values
    /// differ from it is damaged). Without a usable backup the journal's values are used only if
    /// none of them is 4: a run must never close its journal on a disabled service unless the
    /// hive it started from shows that the service was disabled before.
    ///
    /// - Parameter backup: The backup when the caller has read it already.
    /// - Throws: `ResetError.journalDamaged`, `.startsUnconfirmed`.
    func confirmedStarts(_ journal: Journal, volume: InstallVolume, backup: HiveImage? = nil) throws -> [ServiceStart] {
        if let cached = volume.confirmedStarts { return cached }
        let recorded = journal.originalStarts
        let source: HiveImage
        do {
            source = try backup ?? restoreSource(journal, volume: volume)
        } catch let reason as BackupUnusable {
            guard !recorded.contains(where: { $0.start == ServiceStart.disabled }) else {
                throw ResetError.startsUnconfirmed(path: journalPath, detail: reason.detail)
            }
            volume.confirmedStarts = recorded
            return recorded
        }
        let found = try readStarts(source, services: journal.services, checkEditable: false)
        func pairs(_ starts: [ServiceStart]) -> [String] { starts.map { $0.label.lowercased() } }
        guard pairs(found) == pairs(recorded) else {
            throw ResetError.journalDamaged(path: journalPath, reason: "its original start values (" + pairs(recorded).joined(separator: ", ") +
                                            ") are not those of the backed-up hive (" + pairs(found).joined(separator: ", ") + ")")
        }
        volume.confirmedStarts = found
        return found
    }

    /// Why a backup cannot be put back.
    struct BackupUnusable: Error { var detail: String }

    /// The backup to put back, read and checked: a regular file in the backup folder under the
    /// name wuscrub derives for this run, a valid and clean hive with the recorded SHA-256.
    func restoreSource(_ journal: Journal, volume: InstallVolume) throws -> HiveImage {
        let name = try backupName(journal).with(journal.baselineBackupPath == nil ? .hive : .recovered)
        let image: HiveImage
        do {
            guard let folder = try volume.backupDirectory(), let file = try folder.file(name.name) else {
                throw BackupUnusable(detail: "it does not exist")
            }
            image = try HiveImage.read(file, limit: InstallVolume.maximumHiveBytes, what: "a hive backup")
        } catch let error as VolumeError {
            // Something that is not a regular file where the backup should be is refused, as
            // everywhere on the volume; a missing or unreadable backup is only not used.
            if error.isUnsafeVolume { throw error }
            throw BackupUnusable(detail: error.description)
        }
        guard image.sha256 == journal.restoreTargetSHA256 else {
            throw BackupUnusable(detail: "its SHA-256 is not the one recorded for the original hive")
        }
        do {
            let block = try image.validate(path: journal.restoreSourcePath)
            guard !block.isDirty else { throw BackupUnusable(detail: "it is not a clean hive") }
        } catch let error as HiveError {
            throw BackupUnusable(detail: error.description)
        }
        return image
    }

    /// Checks that the hive is valid and clean and holds the original start values (of every
    /// recorded service).
    func verify(_ journal: Journal, volume: InstallVolume) throws -> [ServiceStart] {
        let image = try readHive(volume)
        let status = try HiveStatus(path: install.systemHive, image: image)
        guard !status.isDirty else {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "the hive is not clean after the run")
        }
        if let floor = journal.recovery?.finalSequence, journal.baselineHiveSHA256 != nil,
           !Serial.isAfter(status.primarySequence, floor) {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "its sequence number \(status.primarySequence) is not above \(floor), the last in its logs")
        }
        let starts = try readStarts(image, services: journal.services, checkEditable: false)
        let expected = try confirmedStarts(journal, volume: volume)
        guard starts.map(\.label) == expected.map(\.label) else {
            throw ResetError.verificationFailed(path: install.systemHive, detail: "Start values are " +
                starts.map(\.label).joined(separator: ", ") + ", expected " + expected.map(\.label).joined(separator: ", "))
        }
        return starts
    }
}
