/// The journal is untrusted input: whoever had the disk before could have written it. Before any
/// of it is used, every field is checked (docs/architecture.md §4.3, §9); a journal that fails is
/// reported as damaged and nothing is done from it.
extension Journal {
    /// The journal layouts this version reads.
    static let knownSchemaVersions = 1...2

    /// Checks every field of a decoded journal against this installation.
    ///
    /// No path is ever taken from a journal: the path-bearing fields must be exactly the names
    /// wuscrub derives from the run (so they can be shown), and the files are opened by those
    /// derived names inside wuscrub's own folder.
    /// - Parameters:
    ///   - install: The installation the journal was found in.
    ///   - path: The journal's path, for messages.
    /// - Throws: `ResetError.journalDamaged` naming the first field that fails.
    func validate(for install: WindowsInstall, path: String) throws(ResetError) {
        // Text from the journal is shown escaped: a control character there must not reach a terminal.
        func damaged(_ reason: String) -> ResetError { .journalDamaged(path: path, reason: PurgeFailure.displayPath(Array(reason.utf8))) }
        guard Journal.knownSchemaVersions.contains(schemaVersion) else {
            throw damaged("its schemaVersion is \(schemaVersion); this wuscrub reads version \(Journal.knownSchemaVersions.upperBound)")
        }
        guard toolVersion.utf8.count <= 64 else { throw damaged("its toolVersion is not a version") }
        guard Journal.isRunID(runID) else { throw damaged("its runID '\(runID.prefix(64))' is not a run id") }
        guard hivePath == install.systemHive else {
            throw damaged("it is for hive '\(hivePath.prefix(200))', not '\(install.systemHive)'")
        }
        for (name, value) in [("originalHiveSHA256", originalHiveSHA256), ("disabledHiveSHA256", disabledHiveSHA256),
                              ("baselineHiveSHA256", baselineHiveSHA256)] {
            if let value, !Journal.isSHA256(value) { throw damaged("its \(name) is not a SHA-256") }
        }
        guard (0...InstallVolume.maximumHiveBytes).contains(originalHiveSize) else {
            throw damaged("its originalHiveSize \(originalHiveSize) is not a hive's size")
        }
        try validateStarts(damaged: damaged)
        // The backup names: derived from the run, checked against the one pattern.
        let backups = install.stateDirectory + "/" + InstallVolume.backupFolderName + "/"
        guard backupPath.hasPrefix(backups), let backup = BackupName(parsing: String(backupPath.dropFirst(backups.count))),
              backup.part == .hive, runID.hasPrefix(backup.run) else {
            throw damaged("its backupPath '\(backupPath.prefix(200))' is not a backup wuscrub names for this run (\(backups)SYSTEM-<serial>-<time>-\(runID.prefix(8)))")
        }
        if let logBackupPaths {
            guard recovery != nil, logBackupPaths.count <= 3, Set(logBackupPaths).count == logBackupPaths.count,
                  logBackupPaths.allSatisfy({ log in
                      [BackupName.Part.log, .log1, .log2].contains { log == backups + backup.with($0).name }
                  }) else {
                throw damaged("its logBackupPaths are not the log backups of this run")
            }
        }
        guard (baselineBackupPath == nil) == (baselineHiveSHA256 == nil) else {
            throw damaged("it records a recovered hive's backup without its hash, or the reverse")
        }
        if let baselineBackupPath {
            guard recovery != nil, baselineBackupPath == backups + backup.with(.recovered).name else {
                throw damaged("its baselineBackupPath '\(baselineBackupPath.prefix(200))' is not this run's recovered-hive backup")
            }
        }
        if let createdFolders {
            let base = (install.softwareDistribution ?? install.windows + "/SoftwareDistribution").lowercased()
            guard createdFolders.count <= 2, createdFolders.allSatisfy({ [base + "/datastore", base + "/download"].contains($0.lowercased()) }) else {
                throw damaged("its createdFolders are not the two purge folders")
            }
        }
        if let purge {
            guard purge.count <= 2, purge.allSatisfy({ $0.failures.count <= PurgeReport.listLimit && isPurgeFolder($0.folder, of: install) }) else {
                throw damaged("its purge results are not those of a run")
            }
        }
        try validateQuarantine(for: install, damaged: damaged)
        // What each phase has written by the time the journal records it.
        let open = !phase.isClosed
        if disabledHiveSHA256 != nil, phase < .disable {
            throw damaged("it records a disabled hive in phase '\(phase.rawValue)', before the disable step")
        }
        if open, phase > .disable, phase != .putBack, disabledHiveSHA256 == nil {
            throw damaged("it is in phase '\(phase.rawValue)' without the disabled hive's hash")
        }
        if purge != nil, phase < .purge {
            throw damaged("it records purge results in phase '\(phase.rawValue)', before the purge")
        }
        if baselineHiveSHA256 != nil, phase < .recover {
            throw damaged("it records a recovered hive in phase '\(phase.rawValue)', before the recovery")
        }
        if open, recovery != nil, phase > .recover, phase != .putBack, baselineHiveSHA256 == nil {
            throw damaged("it is in phase '\(phase.rawValue)' without the recovered hive's hash")
        }
        if let recovery {
            guard recovery.applied.count <= 3, recovery.logs.count <= 3,
                  recovery.applied.allSatisfy({ $0.sequences.count <= 1 << 20 }) else {
                throw damaged("its recovery record is not one a run writes")
            }
        }
    }

    /// The original start values (docs/architecture.md §17): one or two control sets, each with
    /// wuauserv and at most the other services of `ServiceStart.fullResetServices`, no (control
    /// set, service) pair twice, each Start a service start type.
    private func validateStarts(damaged: (String) -> ResetError) throws(ResetError) {
        let controlSets = Set(originalStarts.map { $0.controlSet.lowercased() })
        guard (1...2).contains(controlSets.count),
              originalStarts.count <= controlSets.count * ServiceStart.fullResetServices.count else {
            throw damaged("it records \(originalStarts.count) start values in \(controlSets.count) control sets; a run records one or two control sets of at most \(ServiceStart.fullResetServices.count) services")
        }
        for start in originalStarts where !Journal.isControlSet(start.controlSet) {
            throw damaged("'\(start.controlSet.prefix(64))' is not a control set name")
        }
        for start in originalStarts where !ServiceStart.fullResetServices.contains(start.service) {
            throw damaged("'\(start.service.prefix(64))' is not a service wuscrub handles")
        }
        for start in originalStarts where start.start > ServiceStart.disabled {
            throw damaged("it records Start=\(start.start) for \(start.controlSet), not a service start type (0 to 4)")
        }
        guard Set(originalStarts.map { $0.label.lowercased().split(separator: "=")[0] }).count == originalStarts.count else {
            throw damaged("it records a control set twice")
        }
        for controlSet in controlSets where !originalStarts.contains(where: { $0.controlSet.lowercased() == controlSet && $0.service == ServiceStart.wuauserv }) {
            throw damaged("it records no wuauserv start value for \(controlSet.prefix(64))")
        }
        // A run records its services in one order, the same in every control set, wuauserv first.
        let order = ServiceStart.services(of: originalStarts)
        guard order.first == ServiceStart.wuauserv,
              order == ServiceStart.fullResetServices.filter(order.contains) else {
            throw damaged("its start values are not in the order a run records them")
        }
    }

    /// The quarantine fields (docs/architecture.md §16.3): only in a version 2 journal, the folder
    /// exactly the one wuscrub names for this run, results only from the phases that write them.
    private func validateQuarantine(for install: WindowsInstall, damaged: (String) -> ResetError) throws(ResetError) {
        guard let quarantinePath else {
            guard quarantine == nil, putBack == nil, folderTimes == nil, phase != .putBack else {
                throw damaged("it records quarantine results without a quarantine folder")
            }
            // `reset --full` always quarantines (docs/architecture.md §17).
            guard catroot2Path == nil, catroot2RenamedPath == nil, bitsQueuePath == nil, fullReset == nil else {
                throw damaged("it records a full reset without a quarantine folder")
            }
            return
        }
        // By name, ignoring case, as `createdFolders`: the folders may have gone since the run.
        let base = install.softwareDistribution ?? install.windows + "/SoftwareDistribution"
        guard schemaVersion >= 2,
              quarantinePath.lowercased() == (base + "/" + QuarantineName(startedAt: startedAt, runID: runID).name).lowercased() else {
            throw damaged("its quarantinePath '\(quarantinePath.prefix(200))' is not the quarantine wuscrub names for this run")
        }
        guard purge == nil else { throw damaged("it records both a purge and a quarantine") }
        try validateFullReset(for: install, damaged: damaged)
        if let folderTimes {
            let own = ([base, base + "/DataStore", base + "/Download"] + [catroot2Path.map(FileIO.parent(of:)), bitsQueuePath].compactMap { $0 })
                .map { $0.lowercased() }
            guard folderTimes.count <= own.count, Set(folderTimes.map { $0.path.lowercased() }).count == folderTimes.count,
                  folderTimes.allSatisfy({ own.contains($0.path.lowercased()) }) else {
                throw damaged("its folderTimes are not those of SoftwareDistribution, DataStore and Download (and with --full System32 and the BITS queue's folder)")
            }
        }
        // A full run's put-back also reports catroot2 and the BITS queue (docs/architecture.md §17).
        let fullFolders = [catroot2Path, bitsQueuePath].compactMap { $0 }
        for (reports, extra) in [(quarantine, [String]()), (putBack, fullFolders)] {
            guard let reports else { continue }
            guard reports.count <= 2 + extra.count, reports.allSatisfy({ $0.failures.count <= PurgeReport.listLimit &&
                  $0.otherFilesystems.count <= PurgeReport.listLimit &&
                  (isPurgeFolder($0.folder, of: install) || extra.contains($0.folder)) }) else {
                throw damaged("its quarantine results are not those of a run")
            }
        }
        if quarantine != nil, phase < .purge { throw damaged("it records quarantine results in phase '\(phase.rawValue)', before the purge") }
        if fullReset != nil, phase < .purge { throw damaged("it records the full reset's results in phase '\(phase.rawValue)', before the purge") }
        if putBack != nil, phase != .putBack, phase != .rolledBack {
            throw damaged("it records entries put back in phase '\(phase.rawValue)'")
        }
    }

    /// The `reset --full` fields (docs/architecture.md §17): only with a quarantine; each path exactly
    /// the one wuscrub finds and derives — catroot2 in the hive's System32, its new name from the
    /// run id, the Downloader folder below ProgramData — compared by name, never opened from here.
    private func validateFullReset(for install: WindowsInstall, damaged: (String) -> ResetError) throws(ResetError) {
        guard (catroot2Path == nil) == (catroot2RenamedPath == nil) else {
            throw damaged("it records catroot2 without its new name, or the reverse")
        }
        if let catroot2Path {
            let system32 = FileIO.parent(of: install.configDirectory)
            guard FileIO.parent(of: catroot2Path) == system32,
                  catroot2Path.dropFirst(system32.count + 1).lowercased() == "catroot2",
                  catroot2RenamedPath == catroot2Path + ".wuscrub-" + runID.prefix(8) else {
                throw damaged("its catroot2Path '\(catroot2Path.prefix(200))' or catroot2RenamedPath is not the one wuscrub names for this run (\(system32)/catroot2.wuscrub-\(runID.prefix(8)))")
            }
        }
        if let bitsQueuePath {
            let components = bitsQueuePath.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
            guard components == ["programdata", "microsoft", "network", "downloader"] else {
                throw damaged("its bitsQueuePath '\(bitsQueuePath.prefix(200))' is not ProgramData/Microsoft/Network/Downloader")
            }
        }
        if let fullReset {
            let own = [catroot2Path, bitsQueuePath].compactMap { $0 }
            guard fullReset.count <= 2, fullReset.allSatisfy({ own.contains($0.folder) && $0.failures.count <= PurgeReport.listLimit &&
                  $0.otherFilesystems.count <= PurgeReport.listLimit }) else {
                throw damaged("its fullReset results are not those of its catroot2 and BITS queue")
            }
        }
    }

    /// Whether a report's folder is DataStore or Download of this installation (by name, ignoring
    /// case: the folder may have gone since the run).
    private func isPurgeFolder(_ folder: String, of install: WindowsInstall) -> Bool {
        let base = (install.softwareDistribution ?? install.windows + "/SoftwareDistribution").lowercased()
        return [base + "/datastore", base + "/download"].contains(folder.lowercased())
    }

    /// Whether a string is a lower-case UUID as `UUID().uuidString.lowercased()` writes it.
    static func isRunID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : isLowerHex(byte)
        }
    }

    /// Whether a string is 64 lower-case hex digits.
    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy(isLowerHex)
    }

    /// Whether a string is a control set key name: `ControlSet` and three digits, any case.
    static func isControlSet(_ text: String) -> Bool {
        let bytes = Array(text.lowercased().utf8)
        return bytes.count == 13 && bytes.starts(with: Array("controlset".utf8))
            && bytes[10...].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
