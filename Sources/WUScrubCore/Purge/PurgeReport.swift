// STUB: replaced by the real purge walker.
public struct PurgeFailure: Sendable, Codable, Equatable {
    public var path: String
    public var operation: String
    public var errno: Int32
    public var message: String
}
public struct PurgeReport: Sendable, Codable, Equatable {
    public var folder: String
    public var files: Int = 0
    public var directories: Int = 0
    public var links: Int = 0
    public var bytes: UInt64 = 0
    public var failureCount: Int = 0
    public var failures: [PurgeFailure] = []
    public var otherFilesystems: [String] = []
    public var isComplete: Bool { failureCount == 0 }
}
public enum PurgeError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    public var description: String { "stub" }
}
public struct Purger: Sendable {
    public init(dryRun: Bool = false) {}
    public func purgeContents(under root: String, components: [String]) throws(PurgeError) -> PurgeReport {
        PurgeReport(folder: components.joined(separator: "/"))
    }
}
