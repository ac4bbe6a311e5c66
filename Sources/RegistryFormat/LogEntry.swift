/// One page an `HvLE` entry carries: where it goes in the hive bins and where its bytes are in the log.
public struct LogPage: Sendable, Equatable {
    /// Offset relative to the start of the hive bins (file offset − 4096).
    public var offset: UInt32
    public var size: UInt32
    /// Where the page's bytes start in the log file.
    public var dataOffset: Int
}

/// A validated new-format (`HvLE`) log entry (docs/registry-format.md §6.2–6.4).
public struct LogEntry: Sendable, Equatable {
    public var fileOffset: Int
    public var size: Int
    public var flags: UInt32
    public var sequence: UInt32
    public var hiveBinsSize: UInt32
    public var pages: [LogPage]
}
