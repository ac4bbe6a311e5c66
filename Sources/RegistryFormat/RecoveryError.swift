/// A failure of the recovery layer.
public enum RecoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two log files differ only by case.
    case ambiguousLog(directory: String, names: [String])
    /// The hive is dirty and its logs cannot be applied safely.
    case refused(path: String, reason: String)

    public var description: String {
        switch self {
        case let .ambiguousLog(directory, names):
            return "'\(directory)' holds log files that differ only by case: \(names.map { "'\($0)'" }.joined(separator: " and ")). Move the stray one away by hand, then run again."
        case let .refused(path, reason):
            return "the hive '\(path)' is dirty and cannot be recovered safely: \(reason). Nothing was changed. Boot Windows once and shut it down fully (shutdown /s /t 0) so it writes the hive itself, or pass --discard-unreconciled to edit the hive as it is and lose the changes pending in its logs."
        }
    }
}
