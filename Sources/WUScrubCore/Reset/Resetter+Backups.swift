/// wuscrub's own files in its state folder: the backups (named by one pattern, pruned by serial)
/// and the temporary files a crashed run leaves. Anything there that wuscrub did not write is left
/// alone and reported, and never stops a run, a resume or a rollback.
extension Resetter {
    /// The serial of a new run: one more than the highest in the backup folder (bounded).
    func nextBackupSerial(_ volume: InstallVolume) -> Int {
        let names = (try? volume.backupDirectory()?.names()) ?? nil
        let highest = (names ?? []).compactMap { BackupName(parsing: $0)?.serial }.max() ?? 0
        return min(highest + 1, BackupName.maximumSerial)
    }

    /// Refuses, before a resume or rollback changes anything, a run's own backup names (its hive,
    /// logs and recovered hive) that exist as something other than a regular file.
    func checkOwnBackups(_ journal: Journal, volume: InstallVolume) throws {
        guard let folder = try volume.backupDirectory() else { return }
        let name = try backupName(journal)
        for part in BackupName.Part.allCases {
            let own = name.with(part).name
            _ = try folder.file(own)  // opened with every check, closed at once
        }
    }

    /// Keeps the backups of the newest runs, by serial (a run's hive, logs and recovered hive share
    /// it). Only regular files named by the backup pattern are removed; a failed removal is not an
    /// error (the file stays and is reported by `strays`).
    func pruneBackups(keeping current: BackupName, in folder: VolumeDirectory, volume: InstallVolume) {
        guard let names = try? folder.names() else { return }
        let backups = names.compactMap { name -> (String, Int)? in
            guard let parsed = BackupName(parsing: name), (try? folder.entry(name))??.kind == .regularFile else { return nil }
            return (name, parsed.serial)
        }
        let others = Set(backups.map(\.1)).subtracting([current.serial]).sorted(by: >)
        let kept = Set(others.prefix(Resetter.backupsKept - 1)).union([current.serial])
        for (name, serial) in backups where !kept.contains(serial) {
            try? folder.remove(name)
        }
    }

    /// Entries in wuscrub's folders that it did not write, each with what it is: left alone.
    ///
    /// In the backup folder, anything that is not a regular file named by the backup pattern; in
    /// the state folder and the hive's folder, anything named like a wuscrub temporary file that is
    /// not a regular file (those are removed by `removeStaleTemporaryFiles`).
    func strays(_ volume: InstallVolume) -> [String] {
        var found: [String] = []
        // Names come from the volume: shown escaped, so that no control character reaches a terminal.
        func shown(_ folder: VolumeDirectory, _ name: String) -> String { PurgeFailure.displayPath(Array(folder.display(name).utf8)) }
        if let folder = try? volume.backupDirectory(), let names = try? folder.names() {
            for name in names.sorted() {
                let kind = (try? folder.entry(name))??.kind
                if BackupName(parsing: name) == nil {
                    found.append("\(shown(folder, name)) (\(kind?.withArticle ?? "an entry") that is not a wuscrub backup)")
                } else if kind != .regularFile {
                    found.append("\(shown(folder, name)) (\(kind?.withArticle ?? "an entry") named like a wuscrub backup)")
                }
            }
        }
        for (folder, original) in temporaryFolders(volume) {
            guard let names = try? folder.names() else { continue }
            for name in names.sorted() where FileIO.isTemporaryName(name, for: original) {
                if let kind = (try? folder.entry(name))??.kind, kind != .regularFile {
                    found.append("\(shown(folder, name)) (\(kind.withArticle) named like a wuscrub temporary file)")
                }
            }
        }
        return found
    }

    /// The folders where wuscrub writes temporary files, with the name each stands for.
    func temporaryFolders(_ volume: InstallVolume) -> [(VolumeDirectory, String)] {
        var folders: [(VolumeDirectory, String)] = []
        if let config = try? volume.configDirectory() { folders.append((config, volume.hiveName)) }
        if let state = try? volume.stateDirectory() { folders.append((state, InstallVolume.journalName)) }
        return folders
    }

    /// Removes the temporary files a crashed run left (regular files named `.SYSTEM.wuscrub-*.tmp`
    /// beside the hive, `.journal.json.wuscrub-*.tmp` beside the journal). Anything else by such a
    /// name is left alone (`strays` reports it); a removal that fails is not an error.
    func removeStaleTemporaryFiles(_ volume: InstallVolume) {
        for (folder, original) in temporaryFolders(volume) {
            guard let names = try? folder.names() else { continue }
            for name in names where FileIO.isTemporaryName(name, for: original) {
                guard (try? folder.entry(name))??.kind == .regularFile, (try? folder.remove(name)) != nil else { continue }
                try? store.appendLog("removed a temporary file left by an interrupted run: " +
                                     PurgeFailure.displayPath(Array(folder.display(name).utf8)), in: volume)
            }
        }
    }
}
