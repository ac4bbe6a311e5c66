#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What ROOT is: the mount that holds it, its file-system type and options (from /proc/self/mountinfo).
public struct Volume: Sendable, Equatable, Codable {
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
        guard let table = mountTable() else { return nil }
        var best: MountEntry?
        for entry in table {
            let point = entry.point
            let contains = point == "/" || path == point || path.hasPrefix(point + "/")
            if contains, point.count >= (best?.point.count ?? -1) { best = entry }
        }
        guard let best else { return nil }
        let type = String(best.extra[0])
        let kind: String
        switch type {
        case "fuseblk", "fuse.ntfs-3g", "fuse": kind = "ntfs-3g (\(type))"
        case "ntfs3", "ntfs": kind = type
        default: kind = "other (\(type))"
        }
        var rootInfo = stat(), windowsInfo = stat()
        let otherDevice = lstat(root, &rootInfo) == 0 && lstat(windows, &windowsInfo) == 0 && rootInfo.st_dev != windowsInfo.st_dev
        let options = (best.fields[5].split(separator: ",") + best.extra[2].split(separator: ",")).map(String.init)
        return Volume(mountPoint: best.point, rootIsMountPoint: best.point == path, fileSystem: type, kind: kind,
                      source: unescape(String(best.extra[1])), options: Array(uniqued(options)), windowsOnOtherDevice: otherDevice)
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
        guard let table = mountTable() else { return nil }
        return table.contains { $0.point == resolved || $0.point == path }
    }

    /// One line of /proc/self/mountinfo: the mount point, the fields before the " - " separator and those after it.
    typealias MountEntry = (point: String, fields: [Substring], extra: [Substring])

    /// The lines of /proc/self/mountinfo, or nil when it cannot be read.
    static func mountTable() -> [MountEntry]? {
        guard let table = try? FileIO.read("/proc/self/mountinfo") else { return nil }
        var entries: [MountEntry] = []
        for line in String(decoding: table, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " - ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let fields = parts[0].split(separator: " ")
            let extra = parts[1].split(separator: " ")
            guard fields.count >= 6, extra.count >= 3 else { continue }
            entries.append((unescape(String(fields[4])), fields, extra))
        }
        return entries
    }

    static func unescape(_ text: String) -> String {
        // mountinfo escapes space, tab, newline and backslash as \ooo.
        var result = ""
        var iterator = Array(text.utf8)[...]
        var bytes: [UInt8] = []
        while let byte = iterator.first {
            iterator = iterator.dropFirst()
            if byte == UInt8(ascii: "\\"), iterator.count >= 3,
               let value = UInt8(String(decoding: iterator.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                iterator = iterator.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        result = String(decoding: bytes, as: UTF8.self)
        return result
    }
}

/// Keeps the first occurrence of each element, in order.
func uniqued(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}

/// Checks that refuse a volume Windows may still own.
public enum VolumeCheck {
    /// Refuses a hibernated or Fast Startup volume: `hiberfil.sys` at the root (any case) whose
    /// first four bytes read `hibr` (any case), or that is too short (under 4096 bytes) to tell.
    /// A `hiberfil.sys` that is not a regular file (a FIFO, a device node, a link) is refused
    /// without being opened.
    ///
    /// ntfs3, or ntfs-3g with `remove_hiberfile`, mount such volumes without complaint, so this is
    /// checked whatever the mount said.
    /// - Throws: `ImageError.hibernated`, `.wrongType`, `.symlink`.
    public static func checkNotHibernated(root: String) throws(ImageError) {
        let top: VolumeDirectory
        do { top = try VolumeDirectory.openRoot(root) } catch { throw .rootUnusable(path: root, errno: .notDirectory) }
        try checkNotHibernated(in: top)
    }

    /// Refuses a hibernated volume, its root already open (see `checkNotHibernated(root:)`).
    public static func checkNotHibernated(in root: VolumeDirectory) throws(ImageError) {
        // NTFS mounted on Linux can hold `hiberfil.sys` and `HIBERFIL.SYS` side by side: check every one.
        for name in try WindowsInstall.entries(of: root) where name.lowercased() == "hiberfil.sys" {
            try checkHibernationFile(name, in: root)
        }
    }

    /// Refuses one hibernation file that says Windows is hibernated or is too short to tell.
    private static func checkHibernationFile(_ name: String, in root: VolumeDirectory) throws(ImageError) {
        let path = (root.rootPath.hasSuffix("/") ? root.rootPath : root.rootPath + "/") + name
        let file: VolumeFile
        do {
            guard let opened = try root.file(name) else { return }
            file = opened
        } catch {
            switch error {
            case .wrongKind(_, .symbolicLink, _): throw .symlink(path: path)
            case .wrongKind(_, let found, _): throw .wrongType(path: path, expected: "a regular file", found: found.withArticle)
            default: throw .hibernated(path: path, reason: "it cannot be read (\(error)) to rule hibernation out")
            }
        }
        let header: [UInt8]
        do { header = try file.read(count: 4) } catch {
            throw .hibernated(path: path, reason: "it cannot be read (\(error)) to rule hibernation out")
        }
        if file.size < 4096 || header.count < 4 {
            throw .hibernated(path: path, reason: "it is only \(file.size) bytes, too short to tell whether Windows is hibernated")
        }
        if String(decoding: header, as: UTF8.self).lowercased() == "hibr" {
            throw .hibernated(path: path, reason: "it starts with '\(String(decoding: header, as: UTF8.self))': Windows is hibernated or shut down with Fast Startup")
        }
    }

    /// Refuses a read-only file system: `statvfs` first, then (when `probeDirectory` is given) a
    /// write probe there — ntfs-3g silently falls back to read-only.
    ///
    /// - Parameters:
    ///   - root: The mount root.
    ///   - probeDirectory: A folder to create and remove a probe file in (wuscrub's own folder).
    /// - Throws: `ImageError.readOnly`.
    public static func checkWritable(root: String, probeDirectory: VolumeDirectory? = nil) throws(ImageError) {
        var info = statvfs()
        if statvfs(root, &info) == 0, info.f_flag & UInt(ST_RDONLY) != 0 { throw .readOnly(root: root) }
        guard let probeDirectory else { return }
        let probe = ".wuscrub-write-probe-\(getpid())"
        do {
            _ = try probeDirectory.createFile(probe, mode: 0o600)
            try? probeDirectory.remove(probe)
        } catch {
            if case .io(let failure) = error,
               [.readOnlyFileSystem, .permissionDenied, .notPermitted].contains(failure.errno) {
                throw .readOnly(root: root)
            }
        }
    }
}
