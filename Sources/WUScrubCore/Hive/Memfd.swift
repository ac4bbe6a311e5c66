import CSandbox
#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An anonymous in-memory file (`memfd_create`) that hands bytes to the hivex child and back.
///
/// The descriptor is close-on-exec and sits at 10 or above, so that the child's fixed
/// descriptors (2 to 5) can be set up with `dup2` in any order without clobbering one another.
final class Memfd {
    let fd: CInt

    /// Creates an empty memfd that accepts seals.
    ///
    /// - Parameter name: A name for /proc (debugging only).
    /// - Throws: The errno of `memfd_create` or `fcntl`.
    /// The corresponding C functions are `memfd_create` and `fcntl(F_DUPFD_CLOEXEC)`.
    init(name: String) throws(Errno) {
        let created = wuscrub_memfd_create(name)
        guard created >= 0 else { throw Errno(rawValue: errno) }
        let moved = fcntl(created, F_DUPFD_CLOEXEC, 10)
        let failure = errno
        Glibc.close(created)
        guard moved >= 0 else { throw Errno(rawValue: failure) }
        fd = moved
    }

    deinit { Glibc.close(fd) }

    /// Writes all of `bytes` at the start, and leaves the file offset at 0 again (the child's
    /// duplicates share it).
    func write(_ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            offset += written
        }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw Errno(rawValue: errno) }
    }

    /// Forbids any further change: write, grow, shrink, and adding or removing seals.
    ///
    /// The corresponding C function is `fcntl(F_ADD_SEALS)`.
    func seal() throws(Errno) {
        guard wuscrub_memfd_seal(fd) == 0 else { throw Errno(rawValue: errno) }
    }

    /// The whole content, when it is at most `limit` bytes.
    ///
    /// - Returns: The bytes, or nil when the file is larger than `limit`.
    func read(limit: Int) throws(Errno) -> [UInt8]? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw Errno(rawValue: errno) }
        let size = Int(status.st_size)
        guard size <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + offset, size - offset, off_t(offset))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            if count == 0 { return Array(bytes[0..<offset]) }
            offset += count
        }
        return bytes
    }
}
