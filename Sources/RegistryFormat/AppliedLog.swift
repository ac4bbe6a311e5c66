/// A log that was replayed.
public struct AppliedLog: Sendable, Equatable, Codable {
    public var path: String
    public var format: TransactionLog.Format
    /// New format: each applied entry's sequence number; old format: the log's sequence number.
    public var sequences: [UInt32]
    public var pages: Int
}
