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
        let header = try baseBlock(fd, path: path)
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

    /// A private copy of a hive that hivex can open, when the hive's checksum is one of the two
    /// special cases (docs/registry-format.md §1.2, §11.2) that hivex rejects although they are correct; nil otherwise.
    ///
    /// The copy goes into the system's temporary folder (never the Windows volume) and carries the
    /// plain XOR that hivex expects; the caller removes it.
    /// - Parameter path: A hive file.
    /// - Returns: The copy's path, or nil when hivex can open the file as it is.
    /// - Throws: `FileIOError` when the file cannot be read or the copy written.
    static func hivexCompatibleCopy(of path: String) throws(FileIOError) -> String? {
        // A file that cannot be opened or is too short for a base block: hivex's own error says so.
        guard let fd = try? FileIO.open(path, flags: O_RDONLY | O_CLOEXEC, operation: "open") else { return nil }
        defer { Glibc.close(fd) }
        guard let header = try? baseBlock(fd, path: path) else { return nil }
        guard hivexCompatible(header) != header else { return nil }
        return try FileIO.scratchCopy(hivexCompatible(try FileIO.read(path)), label: "wuscrub-hivex")
    }

    /// The bytes of a hive as hivex can open them: when the checksum is one of the two special
    /// cases (docs/registry-format.md §1.2, §11.2), a copy carrying hivex's plain XOR instead; otherwise the bytes unchanged.
    ///
    /// - Parameter bytes: A hive (or at least its base block).
    static func hivexCompatible(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 512 else { return bytes }
        let stored = bytes.loadLE(UInt32.self, at: 508)
        let raw = BaseBlock.rawChecksum(bytes[0..<512])
        guard stored != raw, stored == BaseBlock.checksum(bytes[0..<512]) else { return bytes }
        var copy = bytes
        copy.storeLE(raw, at: 508)
        return copy
    }

    /// The first 512 bytes of an open hive file.
    private static func baseBlock(_ fd: CInt, path: String) throws(FileIOError) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        let read = header.withUnsafeMutableBytes { buffer in
            valueOrErrno { pread(fd, buffer.baseAddress, 512, 0) }
        }
        switch read {
        case .success(512): return header
        case .success: throw FileIOError(operation: "read the base block of", path: path, errno: .ioError)
        case .failure(let errno): throw FileIOError(operation: "read", path: path, errno: errno)
        }
    }
}
