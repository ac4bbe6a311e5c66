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
