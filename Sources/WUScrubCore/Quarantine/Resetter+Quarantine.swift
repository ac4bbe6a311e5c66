#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import VolumeAccess

/// `reset --quarantine` and its undoing (docs/architecture.md §16): the purge phase moves the
/// folders' entries into a quarantine folder by renames, and `rollback` moves them back.
extension Resetter {
    /// The quarantine folder a run started at `startedAt` uses, relative to the mount root; nil
    /// when the installation has no `SoftwareDistribution` folder (nothing to move).
    func quarantinePath(startedAt: Date, runID: String) -> String? {
        install.softwareDistribution.map { $0 + "/" + QuarantineName(startedAt: startedAt, runID: runID).name }
    }

    /// The purge phase of a quarantine run: creates the quarantine with one subfolder per purge
    /// folder (named as the folder is on disk), then moves each folder's entries into it. The
    /// first move passes the `midPurge` checkpoint; a requested stop ends the moves at the next entry.
    func quarantine(into path: String, volume: InstallVolume) throws -> [PurgeReport] {
        let quarantine = try volume.root.makeDirectories(path)
        var reports: [PurgeReport] = []
        var pending = true
        for folder in purgeFolders {
            let leaf = String(folder.split(separator: "/").last ?? "")
            _ = try quarantine.makeSubdirectory(leaf)
            let report = try move(from: folder, to: path + "/" + leaf, shown: folder, first: pending ? .midPurge : nil)
            if report.removals > 0 { pending = false }
            reports.append(report)
        }
        try quarantine.sync()
        return reports
    }

    /// Moves the entries of one folder into another (both relative to the mount root); a folder that
    /// cannot be reached becomes a report with one failure, so the run goes on.
    ///
    /// - Parameters:
    ///   - first: The checkpoint to pass after the first entry moved, if any.
    ///   - accepts: Which entries move, by name; nil for all.
    func move(from source: String, to target: String, shown: String, first: Checkpoint?,
              accepts: (@Sendable ([UInt8]) -> Bool)? = nil) throws -> PurgeReport {
        if stopRequested() != nil {
            var report = PurgeReport(folder: shown)
            report.stopped = true
            return report
        }
        let stop = stopRequested
        var move = QuarantineMove(root: install.root, source: components(source), target: components(target))
        move.mountsBelow = mountsBelow(source)
        move.shouldStop = { stop() != nil }
        move.accepts = accepts
        do {
            var before: PurgeReport?
            if let first {
                move.limit = 1
                let partial = try move.run()
                move.limit = nil
                if partial.removals > 0 {
                    try reach(first)
                    before = partial
                }
            }
            var report = try move.run()
            if let before { report.add(removalsOf: before) }
            report.folder = shown
            return report
        } catch let error as PurgeError {
            var report = PurgeReport(folder: shown)
            report.failureCount = 1
            report.failures = [PurgeFailure(path: shown, operation: "open", errno: 0, message: "\(error)")]
            return report
        }
    }

    private func components(_ path: String) -> [String] { path.split(separator: "/").map(String.init) }

    /// The names of `folder`'s entries under which a file system is mounted, from the mount table:
    /// such an entry is never moved, whatever depth the mount is at (docs/architecture.md §16.2).
    func mountsBelow(_ folder: String) -> Set<[UInt8]> {
        guard let points = MountTable.mountPoints(), let resolved = realpath(install.root, nil) else { return [] }
        defer { free(resolved) }
        let root = Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
        let base = (root == [UInt8(ascii: "/")] ? [] : root) + Array(("/" + folder + "/").utf8)
        var names = Set<[UInt8]>()
        for point in points {
            guard point.count > base.count, point.starts(with: base) else { continue }
            names.insert(Array(point[base.count...].prefix { $0 != UInt8(ascii: "/") }))
        }
        return names
    }

    /// The last modification times of SoftwareDistribution, DataStore and Download, which the
    /// quarantine's renames change and `rollback` sets back.
    func folderTimes(_ volume: InstallVolume) -> [Journal.FolderTime] {
        [install.softwareDistribution, install.dataStore, install.download].compactMap { $0 }.compactMap { path in
            guard let folder = try? volume.root.directory(at: path), let modified = try? folder.modified() else { return nil }
            return Journal.FolderTime(path: path, modified: modified)
        }
    }

    // MARK: - Putting back

    /// Whether the run's quarantine folder is there (entries to put back, or its empty folders).
    func hasQuarantineToPutBack(_ journal: Journal, volume: InstallVolume) -> Bool {
        guard let path = journal.quarantinePath else { return false }
        return (try? volume.root.directory(at: path)) != nil || hasCatroot2ToPutBack(journal, volume: volume)
    }

    /// Moves the quarantine's entries back into DataStore and Download (creating a folder that is
    /// gone); then removes the quarantine's folders that are empty, and the purge folders the run
    /// created (`createdFolders`) when they are empty.
    ///
    /// A folder where a name to put back exists again (Windows ran since and made a new DataStore)
    /// gets nothing back: mixing an old database's files with a new one's would damage both. The
    /// names are listed as failures and the folder's entries stay in the quarantine. Each folder name is handled once, whatever its case
    /// in the quarantine, and nothing is ever replaced. The first entry moved passes `midPutBack`.
    /// For `reset --full`, catroot2 gets its name back first, and the quarantine's `Downloader`
    /// goes back into the BITS queue's folder under the same rule (docs/architecture.md §17).
    func putBack(_ journal: Journal, volume: InstallVolume) throws -> [PurgeReport] {
        guard let path = journal.quarantinePath, let base = install.softwareDistribution else { return [] }
        var reports = try putBackCatroot2(journal, volume: volume).map { [$0] } ?? []
        if let quarantine = try volume.root.directory(at: path) {
            var pending = true
            // The subfolders this run made, by their exact names: those of the folders it moved
            // (its reports), else of the folders as they are now, else the usual names. Anything
            // else in the quarantine (a `DATASTORE` planted beside `DataStore`) is left alone.
            let current = [install.dataStore, install.download].compactMap { $0 }
            let recorded = (journal.quarantine ?? []).map(\.folder)
            var leaves: [String] = []
            for folder in (recorded.isEmpty ? current : recorded) + [base + "/DataStore", base + "/Download"] {
                let leaf = String(folder.split(separator: "/").last ?? "")
                if !leaves.contains(where: { $0.lowercased() == leaf.lowercased() }) { leaves.append(leaf) }
            }
            if journal.bitsQueuePath != nil { leaves.append(Resetter.bitsQueueLeaf) }
            let present = Set(try quarantine.names())
            for leaf in leaves where present.contains(leaf) {
                let key = leaf.lowercased()
                // The BITS queue's files go back into its folder (docs/architecture.md §17).
                let queue = leaf == Resetter.bitsQueueLeaf ? journal.bitsQueuePath : nil
                let target = queue ?? current.first { $0.split(separator: "/").last?.lowercased() == key } ?? base + "/" + leaf
                let folder = try volume.root.makeDirectories(target)
                // All or nothing per folder: when a name to put back exists there again (Windows
                // ran since and made a new DataStore), nothing goes back into that folder, so that
                // an old database's files never mix with a new one's.
                let held = try quarantine.subdirectory(leaf)?.names() ?? []
                let taken = held.filter { (try? folder.entry($0)) ?? nil != nil }
                if !taken.isEmpty {
                    var report = PurgeReport(folder: target)
                    report.failureCount = taken.count
                    report.failures = taken.sorted().prefix(PurgeReport.listLimit).map {
                        PurgeFailure(path: folder.display($0), operation: "put back", errno: EEXIST,
                                     message: "the name exists again (made since the reset); nothing was put back into \(target), its old entries stay in \(path)/\(leaf). Move the new entries away, then run rollback again")
                    }
                    reports.append(report)
                    continue
                }
                let report = try move(from: path + "/" + leaf, to: target, shown: target, first: pending ? .midPutBack : nil)
                if report.removals > 0 { pending = false }
                reports.append(report)
                if report.isComplete { try? quarantine.removeDirectory(leaf) }
            }
            try? quarantine.sync()
        }
        if let parent = try volume.root.directory(at: base) {
            try? parent.removeDirectory(String(path.split(separator: "/").last ?? ""))
            for created in journal.createdFolders ?? [] {
                try? parent.removeDirectory(String(created.split(separator: "/").last ?? ""))
            }
            try? parent.sync()
        }
        // Children first: setting a folder's time never changes its parent's.
        if reports.allSatisfy(\.isComplete) {
            for time in (journal.folderTimes ?? []).reversed() {
                try? volume.root.directory(at: time.path)?.setModified(time.modified)
            }
        }
        return reports
    }

    /// The put-back phase: records it, moves the entries back, records what moved, and closes the
    /// journal as `rolled-back`.
    func finishPutBack(_ journal: inout Journal, volume: InstallVolume) throws {
        if journal.phase != .putBack {
            journal.phase = .putBack
            try store.save(&journal, note: "putting back the quarantine \(journal.quarantinePath ?? "")", in: volume)
            try reach(.phaseStarted(.putBack))
        }
        if let label = Journal.Phase.putBack.progressLabel { progress?.step(label) }
        defer { progress?.end() }
        let reports = try putBack(journal, volume: volume)
        journal.putBack = reports
        let moved = reports.map { "\($0.folder): \($0.removals) entries back, \($0.failureCount) failures" }
        try store.appendLog("run \(journal.runID.prefix(8)): put back " + moved.joined(separator: "; "), in: volume)
    }

    /// What a quarantine folder holds now (a count, with sizes, of its subfolders' contents, as the
    /// plan counted them in DataStore and Download): for reports and `quarantine list`.
    func quarantineContents(_ path: String, volume: InstallVolume) -> PurgeReport? {
        guard let folder = try? volume.root.directory(at: path), let names = try? folder.names() else { return nil }
        var counter = self
        counter.countsBytes = true
        counter.progress = nil
        var total = PurgeReport(folder: path, dryRun: true)
        for name in names.sorted() {
            guard (try? folder.entry(name))??.kind == .directory else {
                total.files += 1  // not a folder a run creates: counted, never entered
                total.bytes = nil
                continue
            }
            total.merge(counter.purgeReport(path + "/" + name, dryRun: true))
        }
        return total
    }
}
