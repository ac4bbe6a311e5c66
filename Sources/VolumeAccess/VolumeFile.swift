#if canImport(Glibc)
import Glibc
#endif
import CPosixShims
import Crypto
import SystemPackage

/// A regular file on the Windows volume, opened through `VolumeDirectory` and checked.
///
/// Reads are bounded: the size from `statx` is checked against a limit before anything is
/// allocated, and a file that grows past its size while it is read is refused too.
public final class VolumeFile: @unchecked Sendable {
    /// The file's descriptor, owned by this object.
    public let descriptor: CInt
    /// The file's path relative to the mount root, for messages.
    public let path: String
    /// What `statx` said when the file was opened.
    public let identity: FileIdentity

    package init(descriptor: CInt, path: String, identity: FileIdentity) {
        self.descriptor = descriptor
        self.path = path
        self.identity = identity
    }

    deinit { _ = Glibc.close(descriptor) }

    /// The size when the file was opened.
    public var size: UInt64 { identity.size }

    /// What `statx` says about the open file now.
    public func currentIdentity() throws(VolumeError) -> FileIdentity {
        switch FileIdentity.of(descriptor: descriptor) {
        case .success(let identity): return identity
        case .failure(let errno): throw .io(FileIOError(operation: "stat", path: path, errno: errno))
        }
    }

    /// Refuses a file larger than `limit` bytes.
    ///
    /// - Parameters:
    ///   - limit: The largest size accepted.
    ///   - what: What the file is, for the message ("a SYSTEM hive").
    /// - Throws: `VolumeError.tooLarge`.
    public func checkSize(limit: Int, what: String) throws(VolumeError) {
        guard size <= UInt64(limit) else { throw .tooLarge(path: path, size: size, limit: limit, what: what) }
    }

    /// Reads the whole file, refusing one larger than `limit` before allocating anything.
    ///
    /// - Throws: `VolumeError.tooLarge`, `.io`.
    public func readAll(limit: Int, what: String) throws(VolumeError) -> [UInt8] {
        try checkSize(limit: limit, what: what)
        let expected = Int(size)
        // Under an address-space limit an array that cannot be allocated would abort the process:
        // ask malloc first, which answers with nil instead.
        guard let allocation = malloc(max(expected, 1)) else {
            throw .io(FileIOError(operation: "allocate \(expected) bytes to read", path: path, errno: .noMemory))
        }
        free(allocation)
        var bytes = [UInt8](repeating: 0, count: expected)
        var offset = 0
        while offset < expected {
            let count = bytes.withUnsafeMutableBytes { buffer in
                valueOrErrno { pread(descriptor, buffer.baseAddress! + offset, expected - offset, off_t(offset)) }
            }
            switch count {
            case .success(0):
                // Shorter than statx said (it shrank meanwhile): what is there is the content.
                return Array(bytes[0..<offset])
            case .success(let n): offset += n
            case .failure(let errno): throw .io(FileIOError(operation: "read", path: path, errno: errno))
            }
        }
        // A file that grew meanwhile is not the file that was measured.
        var probe: UInt8 = 0
        if case .success(let extra) = valueOrErrno({ pread(descriptor, &probe, 1, off_t(expected)) }), extra > 0 {
            throw .tooLarge(path: path, size: UInt64(expected) + 1, limit: expected, what: what + " (it grew while it was read)")
        }
        return bytes
    }

    /// Reads up to `count` bytes at `offset`.
    public func read(count: Int, at offset: UInt64 = 0) throws(VolumeError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                valueOrErrno { pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            }
            switch result {
            case .success(0): return Array(bytes[0..<done])
            case .success(let n): done += n
            case .failure(let errno): throw .io(FileIOError(operation: "read", path: path, errno: errno))
            }
        }
        return bytes
    }

    /// The SHA-256 of the file's content, streamed in 1 MiB chunks, refusing a file over `limit`.
    public func sha256(limit: Int, what: String) throws(VolumeError) -> String {
        try checkSize(limit: limit, what: what)
        let hashed: (digest: String, size: UInt64)
        do { hashed = try FileIO.sha256(descriptor, path: path, limit: UInt64(limit)) } catch { throw .io(error) }
        if hashed.size > UInt64(limit) { throw .tooLarge(path: path, size: hashed.size, limit: limit, what: what) }
        return hashed.digest
    }

    /// Copies the whole file to `target` (at its offset) through one 1 MiB buffer, hashing it on the
    /// way: the one read a hive needs (docs/architecture.md §11). Refuses a file larger than `limit`
    /// before reading, and one that grows past its size while it is read.
    ///
    /// - Returns: The bytes copied and their SHA-256.
    /// - Throws: `VolumeError.tooLarge`, `.io` (also when writing to `target` fails).
    public func copyContents(to target: CInt, limit: Int, what: String) throws(VolumeError) -> (size: Int, sha256: String) {
        try checkSize(limit: limit, what: what)
        var hasher = SHA256()
        let copied: UInt64
        do {
            copied = try FileIO.stream(descriptor, path: path, limit: size) { (chunk) throws(FileIOError) in
                hasher.update(bufferPointer: chunk)
                var done = 0
                while done < chunk.count {
                    switch valueOrErrno({ Glibc.write(target, chunk.baseAddress! + done, chunk.count - done) }) {
                    case .success(let n): done += n
                    case .failure(let errno): throw FileIOError(operation: "copy into memory", path: path, errno: errno)
                    }
                }
            }
        } catch {
            throw .io(error)
        }
        // A file that grew meanwhile is not the file that was measured.
        if copied > size { throw .tooLarge(path: path, size: copied, limit: Int(size), what: what + " (it grew while it was read)") }
        return (Int(copied), FileIO.hex(hasher.finalize()))
    }

    /// Writes the first `count` bytes of `source` at this file's offset, copied by the kernel.
    public func write(from source: CInt, count: Int) throws(VolumeError) {
        do { try FileIO.copy(from: source, to: descriptor, count: count, path: path) } catch { throw .io(error) }
    }

    /// Writes all of `bytes` at the current position (the end, for a file opened to append).
    public func write(_ bytes: [UInt8]) throws(VolumeError) {
        do { try FileIO.writeAll(descriptor, bytes, path: path) } catch { throw .io(error) }
    }

    /// Makes the file's content and metadata durable.
    public func sync() throws(VolumeError) {
        if case .failure(let errno) = nothingOrErrno({ fsync(descriptor) }) {
            throw .io(FileIOError(operation: "fsync", path: path, errno: errno))
        }
    }

    /// Gives this file the owner, group and permission bits of `original` where the file system
    /// allows it (ntfs-3g without a user mapping refuses chown; that is not an error), and the NTFS
    /// security descriptor and attribute flags ntfs-3g exposes as extended attributes; then fsyncs.
    ///
    /// - Throws: `VolumeError.io` when `original` has an attribute that cannot be copied.
    public func copyMetadata(from original: VolumeFile) throws(VolumeError) {
        var info = stat()
        if fstat(original.descriptor, &info) == 0 {
            _ = fchown(descriptor, info.st_uid, info.st_gid)
            _ = fchmod(descriptor, info.st_mode & 0o7777)
        }
        for name in FileIO.ntfsAttributes {
            guard let value = try original.attribute(name) else { continue }
            let result = value.withUnsafeBytes { fsetxattr(descriptor, name, $0.baseAddress, $0.count, 0) }
            if result != 0 {
                throw .io(FileIOError(operation: "copy the \(name) attribute to", path: path, errno: Errno(rawValue: Glibc.errno)))
            }
        }
        try sync()
    }

    /// An extended attribute's value (at most 64 KiB), or nil when the file has none by that name.
    public func attribute(_ name: String) throws(VolumeError) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: 65536)
        let read = value.withUnsafeMutableBytes { fgetxattr(descriptor, name, $0.baseAddress, $0.count) }
        if read < 0 {
            let code = Errno(rawValue: Glibc.errno)
            if FileIO.isAbsentAttribute(code) { return nil }
            throw .io(FileIOError(operation: "read the \(name) attribute of", path: path, errno: code))
        }
        return Array(value[0..<read])
    }
}
