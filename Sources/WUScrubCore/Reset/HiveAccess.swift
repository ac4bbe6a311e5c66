#if canImport(Glibc)
import Glibc
#endif

/// Every hivex call on a hive that comes from the Windows volume goes through here.
///
/// hivex is C parsing untrusted bytes; these calls run it on bytes wuscrub has already read
/// (never on a file of the volume) and return values or bytes that are validated before use.
enum HiveAccess {
    /// Reads the `wuauserv` start modes (and `HiberbootEnabled`) of a SYSTEM hive's bytes.
    ///
    /// - Parameters:
    ///   - bytes: The hive.
    ///   - path: The hive's path relative to the mount root, for messages.
    ///   - checkEditable: Also refuse a service key holding a value hivex would rewrite badly.
    /// - Returns: The start modes (or the error reading them) and `HiberbootEnabled`.
    static func readService(_ bytes: [UInt8], path: String, checkEditable: Bool) throws(HiveError) -> (starts: Result<[ServiceStart], HiveError>, hiberboot: UInt32?) {
        try withScratch(bytes, path: path) { file throws(HiveError) in
            let hive = try Hive(path: file)
            defer { hive.close() }
            let hiberboot = try? ServiceConfiguration.hiberbootEnabled(in: hive)
            do throws(HiveError) {
                let starts = try ServiceConfiguration.read(hive)
                if checkEditable {
                    for start in starts {
                        let key = ServiceStart.serviceKey(in: start.controlSet)
                        guard let node = try hive.node(at: key) else { throw HiveError.keyNotFound(path: path, key: key) }
                        for entry in try hive.valueEntries(of: node) where entry.size > BaseBlock.maximumSingleCellData {
                            throw HiveError.bigValueOnKey(path: path, key: key, value: entry.name, size: entry.size)
                        }
                    }
                }
                return (.success(starts), hiberboot ?? nil)
            } catch {
                return (.failure(error.renamed(to: path)), hiberboot ?? nil)
            }
        }
    }

    /// Sets `Start` of `wuauserv` in the given control sets (none: a plain commit) and returns the
    /// committed hive, its checksum correct, its layout validated and clean.
    static func setStart(_ values: [(controlSet: String, start: UInt32)], in bytes: [UInt8], path: String) throws(HiveError) -> [UInt8] {
        try HiveLayout.validate(bytes, path: path)
        return try withScratch(bytes, path: path) { file throws(HiveError) in
            let output: String
            do throws(FileIOError) { output = try FileIO.scratchCopy([], label: "wuscrub-hive-out") } catch { throw .io(error) }
            defer { unlink(output) }
            do throws(HiveError) {
                let hive = try Hive(path: file, writable: true)
                defer { hive.close() }
                try ServiceConfiguration.setStart(values, in: hive)
                try hive.commit(to: output)
            } catch {
                throw error.renamed(to: path)
            }
            let written: [UInt8]
            do throws(FileIOError) { written = try FileIO.read(output) } catch { throw .io(error) }
            let block = try HiveLayout.validate(written, path: path + " (as written by hivex)")
            guard !block.isDirty else {
                throw .verificationFailed(path: path, detail: "the written hive is not clean (sequence \(block.primarySequence)/\(block.secondarySequence))")
            }
            return written
        }
    }

    /// Runs `body` on a private copy of the bytes in the system's temporary folder.
    private static func withScratch<T>(_ bytes: [UInt8], path: String, _ body: (String) throws(HiveError) -> T) throws(HiveError) -> T {
        let file: String
        do { file = try FileIO.scratchCopy(bytes, label: "wuscrub-hive") } catch { throw .io(error) }
        defer { unlink(file) }
        return try body(file)
    }
}

extension HiveError {
    /// The same error naming the hive by `path` (its place on the volume) rather than a scratch copy.
    func renamed(to path: String) -> HiveError {
        switch self {
        case let .cannotOpen(_, errno): .cannotOpen(path: path, errno: errno)
        case let .operationFailed(operation, _, errno): .operationFailed(operation: operation, path: path, errno: errno)
        case let .invalidBaseBlock(_, reason): .invalidBaseBlock(path: path, reason: reason)
        case let .truncated(_, declaredEnd, fileSize): .truncated(path: path, declaredEnd: declaredEnd, fileSize: fileSize)
        case let .brokenBinChain(_, offset, reason): .brokenBinChain(path: path, offset: offset, reason: reason)
        case let .tooLarge(_, size, limit): .tooLarge(path: path, size: size, limit: limit)
        case let .keyNotFound(_, key): .keyNotFound(path: path, key: key)
        case let .valueNotFound(_, key, value): .valueNotFound(path: path, key: key, value: value)
        case let .unexpectedType(_, key, value, expected, found): .unexpectedType(path: path, key: key, value: value, expected: expected, found: found)
        case let .bigValueOnKey(_, key, value, size): .bigValueOnKey(path: path, key: key, value: value, size: size)
        case let .verificationFailed(_, detail): .verificationFailed(path: path, detail: detail)
        case .io: self
        }
    }
}
