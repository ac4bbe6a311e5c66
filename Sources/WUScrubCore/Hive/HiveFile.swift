#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// File-level operations on hives that bypass hivex.
public enum HiveFile {
    /// Rewrites the base-block checksum of a hive file in place, with the special cases, and fsyncs it.
    ///
    /// - Parameter path: A hive file just written by `hivex_commit`.
    /// - Throws: `FileIOError` when the file cannot be read or written.
    public static func fixChecksum(at path: String) throws(FileIOError) {
        let fd = try FileIO.open(path, flags: O_RDWR | O_NOFOLLOW | O_CLOEXEC, operation: "open")
        defer { Glibc.close(fd) }
        var header = [UInt8](repeating: 0, count: 512)
        let read = header.withUnsafeMutableBytes { buffer in
            valueOrErrno { pread(fd, buffer.baseAddress, 512, 0) }
        }
        switch read {
        case .success(512): break
        case .success: throw FileIOError(operation: "read the base block of", path: path, errno: .ioError)
        case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
        }
        let stored = header.loadLE(UInt32.self, at: 508)
        let correct = BaseBlock.checksum(header[0..<512])
        if stored != correct {
            var bytes = [UInt8](repeating: 0, count: 4)
            bytes.storeLE(correct, at: 0)
            let written = bytes.withUnsafeBytes { buffer in
                valueOrErrno { pwrite(fd, buffer.baseAddress, 4, 508) }
            }
            if case .failure(let errno) = written { throw FileIOError(operation: "write the checksum of", path: path, errno: errno) }
        }
        try FileIO.fsync(fd, path: path)
    }
}
