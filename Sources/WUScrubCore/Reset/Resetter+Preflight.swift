#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Planning a reset: every check, and the hives the run will write, before anything is written
/// (docs/architecture.md §3.1).
extension Resetter {
    /// Checks everything a reset needs and describes what it would do, writing nothing.
    ///
    /// The hives the run will write (the recovered one for a dirty hive, the disabled one) are
    /// computed here, in the hivex sandbox, and checked; the plan carries them.
    /// - Parameter countingPurge: Whether to count what the purge would remove, with a dry-run
    ///   walk (for `--dry-run` and for a plan shown before a question). A run that asks nothing
    ///   does not walk the folders twice: its purge reports what it removed.
    /// - Returns: The plan, with the purge counted unless `countingPurge` is false.
    /// - Throws: `InstallError.readOnly`, `ResetError.unfinishedJournal`, `.journalDamaged`,
    ///   `RecoveryError` for a dirty hive, `HiveError` for a hive that is invalid or lacks the
    ///   service, `VolumeError` for an entry that is not what it should be.
    public func preflight(countingPurge: Bool = true) throws(WUScrubError) -> ResetPlan {
        try WUScrubError.wrap {
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
            progress?.step("Reading the SYSTEM hive")
            defer { progress?.end() }
            let image = try readHive(volume)
            let status = try HiveStatus(path: install.systemHive, image: image)
            var recovery: RecoveryAnalysis?
            var baseline: HiveImage?
            if status.isDirty {
                progress?.step("Replaying the SYSTEM hive's transaction logs in memory")
                let analysis = try analyzeRecovery(volume, hive: image)
                recovery = analysis
                baseline = try commitRecovered(analysis)
            }
            progress?.step("Reading wuauserv's start mode and preparing the edit")
            let (starts, disabled) = try readAndDisable(baseline ?? image)
            var plan = ResetPlan(
                install: install, hive: status, starts: starts, purgeCounted: countingPurge,
                purge: countingPurge ? countPurge() : [],
                missingFolders: missingFolders(), journalPath: journalPath,
                backupDirectory: backupDirectory, recovery: recovery,
                volume: Volume.describe(root: install.root, windows: install.path(install.windows))
            )
            plan.leftAlone = strays(volume)
            if quarantines { plan.quarantineIn = install.softwareDistribution }
            if full { plan.full = try fullResetPlan(volume) }
            if let last = try? store.load(from: volume), last.phase.isClosed, hasQuarantineToPutBack(last, volume: volume) {
                plan.previousQuarantine = last.quarantinePath
            }
            plan.prepared = PreparedHives(baseline: baseline, disabled: disabled, source: volume.knownHive)
            return plan
        }
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

    func missingFolders() -> [String] {
        let base = install.softwareDistribution ?? install.windows + "/SoftwareDistribution"
        var missing: [String] = []
        if install.dataStore == nil { missing.append(base + "/DataStore") }
        if install.download == nil { missing.append(base + "/Download") }
        return missing
    }
}
