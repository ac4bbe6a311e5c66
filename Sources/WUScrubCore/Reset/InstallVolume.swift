#if canImport(Glibc)
import Glibc
#endif

/// The files of one Windows installation, reached through the volume layer from one opened mount
/// root: the SYSTEM hive and its folder, and wuscrub's own state folder (docs/architecture.md §7.1, §9).
///
/// Nothing here takes a path from anywhere but the located installation (never from the journal).
final class InstallVolume: @unchecked Sendable {
    let install: WindowsInstall
    let root: VolumeDirectory

    /// The largest SYSTEM hive (or log, or backup of one) wuscrub reads: far beyond any real
    /// SYSTEM hive (tens of MB), which Windows' boot loader must load whole.
    static let maximumHiveBytes = HiveRecovery.maximumReadSize
    /// The largest journal wuscrub reads (its own are a few KiB).
    static let maximumJournalBytes = 4 << 20
    /// The names of wuscrub's own files in its state folder.
    static let journalName = "journal.json"
    static let logName = "wuscrub.log"
    static let lockName = "lock"
    static let backupFolderName = "backup"

    /// Opens the installation's mount root.
    ///
    /// - Throws: `VolumeError` when the root cannot be opened as a folder.
    init(_ install: WindowsInstall) throws(VolumeError) {
        self.install = install
        root = try VolumeDirectory.openRoot(install.root)
    }

    /// The file name of the SYSTEM hive, in its case on disk.
    var hiveName: String { String(install.systemHive.split(separator: "/").last ?? "SYSTEM") }

    private var cachedConfig: VolumeDirectory?

    /// The original start values once confirmed against the backup (`Resetter.confirmedStarts`).
    var confirmedStarts: [ServiceStart]?

    /// The hive as this run last read or wrote it, with the file's identity and change times then.
    var knownHive: KnownHive?

    /// A hive file's image and the file's identity when it was read or written.
    struct KnownHive: Sendable {
        var identity: FileIdentity
        var image: HiveImage
    }

    /// The folder holding the hive and its logs.
    func configDirectory() throws(VolumeError) -> VolumeDirectory {
        if let cachedConfig { return cachedConfig }
        guard let folder = try root.directory(at: install.configDirectory) else {
            throw .io(FileIOError(operation: "open", path: install.configDirectory, errno: .noSuchFileOrDirectory))
        }
        cachedConfig = folder
        return folder
    }

    /// Opens the SYSTEM hive (a regular file on the root's mount, or a refusal).
    func hive(access: VolumeDirectory.Access = .read) throws(VolumeError) -> VolumeFile {
        guard let file = try configDirectory().file(hiveName, access: access) else {
            throw .io(FileIOError(operation: "open", path: install.systemHive, errno: .noSuchFileOrDirectory))
        }
        return file
    }

    /// The SYSTEM hive, read once (and hashed on the way) into a sealed in-memory file, bounded by
    /// `maximumHiveBytes` (docs/architecture.md §11).
    ///
    /// - Throws: `VolumeError`; `HiveError.invalidBaseBlock` for a file that does not start like a
    ///   hive (checked on its first bytes, before the rest is read).
    ///
    /// A hive file unchanged since this run last read or wrote it (the same device, inode, size and
    /// change times) is not read again: its image is reused (docs/architecture.md §11).
    func readHive() throws -> HiveImage {
        let file = try hive()
        if let known = knownHive, file.identity.isUnchanged(since: known.identity), UInt64(known.image.size) == file.size {
            return known.image
        }
        try file.checkSize(limit: InstallVolume.maximumHiveBytes, what: "a SYSTEM hive")
        let head = try file.read(count: 4)
        guard file.size >= UInt64(BaseBlock.size), head.elementsEqual("regf".utf8) else {
            throw HiveError.invalidBaseBlock(path: install.systemHive, reason: "no 'regf' signature or fewer than 4096 bytes")
        }
        let image = try HiveImage.read(file, limit: InstallVolume.maximumHiveBytes, what: "a SYSTEM hive")
        knownHive = KnownHive(identity: file.identity, image: image)
        return image
    }

    /// Records that the hive file is now `image` (just renamed into place by this run; `identity`
    /// taken on its descriptor after the rename).
    func hiveWritten(_ image: HiveImage, identity: FileIdentity) {
        knownHive = KnownHive(identity: identity, image: image)
    }

    /// How many copies of the hive the log replay of a dirty hive holds in memory at once (the
    /// hive, its logs, the recovered hive).
    static let hiveCopies = 4

    /// Makes sure the replay's copies fit before it starts, so that an address-space limit is a
    /// clear refusal, never an abort half-way.
    func reserveReplayMemory(forHiveOf size: Int, path: String? = nil) throws(VolumeError) {
        let needed = size * InstallVolume.hiveCopies + (64 << 20)
        guard let allocation = malloc(needed) else {
            throw VolumeError.io(FileIOError(operation: "set aside \(needed) bytes of memory to replay the logs of", path: path ?? install.systemHive, errno: .noMemory))
        }
        free(allocation)
    }

    /// Refuses transaction logs of the hive (`SYSTEM.LOG`, `.LOG1`, `.LOG2`, any case) that are
    /// not regular files with one name on ROOT's mount: Windows writes them as files, and a device
    /// node, FIFO, link or mount there is reported before anything is done, whether or not the hive
    /// needs its logs. (Each is opened read-only with every check, and closed again.)
    func checkHiveLogs() throws {
        let folder = try configDirectory()
        for name in try HiveRecovery.logNames(forHive: hiveName, among: try folder.names(), folder: folder.shown) {
            _ = try folder.file(name)
        }
    }

    /// wuscrub's state folder (`<Windows>/Logs/wuscrub`), or nil when it does not exist yet.
    func stateDirectory() throws(VolumeError) -> VolumeDirectory? {
        try root.directory(at: install.stateDirectory)
    }

    /// wuscrub's state folder, created (with `Logs`) when missing.
    func makeStateDirectory() throws(VolumeError) -> VolumeDirectory {
        try root.makeDirectories(install.stateDirectory)
    }

    /// The backup folder, or nil when it does not exist.
    func backupDirectory() throws(VolumeError) -> VolumeDirectory? {
        try stateDirectory()?.subdirectory(InstallVolume.backupFolderName)
    }

    /// Refuses a state folder whose own files are not what wuscrub writes there: `journal.json`,
    /// `wuscrub.log` and `lock` must be regular files with one name and `backup` a folder, all on
    /// ROOT's mount, where they exist.
    ///
    /// Checked before a run writes anything, so that a device node or FIFO planted there is
    /// reported with nothing changed.
    func checkStateFolder() throws(VolumeError) {
        guard let state = try stateDirectory() else { return }
        // Opened with every check (kind, one name, same file, ROOT's mount), then closed at once.
        for name in [InstallVolume.journalName, InstallVolume.logName, InstallVolume.lockName] {
            _ = try state.file(name)
        }
        _ = try state.subdirectory(InstallVolume.backupFolderName)
    }
}
