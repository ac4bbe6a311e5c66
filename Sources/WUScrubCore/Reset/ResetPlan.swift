

/// What a reset found before changing anything: the result of preflight, printed by `--dry-run`.
public struct ResetPlan: Sendable, Equatable, Encodable {
    public var install: WindowsInstall
    public var hive: HiveStatus
    /// The `wuauserv` start mode in each chosen control set.
    public var starts: [ServiceStart]
    /// Whether the purge was counted (`purge` holds the counts); a run that asks nothing skips
    /// the count.
    public var purgeCounted: Bool
    /// What the purge would remove (dry-run walk), per folder present; empty when not counted.
    public var purge: [PurgeReport]
    /// Folders that are absent (nothing to purge there).
    public var missingFolders: [String]
    /// Where the journal will be written, relative to the mount root.
    public var journalPath: String
    /// Where the hive backup goes, relative to the mount root.
    public var backupDirectory: String
    /// For a dirty hive: the logs found and what replaying them does (nil for a clean hive).
    public var recovery: RecoveryAnalysis?
    /// What ROOT is (mount point, file system, options).
    public var volume: Volume?
    /// Entries in wuscrub's folders that it did not write: left alone, listed here.
    public var leftAlone: [String] = []
    /// For `reset --quarantine`: the folder (`SoftwareDistribution`) in which the run creates its
    /// quarantine folder, `wuscrub-quarantine-<time>-<run>`; nil for a plain purge.
    public var quarantineIn: String?
    /// For `reset --full`: catroot2, the BITS queue and the services, as found (docs/architecture.md §17).
    public var full: FullResetPlan?
    /// The last run's quarantine, still there: after this run `rollback` no longer puts it back.
    public var previousQuarantine: String?
    /// What Windows Update last reported, in one line (docs/architecture.md §14); set by the
    /// command that shows the plan.
    public var lastReported: DiagnosisBrief?
    /// The hives the run will write, computed and validated before anything changes (not printed).
    public var prepared: PreparedHives?

    enum CodingKeys: String, CodingKey {
        case install, hive, starts, purgeCounted, purge, missingFolders, journalPath, backupDirectory, recovery, volume, leftAlone, quarantineIn, previousQuarantine, full, lastReported
    }
}
