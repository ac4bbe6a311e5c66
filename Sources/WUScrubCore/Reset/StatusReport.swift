/// What `status` shows about an installation; read-only, every part independent of the others.
public struct StatusReport: Sendable, Equatable, Codable {
    public var install: WindowsInstall
    /// The hive's state, or nil with `hiveError` when it cannot be read or is invalid.
    public var hive: HiveStatus?
    public var hiveError: String?
    /// For a dirty hive: its logs and what replaying them would do.
    public var recovery: RecoveryAnalysis?
    /// "clean", "dirty-recoverable (N log entries)" or "dirty-refused".
    public var hiveState: String?
    /// The service's start mode per chosen control set, or nil with `startsError`.
    public var starts: [ServiceStart]?
    public var startsError: String?
    /// Fast Startup setting of the current control set (`HiberbootEnabled`), when present.
    public var hiberbootEnabled: UInt32?
    /// What ROOT is (mount point, file system, options).
    public var volume: Volume?
    /// Why the volume is unsafe to change (hibernated, read-only), if it is.
    public var volumeProblem: String?
    /// What DataStore and Download hold (counted, nothing removed).
    public var folders: [PurgeReport]
    public var missingFolders: [String]
    /// The journal of the last run, if any, and whether it is unfinished.
    public var journal: Journal?
    public var journalError: String?
    public var hasUnfinishedRun: Bool { journal.map { !$0.phase.isClosed } ?? false }

    /// Inspects an installation without writing anything.
    public init(install: WindowsInstall) {
        let resetter = Resetter(install: install, toolVersion: "")
        self.install = install
        volume = Volume.describe(root: install.root, windows: install.path(install.windows))
        do {
            try VolumeCheck.checkNotHibernated(root: install.root)
            try VolumeCheck.checkWritable(root: install.root)
        } catch {
            volumeProblem = error.description
        }
        do { hive = try HiveStatus(path: install.systemHive, file: resetter.hiveFile) } catch { hiveError = "\(error)" }
        hiveState = hive.map { $0.isDirty ? "dirty" : "clean" }
        if hive?.isDirty == true {
            do {
                let analysis = try HiveRecovery.analyze(hiveAt: resetter.hiveFile)
                recovery = analysis
                hiveState = analysis.state
                if let recovered = analysis.recovered {
                    (starts, startsError, hiberbootEnabled) = try resetter.withTemporaryHive(recovered) { path in
                        StatusReport.readService(resetter, hive: path)
                    }
                } else {
                    startsError = "not read: the hive is dirty and its logs cannot be replayed (\(analysis.refusal ?? "?"))"
                }
            } catch {
                startsError = "\(error)"
            }
        } else {
            (starts, startsError, hiberbootEnabled) = StatusReport.readService(resetter, hive: resetter.hiveFile)
        }
        folders = resetter.purgeFolders.map { resetter.purgeReport($0, dryRun: true) }
        missingFolders = resetter.missingFolders()
        do { journal = try resetter.store.load() } catch { journalError = "\(error)" }
    }

    /// Reads wuauserv's start values and `HiberbootEnabled` from a hive file, each on its own: a
    /// `Start` wuscrub cannot use must not hide that Fast Startup is on.
    private static func readService(_ resetter: Resetter, hive path: String) -> (starts: [ServiceStart]?, error: String?, hiberboot: UInt32?) {
        let hiberboot: UInt32?
        do {
            let hive = try Hive(path: path)
            defer { hive.close() }
            hiberboot = try ServiceConfiguration.hiberbootEnabled(in: hive)
        } catch {
            hiberboot = nil  // the same hive problem is reported with the start values
        }
        do {
            return (try resetter.readStarts(at: path, checkEditable: false), nil, hiberboot)
        } catch {
            return (nil, "\(error)", hiberboot)
        }
    }
}
