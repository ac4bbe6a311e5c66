#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Raw reads of a partition's first bytes, for `scan` (docs/architecture.md §12).
extension FileIO {
    /// The first `count` bytes of a block device: opened read-only (never for writing, so it may
    /// be mounted, and nothing is ever written to it), not through a link, and read once.
    ///
    /// - Parameters:
    ///   - path: The device node, such as `/dev/sdb3`.
    ///   - count: How many bytes (a sector: 512).
    ///   - allowRegularFile: Also accept a regular file (the fake device trees of `scan`'s tests).
    /// - Returns: The bytes read: fewer than `count` when the device is smaller.
    /// - Throws: `FileIOError` when it cannot be opened or read, or is not a block device
    ///   (`ENOTBLK`).
    public static func readHead(ofDevice path: String, count: Int, allowRegularFile: Bool = false) throws(FileIOError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, operation: "open")
        defer { close(fd) }
        var info = stat()
        if case .failure(let errno) = valueOrErrno({ fstat(fd, &info) }) {
            throw FileIOError(operation: "fstat", path: path, errno: errno)
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFBLK || (allowRegularFile && type == S_IFREG) else {
            throw FileIOError(operation: "open", path: path, errno: .notBlockDevice)
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { buffer in valueOrErrno { pread(fd, buffer.baseAddress, buffer.count, 0) } }
        switch read {
        case .success(let n): return Array(bytes.prefix(n))
        case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
        }
    }
}
