#if canImport(Glibc)
import Glibc
#endif
import CPosixShims
import SystemPackage

/// A folder on the Windows volume, open, from which files and folders are reached by single names.
///
/// The one way wuscrub touches the volume (docs/architecture.md §7.1): the mount root is opened
/// once; below it every entry is inspected with `statx(AT_SYMLINK_NOFOLLOW)` and must be the kind
/// expected (a regular file or a folder) before it is opened with `openat(O_NOFOLLOW | O_NONBLOCK |
/// O_CLOEXEC)` relative to its parent's descriptor; the opened descriptor is checked again (same
/// file as inspected, on the root's device and mount). A device node, FIFO, socket or link is
/// therefore never opened, nor is a file with several names (hard links, one of which could be
/// outside ROOT); all later work uses the descriptor, never the path again.
public final class VolumeDirectory: @unchecked Sendable {
    /// The folder's descriptor, owned by this object.
    public let descriptor: CInt
    /// The folder's path relative to the mount root ("" for the root itself), for messages.
    public let path: String
    /// The mount root as given.
    public let rootPath: String
    /// The mount root's device and mount id: everything reached must be on them.
    package let anchor: (device: UInt64, mountID: UInt64?)

    private init(descriptor: CInt, path: String, rootPath: String, anchor: (device: UInt64, mountID: UInt64?)) {
        self.descriptor = descriptor
        self.path = path
        self.rootPath = rootPath
        self.anchor = anchor
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Opens the mount root (its last component must not be a link; what leads to it is the user's).
    ///
    /// - Parameter root: The mount point of the Windows partition, or any folder used as one.
    /// - Throws: `VolumeError.wrongKind` when it is not a folder; `.io` when it cannot be opened.
    public static func openRoot(_ root: String) throws(VolumeError) -> VolumeDirectory {
        let opened = valueOrErrno { Glibc.open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        let descriptor: CInt
        switch opened {
        case .success(let value): descriptor = value
        case .failure(let errno) where errno == .notDirectory || errno == .tooManySymbolicLinkLevels:
            var info = stat()
            let found = lstat(root, &info) == 0 ? EntryKind(mode: UInt32(info.st_mode)) : .unknown
            throw .wrongKind(path: root, found: found, expected: .directory)
        case .failure(let errno):
            throw .io(FileIOError(operation: "open", path: root, errno: errno))
        }
        switch FileIdentity.of(descriptor: descriptor) {
        case .success(let identity):
            return VolumeDirectory(descriptor: descriptor, path: "", rootPath: root, anchor: (identity.device, identity.mountID))
        case .failure(let errno):
            _ = Glibc.close(descriptor)
            throw .io(FileIOError(operation: "stat", path: root, errno: errno))
        }
    }

    /// The path of an entry of this folder, relative to the mount root, for messages.
    public func display(_ name: String) -> String {
        path.isEmpty ? name : path + "/" + name
    }

    /// This folder's path for messages (the mount root as given for the root itself).
    public var shown: String { path.isEmpty ? rootPath : path }

    // MARK: - Inspecting

    /// What an entry of this folder is, without following a link.
    ///
    /// - Returns: Its identity, or nil when there is no such entry.
    /// - Throws: `VolumeError.invalidName`, `.io`.
    public func entry(_ name: String) throws(VolumeError) -> FileIdentity? {
        try checkName(name)
        switch FileIdentity.of(name: name, in: descriptor) {
        case .success(let identity): return identity
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return nil
        case .failure(let errno): throw .io(FileIOError(operation: "inspect", path: display(name), errno: errno))
        }
    }

    /// The most names `names()` lists: the folders wuscrub lists hold tens of entries.
    public static let maximumNames = 100_000

    /// The names in this folder, skipping `.`, `..` and names that are not UTF-8.
    ///
    /// - Throws: `VolumeError.io` when the folder cannot be read, `.tooManyEntries` when it holds more
    ///   than `maximumNames` entries (memory stays bounded whatever the volume holds).
    public func names() throws(VolumeError) -> [String] {
        let copy = valueOrErrno { fcntl(descriptor, F_DUPFD_CLOEXEC, 0) }
        guard case .success(let duplicate) = copy, let stream = fdopendir(duplicate) else {
            if case .success(let duplicate) = copy { _ = Glibc.close(duplicate) }
            throw .io(FileIOError(operation: "list", path: shown, errno: Errno(rawValue: Glibc.errno)))
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(stream) else {
                if Glibc.errno != 0 { throw .io(FileIOError(operation: "list", path: shown, errno: Errno(rawValue: Glibc.errno))) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(validating: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let name, name != ".", name != ".." {
                guard names.count < VolumeDirectory.maximumNames else {
                    throw .tooManyEntries(path: shown, limit: VolumeDirectory.maximumNames)
                }
                names.append(name)
            }
        }
    }

    // MARK: - Folders

    /// Opens a subfolder.
    ///
    /// - Returns: The folder, or nil when there is no entry by that name.
    /// - Throws: `VolumeError.wrongKind` when the entry is not a folder (a link included),
    ///   `.otherMount`, `.replaced`, `.io`.
    public func subdirectory(_ name: String) throws(VolumeError) -> VolumeDirectory? {
        guard let inspected = try entry(name) else { return nil }
        guard inspected.kind == .directory else {
            throw .wrongKind(path: display(name), found: inspected.kind, expected: .directory)
        }
        let child: CInt
        switch valueOrErrno({ openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }) {
        case .success(let value): child = value
        case .failure(let errno) where errno == .noSuchFileOrDirectory || errno == .notDirectory || errno == .tooManySymbolicLinkLevels:
            throw .replaced(path: display(name))
        case .failure(let errno): throw .io(FileIOError(operation: "open", path: display(name), errno: errno))
        }
        do {
            try check(child, name: name, inspected: inspected, expected: .directory)
        } catch {
            _ = Glibc.close(child)
            throw error
        }
        return VolumeDirectory(descriptor: child, path: display(name), rootPath: rootPath, anchor: anchor)
    }

    /// Opens the folder at a path of plain names below this one (`Windows/Logs/wuscrub`).
    ///
    /// - Returns: The folder, or nil when a component is missing.
    public func directory(at relative: String) throws(VolumeError) -> VolumeDirectory? {
        var current = self
        for component in relative.split(separator: "/") {
            guard let next = try current.subdirectory(String(component)) else { return nil }
            current = next
        }
        return current
    }

    /// Opens a subfolder, creating it (mode 0755, made durable in this folder) when it is missing.
    ///
    /// - Throws: As `subdirectory(_:)`, and `.io` when it cannot be created.
    public func makeSubdirectory(_ name: String) throws(VolumeError) -> VolumeDirectory {
        if let existing = try subdirectory(name) { return existing }
        switch nothingOrErrno({ mkdirat(descriptor, name, 0o755) }) {
        case .success: try sync()
        case .failure(let errno) where errno == .fileExists: break
        case .failure(let errno): throw .io(FileIOError(operation: "create folder", path: display(name), errno: errno))
        }
        guard let created = try subdirectory(name) else { throw .replaced(path: display(name)) }
        return created
    }

    /// Opens or creates every folder of a path of plain names below this one.
    public func makeDirectories(_ relative: String) throws(VolumeError) -> VolumeDirectory {
        var current = self
        for component in relative.split(separator: "/") {
            current = try current.makeSubdirectory(String(component))
        }
        return current
    }

    // MARK: - Files

    /// How a file is opened.
    public enum Access: Sendable {
        case read, readWrite, append

        var flags: CInt {
            switch self {
            case .read: O_RDONLY
            case .readWrite: O_RDWR
            case .append: O_WRONLY | O_APPEND
            }
        }
    }

    /// Opens an existing regular file.
    ///
    /// - Returns: The file, or nil when there is no entry by that name.
    /// - Throws: `VolumeError.wrongKind` for anything but a regular file (a link, a device node,
    ///   a FIFO… is never opened), `.otherMount`, `.replaced`, `.io`.
    public func file(_ name: String, access: Access = .read) throws(VolumeError) -> VolumeFile? {
        guard let inspected = try entry(name) else { return nil }
        guard inspected.kind == .regularFile else {
            throw .wrongKind(path: display(name), found: inspected.kind, expected: .regularFile)
        }
        // Another name of the same file may be outside ROOT: reading or appending would reach it.
        guard inspected.links <= 1 else { throw .hardLinked(path: display(name), links: inspected.links) }
        let opened: CInt
        switch valueOrErrno({ openat(descriptor, name, access.flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }) {
        case .success(let value): opened = value
        case .failure(let errno) where errno == .noSuchFileOrDirectory || errno == .tooManySymbolicLinkLevels:
            throw .replaced(path: display(name))
        case .failure(let errno): throw .io(FileIOError(operation: "open", path: display(name), errno: errno))
        }
        do {
            let identity = try check(opened, name: name, inspected: inspected, expected: .regularFile)
            return VolumeFile(descriptor: opened, path: display(name), identity: identity)
        } catch {
            _ = Glibc.close(opened)
            throw error
        }
    }

    /// Creates a new regular file; the name must not exist (`O_EXCL`, so nothing is ever reused or followed).
    ///
    /// - Parameters:
    ///   - name: The new file's name.
    ///   - mode: Its permission bits.
    ///   - append: Open it for appending (else for reading and writing).
    /// - Throws: `VolumeError.io` (`EEXIST` when the name exists), `.otherMount`.
    public func createFile(_ name: String, mode: mode_t = 0o644, append: Bool = false) throws(VolumeError) -> VolumeFile {
        try checkName(name)
        let flags = (append ? O_WRONLY | O_APPEND : O_RDWR) | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
        let opened: CInt
        switch valueOrErrno({ openat(descriptor, name, flags, mode) }) {
        case .success(let value): opened = value
        case .failure(let errno): throw .io(FileIOError(operation: "create", path: display(name), errno: errno))
        }
        do {
            let identity = try check(opened, name: name, inspected: nil, expected: .regularFile)
            return VolumeFile(descriptor: opened, path: display(name), identity: identity)
        } catch {
            _ = Glibc.close(opened)
            _ = unlinkat(descriptor, name, 0)
            throw error
        }
    }

    /// Opens a regular file for appending, creating it when it is missing.
    public func appendFile(_ name: String, mode: mode_t = 0o644) throws(VolumeError) -> VolumeFile {
        if let existing = try file(name, access: .append) { return existing }
        do {
            return try createFile(name, mode: mode, append: true)
        } catch .io(let error) where error.errno == .fileExists {
            // Created by someone else meanwhile: open it with every check.
            guard let existing = try file(name, access: .append) else { throw .replaced(path: display(name)) }
            return existing
        }
    }

    // MARK: - Changing entries

    /// Renames an entry of this folder over another name of this folder.
    ///
    /// - Throws: `VolumeError.io`.
    public func rename(_ source: String, to destination: String) throws(VolumeError) {
        try checkName(source)
        try checkName(destination)
        if case .failure(let errno) = nothingOrErrno({ renameat(descriptor, source, descriptor, destination) }) {
            throw .io(FileIOError(operation: "rename to '\(display(destination))'", path: display(source), errno: errno))
        }
    }

    /// Renames an entry of this folder to a name of this folder that must not exist: never
    /// replaces anything (`renameat2` with `RENAME_NOREPLACE`).
    ///
    /// - Throws: `VolumeError.io` (`EEXIST` when the new name exists).
    public func renameNoReplace(_ source: String, to destination: String) throws(VolumeError) {
        try checkName(source)
        try checkName(destination)
        if case .failure(let errno) = nothingOrErrno({ wuscrub_move_noreplace(descriptor, source, descriptor, destination) }) {
            throw .io(FileIOError(operation: "rename to '\(display(destination))'", path: display(source), errno: errno))
        }
    }

    /// Removes an entry that is not a folder (a link or device node is removed, never followed).
    ///
    /// - Throws: `VolumeError.io` (`EISDIR` for a folder).
    public func remove(_ name: String) throws(VolumeError) {
        try checkName(name)
        if case .failure(let errno) = nothingOrErrno({ unlinkat(descriptor, name, 0) }) {
            throw .io(FileIOError(operation: "remove", path: display(name), errno: errno))
        }
    }

    /// Removes an empty subfolder (`unlinkat(AT_REMOVEDIR)`: a link is never followed, a folder that
    /// is not empty stays).
    ///
    /// - Throws: `VolumeError.io` (`ENOTEMPTY` when it holds anything, `ENOTDIR` when it is not a folder).
    public func removeDirectory(_ name: String) throws(VolumeError) {
        try checkName(name)
        if case .failure(let errno) = nothingOrErrno({ unlinkat(descriptor, name, AT_REMOVEDIR) }) {
            throw .io(FileIOError(operation: "remove folder", path: display(name), errno: errno))
        }
    }

    /// This folder's last modification, in nanoseconds since the epoch.
    public func modified() throws(VolumeError) -> Int64 {
        switch FileIdentity.of(descriptor: descriptor) {
        case .success(let identity): return identity.changed.content
        case .failure(let errno): throw .io(FileIOError(operation: "stat", path: shown, errno: errno))
        }
    }

    /// Sets this folder's last modification (nanoseconds since the epoch) through its descriptor;
    /// its last access is left as it is.
    public func setModified(_ nanoseconds: Int64) throws(VolumeError) {
        // UTIME_OMIT ((1 << 30) - 2, linux/stat.h; not exported to Swift): the access time stays.
        let times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2),
                     timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))]
        let result = times.withUnsafeBufferPointer { buffer in nothingOrErrno { futimens(descriptor, buffer.baseAddress) } }
        if case .failure(let errno) = result {
            throw .io(FileIOError(operation: "set the modification time of", path: shown, errno: errno))
        }
    }

    /// Makes changes to this folder's entries durable (fsync of the folder).
    public func sync() throws(VolumeError) {
        if case .failure(let errno) = nothingOrErrno({ fsync(descriptor) }) {
            throw .io(FileIOError(operation: "fsync", path: shown, errno: errno))
        }
    }

    // MARK: - Checks

    /// Refuses a name that `openat` would not resolve as one entry of this folder.
    package func checkName(_ name: String) throws(VolumeError) {
        guard !name.isEmpty, name != ".", name != "..", !name.utf8.contains(UInt8(ascii: "/")), !name.utf8.contains(0) else {
            throw .invalidName(path: display(name))
        }
    }

    /// Checks an opened descriptor: the kind expected, the very entry inspected, on the root's mount.
    @discardableResult
    private func check(_ opened: CInt, name: String, inspected: FileIdentity?, expected: EntryKind) throws(VolumeError) -> FileIdentity {
        let identity: FileIdentity
        switch FileIdentity.of(descriptor: opened) {
        case .success(let value): identity = value
        case .failure(let errno): throw .io(FileIOError(operation: "stat", path: display(name), errno: errno))
        }
        guard identity.kind == expected else {
            throw .wrongKind(path: display(name), found: identity.kind, expected: expected)
        }
        if let inspected, !identity.isSameFile(as: inspected) { throw .replaced(path: display(name)) }
        guard identity.isOn(device: anchor.device, mountID: anchor.mountID) else { throw .otherMount(path: display(name)) }
        return identity
    }
}
