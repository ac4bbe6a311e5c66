#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage
import VolumeAccess

/// Empties one folder of a mounted Windows partition, never leaving it.
///
/// The guarantees, in the order they are checked:
/// - The mount root is opened once; below it every step is a single name opened with
///   `openat(…, O_DIRECTORY | O_NOFOLLOW)` relative to its parent's descriptor, so no path is
///   ever resolved again and no symbolic link is ever followed.
/// - Each folder on the way down must be a real directory on the root's device (`st_dev`) and
///   mount (`statx` mount id, or `mnt_id` from `/proc/self/fdinfo` on older kernels); otherwise
///   nothing is deleted.
/// - While emptying, every entry is inspected with `fstatat(AT_SYMLINK_NOFOLLOW)` (`d_type` is
///   not trusted). Links are unlinked, never followed. A directory is entered only if it is on
///   the root's device and mount and if the opened descriptor is the very directory inspected
///   (same `st_dev` and `st_ino`); it is removed with `unlinkat(AT_REMOVEDIR)` once empty.
/// - Names are handled as raw bytes from `readdir`, so any name the filesystem holds works.
/// - Memory does not grow with the number of entries: one open directory stream per level
///   (at most `maximumDepth`), the current path, and at most `PurgeReport.listLimit` listed
///   failures.
/// - A failing entry never stops the walk: it is counted, the first ones are listed, and the
///   directories holding it are kept. Such a kept directory is not reported a second time.
///
/// Some filesystems may skip entries of a directory that is modified while it is read. After a
/// pass over a directory that removed something without any failure, the directory is read again
/// (at most `maximumPasses` times in all) until a pass finds nothing left.
///
/// A dry run (`dryRun: true`) walks the same way, with the same checks, and counts what would
/// be removed without calling `unlink`. It predicts exactly what a real run removes except for
/// failures only a real removal can reveal (`EPERM` on an immutable file, `EROFS`, `EBUSY`).
///
/// The purger never prints and never exits; the caller decides what a report means.
public struct Purger: Sendable {
    /// Whether to only count what would be removed.
    public var dryRun: Bool

    /// Stop after this many entries were removed (or counted), leaving the rest as it is; nil for
    /// no limit. A later walk carries on where this one stopped.
    public var removalLimit: Int?

    /// Asked before each entry: when it returns true the walk stops there, leaving the rest as it
    /// is, and the report says so (`stopped`). A later walk carries on where this one stopped.
    public var shouldStop: (@Sendable () -> Bool)?

    /// Whether the types a directory announces for its entries are used as hints (the default);
    /// false inspects every entry with a `statx` first, as on a file system that announces none
    /// (for tests of that path).
    var usesAnnouncedTypes = true

    /// Told of each entry as it is removed (or counted), from every worker: one relaxed atomic
    /// add per entry (docs/architecture.md §7.4). nil, the default, costs nothing.
    public var progress: PurgeProgress?

    /// How many workers empty the folder's subdirectories at once; nil chooses by file system
    /// (`PurgePool.width(for:)`: wider on FUSE, the core count elsewhere); 1 walks alone. A walk
    /// with a `removalLimit` always walks alone.
    public var jobs: Int?

    /// How many directory levels below the purged folder are entered at most.
    public static let maximumDepth = 512

    /// How many times one directory is read while entries keep being removed from it.
    public static let maximumPasses = 4

    /// Creates a purger.
    ///
    /// - Parameters:
    ///   - dryRun: Whether to only count what would be removed.
    ///   - removalLimit: Stop after this many removals; nil for no limit.
    ///   - shouldStop: Asked before each entry; true stops the walk there.
    public init(dryRun: Bool = false, removalLimit: Int? = nil, shouldStop: (@Sendable () -> Bool)? = nil) {
        self.dryRun = dryRun
        self.removalLimit = removalLimit
        self.shouldStop = shouldStop
    }

    /// Removes everything inside `root/components...`, keeping that folder itself.
    ///
    /// - Parameters:
    ///   - root: The mount root of the Windows partition, absolute or relative.
    ///   - components: The exact names of the folders from the root down to the folder to empty,
    ///     such as `["Windows", "SoftwareDistribution", "Download"]`; at least one.
    /// - Returns: What was removed and what could not be; paths are relative to `root`.
    /// - Throws: `PurgeError` when the folder cannot be reached safely; nothing is deleted then.
    public func purgeContents(under root: String, components: [String]) throws(PurgeError) -> PurgeReport {
        let folder = try PurgeFolder.open(root: root, components: components)
        let name = components.joined(separator: "/")
        let settings = PurgeSettings(dryRun: dryRun, device: folder.device, mountID: folder.mountID, folder: name,
                                     shouldStop: shouldStop, usesAnnouncedTypes: usesAnnouncedTypes, progress: progress)
        var walk = PurgeWalk(settings, removalLimit: removalLimit)
        let width = jobs ?? PurgePool.width(for: folder.descriptor)
        if width > 1, removalLimit == nil {
            PurgePool.raiseDescriptorLimit()
            walk.pool = PurgePool(width: width, settings: settings)
        }
        walk.run(folderDescriptor: folder.descriptor)
        return walk.report
    }
}

// MARK: - Reaching the folder
