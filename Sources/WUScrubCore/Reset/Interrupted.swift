#if canImport(Glibc)
import Glibc
#endif

/// A run stopped because of SIGINT, SIGTERM or SIGHUP (exit status 128 + the signal's number).
public struct Interrupted: Error, Sendable, Equatable, CustomStringConvertible {
    public var signal: Int32
    /// What was left behind and what to do next; filled in once the device is unmounted.
    public var outcome = ""

    public init(signal: Int32, outcome: String = "") {
        self.signal = signal
        self.outcome = outcome
    }

    public var description: String { "interrupted by \(Interrupted.name(of: signal))" + (outcome.isEmpty ? "." : outcome) }

    /// What a run stopped after the disable step left, and what to do next.
    public static func afterDisable(_ outcome: ResetOutcome, root: String) -> String {
        let journal = outcome.journal
        let starts = outcome.finalStarts.map { "\($0.controlSet) Start=\($0.start)" }.joined(separator: ", ")
        if journal.phase == .putBack {
            let back = (journal.putBack ?? []).reduce(0) { $0 + $1.removals }
            return " while putting the quarantine back, after \(back) entries: the service's start mode is the original one (\(starts)); the journal stays open in phase put-back. Run 'wuscrub rollback \(root)' to move the rest back."
        }
        let moved = journal.quarantinePath != nil
        let removed = (journal.purge ?? journal.quarantine ?? []).reduce(0) { $0 + $1.removals }
        let state = journal.phase == .done
            ? "the purge had finished and the run is complete"
            : moved
            ? "the move stopped after \(removed) entries went into the quarantine, so DataStore and Download are not empty yet; the run's journal is closed as interrupted. Run 'wuscrub rollback \(root)' to put them back; 'wuscrub reset --quarantine \(root)' would move the rest into a new quarantine, and this one would then stay apart (listed by 'wuscrub quarantine list', no longer put back by rollback)"
            : "the purge stopped after removing \(removed) entries, so DataStore and Download are not empty yet; the run's journal is closed as interrupted. Run 'wuscrub reset \(root)' again to finish the purge"
        return " after the service was disabled: the service's original start mode was restored and read back (\(starts)); " + state + "."
    }

    public static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
