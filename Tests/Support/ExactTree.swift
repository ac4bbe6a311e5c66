import Foundation
import WUScrubCore

/// Every entry below a folder with everything a rename must keep: type, mode, owner, size, last
/// modification (nanoseconds), inode, a regular file's SHA-256, a link's target, and the NTFS
/// attributes ntfs-3g exposes (`system.ntfs_attrib`, `system.ntfs_acl`) where the file system has
/// them. Two equal trees are the same files in the same places, not copies of them.
public struct ExactTree: Equatable, CustomStringConvertible {
    public var entries: [String: String]

    public init(_ root: String) {
        entries = [:]
        walk(root, relative: ".")
    }

    private mutating func walk(_ path: String, relative: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        var line = "mode \(String(info.st_mode, radix: 8)) uid \(info.st_uid) gid \(info.st_gid) inode \(info.st_ino)"
        line += " modified \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        for name in FileIO.ntfsAttributes {
            if let value = try? FileIO.attribute(name, of: path) { line += " \(name) \(value.map { String($0, radix: 16) }.joined())" }
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            entries[relative] = "dir " + line
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                walk(path + "/" + name, relative: relative + "/" + name)
            }
        case S_IFLNK:
            entries[relative] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?") + " " + line
        case S_IFREG:
            entries[relative] = "file \(info.st_size) " + ((try? FileIO.sha256(ofFile: path)) ?? "unreadable") + " " + line
        default:
            entries[relative] = "other rdev \(info.st_rdev) " + line
        }
    }

    public var description: String {
        entries.keys.sorted().map { "\($0): \(entries[$0]!)" }.joined(separator: "\n")
    }

    /// The entries that differ, for a failure message.
    public func difference(from other: ExactTree) -> String {
        Set(entries.keys).union(other.entries.keys).sorted().compactMap { key in
            entries[key] == other.entries[key] ? nil : "\(key):\n  before \(other.entries[key] ?? "absent")\n  after  \(entries[key] ?? "absent")"
        }.joined(separator: "\n")
    }
}
