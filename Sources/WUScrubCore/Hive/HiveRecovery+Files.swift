import RegistryFormat
import VolumeAccess

/// Reading a hive and its transaction logs from a volume, for the pure analysis in
/// `RegistryFormat` (docs/registry-format.md §6).
extension HiveRecovery {
    /// Reads a hive's logs from its opened folder, each a regular file with a size bound; a log
    /// too large to read becomes an unusable log that blocks recovery instead of being skipped.
    ///
    /// - Throws: `VolumeError` for a log that is not a regular file, `RecoveryError.ambiguousLog`.
    ///
    /// - Parameter limit: How many bytes the logs may hold together; a log that does not fit in
    ///   what is left is not read.
    static func readLogs(forHive hiveName: String, in folder: VolumeDirectory, limit: Int,
                         shown: (String) -> String) throws -> [TransactionLog] {
        var logs: [TransactionLog] = []
        var left = limit
        for name in try logNames(forHive: hiveName, among: try folder.names(), folder: folder.shown) {
            guard let file = try folder.file(name) else { continue }
            do {
                let bytes = try file.readAll(limit: left, what: "a transaction log")
                left -= bytes.count
                logs.append(TransactionLog(path: shown(name), bytes: bytes))
            } catch {
                guard case .tooLarge(_, let size, _, _) = error else { throw error }
                logs.append(TransactionLog(path: shown(name), size: Int(clamping: size),
                                           unreadable: "it is too large: \(size) bytes, and a hive's logs may hold \(limit) bytes together in wuscrub, so its entries cannot be checked"))
            }
        }
        return logs
    }

    /// Reads a hive file and the logs beside it and analyzes them (see
    /// `analyze(hivePath:hive:logs:discardUnreconciled:)`), through the volume layer: the file
    /// and its logs must be regular files, and a file of 4 GiB or more (or over
    /// `maximumReadSize`) is refused before it is read.
    ///
    /// - Parameters:
    ///   - path: The primary hive file; nothing is written.
    ///   - discardUnreconciled: Proceed with the primary as it is when the logs cannot be applied.
    /// - Throws: `VolumeError` when a file cannot be opened or read, `RecoveryError.ambiguousLog`.
    public static func analyze(hiveAt path: String, discardUnreconciled: Bool = false) throws(WUScrubError) -> RecoveryAnalysis {
        try WUScrubError.wrap {
            let slash = path.lastIndex(of: "/")
            let folderPath = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            let folder = try VolumeDirectory.openRoot(folderPath)
            guard let file = try folder.file(name) else {
                throw VolumeError.io(FileIOError(operation: "open", path: path, errno: .noSuchFileOrDirectory))
            }
            if file.size >= UInt64(min(maximumPrimarySize, maximumReadSize)) {
                // Too large to read: a dirty one is a refused recovery; any other is no hive wuscrub edits.
                guard let block = BaseBlock(try file.read(count: 512)[...]), block.hasSignature, block.isDirty else {
                    throw HiveError.tooLarge(path: path, size: file.size, limit: maximumReadSize)
                }
                var analysis = RecoveryAnalysis(hivePath: path, logs: [])
                analysis.primarySequence = block.primarySequence
                analysis.secondarySequence = block.secondarySequence
                analysis.refuse(.primaryTooLarge(size: Int(clamping: file.size)))
                return analysis
            }
            let hive = try file.readAll(limit: maximumReadSize, what: "a hive")
            // Not a hive at all (no signature, or shorter than a base block): a hive error, not a
            // dirty hive whose recovery is refused.
            guard hive.count >= BaseBlock.size, hive[0..<4].elementsEqual("regf".utf8) else {
                throw HiveError.invalidBaseBlock(path: path, reason: "no 'regf' signature or fewer than 4096 bytes: it is not a registry hive")
            }
            // Messages name the logs beside the file as it was given.
            let logs = try readLogs(forHive: name, in: folder, limit: maximumReadSize) { slash == nil ? $0 : folderPath + "/" + $0 }
            return analyze(hivePath: path, hive: hive, logs: logs, discardUnreconciled: discardUnreconciled)
        }
    }
}
