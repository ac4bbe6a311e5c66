#if canImport(Glibc)
import Glibc
#endif

/// Replaces a hive file with an edited copy, never in place, with the in-process `Hive`: for
/// trusted files only (fixtures, tests). A reset edits the volume's hive in the sandboxed hivex
/// child (`HiveSandbox`) and writes it through the volume layer (`Resetter.replaceHive`).
///
/// The steps: open the hive with hivex, apply the edit in memory, commit to a temporary file in
/// the hive's own directory, fix its checksum, validate its structure, reopen it with hivex and
/// check the edit, fsync, then (after `beforeReplace` has run) rename it over the original and
/// fsync the directory. Any failure removes the temporary file and leaves the original as it was.
public enum HiveEditor {
    /// Edits a hive atomically.
    ///
    /// - Parameters:
    ///   - path: The hive to replace.
    ///   - source: Bytes to start from instead of the file's own (a recovered hive).
    ///   - edit: Changes the open, writable hive in memory.
    ///   - verify: Checks the written copy, opened read-only; throw to abandon the write.
    ///   - beforeReplace: Receives the SHA-256 and path of the new file just before the rename.
    /// - Returns: The SHA-256 of the new hive.
    /// - Throws: `HiveError`, `FileIOError`, or what the closures throw.
    @discardableResult
    public static func rewrite(
        _ path: String,
        source: [UInt8]? = nil,
        edit: (Hive) throws -> Void,
        verify: (Hive) throws -> Void,
        beforeReplace: (String, String) throws -> Void = { _, _ in }
    ) throws -> String {
        let temporary = FileIO.temporaryName(beside: path)
        let sourceCopy = source.map { _ in FileIO.temporaryName(beside: path) }
        defer { if let sourceCopy { unlink(sourceCopy) } }
        do {
            if let source, let sourceCopy { try FileIO.createDurably(source, at: sourceCopy, mode: 0o600) }
            let hive = try Hive(path: sourceCopy ?? path, writable: true)
            defer { hive.close() }
            try edit(hive)
            try hive.commit(to: temporary)
            let written = try FileIO.read(temporary)
            let block = try HiveLayout.validateHive(written, path: temporary)
            guard !block.isDirty else {
                throw HiveError.verificationFailed(path: temporary, detail: "the written hive is not clean (sequence \(block.primarySequence)/\(block.secondarySequence))")
            }
            let copy = try Hive(path: temporary)
            defer { copy.close() }
            try verify(copy)
            try FileIO.copyOwnership(from: path, to: temporary)
            let digest = FileIO.sha256(written)
            try beforeReplace(digest, temporary)
            try FileIO.renameDurably(temporary, to: path)
            return digest
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Replaces a hive with exact bytes (a backup), atomically and keeping owner and mode.
    ///
    /// - Parameters:
    ///   - path: The hive to replace.
    ///   - bytes: The content to put back.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(FileIOError) {
        let temporary = FileIO.temporaryName(beside: path)
        try FileIO.createDurably(bytes, at: temporary)
        do {
            try FileIO.copyOwnership(from: path, to: temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        try FileIO.renameDurably(temporary, to: path)
    }
}
