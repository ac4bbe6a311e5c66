

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
