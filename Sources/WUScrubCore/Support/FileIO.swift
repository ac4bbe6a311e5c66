#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPosixShims
import Crypto
import Foundation
import SystemPackage

/// Small, careful file operations on paths of the host: fixture generation, tests, the file
/// `hive recover -o OUT` writes, private scratch copies. Never for the Windows volume, which is
/// reached only through `VolumeDirectory` (README, "Threat model").
///
/// Every function reports failures as `FileIOError`, which names the path and the `Errno`.
public enum FileIO {
    /// Reads a whole regular file without following a symbolic link in its last component.
    ///
    /// - Parameter path: The file to read.
    /// - Returns: The file's bytes.
    /// - Throws: `FileIOError` when the file cannot be opened or read.
    public static func read(_ path: String) throws(FileIOError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, operation: "open")
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            switch count {
            case .success(0): return bytes
            case .success(let n): bytes.append(contentsOf: chunk[0..<n])
            case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
            }
        }
    }

    /// Computes the SHA-256 of a file, streaming it in 1 MiB chunks.
    ///
    /// - Parameter path: The file to hash.
    /// - Returns: The digest as lower-case hex.
    /// - Throws: `FileIOError` when the file cannot be opened or read.
    public static func sha256(ofFile path: String) throws(FileIOError) -> String {
        let fd = try open(path, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC, operation: "open")
        defer { close(fd) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            switch count {
            case .success(0): return hex(hasher.finalize())
            case .success(let n): hasher.update(data: chunk[0..<n])
            case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
            }
        }
    }

    /// The SHA-256 of bytes in memory, as lower-case hex.
    public static func sha256(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Writes bytes to a new file, fsyncs it and leaves it in place.
    ///
    /// The file must not exist yet (`O_EXCL`), so a stale temporary file is never reused.
    /// - Parameters:
    ///   - bytes: The content.
    ///   - path: The file to create.
    ///   - mode: Permission bits of the new file.
    /// - Throws: `FileIOError` when any step fails; a partly written file is removed.
    public static func createDurably(_ bytes: [UInt8], at path: String, mode: mode_t = 0o644) throws(FileIOError) {
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: mode, operation: "create")
        do {
            try writeAll(fd, bytes, path: path)
            try fsync(fd, path: path)
            close(fd)
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
    }

    /// Replaces `path` atomically with `bytes`: temporary file, fsync, rename, fsync of the directory.
    ///
    /// - Parameters:
    ///   - bytes: The new content.
    ///   - path: The file to replace (or create).
    /// - Throws: `FileIOError`; on failure the original file is unchanged.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(FileIOError) {
        let temporary = temporaryName(beside: path)
        try createDurably(bytes, at: temporary)
        try renameDurably(temporary, to: path)
    }

    /// Renames `source` over `destination` and fsyncs the destination's directory.
    ///
    /// - Throws: `FileIOError`; on a failed rename the source is removed.
    public static func renameDurably(_ source: String, to destination: String) throws(FileIOError) {
        if case .failure(let errno) = nothingOrErrno({ Glibc.rename(source, destination) }) {
            unlink(source)
            throw FileIOError(operation: "rename to '\(destination)'", path: source, errno: errno)
        }
        try fsyncDirectory(containing: destination)
    }

    /// Fsyncs the directory that holds `path`, making a rename or creation in it durable.
    public static func fsyncDirectory(containing path: String) throws(FileIOError) {
        let directory = parent(of: path)
        let fd = try open(directory, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, operation: "open directory")
        defer { close(fd) }
        try fsync(fd, path: directory)
    }

    /// Copies a file into a new file and fsyncs the copy.
    ///
    /// - Returns: The SHA-256 of the bytes written.
    public static func copyDurably(_ source: String, to destination: String) throws(FileIOError) -> String {
        let bytes = try read(source)
        try createDurably(bytes, at: destination)
        try fsyncDirectory(containing: destination)
        return sha256(bytes)
    }

    /// Creates a directory and its missing parents (mode 0755) below `base`, refusing a component
    /// below `base` that is a symlink or not a directory. `base` itself (and what leads to it) is
    /// taken as given: a mount root reached through a symlinked parent is fine.
    ///
    /// - Parameters:
    ///   - relative: The directories to create, relative to `base` (or a whole path when `base` is empty).
    ///   - base: An existing directory.
    public static func makeDirectories(_ relative: String, under base: String = "") throws(FileIOError) {
        var current = base.isEmpty ? (relative.hasPrefix("/") ? "" : ".") : (base.hasSuffix("/") ? String(base.dropLast()) : base)
        for component in relative.split(separator: "/") {
            current += "/" + component
            switch nothingOrErrno({ mkdir(current, 0o755) }) {
            case .success:
                // A new directory entry is durable only once its parent is synced (journal and
                // backups go into folders this creates).
                try fsyncDirectory(containing: current)
            case .failure(let errno) where errno == .fileExists: break
            case .failure(let errno): throw FileIOError(operation: "create directory", path: current, errno: errno)
            }
            var info = stat()
            if lstat(current, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR {
                throw FileIOError(operation: "use directory (it is a link or not a directory)", path: current, errno: .notDirectory)
            }
        }
    }

    /// Whether a path exists, without following a symlink in its last component.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The size of a regular file, or nil when it cannot be stat'ed.
    public static func size(of path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// A unique, hidden temporary name in the same directory as `path`.
    public static func temporaryName(beside path: String) -> String {
        parent(of: path) + "/" + temporaryName(for: path.split(separator: "/").last.map(String.init) ?? "file")
    }

    /// Writes bytes to a new private file (mode 0600) in the system's temporary folder, never on
    /// the Windows volume. A scratch copy, so it is not fsynced; the caller removes it.
    ///
    /// - Parameters:
    ///   - bytes: The content.
    ///   - label: A name part that says what the copy is for.
    /// - Returns: The new file's path.
    public static func scratchCopy(_ bytes: [UInt8], label: String) throws(FileIOError) -> String {
        let path = temporaryName(beside: NSTemporaryDirectory() + label)
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600, operation: "create")
        defer { close(fd) }
        do {
            try writeAll(fd, bytes, path: path)
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    /// A unique, hidden temporary file name for a file named `original` in the same folder.
    public static func temporaryName(for original: String) -> String {
        ".\(original).wuscrub-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
    }

    /// Whether `name` is one `temporaryName(beside:)` makes for a file named `original`.
    public static func isTemporaryName(_ name: String, for original: String) -> Bool {
        name.hasPrefix(".\(original).wuscrub-") && name.hasSuffix(".tmp")
    }

    /// The directory part of a path ("." for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: - Internals

    static func open(_ path: String, flags: Int32, mode: mode_t = 0, operation: String) throws(FileIOError) -> Int32 {
        switch valueOrErrno({ Glibc.open(path, flags, mode) }) {
        case .success(let fd): return fd
        case .failure(let errno): throw FileIOError(operation: operation, path: path, errno: errno)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileIOError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                valueOrErrno { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            switch written {
            case .success(let n): offset += n
            case .failure(let errno): throw FileIOError(operation: "write", path: path, errno: errno)
            }
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(FileIOError) {
        if case .failure(let errno) = nothingOrErrno({ Glibc.fsync(fd) }) {
            throw FileIOError(operation: "fsync", path: path, errno: errno)
        }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }
}

/// A failed file operation: what was attempted, on which path, and the system's reason.
public struct FileIOError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Errno

    public init(operation: String, path: String, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "cannot \(operation) '\(path)': \(errno.description)"
    }
}

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
    static func isAbsentAttribute(_ code: Errno) -> Bool {
        code == .noData || code == .notSupported || code == Errno(rawValue: EOPNOTSUPP)
    }

    /// Lists the names in a directory (skipping `.`, `..` and names that are not UTF-8).
    public static func names(in directory: String) throws(FileIOError) -> [String] {
        guard let stream = opendir(directory) else { throw FileIOError(operation: "list", path: directory, errno: Errno(rawValue: errno)) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(validating: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let name, name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}

extension FileIO {
    /// Removes a file (not a directory), without following a link.
    public static func remove(_ path: String) throws(FileIOError) {
        if case .failure(let errno) = nothingOrErrno({ unlink(path) }) {
            throw FileIOError(operation: "remove", path: path, errno: errno)
        }
    }
}
