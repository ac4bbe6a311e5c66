/// What a reset, resume or rollback did.
public struct ResetOutcome: Sendable, Equatable, Encodable {
    public var journal: Journal
    /// Whether the hive was put back byte for byte from the backup.
    public var restoredByteIdentical: Bool
    /// SHA-256 of the SYSTEM hive at the end.
    public var finalHiveSHA256: String
    /// The start values read back at the end.
    public var finalStarts: [ServiceStart]
    /// The backup of the original hive, when it exists (relative to the mount root).
    public var backupPath: String?
    /// The signal that stopped the run (SIGINT 2, SIGTERM 15, SIGHUP 1), if one did: the purge
    /// stopped at the next entry and the original start values were restored.
    public var interruptedBy: Int32?
    /// Entries in wuscrub's folders that it did not write: left alone, listed here.
    public var leftAlone: [String] = []
    /// What else the run had to do differently, in sentences (a backup that could not be used…).
    public var notes: [String] = []

    /// Set by a rollback that only put a quarantine back: the hive was not written.
    public var hiveUntouched: Bool?
    /// For a quarantine run: what its quarantine folder holds at the end (counted, with sizes);
    /// nil once it was put back or when it cannot be read.
    public var quarantineHeld: PurgeReport?
    /// Whether every purge folder was emptied (or, for a quarantine run, moved) without a failure.
    public var purgeComplete: Bool { ((journal.purge ?? journal.quarantine ?? []) + (journal.fullReset ?? [])).allSatisfy(\.isComplete) }
    /// Whether a rollback put every quarantined entry back.
    public var putBackComplete: Bool { (journal.putBack ?? []).allSatisfy(\.isComplete) }
}
