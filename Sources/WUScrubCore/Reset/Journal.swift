import Foundation

/// The record of one reset, written atomically at every phase change so that an interrupted run
/// can be resumed or rolled back (`<Windows>/Logs/wuscrub/journal.json`).
public struct Journal: Sendable, Equatable, Codable {
    /// The steps of a reset, in order. `phase` holds the step that is running (or last ran).
    public enum Phase: String, Sendable, Codable, CaseIterable, Comparable {
        case journal, backup, recover, disable, purge, restore, verify, done
        /// Closed by `rollback`: the original start values are back, nothing else was undone.
        case rolledBack = "rolled-back"

        public static func < (lhs: Phase, rhs: Phase) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// Whether the run this journal describes has ended.
        public var isClosed: Bool { self == .done || self == .rolledBack }
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

/// Reads and writes the journal and its human-readable log in `<Windows>/Logs/wuscrub`.
public struct JournalStore: Sendable {
    /// The mount root.
    public let root: String
    /// The journal's directory, relative to the root.
    public let relativeDirectory: String

    public init(root: String, directory: String) {
        self.root = root
        relativeDirectory = directory
    }

    /// The directory, as an openable path.
    public var directory: String { (root.hasSuffix("/") ? root : root + "/") + relativeDirectory }

    public var journalPath: String { directory + "/journal.json" }
    public var logPath: String { directory + "/wuscrub.log" }

    /// Loads the journal if there is one.
    ///
    /// - Returns: nil when no journal file exists.
    /// - Throws: `ResetError.journalUnreadable` when it exists but cannot be read or decoded.
    public func load() throws(ResetError) -> Journal? {
        guard FileIO.exists(journalPath) else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(journalPath) } catch { throw .journalUnreadable(path: journalPath, detail: error.description) }
        do {
            return try JSONDecoder.journal.decode(Journal.self, from: Data(bytes))
        } catch {
            throw .journalUnreadable(path: journalPath, detail: "\(error)")
        }
    }

    /// Writes the journal atomically (temporary file, fsync, rename, fsync of the directory)
    /// and appends one line to the log.
    ///
    /// - Parameters:
    ///   - journal: The state to record; its `updatedAt` is set to now.
    ///   - note: The log line's text.
    public func save(_ journal: inout Journal, note: String) throws(FileIOError) {
        journal.updatedAt = Date.wholeSecond()
        try FileIO.makeDirectories(relativeDirectory, under: root)
        let data: Data
        do { data = try JSONEncoder.journal.encode(journal) } catch {
            throw FileIOError(operation: "encode the journal for", path: journalPath, errno: .invalidArgument)
        }
        try FileIO.replaceAtomically(journalPath, with: Array(data) + [0x0A])
        try appendLog("run \(journal.runID.prefix(8)) phase \(journal.phase.rawValue): \(note)")
    }

    /// Appends a time-stamped line to `wuscrub.log` and fsyncs it.
    public func appendLog(_ text: String) throws(FileIOError) {
        let line = ISO8601DateFormatter().string(from: Date()) + " " + text
        let fd = try FileIO.open(logPath, flags: O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, mode: 0o644, operation: "open log")
        defer { close(fd) }
        try FileIO.writeAll(fd, Array((line.replacingOccurrences(of: "\n", with: " ") + "\n").utf8), path: logPath)
        try FileIO.fsync(fd, path: logPath)
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
