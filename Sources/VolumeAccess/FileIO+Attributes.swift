#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPosixShims
import SystemPackage

/// Ownership, permissions and the extended attributes through which ntfs-3g exposes NTFS metadata.
extension FileIO {
    /// Gives `target` the owner, group and permission bits of `original`, where the file system
    /// supports it (ntfs-3g without a user mapping refuses chown; that is not an error here), and
    /// the NTFS security descriptor and attribute flags ntfs-3g exposes as extended attributes.
    ///
    /// - Throws: `FileIOError` when `original` cannot be stat'ed.
    public static func copyOwnership(from original: String, to target: String) throws(FileIOError) {
        var info = stat()
        guard lstat(original, &info) == 0 else { throw FileIOError(operation: "stat", path: original, errno: Errno(rawValue: errno)) }
        _ = lchown(target, info.st_uid, info.st_gid)
        _ = chmod(target, info.st_mode & 0o7777)
        for name in ntfsAttributes {
            try copyAttribute(name, from: original, to: target)
        }
        // Owner, mode and attributes are metadata of the new file: make them durable before it
        // replaces the original.
        let fd = try open(target, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, operation: "open")
        defer { close(fd) }
        try fsync(fd, path: target)
    }

    /// The extended attributes through which ntfs-3g exposes what NTFS keeps on a file:
    /// its security descriptor and its attribute flags.
    public static let ntfsAttributes = ["system.ntfs_acl", "system.ntfs_attrib"]

    /// Copies one extended attribute when the original has it (absent or unsupported: nothing to do).
    ///
    /// - Throws: `FileIOError` when the original has it but it cannot be read or set on the target.
    public static func copyAttribute(_ name: String, from original: String, to target: String) throws(FileIOError) {
        guard let value = try attribute(name, of: original) else { return }
        let result = value.withUnsafeBytes { lsetxattr(target, name, $0.baseAddress, $0.count, 0) }
        if result != 0 {
            throw FileIOError(operation: "copy the \(name) attribute to", path: target, errno: Errno(rawValue: errno))
        }
    }

    /// An extended attribute's value, or nil when the file has none by that name.
    public static func attribute(_ name: String, of path: String) throws(FileIOError) -> [UInt8]? {
        let size = lgetxattr(path, name, nil, 0)
        if size < 0 {
            let code = Errno(rawValue: errno)
            if isAbsentAttribute(code) { return nil }
            throw FileIOError(operation: "read the \(name) attribute of", path: path, errno: code)
        }
        var value = [UInt8](repeating: 0, count: size)
        let read = value.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, $0.count) }
        guard read >= 0 else { throw FileIOError(operation: "read the \(name) attribute of", path: path, errno: Errno(rawValue: errno)) }
        return Array(value[0..<read])
    }

    /// Whether an extended-attribute call failed only because the file has no such attribute (or
    /// the file system keeps none).
    package static func isAbsentAttribute(_ code: Errno) -> Bool {
        code == .noData || code == .notSupported || code == Errno(rawValue: EOPNOTSUPP)
    }
}
