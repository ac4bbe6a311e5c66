import Foundation

/// Where the runs happen: a folder on the local disk, an NTFS image mounted with ntfs-3g, or an
/// ext4 image on a loop device. Every run gets a fresh copy of the same tree: for the images, a
/// sparse copy of the image file (seconds), where copying 100,000 files takes about a minute.
final class Workspace {
    enum Kind: String, CustomStringConvertible {
        case local, ntfs, ext4
        var description: String {
            switch self {
            case .local: "local disk"
            case .ntfs: "ntfs-3g"
            case .ext4: "ext4 (loop)"
            }
        }
        var isImage: Bool { self != .local }
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
        if kind.isImage {
            // An image large enough for the tree (sparse: only what is written takes space).
            let make = kind == .ntfs ? "mkntfs -F -Q '\(image)'" : "mkfs.ext4 -q -F '\(image)'"
            try shell("truncate -s 8G '\(image)' && \(make) >/dev/null 2>&1")
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            try shell("\(mount(image)) && cp -a '\(template)'/. '\(mountPoint)'/ && umount '\(mountPoint)'")
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
        case .ntfs, .ext4:
            try shell("cp --sparse=always '\(image)' '\(base)/work.img' && sync && \(mount(base + "/work.img"))")
            return mountPoint
        }
    }

    /// The command that mounts an image of this kind (a loop device for ext4, freed at umount).
    private func mount(_ file: String) -> String {
        kind == .ntfs ? "ntfs-3g '\(file)' '\(mountPoint)'" : "mount -o loop '\(file)' '\(mountPoint)'"
    }

    /// Ends a run: unmounts the image.
    func release() throws {
        if kind.isImage { try shell("umount '\(mountPoint)'") }
    }

    func remove() {
        if kind.isImage { _ = try? shell("umount '\(mountPoint)' 2>/dev/null || true") }
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
