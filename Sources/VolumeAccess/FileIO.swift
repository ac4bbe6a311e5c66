#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPosixShims
import Crypto
import FoundationEssentials
import SystemPackage

/// Small, careful file operations on paths of the host: fixture generation, tests, the file
/// `hive recover -o OUT` writes, private scratch copies. Never for the Windows volume, which is
/// reached only through `VolumeDirectory` (docs/architecture.md §7.1).
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
        return try sha256(fd, path: path).digest
    }

    /// The SHA-256 of bytes in memory, as lower-case hex.
    public static func sha256(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    // MARK: - Internals

    package static func open(_ path: String, flags: Int32, mode: mode_t = 0, operation: String) throws(FileIOError) -> Int32 {
        switch valueOrErrno({ Glibc.open(path, flags, mode) }) {
        case .success(let fd): return fd
        case .failure(let errno): throw FileIOError(operation: operation, path: path, errno: errno)
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileIOError) {
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

    package static func fsync(_ fd: Int32, path: String) throws(FileIOError) {
        if case .failure(let errno) = nothingOrErrno({ Glibc.fsync(fd) }) {
            throw FileIOError(operation: "fsync", path: path, errno: errno)
        }
    }

    package static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined()
    }
}
