import FoundationEssentials
import VolumeAccess

/// One quarantine folder in `SoftwareDistribution`, as `quarantine list` shows it.
public struct QuarantineFolder: Sendable, Equatable, Encodable {
    /// Relative to the mount root.
    public var path: String
    /// When its run started, `YYYYMMDDTHHMMSSZ`.
    public var stamp: String
    /// The first 8 hex digits of its run id.
    public var run: String
    /// What it holds (counted, with sizes); nil when it cannot be read.
    public var contents: PurgeReport?
    /// Whether it is the last run's and `rollback` can put it back.
    public var canRollBack: Bool
}

/// `quarantine list` and `quarantine purge` (docs/architecture.md §16.5).
public struct QuarantineListing: Sendable, Equatable, Encodable {
    /// Oldest first.
    public var folders: [QuarantineFolder] = []
    /// Entries named like a quarantine that are not folders: never entered, never removed.
    public var leftAlone: [String] = []
    /// `quarantine purge`: what was removed (or, with --dry-run, would be), per folder.
    public var purged: [PurgeReport]?
    /// `quarantine purge`: the folders kept.
    public var kept: [String]?
}

extension Resetter {
    /// The quarantine folders in `SoftwareDistribution`, oldest first, with what each holds.
    ///
    /// Only folders named by the quarantine pattern are listed; a name that matches but is not a
    /// folder (a link, a file…) is listed under `leftAlone`, never entered.
    public func quarantineFolders() throws(WUScrubError) -> QuarantineListing {
        try WUScrubError.wrap {
            try listing(try InstallVolume(install), counting: true)
        }
    }

    func listing(_ volume: InstallVolume, counting: Bool) throws -> QuarantineListing {
        var listing = QuarantineListing()
        guard let base = install.softwareDistribution, let parent = try volume.root.directory(at: base) else { return listing }
        let journal = try? store.load(from: volume)
        progress?.step("Counting the quarantines")
        defer { progress?.end() }
        for name in try parent.names() {
            guard let parsed = QuarantineName(parsing: name) else { continue }
            let kind = try parent.entry(name)?.kind
            guard kind == .directory else {
                listing.leftAlone.append(PurgeFailure.displayPath(Array(parent.display(name).utf8)) +
                                         " (\(kind?.withArticle ?? "an entry") named like a quarantine)")
                continue
            }
            let path = base + "/" + name
            let own = journal.map { $0.quarantinePath == path && ($0.phase.isClosed || $0.phase == .putBack) } ?? false
            listing.folders.append(QuarantineFolder(
                path: path, stamp: parsed.stamp, run: parsed.run,
                contents: counting ? quarantineContents(path, volume: volume) : nil, canRollBack: own))
        }
        listing.folders.sort { ($0.stamp, $0.run) < ($1.stamp, $1.run) }
        return listing
    }

    /// Deletes the quarantine folders but the newest `keeping`, each with the purge's walker, then
    /// the folder itself once it is empty. Refuses (changing nothing) while a run is unfinished.
    ///
    /// - Parameters:
    ///   - keeping: How many of the newest to keep.
    ///   - dryRun: Only count what would be removed.
    public func purgeQuarantines(keeping: Int, dryRun: Bool) throws(WUScrubError) -> QuarantineListing {
        try WUScrubError.wrap {
            let volume = try InstallVolume(install)
            let lock = dryRun ? nil : try prepareToWrite(volume)
            defer { lock?.release() }
            if let journal = try store.load(from: volume), !journal.phase.isClosed {
                throw ResetError.unfinishedJournal(path: journalPath, phase: journal.phase)
            }
            var listing = try listing(volume, counting: false)
            // Kept first: the last run's quarantine (its name could be outdated by a planted one
            // carrying a later time), then the newest by name.
            let ordered = listing.folders.filter { !$0.canRollBack } + listing.folders.filter(\.canRollBack)
            let doomed = ordered.dropLast(max(keeping, 0))
            listing.kept = ordered.suffix(max(keeping, 0)).map(\.path)
            var purged: [PurgeReport] = []
            for folder in doomed {
                if dryRun {
                    var counter = self
                    counter.countsBytes = true
                    purged.append(counter.purgeReport(folder.path, dryRun: true))
                    continue
                }
                // The walker empties the folder (its DataStore and Download with them), never
                // following a link or leaving the root's mount, as a reset's purge does.
                var report = purgeReport(folder.path)
                let parent = try volume.root.directory(at: install.softwareDistribution ?? "")
                let name = String(folder.path.split(separator: "/").last ?? "")
                if report.isComplete {
                    do { try parent?.removeDirectory(name) } catch {
                        report.failureCount += 1
                        report.failures.append(PurgeFailure(path: folder.path, operation: "remove folder", errno: 0, message: "\(error)"))
                    }
                }
                try? parent?.sync()
                try store.appendLog("quarantine purge: \(folder.path): \(report.removals) entries removed, \(report.failureCount) failures", in: volume)
                purged.append(report)
            }
            listing.purged = purged
            if !dryRun { listing.folders = try self.listing(volume, counting: false).folders }
            return listing
        }
    }
}
