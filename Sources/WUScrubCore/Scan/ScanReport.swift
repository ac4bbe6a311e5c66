/// What `wuscrub scan` found on this machine (docs/architecture.md §12; the JSON document's
/// `scan` member, docs/json-schema.md).
public struct ScanReport: Sendable, Equatable, Encodable {
    /// Mounted file systems that are NTFS, or that hold a Windows installation, by mount point.
    public var volumes: [ScannedVolume] = []
    /// Partitions that are not mounted and hold NTFS or BitLocker, by device name.
    public var partitions: [ScannedPartition] = []
    /// What could not be looked at (a mount table or device list that cannot be read, a device
    /// whose first sector cannot be read).
    public var notes: [String] = []

    /// How many Windows installations were found, mounted or possibly on an unmounted partition
    /// (0: `scan` says none was found).
    public var installationCount: Int { volumes.filter { $0.installation != nil }.count + partitions.count }
}

/// A mounted file system.
public struct ScannedVolume: Sendable, Equatable, Encodable {
    public var mountPoint: String
    /// The device or image it was mounted from.
    public var source: String
    /// The file-system type as the mount table says, and what it is ("ntfs-3g (fuseblk)").
    public var fileSystem: String
    public var kind: String
    public var readOnly: Bool
    /// The Windows installation on it, or nil (`problem` says why).
    public var installation: ScannedInstallation?
    /// Why there is no installation to show: none there, or a path wuscrub refuses.
    public var problem: String?
}

/// A Windows installation on a mounted file system: `status`'s main facts, and what to do.
public struct ScannedInstallation: Sendable, Equatable, Encodable {
    /// The Windows folder, relative to the mount point.
    public var windowsFolder: String
    /// From the SOFTWARE hive, or nil with `versionError`.
    public var version: WindowsVersion?
    public var versionError: String?
    /// Whether `hiberfil.sys` says Windows is hibernated or was shut down with Fast Startup (or
    /// is too short or unreadable to rule it out, which a reset refuses the same way;
    /// `hibernationError` then says which); nil with `hibernationError` on another problem.
    public var hibernated: Bool?
    public var hibernationError: String?
    /// `HiberbootEnabled`: whether Fast Startup is on for the next shutdowns.
    public var fastStartupEnabled: Bool?
    /// "clean", "dirty-recoverable (…)", "dirty-refused", or nil with `hiveError`.
    public var hiveState: String?
    public var hiveError: String?
    /// wuauserv's start values.
    public var starts: [ServiceStart]?
    /// The phase of an unfinished wuscrub run, if there is one.
    public var unfinishedRun: String?
    /// What `DataStore` and `Download` hold.
    public var folders: [ScannedFolder]
    /// Why this installation cannot be changed as it is (read-only, hibernated, …), if so.
    public var volumeProblem: String?
    /// What to run next.
    public var next: NextStep
}

/// The size of one of the purge's folders.
public struct ScannedFolder: Sendable, Equatable, Encodable {
    /// Root-relative path.
    public var folder: String
    /// Entries a reset would remove: files, folders and links.
    public var entries: Int
    /// Bytes of the files, when known.
    public var bytes: UInt64?
}

/// A partition that is not mounted.
public struct ScannedPartition: Sendable, Equatable, Encodable {
    /// `/dev/<name>`.
    public var device: String
    public var size: UInt64
    /// "ntfs" or "bitlocker".
    public var kind: BootSectorKind
    /// Devices built on it (a BitLocker volume unlocked with `cryptsetup` shows as `dm-0` here).
    public var holders: [String]
    public var next: NextStep
}

/// What to do next: the exact command when there is one, and why.
public struct NextStep: Sendable, Equatable, Encodable {
    /// A command line to run as it is, or nil when something must be done outside wuscrub first.
    public var command: String?
    /// One sentence.
    public var advice: String
}
