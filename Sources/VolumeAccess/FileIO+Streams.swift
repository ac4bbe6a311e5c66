#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPosixShims
import Crypto
import SystemPackage

// Whole files moved without holding them in memory: streamed through one 1 MiB buffer (and hashed
// on the way), or copied by the kernel (docs/architecture.md §11).
extension FileIO {
    /// The size of the buffer files are streamed through.
    static let streamChunk = 1 << 20

    /// Reads an open file from offset 0 to its end in 1 MiB chunks (`pread`: the descriptor's
    /// offset is left alone), handing each chunk to `body`.
    ///
    /// - Parameters:
    ///   - fd: The file.
    ///   - path: Its path, for messages.
    ///   - limit: Stops (and returns) as soon as more than `limit` bytes were read.
    /// - Returns: The bytes read.
    package static func stream(_ fd: CInt, path: String, limit: UInt64 = .max,
                               _ body: (UnsafeRawBufferPointer) throws(FileIOError) -> Void) throws(FileIOError) -> UInt64 {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: streamChunk, alignment: 16)
        defer { chunk.deallocate() }
        var offset: UInt64 = 0
        while offset <= limit {
            switch valueOrErrno({ pread(fd, chunk.baseAddress, chunk.count, off_t(offset)) }) {
            case .success(0): return offset
            case .success(let n):
                try body(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                offset += UInt64(n)
            case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
            }
        }
        return offset
    }

    /// The SHA-256 of an open file's whole content, streamed.
    ///
    /// - Returns: The digest as lower-case hex, and the bytes hashed.
    package static func sha256(_ fd: CInt, path: String, limit: UInt64 = .max) throws(FileIOError) -> (digest: String, size: UInt64) {
        var hasher = SHA256()
        let size = try stream(fd, path: path, limit: limit) { hasher.update(bufferPointer: $0) }
        return (hex(hasher.finalize()), size)
    }

    /// Copies `count` bytes of `source`, from its offset 0, to `target` at its file offset, in the
    /// kernel (`copy_file_range`, else `sendfile`, else a 1 MiB buffer).
    ///
    /// - Throws: `FileIOError` naming `path`, also when `source` ends before `count` bytes.
    package static func copy(from source: CInt, to target: CInt, count: Int, path: String) throws(FileIOError) {
        var copied: Int64 = 0
        repeat {
            copied = wuscrub_copy_range(source, 0, target, Int64(count))
        } while copied < 0 && errno == EINTR
        if copied < 0 { throw FileIOError(operation: "copy into", path: path, errno: Errno(rawValue: errno)) }
        if copied != Int64(count) { throw FileIOError(operation: "copy \(count) bytes (the source ended after \(copied)) into", path: path, errno: .ioError) }
    }
}
