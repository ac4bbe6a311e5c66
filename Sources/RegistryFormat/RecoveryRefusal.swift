/// Why the recovery of a dirty hive was refused: each case is one rule of
/// docs/registry-format.md §6, with the facts that broke it.
///
/// `description` is the sentence shown to the user (and stored as `RecoveryAnalysis.refusal`).
public enum RecoveryRefusal: Sendable, Equatable, CustomStringConvertible {
    /// Which step needed to see every sequence number a log holds.
    public enum Step: Sendable, Equatable {
        case newFormatReplay, oldFormatReplay, discarding
    }

    /// The primary file is too large to be a hive wuscrub reads (4 GiB or more, or over `HiveRecovery.maximumReadSize`).
    case primaryTooLarge(size: Int)
    /// The primary has no base block, or no `regf` signature.
    case noSignature
    /// The primary's checksum is wrong, so its fields cannot be trusted.
    case primaryChecksumWrong
    /// The primary is not a primary hive (its file type marks a log).
    case notPrimary(fileType: UInt32)
    /// The primary is shorter than its base block declares.
    case primaryTruncated(declaredEnd: Int, fileSize: Int)
    /// The hive is dirty and no log lies beside it.
    case noLogs(primarySequence: UInt32, secondarySequence: UInt32)
    /// The hive is dirty and none of its logs is usable; `problems` lists each log's.
    case noUsableLog(primarySequence: UInt32, secondarySequence: UInt32, problems: [String])
    /// New format: no log's chain starts where the primary needs it; `logs` says where each starts.
    case noApplicableEntry(logs: [String])
    /// A log could not be read, or its scan for hash-valid entries stopped at its work bound.
    case logNotScanned(path: String, unreadable: String?, step: Step)
    /// New format: entries exist beyond what replay can reach; `logs` says where and why.
    case entriesBeyondReplay(highest: UInt32, reached: UInt32, logs: [String])
    /// New format: an entry grows the hive bins beyond the pages the applied entries write.
    case growthWithoutPages(sequence: UInt32, declared: UInt32, primary: UInt32, written: UInt64)
    /// Old format: no log's timestamp matches the primary's; `logs` says when each was written.
    case noMatchingOldLog(logs: [String])
    /// Old format: new-format entries not older than the primary would be lost by the replay.
    case newerEntriesPending(log: String, pending: [String], primarySequence: UInt32)
    /// Old format: the log grows the hive bins beyond the pages it marks dirty.
    case oldGrowthWithoutPages(log: String, declared: UInt32, primary: UInt32, written: UInt64)
    /// Old format: the log marks a page dirty beyond the hive bins.
    case dirtyPageOutOfRange(log: String, page: Int)
    /// The replayed hive fails the layout checks.
    case inconsistentResult(detail: String)

    public var description: String {
        switch self {
        case let .primaryTooLarge(size):
            return size >= HiveRecovery.maximumPrimarySize
                ? "the primary file is too large: \(size) bytes, 4 GiB or more: a hive's sizes and offsets are 32-bit, so this is no hive that can be recovered"
                : "the primary file is too large: \(size) bytes, more than the \(HiveRecovery.maximumReadSize) wuscrub reads as a hive (a real SYSTEM hive has tens of MB)"
        case .noSignature:
            return "the primary base block is missing or has no 'regf' signature"
        case .primaryChecksumWrong:
            return "the primary base block's checksum is wrong, so none of its fields can be trusted; Windows would rebuild it from one log only, which may lose data"
        case let .notPrimary(fileType):
            return "the primary base block has file type \(fileType), not 0: it is not a primary hive (1, 2 and 6 mark transaction logs)"
        case let .primaryTruncated(declaredEnd, fileSize):
            return "the primary is truncated: its base block declares \(declaredEnd) bytes, the file has \(fileSize)"
        case let .noLogs(primary, secondary):
            return Self.dirty(primary, secondary) + " and no transaction log was found beside it"
        case let .noUsableLog(primary, secondary, problems):
            return Self.dirty(primary, secondary) + " and none of its logs is usable (" + problems.joined(separator: "; ") + ")"
        case let .noApplicableEntry(logs):
            return "the hive is dirty and no log entry can be applied: " + logs.joined(separator: "; ")
        case let .logNotScanned(path, unreadable, step):
            let cause = unreadable.map { "\(path) cannot be read: \($0)" }
            switch step {
            case .newFormatReplay:
                return cause ?? "\(path) holds too many overlapping entries to check what lies beyond its chain"
            case .oldFormatReplay:
                return cause ?? "\(path) holds too many overlapping entries to check what it holds"
            case .discarding:
                return (cause ?? "\(path) holds too many overlapping entries to find every sequence number in it")
                    + ", so not even discarding can choose a sequence number above them all"
            }
        case let .entriesBeyondReplay(highest, reached, logs):
            return "the logs hold entries up to sequence \(highest), but replay can only reach \(reached): "
                + logs.joined(separator: "; ") + "; applying part of them would lose the rest"
        case let .growthWithoutPages(sequence, declared, primary, written):
            return "entry \(sequence) declares \(declared) bytes of hive bins, but the primary holds \(primary) and the applied entries write no further than \(written): the hive may only grow by pages its logs supply"
        case let .noMatchingOldLog(logs):
            return "the hive is dirty and no old-format log matches its timestamp: " + logs.joined(separator: "; ")
        case let .newerEntriesPending(log, pending, primarySequence):
            return "the old-format log \(log) applies, but " + pending.joined(separator: "; ")
                + ", not older than the primary (sequence \(primarySequence)); an old-format replay would lose them"
        case let .oldGrowthWithoutPages(log, declared, primary, written):
            return "\(log) declares \(declared) bytes of hive bins, but the primary holds \(primary) and its dirty pages write no further than \(written): the hive may only grow by pages its log supplies"
        case let .dirtyPageOutOfRange(log, page):
            return "\(log) marks page \(page) dirty, beyond the hive bins"
        case let .inconsistentResult(detail):
            return "the replayed hive is not consistent: \(detail)"
        }
    }

    private static func dirty(_ primary: UInt32, _ secondary: UInt32) -> String {
        "the hive is dirty (sequence numbers \(primary) ≠ \(secondary): changes are pending in its transaction logs)"
    }
}
