#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// A hive's bytes held in a sealed in-memory file (`memfd`) rather than in the process's memory:
/// the form every whole hive takes between the volume, the hivex child and the volume again
/// (docs/architecture.md §11).
///
/// An image is made once — read from a file while it is hashed, or taken over from the hivex
/// child and sealed — and never changes after: its `sha256` is computed that once and reused. The
/// child reads it through the descriptor (no copy), a file is written from it by the kernel
/// (`copy_file_range`/`sendfile`), and the structural checks read only the pieces they look at.
/// Only the log replay of a dirty hive needs the bytes in memory (`bytes()`).
public final class HiveImage: @unchecked Sendable {
    /// The sealed file (no write, grow or shrink: the child cannot change it either).
    let memfd: Memfd
    /// The content's length and SHA-256 (lower-case hex), measured once when it was sealed.
    private let measured: (size: Int, sha256: String)

    /// The content's length.
    public var size: Int { measured.size }
    /// The content's SHA-256, lower-case hex.
    public var sha256: String { measured.sha256 }

    private init(memfd: Memfd, size: Int, sha256: String) {
        (self.memfd, measured) = (memfd, (size, sha256))
    }

    /// Holds bytes already in memory (a replayed hive, a test's hive).
    ///
    /// - Parameters:
    ///   - bytes: The hive.
    ///   - path: The hive's path, for messages.
    /// - Throws: `HiveError.io` when no in-memory file can be made.
    public convenience init(_ bytes: [UInt8], path: String) throws(HiveError) {
        let memfd = try HiveImage.memfd(path: path) { (memfd) throws(Errno) in try memfd.write(bytes) }
        self.init(memfd: memfd, size: bytes.count, sha256: FileIO.sha256(bytes))
    }

    /// Reads a file of the volume in one streamed pass, hashing it on the way.
    ///
    /// - Throws: `VolumeError.tooLarge` over `limit`, `.io`.
    static func read(_ file: VolumeFile, limit: Int, what: String) throws -> HiveImage {
        let memfd: Memfd
        do { memfd = try Memfd(name: "wuscrub-hive") } catch {
            throw HiveError.io(FileIOError(operation: "hold in memory", path: file.path, errno: error))
        }
        let copied = try file.copyContents(to: memfd.fd, limit: limit, what: what)
        do { try memfd.seal() } catch {
            throw HiveError.io(FileIOError(operation: "seal the in-memory copy of", path: file.path, errno: error))
        }
        return HiveImage(memfd: memfd, size: copied.size, sha256: copied.sha256)
    }

    /// Takes over what the hivex child wrote: gives it its correct checksum (hivex writes the
    /// plain XOR, docs/registry-format.md §1.2), seals it and hashes it.
    ///
    /// - Returns: nil when the file is larger than `limit`.
    static func adopt(_ memfd: Memfd, limit: Int, path: String) throws(HiveError) -> HiveImage? {
        func failure(_ errno: Errno) -> HiveError { .io(FileIOError(operation: "take over the hive the hivex child wrote for", path: path, errno: errno)) }
        var status = stat()
        guard fstat(memfd.fd, &status) == 0 else { throw failure(Errno(rawValue: errno)) }
        let size = Int(status.st_size)
        guard size <= limit else { return nil }
        if size >= 512 {
            var header = pieceOf(memfd.fd, count: 512, at: 0)
            let correct = BaseBlock.checksum(header[0..<512])
            if header.loadLE(UInt32.self, at: 508) != correct {
                header.storeLE(correct, at: 508)
                let written = header.withUnsafeBytes { pwrite(memfd.fd, $0.baseAddress! + 508, 4, 508) }
                guard written == 4 else { throw failure(written < 0 ? Errno(rawValue: errno) : .ioError) }
            }
        }
        do throws(Errno) { try memfd.seal() } catch { throw failure(error) }
        do throws(FileIOError) {
            return HiveImage(memfd: memfd, size: size, sha256: try FileIO.sha256(memfd.fd, path: path).digest)
        } catch {
            throw .io(error)
        }
    }

    /// Up to `count` bytes at `offset` (fewer at the end).
    public func read(count: Int, at offset: Int) -> [UInt8] { HiveImage.pieceOf(memfd.fd, count: count, at: offset) }

    /// The whole content in memory: for the log replay of a dirty hive, and tests.
    public func bytes() -> [UInt8] { read(count: size, at: 0) }

    /// Checks the structure (`HiveLayout.validate`), reading only the pieces it looks at (the base
    /// block, 12 bytes a bin, 6 of the root cell) through a read-only mapping of 1 MiB at a time,
    /// unmapped before the next: no copy, and at most 1 MiB of the hive resident at once.
    @discardableResult
    func validate(path: String) throws(HiveError) -> BaseBlock {
        let span = 1 << 20
        var window: (start: Int, bytes: UnsafeRawBufferPointer)?
        defer { if let window { munmap(UnsafeMutableRawPointer(mutating: window.bytes.baseAddress), window.bytes.count) } }
        do {
            return try HiveLayout.validate(size: size, path: path) { offset, count in
                guard offset >= 0, count > 0, offset < size else { return [] }
                if let current = window, offset >= current.start, offset + count <= current.start + current.bytes.count {
                    return Array(current.bytes[(offset - current.start)..<min(offset - current.start + count, current.bytes.count)])
                }
                if let old = window { munmap(UnsafeMutableRawPointer(mutating: old.bytes.baseAddress), old.bytes.count) }
                window = nil
                let start = offset & ~(span - 1)
                let length = min(max(span, offset + count - start), size - start)
                guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, memfd.fd, off_t(start)), mapped != MAP_FAILED else {
                    return read(count: count, at: offset)
                }
                window = (start, UnsafeRawBufferPointer(start: mapped, count: length))
                return Array(window!.bytes[(offset - start)..<min(offset - start + count, length)])
            }
        } catch {
            throw HiveError(error)
        }
    }

    /// The image as hivex can open it: when the checksum is one of the two special cases
    /// (docs/registry-format.md §1.2, §11.2), a copy carrying hivex's plain XOR; otherwise itself.
    func hivexCompatible(path: String) throws(HiveError) -> HiveImage {
        let header = read(count: 512, at: 0)
        let patched = HiveFile.hivexCompatible(header)
        guard patched != header else { return self }
        let memfd = try HiveImage.memfd(path: path) { (copy) throws(Errno) in
            do throws(FileIOError) { try FileIO.copy(from: self.memfd.fd, to: copy.fd, count: size, path: path) } catch { throw error.errno }
            let written = patched.withUnsafeBytes { pwrite(copy.fd, $0.baseAddress! + 508, 4, 508) }
            guard written == 4 else { throw written < 0 ? Errno(rawValue: errno) : .ioError }
            guard lseek(copy.fd, 0, SEEK_SET) == 0 else { throw Errno(rawValue: errno) }
        }
        do {
            return HiveImage(memfd: memfd, size: size, sha256: try FileIO.sha256(memfd.fd, path: path).digest)
        } catch {
            throw .io(error)
        }
    }

    /// Writes the image at `file`'s offset, copied by the kernel.
    func write(to file: VolumeFile) throws(VolumeError) {
        try file.write(from: memfd.fd, count: size)
    }

    /// A new memfd, filled by `fill`, then sealed; errors name `path`.
    private static func memfd(path: String, _ fill: (Memfd) throws(Errno) -> Void) throws(HiveError) -> Memfd {
        do {
            let memfd = try Memfd(name: "wuscrub-hive")
            try fill(memfd)
            try memfd.seal()
            return memfd
        } catch {
            throw .io(FileIOError(operation: "hold in memory", path: path, errno: error))
        }
    }

    private static func pieceOf(_ fd: CInt, count: Int, at offset: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return done == count ? bytes : Array(bytes[0..<done])
    }
}
