import Foundation
import WUScrubCore
import WUScrubFixtures

/// Builds fixture installations for tests and takes snapshots of trees.
public enum FixtureTree {
    /// Parses `Fixtures/specs/NAME.fixture`.
    public static func spec(_ name: String) throws -> FixtureSpec {
        let text = try String(contentsOfFile: Repository.fixtures + "/specs/\(name).fixture", encoding: .utf8)
        return try FixtureSpec(name: name, text: text)
    }

    /// Builds the installation of a committed spec under `scratch/root`.
    ///
    /// - Returns: The mount root.
    public static func install(_ name: String, in scratch: Scratch) throws -> String {
        let root = scratch.sub("root")
        try FixtureBuilder.install(try spec(name), at: root)
        return root
    }

    /// Builds the installation of an inline spec under `scratch/root`.
    public static func install(text: String, in scratch: Scratch) throws -> String {
        let root = scratch.sub("root")
        try FixtureBuilder.install(try FixtureSpec(name: "inline", text: text), at: root)
        return root
    }
}

/// What a tree holds, without following links: path → kind, size, content hash or link target.
public struct TreeSnapshot: Equatable, CustomStringConvertible {
    public var entries: [String: String]

    /// Walks `root` with lstat (never following links), hashing every regular file.
    public init(_ root: String) {
        entries = [:]
        walk(root, relative: "")
    }

    private mutating func walk(_ path: String, relative: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        // What cannot be read is recorded by its identity and change time instead of a shared
        // placeholder, so that two unreadable states compare equal only if nothing changed.
        let unreadable = "unreadable: inode \(info.st_ino), changed \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec), modified \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                entries[relative.isEmpty ? "." : relative] = "dir, " + unreadable
                return
            }
            entries[relative.isEmpty ? "." : relative] = "dir"
            for name in names {
                walk(path + "/" + name, relative: relative.isEmpty ? name : relative + "/" + name)
            }
        case S_IFLNK:
            entries[relative] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? unreadable)
        case S_IFREG:
            entries[relative] = "file \(info.st_size) " + ((try? FileIO.sha256(ofFile: path)) ?? unreadable)
        default:
            entries[relative] = "other"
        }
    }

    /// The entries whose path starts with a prefix.
    public func under(_ prefix: String) -> [String: String] {
        entries.filter { $0.key == prefix || $0.key.hasPrefix(prefix + "/") }
    }

    /// The entries except those under the given prefixes.
    public func excluding(_ prefixes: [String]) -> [String: String] {
        entries.filter { entry in !prefixes.contains { entry.key == $0 || entry.key.hasPrefix($0 + "/") } }
    }

    public var description: String { entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") }
}
