/// A failure of the reset state machine, or a state it refuses to work on.
public enum ResetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A previous run did not finish.
    case unfinishedJournal(path: String, phase: Journal.Phase)
    /// `resume` or `rollback` found no unfinished run.
    case nothingToResume(path: String)
    /// The journal exists but cannot be used.
    case journalUnreadable(path: String, detail: String)
    /// The hive is neither what the journal expects nor a state wuscrub can continue from.
    case hiveChanged(path: String, detail: String)
    /// The backup does not match the hash recorded for the original hive.
    case backupMismatch(path: String)
    /// The run ended with start values other than the original ones.
    case verificationFailed(path: String, detail: String)

    public var description: String {
        switch self {
        case let .unfinishedJournal(path, phase):
            return "an earlier wuscrub run stopped in phase '\(phase.rawValue)' (journal '\(path)'). Run 'wuscrub resume' to finish it, or 'wuscrub rollback' to put the original service start values back."
        case let .nothingToResume(path):
            return "there is no unfinished wuscrub run to continue (no open journal at '\(path)')."
        case let .journalUnreadable(path, detail):
            return "cannot read the wuscrub journal '\(path)': \(clause(detail)). Inspect it by hand; the backup of the original SYSTEM hive is in the backup folder next to it."
        case let .hiveChanged(path, detail):
            return "the SYSTEM hive '\(path)' changed outside wuscrub: \(clause(detail)). Nothing more was changed; compare it with the backup next to the journal."
        case let .backupMismatch(path):
            return "the backup '\(path)' does not match the original hive's recorded SHA-256. Nothing more was changed; keep the disk as it is and inspect the backup folder."
        case let .verificationFailed(path, detail):
            return "verification of '\(path)' failed: \(clause(detail))."
        }
    }
}

/// A message fragment without its closing period, to embed in a sentence.
func clause(_ text: String) -> String {
    var text = text
    while text.hasSuffix(".") { text.removeLast() }
    return text
}
