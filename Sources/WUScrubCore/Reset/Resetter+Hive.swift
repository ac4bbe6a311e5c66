#if canImport(Glibc)
import Glibc
#endif

/// Reading, preparing and replacing the SYSTEM hive: bytes are read through the volume layer with
/// a size bound, parsed by hivex only in its sandbox (`HiveSandbox`), and written back only as a new file renamed
/// over the hive (never in place).
extension Resetter {
    /// The SYSTEM hive, read once into a sealed in-memory file; a file too large to be a hive is a hive error.
    func readHive(_ volume: InstallVolume) throws -> HiveImage {
        do {
            return try volume.readHive()
        } catch VolumeError.tooLarge(_, let size, let limit, _) {
            throw HiveError.tooLarge(path: install.systemHive, size: size, limit: limit)
        }
    }

    /// The SYSTEM hive's SHA-256; a file too large to be a hive is a hive error.
    func hiveSHA256(_ volume: InstallVolume) throws -> String {
        try readHive(volume).sha256
    }

    /// Reads the hive's logs (regular files, bounded) and analyzes them; throws when recovery is refused.
    func analyzeRecovery(_ volume: InstallVolume, hive image: HiveImage) throws -> RecoveryAnalysis {
        let folder = try volume.configDirectory()
        try volume.reserveReplayMemory(forHiveOf: image.size)
        let logs = try HiveRecovery.readLogs(forHive: volume.hiveName, in: folder, limit: InstallVolume.maximumHiveBytes) { folder.display($0) }
        let analysis = HiveRecovery.analyze(hivePath: install.systemHive, hive: image.bytes(), logs: logs, discardUnreconciled: discardUnreconciled)
        guard analysis.recovered != nil, analysis.outcome == .recovered || analysis.outcome == .discarded else {
            throw RecoveryError.refused(path: install.systemHive, reason: analysis.refusal ?? "no recovery is possible")
        }
        return analysis
    }

    /// The recovered hive committed once by hivex, so that its sequence numbers end above every
    /// one in the logs; checked (sequence, service readable).
    func commitRecovered(_ analysis: RecoveryAnalysis) throws -> HiveImage {
        let floor = analysis.finalSequence ?? 0
        let recovered = try HiveImage(analysis.recovered!, path: install.systemHive)
        let committed = try editedHive([], services: [ServiceStart.wuauserv], from: recovered)
        guard let block = BaseBlock(committed.read(count: 512, at: 0)[...]), Serial.isAfter(block.primarySequence, floor) else {
            throw HiveError.verificationFailed(path: install.systemHive, detail: "its sequence number is not above \(floor), the last in the logs")
        }
        _ = try readStarts(committed, services: services, checkEditable: false)
        return committed
    }

    /// The start modes of `services` in a hive (read by the hivex child once per hive content,
    /// services and run): a run's services are `services` in its preflight, its journal's after.
    func readStarts(_ image: HiveImage, services: [String], checkEditable: Bool) throws -> [ServiceStart] {
        if let known = readings.reading(of: image.sha256, checkEditable: checkEditable, services: services) { return known }
        let starts = try HiveSandbox.readService(hive: image, path: install.systemHive, checkEditable: checkEditable, services: services).starts.get()
        readings.record(starts, of: image.sha256, checkEditable: checkEditable, services: services)
        return starts
    }

    /// `HiveSandbox.setStart`, keeping the reading of the edited hive it makes to check its work
    /// (a reading of `services`, which must name every service the settings do).
    func editedHive(_ sets: [StartSetting], services: [String], from source: HiveImage) throws -> HiveImage {
        let edited = try HiveSandbox.setStartReadingBack(sets, hive: source, path: install.systemHive)
        // The child's read-back covers wuauserv and the services set; kept only when that is `services`.
        if ServiceStart.services(of: edited.starts) == services {
            readings.record(edited.starts, of: edited.hive.sha256, checkEditable: false, services: services)
        }
        return edited.hive
    }

    /// The preflight's reading of a hive (with the editability check) and the hive with `Start` =
    /// 4 for every service (`services`) in every control set it found, read back and checked: one
    /// hivex child for both (`HiveSandbox.readAndDisable`), and one to read the result back.
    func readAndDisable(_ source: HiveImage) throws -> (starts: [ServiceStart], disabled: HiveImage) {
        let answer = try HiveSandbox.readAndDisable(hive: source, path: install.systemHive, services: services)
        let starts = try answer.reading.starts.get()
        readings.record(starts, of: source.sha256, checkEditable: true, services: services)
        guard let disabled = answer.disabled else {
            throw HiveError.parserFailed(path: install.systemHive, detail: "the hivex child read the service but returned no edited hive")
        }
        readings.record(disabled.starts, of: disabled.hive.sha256, checkEditable: false, services: services)
        try checkStarts(disabled.hive, services: services, expected: starts.map { $0.setting(ServiceStart.disabled) })
        return (starts, disabled.hive)
    }

    /// Checks the start values of a hive: exactly the (control set, service) pairs expected, in
    /// order, with their values.
    func checkStarts(_ image: HiveImage, services: [String], expected: [StartSetting]) throws {
        let found = try readStarts(image, services: services, checkEditable: false)
        guard found.map({ $0.controlSet.lowercased() }) == expected.map({ $0.controlSet.lowercased() }),
              found.map(\.service) == expected.map(\.service), found.map(\.start) == expected.map(\.start) else {
            throw HiveError.verificationFailed(path: install.systemHive, detail: "Start values read " +
                found.map(\.label).joined(separator: ", ") + ", expected " + expected.map(\.argument).joined(separator: ", "))
        }
    }

    /// The start values of a hive as found (for a dirty hive, as its logs would leave them).
    func startsAsFound(_ image: HiveImage, services: [String], volume: InstallVolume) throws -> [ServiceStart] {
        let status = try HiveStatus(path: install.systemHive, image: image)
        if status.isDirty, let recovered = try? analyzeRecovery(volume, hive: image).recovered {
            return try readStarts(HiveImage(recovered, path: install.systemHive), services: services, checkEditable: false)
        }
        return try readStarts(image, services: services, checkEditable: false)
    }

    /// Replaces the hive with `image`: a new temporary file in the hive's folder, written (by the kernel), fsynced,
    /// given the hive's owner, mode and NTFS attributes, then (after `beforeRename`) renamed over
    /// the hive, and the folder fsynced. On any failure the temporary file is removed and the hive
    /// is as it was.
    ///
    /// - Returns: The SHA-256 of the bytes written.
    @discardableResult
    func replaceHive(with image: HiveImage, volume: InstallVolume, beforeRename: (String) throws -> Void = { _ in }) throws -> String {
        let folder = try volume.configDirectory()
        let original = try volume.hive()
        let temporary = FileIO.temporaryName(for: volume.hiveName)
        let file = try folder.createFile(temporary, mode: 0o600)
        do {
            try image.write(to: file)
            try file.sync()
            try file.copyMetadata(from: original)
            let digest = image.sha256
            try beforeRename(digest)
            try folder.rename(temporary, to: volume.hiveName)
            try folder.sync()
            if let identity = try? file.currentIdentity() { volume.hiveWritten(image, identity: identity) }
            return digest
        } catch {
            try? folder.remove(temporary)
            throw error
        }
    }
}
