#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Durable writes on host paths: create, replace, rename and copy, each fsynced with its folder.
extension FileIO {
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
}
