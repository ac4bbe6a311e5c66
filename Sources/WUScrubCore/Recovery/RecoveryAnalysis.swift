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
    /// Why recovery was refused.
    public var refusal: String?
    /// With `--discard-unreconciled`: what was thrown away, per log.
    public var discarded: [String] = []
    /// Both sequence numbers of the recovered base block.
    public var finalSequence: UInt32?
    public var finalHiveBinsSize: UInt32?
    /// The recovered hive (not encoded).
    public var recovered: [UInt8]?

    enum CodingKeys: String, CodingKey {
        case hivePath, outcome, primarySequence, secondarySequence, logs, applied, refusal, discarded, finalSequence, finalHiveBinsSize
    }

    public init(hivePath: String, logs: [LogSummary]) {
        self.hivePath = hivePath
        self.logs = logs
    }

    mutating func refuse(_ reason: String) {
        outcome = .refused
        refusal = reason
        recovered = nil
        finalSequence = nil
        finalHiveBinsSize = nil
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

/// One log as found beside the hive.
public struct LogSummary: Sendable, Equatable, Codable {
    public var path: String
    public var size: Int
    public var format: TransactionLog.Format?
    public var valid: Bool
    public var problem: String?
    public var baseSequence: UInt32?
    /// New format: the sequence numbers of the entry chain.
    public var entries: [UInt32]
    public var chainEnd: String?
    /// Every hash-valid entry found anywhere in the file (chain and remnants), whatever its base
    /// block. Optional so that journals written before it existed still decode.
    public var hashValidEntries: [UInt32]?
    public var highestSequence: UInt32?
    /// Old format: the number of dirty 512-byte pages.
    public var dirtyPages: Int?

    public init(_ log: TransactionLog) {
        path = log.path
        size = log.size
        format = log.format
        valid = log.isValid
        problem = log.problem
        baseSequence = log.baseBlock?.primarySequence
        entries = log.entries.map(\.sequence)
        chainEnd = log.format == .new ? log.chainEnd : nil
        hashValidEntries = log.hashValidSequences
        highestSequence = log.highestSequence
        dirtyPages = log.format == .old ? log.dirtyPages.count : nil
    }
}

/// A log that was replayed.
public struct AppliedLog: Sendable, Equatable, Codable {
    public var path: String
    public var format: TransactionLog.Format
    /// New format: each applied entry's sequence number; old format: the log's sequence number.
    public var sequences: [UInt32]
    public var pages: Int
}

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
