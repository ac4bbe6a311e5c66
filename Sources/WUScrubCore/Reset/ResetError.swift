/// A failure of the reset state machine, or a state it refuses to work on.
public enum ResetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A previous run did not finish.
    case unfinishedJournal(path: String, phase: Journal.Phase)
    /// `resume` or `rollback` found no unfinished run.
    case nothingToResume(path: String)
    /// The journal exists but cannot be used.
    case journalUnreadable(path: String, detail: String)
    /// The journal parses but fails validation: it was not written by wuscrub as it is.
    case journalDamaged(path: String, reason: String)
    /// The journal says the service was disabled before the run, and no usable backup confirms it.
    case startsUnconfirmed(path: String, detail: String)
    /// A signal stopped the run before the service was disabled: the hive is as it was (or as
    /// recovered from its logs), and the journal is closed as interrupted.
    case interrupted(signal: Int32, phase: Journal.Phase)
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
            return "there is no unfinished wuscrub run to continue or roll back (no open journal at '\(path)'), and the last run left no quarantine to put back. A reset without --quarantine deleted what it removed; quarantines of earlier runs, if any, are listed by 'wuscrub quarantine list' (their DataStore and Download folders can be moved back by hand)."
        case let .journalUnreadable(path, detail):
            return "cannot read the wuscrub journal '\(path)': it is damaged or not a wuscrub journal (\(clause(detail))). wuscrub will not resume, roll back or start a run from it; nothing was changed. Inspect it by hand; the backup of the original SYSTEM hive is in the backup folder next to it."
        case let .journalDamaged(path, reason):
            return "the wuscrub journal '\(path)' is damaged or was not written by wuscrub: \(clause(reason)). wuscrub will not resume, roll back or start a run from it; nothing was changed. Run 'wuscrub status' to see the service's start mode: if it is 4 (disabled) and a run of yours was interrupted, the newest SYSTEM-* file in the backup folder beside the journal is the original hive. Then move the journal aside (mv journal.json journal.json.damaged) and run wuscrub again."
        case let .startsUnconfirmed(path, detail):
            return "cannot confirm the service's original start mode: the journal '\(path)' says Start was 4 (disabled) before the run, and the backup that would show it cannot be used (\(clause(detail))). Nothing more was changed; the journal stays open. If Windows Update was disabled before the run, that is its original state; otherwise set it back by hand (Start=2 automatic, 3 manual) or restore the hive from another backup."
        case let .interrupted(signal, phase):
            return "interrupted by \(ResetError.signalName(signal)) in phase '\(phase.rawValue)', before the service was disabled: the Windows installation was not changed (the run's journal is closed as interrupted). Run 'wuscrub reset' again to repair it."
        case let .hiveChanged(path, detail):
            return "the SYSTEM hive '\(path)' changed outside wuscrub: \(clause(detail)). Nothing more was changed; compare it with the backup next to the journal."
        case let .backupMismatch(path):
            return "the backup '\(path)' does not match the original hive's recorded SHA-256. Nothing more was changed; keep the disk as it is and inspect the backup folder."
        case let .verificationFailed(path, detail):
            return "verification of '\(path)' failed: \(clause(detail))."
        }
    }
}

extension ResetError {
    /// The name of a signal wuscrub stops on.
    public static func signalName(_ number: Int32) -> String {
        switch number {
        case 1: "SIGHUP"
        case 2: "SIGINT"
        case 15: "SIGTERM"
        default: "signal \(number)"
        }
    }
}

/// A message fragment without its closing period, to embed in a sentence.
func clause(_ text: String) -> String {
    var text = text
    while text.hasSuffix(".") { text.removeLast() }
    return text
}
