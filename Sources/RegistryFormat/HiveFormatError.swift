/// A primary hive whose structure is unusable (docs/registry-format.md §1–§2): what
/// `HiveLayout.validate` finds. The hive layer reports these as the `HiveError` cases of the same
/// names.
public enum HiveFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base block is unusable (bad signature, version, file type, sizes...).
    case invalidBaseBlock(path: String, reason: String)
    /// The file is shorter than its base block declares.
    case truncated(path: String, declaredEnd: Int, fileSize: Int)
    /// The hive-bin chain does not walk exactly to the declared end.
    case brokenBinChain(path: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidBaseBlock(path, reason):
            return "hive '\(path)' has an invalid base block: \(reason). It cannot be edited safely; restore it from a backup or let Windows repair it."
        case let .truncated(path, declaredEnd, fileSize):
            return "hive '\(path)' is truncated: its base block declares \(declaredEnd) bytes but the file has \(fileSize). It cannot be edited safely; restore it from a backup (for example Windows\\System32\\config\\RegBack)."
        case let .brokenBinChain(path, offset, reason):
            return "hive '\(path)' has a broken hive-bin chain at offset \(offset): \(reason). It cannot be edited safely; restore it from a backup."
        }
    }
}
