/// What `status` shows about an installation; read-only, every part independent of the others.
public struct StatusReport: Sendable, Equatable, Encodable {
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
    /// The last run's quarantine, still there for `rollback` to put back (docs/architecture.md §16).
    public var quarantine: String?

    /// Entries in wuscrub's folders that it did not write (left alone by every run).
    public var leftAlone: [String] = []

    /// What Windows Update last reported, in one line (`Diagnosis`, docs/architecture.md §14);
    /// nil when not asked for.
    public var lastReported: DiagnosisBrief?

    /// Inspects an installation without writing anything. Every file is reached through the volume
    /// layer, every hivex call runs in its sandbox on bytes already read; each part's problem is reported in its
    /// own field, never thrown.
    ///
    /// - Parameters:
    ///   - progress: Told of the count of the purge folders as it goes (a `counting` phase); nil
    ///     for none.
    ///   - countingBytes: Whether the count also sums the files' sizes (`Resetter.countsBytes`).
    ///   - diagnosing: Whether to read Windows Update's logs for `lastReported`.
    public init(install: WindowsInstall, progress: PurgeProgress? = nil, countingBytes: Bool = false, diagnosing: Bool = false) {
        var resetter = Resetter(install: install, toolVersion: "")
        resetter.progress = progress
        resetter.countsBytes = countingBytes
        self.install = install
        if diagnosing { lastReported = Diagnosis(install: install).brief }
        volume = Volume.describe(root: install.root, windows: install.path(install.windows))
        folders = resetter.countPurge()
        missingFolders = resetter.missingFolders()
        let opened: InstallVolume
        do {
            opened = try InstallVolume(install)
        } catch {
            volumeProblem = error.description
            hiveError = error.description
            return
        }
        do {
            try VolumeCheck.checkNotHibernated(in: opened.root)
            try VolumeCheck.checkWritable(root: install.root)
            try opened.checkStateFolder()
            try opened.checkHiveLogs()
        } catch {
            volumeProblem = "\(error)"
        }
        var image: HiveImage?
        do {
            let read = try resetter.readHive(opened)
            image = read
            hive = try HiveStatus(path: install.systemHive, image: read)
        } catch {
            hiveError = "\(error)"
        }
        hiveState = hive.map { $0.isDirty ? "dirty" : "clean" }
        if let image, hive?.isDirty == true {
            do {
                try opened.reserveReplayMemory(forHiveOf: image.size)
                let logs = try HiveRecovery.readLogs(forHive: opened.hiveName, in: try opened.configDirectory(),
                                                     limit: InstallVolume.maximumHiveBytes) { install.configDirectory + "/" + $0 }
                let analysis = HiveRecovery.analyze(hivePath: install.systemHive, hive: image.bytes(), logs: logs)
                recovery = analysis
                hiveState = analysis.state
                if let recovered = analysis.recovered {
                    (starts, startsError, hiberbootEnabled) = StatusReport.readService(try HiveImage(recovered, path: install.systemHive), path: install.systemHive)
                } else {
                    startsError = "not read: the hive is dirty and its logs cannot be replayed (\(analysis.refusal ?? "?"))"
                }
            } catch {
                startsError = "\(error)"
            }
        } else if let image {
            (starts, startsError, hiberbootEnabled) = StatusReport.readService(image, path: install.systemHive)
        } else {
            startsError = "not read: the hive cannot be read"
        }
        do { journal = try resetter.store.load(from: opened) } catch { journalError = "\(error)" }
        if let journal, journal.phase.isClosed, resetter.hasQuarantineToPutBack(journal, volume: opened) {
            quarantine = journal.quarantinePath
        }
        leftAlone = resetter.strays(opened)
    }

    /// Reads wuauserv's start values and `HiberbootEnabled` from a hive, each on its own:
    /// a `Start` wuscrub cannot use must not hide that Fast Startup is on.
    private static func readService(_ image: HiveImage, path: String) -> (starts: [ServiceStart]?, error: String?, hiberboot: UInt32?) {
        do {
            let reading = try HiveSandbox.readService(hive: image, path: path, checkEditable: false)
            switch reading.starts {
            case .success(let starts): return (starts, nil, reading.hiberbootEnabled)
            case .failure(let error): return (nil, "\(error)", reading.hiberbootEnabled)
            }
        } catch {
            return (nil, "\(error)", nil)
        }
    }
}
