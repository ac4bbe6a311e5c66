/// What recovery found and did for one hive (`wuscrub hive check`, the reset plan, the journal).
public struct RecoveryAnalysis: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        /// The primary is clean: nothing to do, the logs are ignored.
        case clean
        /// The logs were replayed.
        case recovered
        /// Refused: the logs cannot be applied safely (see `refusal`).
        case refused
        /// `--discard-unreconciled`: the primary kept as it is, the logs' data thrown away (see `discarded`).
        case discarded
    }

    public var hivePath: String
    public var outcome: Outcome = .refused
    public var primarySequence: UInt32 = 0
    public var secondarySequence: UInt32 = 0
    public var logs: [LogSummary]
    /// The logs applied, in the order applied, with their entries' sequence numbers.
    public var applied: [AppliedLog] = []
    /// Why recovery was refused: the rule that stopped it.
    public var refusalReason: RecoveryRefusal?
    /// Why recovery was refused, as shown to the user (`refusalReason`'s description; the journal
    /// and `--json` store this text).
    public var refusal: String?
    /// With `--discard-unreconciled`: what was thrown away, per log.
    public var discarded: [String] = []
    /// Both sequence numbers of the recovered base block.
    public var finalSequence: UInt32?
    public var finalHiveBinsSize: UInt32?
    /// The recovered hive (not encoded).
    public var recovered: [UInt8]?

    package enum CodingKeys: String, CodingKey {
        case hivePath, outcome, primarySequence, secondarySequence, logs, applied, refusal, discarded, finalSequence, finalHiveBinsSize
    }

    public init(hivePath: String, logs: [LogSummary]) {
        self.hivePath = hivePath
        self.logs = logs
    }

    package mutating func refuse(_ reason: RecoveryRefusal) {
        outcome = .refused
        refusalReason = reason
        refusal = reason.description
        recovered = nil
        finalSequence = nil
        finalHiveBinsSize = nil
    }

    /// Equal when every recorded field is: `refusalReason` is not recorded (a journal read back
    /// has only the `refusal` text), so it is left out.
    public static func == (a: RecoveryAnalysis, b: RecoveryAnalysis) -> Bool {
        a.hivePath == b.hivePath && a.outcome == b.outcome && a.primarySequence == b.primarySequence
            && a.secondarySequence == b.secondarySequence && a.logs == b.logs && a.applied == b.applied
            && a.refusal == b.refusal && a.discarded == b.discarded && a.finalSequence == b.finalSequence
            && a.finalHiveBinsSize == b.finalHiveBinsSize && a.recovered == b.recovered
    }

    /// The state `status` shows: clean, dirty-recoverable (with entry counts), dirty-refused.
    public var state: String {
        switch outcome {
        case .clean: "clean"
        case .recovered: "dirty-recoverable (\(applied.reduce(0) { $0 + $1.sequences.count }) log entries)"
        case .refused, .discarded: "dirty-refused"
        }
    }
}
