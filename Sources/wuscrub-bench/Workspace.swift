import Foundation

/// Where the runs happen: a folder on the local disk, or an NTFS image mounted with ntfs-3g.
/// Every run gets a fresh copy of the same tree.
final class Workspace {
    enum Kind: String, CustomStringConvertible {
        case local, ntfs
        var description: String { self == .local ? "local disk" : "ntfs-3g" }
    }

    let kind: Kind
    private let base: String
    private let template: String
    /// The NTFS image holding the template (ntfs only).
    private var image: String { base + "/template.img" }
    private var mountPoint: String { base + "/mnt" }

    init(kind: Kind, template: String, base: String) throws {
        self.kind = kind
        self.template = template
        self.base = base
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        if kind == .ntfs {
            // An image large enough for the tree (sparse: only what is written takes space).
            try shell("truncate -s 8G '\(image)' && mkntfs -F -Q '\(image)' >/dev/null 2>&1")
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            try shell("ntfs-3g '\(image)' '\(mountPoint)' && cp -a '\(template)'/. '\(mountPoint)'/ && umount '\(mountPoint)'")
        }
    }

    /// A fresh copy of the tree; returns the root to run on.
    func freshCopy() throws -> String {
        switch kind {
        case .local:
            let root = base + "/root"
            try? FileManager.default.removeItem(atPath: root)
            try shell("cp -a '\(template)' '\(root)' && sync")
            return root
        case .ntfs:
            try shell("cp --sparse=always '\(image)' '\(base)/work.img' && sync && ntfs-3g '\(base)/work.img' '\(mountPoint)'")
            return mountPoint
        }
    }

    /// Ends a run: unmounts the image (ntfs).
    func release() throws {
        if kind == .ntfs { try shell("umount '\(mountPoint)'") }
    }

    func remove() {
        if kind == .ntfs { _ = try? shell("umount '\(mountPoint)' 2>/dev/null || true") }
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// Runs a shell command, throwing when it fails. (Spawned and waited for directly: a daemon it
/// starts, such as ntfs-3g, must not keep the caller waiting.)
@discardableResult
func shell(_ command: String) throws -> Int32 {
    var pid: pid_t = 0
    let words: [String] = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    let spawned = posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ)
    guard spawned == 0 else { throw BenchFailure(message: "cannot start /bin/sh: \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    guard exit == 0 else { throw BenchFailure(message: "'\(command)' exited \(exit)") }
    return exit
}
