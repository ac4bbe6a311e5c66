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

    /// Reads a hive file; a clean one is validated in full (a dirty one is checked after recovery).
    ///
    /// - Throws: `HiveError` when the structure is invalid or truncated, `FileIOError` on read errors.
    public init(path relative: String, file: String) throws {
        let bytes = try FileIO.read(file)
        try self.init(path: relative, bytes: bytes)
    }

    /// Reads a hive's bytes; a clean one is validated in full.
    public init(path relative: String, bytes: [UInt8]) throws {
        guard bytes.count >= BaseBlock.size, let header = BaseBlock(bytes[0..<512]), header.hasSignature else {
            throw HiveError.invalidBaseBlock(path: relative, reason: "no 'regf' signature or fewer than 4096 bytes")
        }
        let block = header.isDirty ? header : try HiveLayout.validate(bytes, path: relative)
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

    /// Whether every purge folder was emptied without a failure.
    public var purgeComplete: Bool { (journal.purge ?? []).allSatisfy(\.isComplete) }
}
