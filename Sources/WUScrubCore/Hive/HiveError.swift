import SystemPackage

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
            return "hive '\(path)' has an invalid base block: \(reason). It cannot be edited safely; restore it from a backup or let Windows repair it."
        case let .truncated(path, declaredEnd, fileSize):
            return "hive '\(path)' is truncated: its base block declares \(declaredEnd) bytes but the file has \(fileSize). It cannot be edited safely; restore it from a backup (for example Windows\\System32\\config\\RegBack)."
        case let .brokenBinChain(path, offset, reason):
            return "hive '\(path)' has a broken hive-bin chain at offset \(offset): \(reason). It cannot be edited safely; restore it from a backup."
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
