#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What ROOT is: the mount that holds it, its file-system type and options (from /proc/self/mountinfo).
public struct Volume: Sendable, Equatable, Encodable {
    /// The mount point that holds ROOT.
    public var mountPoint: String
    /// Whether ROOT itself is that mount point.
    public var rootIsMountPoint: Bool
    /// The file-system type (`fuseblk` for ntfs-3g, `ntfs3`, `ext4`, `tmpfs`, …).
    public var fileSystem: String
    /// A short description: "ntfs-3g (fuseblk)", "ntfs3", or "other (ext4)".
    public var kind: String
    /// The device or source named in the mount table.
    public var source: String
    /// The mount options (per-mount and per-superblock).
    public var options: [String]
    /// Whether the Windows folder is on another device than ROOT.
    public var windowsOnOtherDevice: Bool

    /// Reads the mount table entry that holds `root`.
    ///
    /// - Parameters:
    ///   - root: The mount root as given.
    ///   - windows: The Windows folder's path (to compare devices).
    /// - Returns: nil when /proc/self/mountinfo cannot be read.
    public static func describe(root: String, windows: String) -> Volume? {
        guard let resolved = realpath(root, nil) else { return nil }
        let path = String(cString: resolved)
        free(resolved)
        guard let table = MountTable.read() else { return nil }
        var best: MountEntry?
        for entry in table {
            let point = entry.mountPoint
            let contains = point == "/" || path == point || path.hasPrefix(point + "/")
            if contains, point.count >= (best?.mountPoint.count ?? -1) { best = entry }
        }
        guard let best else { return nil }
        let type = best.fileSystem
        var rootInfo = stat(), windowsInfo = stat()
        let otherDevice = lstat(root, &rootInfo) == 0 && lstat(windows, &windowsInfo) == 0 && rootInfo.st_dev != windowsInfo.st_dev
        return Volume(mountPoint: best.mountPoint, rootIsMountPoint: best.mountPoint == path, fileSystem: type,
                      kind: kind(of: type), source: best.source, options: best.options, windowsOnOtherDevice: otherDevice)
    }

    /// A short description of a file-system type: "ntfs-3g (fuseblk)", "ntfs3", or "other (ext4)".
    public static func kind(of type: String) -> String {
        switch type {
        case "fuseblk", "fuse.ntfs-3g", "fuse": "ntfs-3g (\(type))"
        case "ntfs3", "ntfs": type
        default: "other (\(type))"
        }
    }

    /// Whether the mount is read-only by its options.
    public var isReadOnly: Bool { options.contains("ro") }

    /// Whether something is mounted exactly at `path`, by /proc/self/mountinfo.
    ///
    /// - Parameter path: A directory; resolved with `realpath` when it can be (a dead FUSE mount cannot).
    /// - Returns: nil when /proc/self/mountinfo cannot be read.
    public static func isMountPoint(_ path: String) -> Bool? {
        var resolved = path
        if let real = realpath(path, nil) {
            resolved = String(cString: real)
            free(real)
        }
        guard let table = MountTable.read() else { return nil }
        return table.contains { $0.mountPoint == resolved || $0.mountPoint == path }
    }
}
