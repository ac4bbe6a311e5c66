/// What a reset found before changing anything: the result of preflight, printed by `--dry-run`.
public struct ResetPlan: Sendable, Equatable, Codable {
    public var install: WindowsInstall
    public var hive: HiveStatus
    /// The `wuauserv` start mode in each chosen control set.
    public var starts: [ServiceStart]
    /// What the purge would remove (dry-run walk), per folder present.
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
    /// The hives the run will write, computed and validated before anything changes (not printed).
    public var prepared: PreparedHives?

    enum CodingKeys: String, CodingKey {
        case install, hive, starts, purge, missingFolders, journalPath, backupDirectory, recovery, volume, leftAlone
    }
}

/// The hives a run writes, computed in the sandboxed hivex child during the preflight and checked
/// there, so that the state machine only moves bytes it has already validated.
public struct PreparedHives: Sendable, Equatable {
    /// For a dirty hive: the recovered hive as committed once by hivex (it replaces the dirty one).
    public var baseline: [UInt8]?
    /// The hive with `Start` = 4 in every chosen control set.
    public var disabled: [UInt8]
}

/// The SYSTEM hive's state as read from its base block and structure.
public struct HiveStatus: Sendable, Equatable, Codable {
    /// Relative to the mount root.
    public var path: String
    public var size: Int
    public var sha256: String
    public var primarySequence: UInt32
    public var secondarySequence: UInt32
    public var hiveBinsSize: UInt32
    public var checksumValid: Bool
    /// "clean" or "dirty".
    public var state: String

    /// Reads a hive's bytes; a clean one is validated in full.
    public init(path relative: String, bytes: [UInt8]) throws(HiveError) {
        guard bytes.count >= BaseBlock.size, let header = BaseBlock(bytes[0..<512]), header.hasSignature else {
            throw HiveError.invalidBaseBlock(path: relative, reason: "no 'regf' signature or fewer than 4096 bytes")
        }
        let block = header.isDirty ? header : try HiveLayout.validateHive(bytes, path: relative)
        path = relative
        size = bytes.count
        sha256 = FileIO.sha256(bytes)
        primarySequence = block.primarySequence
        secondarySequence = block.secondarySequence
        hiveBinsSize = block.hiveBinsSize
        checksumValid = block.isChecksumValid
        state = block.isDirty ? "dirty" : "clean"
    }

    public var isDirty: Bool { state != "clean" }
}

/// What a reset, resume or rollback did.
public struct ResetOutcome: Sendable, Equatable, Codable {
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

    /// Whether every purge folder was emptied without a failure.
    public var purgeComplete: Bool { (journal.purge ?? []).allSatisfy(\.isComplete) }
}
