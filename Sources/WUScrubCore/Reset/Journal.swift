import Foundation

/// The record of one reset, written atomically at every phase change so that an interrupted run
/// can be resumed or rolled back (`<Windows>/Logs/wuscrub/journal.json`).
public struct Journal: Sendable, Equatable, Codable {
    /// The steps of a reset, in order. `phase` holds the step that is running (or last ran).
    public enum Phase: String, Sendable, Codable, CaseIterable, Comparable {
        case journal, backup, recover, disable, purge, restore, verify, done
        /// Closed by `rollback`: the original start values are back, nothing else was undone.
        case rolledBack = "rolled-back"
        /// Closed by SIGINT, SIGTERM or SIGHUP: the original start values are back (or were never
        /// changed); the purge may be unfinished, and a new `reset` finishes it.
        case interrupted

        public static func < (lhs: Phase, rhs: Phase) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// Whether the run this journal describes has ended.
        public var isClosed: Bool { self == .done || self == .rolledBack || self == .interrupted }
    }

    /// Version of this document's layout.
    public var schemaVersion: Int = 1
    /// The wuscrub version that wrote it.
    public var toolVersion: String
    /// A random identifier of the run.
    public var runID: String
    public var startedAt: Date
    public var updatedAt: Date
    public var phase: Phase
    /// The SYSTEM hive, relative to the mount root.
    public var hivePath: String
    /// SHA-256 and size of the SYSTEM hive before anything was changed.
    public var originalHiveSHA256: String
    public var originalHiveSize: Int
    /// SHA-256 of the hive as the disable step wrote it (recorded before its rename).
    public var disabledHiveSHA256: String?
    /// The `wuauserv` start mode of each chosen control set before the run.
    public var originalStarts: [ServiceStart]
    /// The backup copy of the original hive, relative to the mount root.
    public var backupPath: String
    /// The purge results, once the purge has run.
    public var purge: [PurgeReport]?
    /// Purge folders that were absent and were created empty after the purge.
    public var createdFolders: [String]?
    /// For a dirty hive: the logs replayed (or discarded) before the edit.
    public var recovery: RecoveryAnalysis?
    /// Backups of the hive's transaction logs, relative to the mount root.
    public var logBackupPaths: [String]?
    /// SHA-256 of the recovered hive that replaced the dirty one; the restore puts these bytes back.
    public var baselineHiveSHA256: String?
    /// Backup of the recovered hive, relative to the mount root.
    public var baselineBackupPath: String?

    /// The hive the run started from on disk, after any recovery: what the restore puts back.
    var restoreTargetSHA256: String { baselineHiveSHA256 ?? originalHiveSHA256 }
    var restoreSourcePath: String { baselineBackupPath ?? backupPath }
}

/// Reads and writes the journal and its human-readable log in `<Windows>/Logs/wuscrub`, through
/// the volume layer: the journal is untrusted input (whoever had the disk could write it), so it is
/// read with a size bound and validated in full before anything uses it (`Journal.validate`).
public struct JournalStore: Sendable {
    /// The installation whose journal this is.
    public let install: WindowsInstall

    public init(install: WindowsInstall) {
        self.install = install
    }

    /// The journal's path relative to the mount root, for messages.
    public var journalPath: String { install.stateDirectory + "/" + InstallVolume.journalName }

    /// Loads and validates the journal if there is one.
    ///
    /// - Returns: nil when no journal file exists.
    /// - Throws: `ResetError.journalUnreadable` when it cannot be read or decoded,
    ///   `.journalDamaged` when it fails validation, `VolumeError` when it is not a regular file.
    public func load() throws(WUScrubError) -> Journal? {
        try WUScrubError.wrap {
            try load(from: try InstallVolume(install))
        }
    }

    func load(from volume: InstallVolume) throws -> Journal? {
        guard let state = try volume.stateDirectory(), let file = try state.file(InstallVolume.journalName) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try file.readAll(limit: InstallVolume.maximumJournalBytes, what: "a wuscrub journal")
        } catch {
            if case .tooLarge(_, let size, let limit, _) = error {
                throw ResetError.journalDamaged(path: journalPath, reason: "it is too large: \(size) bytes, more than the \(limit) a wuscrub journal can have")
            }
            throw ResetError.journalUnreadable(path: journalPath, detail: error.description)
        }
        let journal: Journal
        do {
            journal = try JSONDecoder.journal.decode(Journal.self, from: Data(bytes))
        } catch {
            // The decoder's message quotes the file (keys, values): show it escaped.
            throw ResetError.journalUnreadable(path: journalPath, detail: PurgeFailure.displayPath(Array("\(error)".utf8.prefix(2000))))
        }
        try journal.validate(for: install, path: journalPath)
        return journal
    }

    /// Writes the journal atomically (new temporary file, fsync, rename, fsync of the folder)
    /// and appends one line to the log.
    ///
    /// - Parameters:
    ///   - journal: The state to record; its `updatedAt` is set to now.
    ///   - note: The log line's text.
    ///   - volume: The installation's opened volume.
    func save(_ journal: inout Journal, note: String, in volume: InstallVolume) throws(VolumeError) {
        journal.updatedAt = Date.wholeSecond()
        let state = try volume.makeStateDirectory()
        let data: Data
        do { data = try JSONEncoder.journal.encode(journal) } catch {
            throw .io(FileIOError(operation: "encode the journal for", path: journalPath, errno: .invalidArgument))
        }
        let temporary = FileIO.temporaryName(for: InstallVolume.journalName)
        let file = try state.createFile(temporary)
        do {
            try file.write(Array(data) + [0x0A])
            try file.sync()
            try state.rename(temporary, to: InstallVolume.journalName)
            try state.sync()
        } catch {
            try? state.remove(temporary)
            throw error
        }
        try appendLog("run \(journal.runID.prefix(8)) phase \(journal.phase.rawValue): \(note)", in: volume)
    }

    /// Appends a time-stamped line to `wuscrub.log` (a regular file, created when missing) and fsyncs it.
    func appendLog(_ text: String, in volume: InstallVolume) throws(VolumeError) {
        let line = ISO8601DateFormatter().string(from: Date()) + " " + text
        let file = try volume.makeStateDirectory().appendFile(InstallVolume.logName)
        try file.write(Array((line.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
        try file.sync()
    }
}

extension Date {
    /// Now, rounded down to the second: journals store ISO 8601 seconds, so what is saved reads back equal.
    static func wholeSecond() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }
}

extension JSONEncoder {
    /// The encoder for journals and reports: ISO 8601 dates, sorted keys, pretty.
    public static var journal: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    /// The decoder matching `JSONEncoder.journal`.
    public static var journal: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
