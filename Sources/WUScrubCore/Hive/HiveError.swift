import RegistryFormat
import SystemPackage
import VolumeAccess

/// A failure in the hive layer: reading, validating, editing or writing a registry hive.
///
/// Each case carries the hive's path; messages say what failed and what to do next.
public enum HiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// hivex could not open the file.
    case cannotOpen(path: String, errno: Errno)
    /// A hivex call failed.
    case operationFailed(operation: String, path: String, errno: Errno)
    /// The base block is unusable (bad signature, checksum, version, sizes...).
    case invalidBaseBlock(path: String, reason: String)
    /// The file is shorter than its base block declares.
    case truncated(path: String, declaredEnd: Int, fileSize: Int)
    /// The hive-bin chain does not walk exactly to the declared end.
    case brokenBinChain(path: String, offset: Int, reason: String)
    /// The file is larger than wuscrub reads as a hive.
    case tooLarge(path: String, size: UInt64, limit: Int)
    /// A key that must exist does not.
    case keyNotFound(path: String, key: String)
    /// A value that must exist does not.
    case valueNotFound(path: String, key: String, value: String)
    /// A value has another type than the one expected.
    case unexpectedType(path: String, key: String, value: String, expected: String, found: String)
    /// Editing this key would make hivex rewrite a big-data value as a plain cell.
    case bigValueOnKey(path: String, key: String, value: String, size: Int)
    /// A freshly written hive did not read back as intended.
    case verificationFailed(path: String, detail: String)
    /// A file operation on the hive failed.
    case io(FileIOError)
    /// The sandboxed hivex child died (a signal, a forbidden system call, a failed assertion, a
    /// resource limit, the timeout) or answered with something that does not check out.
    case parserFailed(path: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, errno):
            return "cannot open hive '\(path)': \(errno.description). Check that the file exists, is a registry hive and is readable."
        case let .operationFailed(operation, path, errno):
            return "hive operation '\(operation)' failed on '\(path)': \(errno.description)."
        case let .invalidBaseBlock(path, reason):
            return HiveFormatError.invalidBaseBlock(path: path, reason: reason).description
        case let .truncated(path, declaredEnd, fileSize):
            return HiveFormatError.truncated(path: path, declaredEnd: declaredEnd, fileSize: fileSize).description
        case let .brokenBinChain(path, offset, reason):
            return HiveFormatError.brokenBinChain(path: path, offset: offset, reason: reason).description
        case let .tooLarge(path, size, limit):
            return "hive '\(path)' is too large: it has \(size) bytes, more than the \(limit) wuscrub reads as a hive (a real SYSTEM hive has tens of MB): it is not a hive wuscrub can edit; nothing was changed. Inspect the file by hand."
        case let .keyNotFound(path, key):
            return "key '\(key)' not found in hive '\(path)'. This does not look like a complete SYSTEM hive; nothing was changed."
        case let .valueNotFound(path, key, value):
            return "value '\(value)' not found under key '\(key)' in hive '\(path)'; nothing was changed."
        case let .unexpectedType(path, key, value, expected, found):
            return "value '\(key)\\\(value)' in hive '\(path)' is \(found), expected \(expected); nothing was changed. Inspect the hive with hivexsh before editing it by hand."
        case let .bigValueOnKey(path, key, value, size):
            return "key '\(key)' in hive '\(path)' holds value '\(value)' of \(size) bytes (more than 16,344): editing it with hivex would rewrite that value in a form Windows may not read. Nothing was changed."
        case let .verificationFailed(path, detail):
            return "the hive written to '\(path)' failed verification: \(detail). The original hive was not replaced."
        case let .io(error):
            return error.description
        case let .parserFailed(path, detail):
            return "the hive '\(path)' is damaged in a way its parser cannot handle (\(detail)); nothing was changed. Restore it from a backup (for example Windows\\System32\\config\\RegBack) or let Windows repair it."
        }
    }
}

extension HiveError {
    /// The hive-layer error for a structural problem `HiveLayout.validate` found.
    public init(_ error: HiveFormatError) {
        switch error {
        case let .invalidBaseBlock(path, reason): self = .invalidBaseBlock(path: path, reason: reason)
        case let .truncated(path, declaredEnd, fileSize): self = .truncated(path: path, declaredEnd: declaredEnd, fileSize: fileSize)
        case let .brokenBinChain(path, offset, reason): self = .brokenBinChain(path: path, offset: offset, reason: reason)
        }
    }
}

extension HiveLayout {
    /// `validate`, its failure reported as the hive layer's `HiveError`.
    @discardableResult
    static func validateHive(_ bytes: [UInt8], path: String) throws(HiveError) -> BaseBlock {
        do { return try validate(bytes, path: path) } catch { throw HiveError(error) }
    }
}
