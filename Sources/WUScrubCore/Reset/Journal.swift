import FoundationEssentials

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
        /// Open: `rollback` is moving a quarantine run's entries back into DataStore and Download
        /// (the start values are already the original ones); `resume` or `rollback` finishes it
        /// and closes the journal as `rolled-back` (docs/architecture.md §16.3).
        case putBack = "put-back"

        public static func < (lhs: Phase, rhs: Phase) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// Whether the run this journal describes has ended.
        public var isClosed: Bool { self == .done || self == .rolledBack || self == .interrupted }

        /// The phases a reset runs through, in order (`putBack` and the closing ones are not among them).
        public static let runPhases: [Phase] = [.journal, .backup, .recover, .disable, .purge, .restore, .verify, .done]

        /// What the progress line says during the phase (the purge shows its own counts).
        var progressLabel: String? {
            switch self {
            case .backup: "Backing up the SYSTEM hive"
            case .recover: "Replaying the SYSTEM hive's transaction logs"
            case .disable: "Disabling Windows Update (wuauserv Start = 4)"
            case .restore: "Putting Windows Update's start mode back"
            case .verify: "Checking the start mode"
            case .putBack: "Moving the quarantined entries back"
            case .journal, .purge, .done, .rolledBack, .interrupted: nil
            }
        }
    }

    /// Version of this document's layout: 2 since quarantine runs (docs/json-schema.md §8.3).
    public var schemaVersion: Int = 2
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
    /// The start mode of each service in each chosen control set before the run: wuauserv, and
    /// for `reset --full` the other services of docs/architecture.md §17 that the hive has.
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
    /// For `reset --quarantine`: the folder that receives DataStore's and Download's entries,
    /// relative to the mount root (`SoftwareDistribution/wuscrub-quarantine-<time>-<run>`). Set
    /// when the journal is created, so that a resumed run moves rather than deletes.
    public var quarantinePath: String?
    /// For `reset --quarantine`: what the purge phase moved into the quarantine, per folder.
    public var quarantine: [PurgeReport]?
    /// What `rollback` moved back out of the quarantine, per folder.
    public var putBack: [PurgeReport]?
    /// For `reset --quarantine`: the last modification times of SoftwareDistribution, DataStore
    /// and Download before the run, which `rollback` sets back once the entries are back.
    public var folderTimes: [FolderTime]?

    /// For `reset --full` (docs/architecture.md §17): System32's `catroot2` as found (case-resolved),
    /// and the name the purge phase renames it to, `catroot2.wuscrub-<first 8 hex of the run id>`
    /// beside it; both set when the journal is created (nil when there was no catroot2).
    public var catroot2Path: String?
    public var catroot2RenamedPath: String?
    /// For `reset --full`: `ProgramData/Microsoft/Network/Downloader` as found (case-resolved), whose
    /// BITS queue files move into `<quarantine>/Downloader`; nil when there was none (Windows XP).
    public var bitsQueuePath: String?
    /// For `reset --full`: what the purge phase did beyond DataStore and Download — the BITS
    /// queue's files moved (folder `bitsQueuePath`) and the catroot2 rename (folder
    /// `catroot2Path`, one directory when renamed, a failure when refused).
    public var fullReset: [PurgeReport]?

    /// A folder's last modification time, in nanoseconds since the epoch.
    public struct FolderTime: Sendable, Equatable, Codable {
        public var path: String
        public var modified: Int64
    }

    /// The hive the run started from on disk, after any recovery: what the restore puts back.
    var restoreTargetSHA256: String { baselineHiveSHA256 ?? originalHiveSHA256 }
    var restoreSourcePath: String { baselineBackupPath ?? backupPath }
    /// The services the run handles, as recorded (wuauserv first).
    var services: [String] { ServiceStart.services(of: originalStarts) }
}
