#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FoundationEssentials
import SystemPackage

/// Queries, listings, removal and temporary names on host paths.
extension FileIO {
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
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        let path = temporaryName(beside: (folder.hasSuffix("/") ? folder : folder + "/") + label)
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: 0o600, operation: "create")
        defer { close(fd) }
        do throws(FileIOError) {
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

    /// Removes a file (not a directory), without following a link.
    public static func remove(_ path: String) throws(FileIOError) {
        if case .failure(let errno) = nothingOrErrno({ unlink(path) }) {
            throw FileIOError(operation: "remove", path: path, errno: errno)
        }
    }
}
