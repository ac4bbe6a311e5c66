#if canImport(Glibc)
import Glibc
#endif
import CPosixShims
import SystemPackage

/// What one `statx` call tells about a file: its kind and size, its identity (device and inode)
/// and the mount it was reached through; and when it last changed (not part of its equality).
public struct FileIdentity: Sendable, Equatable {
    public var kind: EntryKind
    public var size: UInt64
    public var device: UInt64
    public var inode: UInt64
    /// How many names the file has (hard links).
    public var links: UInt64
    /// The mount id (Linux 5.8 and later), which tells a bind mount from the file system it shows.
    public var mountID: UInt64?
    /// The last status change and modification (nanoseconds): any write, truncation, rename,
    /// chmod or attribute change moves the first.
    public var changed: (status: Int64, content: Int64)

    package init(_ raw: wuscrub_identity) {
        kind = EntryKind(mode: raw.mode)
        size = raw.size
        device = raw.device
        inode = raw.inode
        links = raw.links
        mountID = raw.has_mount_id != 0 ? raw.mount_id : nil
        changed = (raw.changed_ns, raw.modified_ns)
    }

    /// The same kind, size, device, inode, link count and mount: the times are left out.
    public static func == (left: FileIdentity, right: FileIdentity) -> Bool {
        left.kind == right.kind && left.size == right.size && left.device == right.device && left.inode == right.inode
            && left.links == right.links && left.mountID == right.mountID
    }

    /// Whether the file is the same one, unchanged since `other` was taken: the same identity and
    /// the same change times (docs/architecture.md §11).
    package func isUnchanged(since other: FileIdentity) -> Bool {
        self == other && changed == other.changed
    }

    /// Whether two identities name the same file (device and inode).
    package func isSameFile(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode
    }

    /// Whether this file is on the given device and (when both are known) mount.
    package func isOn(device: UInt64, mountID: UInt64?) -> Bool {
        guard self.device == device else { return false }
        if let mountID, let own = self.mountID { return own == mountID }
        return true
    }

    /// The identity of an open descriptor.
    ///
    /// The corresponding C function is `statx` with `AT_EMPTY_PATH`.
    package static func of(descriptor: CInt) -> Result<FileIdentity, Errno> {
        var raw = wuscrub_identity()
        return nothingOrErrno { wuscrub_fd_identity(descriptor, &raw) }.map { FileIdentity(raw) }
    }

    /// The identity of a name in a directory, never following a link.
    ///
    /// The corresponding C function is `statx` with `AT_SYMLINK_NOFOLLOW`.
    package static func of(name: String, in directory: CInt) -> Result<FileIdentity, Errno> {
        name.withCString { of(name: $0, in: directory) }
    }

    /// The identity of a name (a NUL-terminated name from a directory stream) in a directory,
    /// never following a link.
    ///
    /// The corresponding C function is `statx` with `AT_SYMLINK_NOFOLLOW`.
    package static func of(name: UnsafePointer<CChar>, in directory: CInt) -> Result<FileIdentity, Errno> {
        var raw = wuscrub_identity()
        return nothingOrErrno { wuscrub_name_identity(directory, name, &raw) }.map { FileIdentity(raw) }
    }
}
