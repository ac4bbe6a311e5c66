/// The mount table: the lines of `/proc/self/mountinfo` (proc(5); docs/architecture.md §12).
///
/// A line is `ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - TYPE SOURCE SUPEROPTIONS`;
/// space, tab, newline and backslash in a path are written as `\ooo` (octal).
public struct MountEntry: Sendable, Equatable {
    /// The device number of the mounted file system, `MAJOR:MINOR`.
    public var device: String
    /// The folder of the file system that is mounted (`/` unless it is a bind mount of a folder).
    public var rootInFileSystem: String
    /// Where it is mounted.
    public var mountPoint: String
    /// The file-system type (`fuseblk` for ntfs-3g, `ntfs3`, `ext4`, …).
    public var fileSystem: String
    /// The device or source named when mounting (`/dev/sdb3`, an image file, `tmpfs`).
    public var source: String
    /// The per-mount options, then the per-superblock ones, each once.
    public var options: [String]

    /// Whether the mount is read-only by its options.
    public var isReadOnly: Bool { options.contains("ro") }
}

public enum MountTable {
    /// Reads and parses a mountinfo file.
    ///
    /// - Parameter path: `/proc/self/mountinfo`, or the same file under another root (`scan`'s tests).
    /// - Returns: nil when it cannot be read.
    public static func read(_ path: String = "/proc/self/mountinfo") -> [MountEntry]? {
        guard let bytes = try? FileIO.read(path) else { return nil }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses mountinfo text; a line that is not one is skipped.
    public static func parse(_ text: String) -> [MountEntry] {
        var entries: [MountEntry] = []
        for line in text.split(separator: "\n") {
            // The separator is the first field that is "-" after the six fixed ones (paths are
            // escaped, so no other field is).
            let words = line.split(separator: " ")
            guard words.count >= 10, let dash = words[6...].firstIndex(of: "-") else { continue }
            let fields = words[..<dash]
            let extra = words[(dash + 1)...].map { $0 }
            guard extra.count >= 3 else { continue }
            let options = (fields[5].split(separator: ",") + extra[2].split(separator: ",")).map(String.init)
            entries.append(MountEntry(device: String(fields[2]), rootInFileSystem: unescape(fields[3]),
                                      mountPoint: unescape(fields[4]), fileSystem: unescape(extra[0]),
                                      source: unescape(extra[1]), options: uniqued(options)))
        }
        return entries
    }

    /// Every mount point, as the raw bytes of its path (a name that is not UTF-8 kept exactly):
    /// what a quarantine compares directory entries with (docs/architecture.md §16.2).
    ///
    /// - Returns: nil when the file cannot be read.
    public static func mountPoints(_ path: String = "/proc/self/mountinfo") -> [[UInt8]]? {
        guard let bytes = try? FileIO.read(path) else { return nil }
        return bytes.split(separator: 0x0A).compactMap { line in
            let fields = line.split(separator: 0x20, maxSplits: 5)
            return fields.count > 4 ? unescapedBytes(fields[4]) : nil
        }
    }

    /// Undoes mountinfo's `\ooo` escapes.
    static func unescape(_ text: Substring) -> String {
        String(decoding: unescapedBytes(Array(text.utf8)[...]), as: UTF8.self)
    }

    /// Undoes mountinfo's `\ooo` escapes, byte for byte.
    static func unescapedBytes(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = text
        while let byte = rest.first {
            rest = rest.dropFirst()
            if byte == UInt8(ascii: "\\"), rest.count >= 3,
               let value = UInt8(String(decoding: rest.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                rest = rest.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return bytes
    }
}

/// Keeps the first occurrence of each element, in order.
func uniqued(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}
