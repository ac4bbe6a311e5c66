import SystemPackage

/// What a purge removed (or, in a dry run, would remove) and what it could not.
public struct PurgeReport: Sendable, Codable, Equatable {
    /// The purged folder relative to the mount root, such as `Windows/SoftwareDistribution/Download`.
    public var folder: String
    /// Whether this report comes from a dry run that removed nothing.
    public var dryRun: Bool
    /// Regular files and other entries that are neither directories nor symlinks
    /// (FIFOs, sockets, device nodes) removed.
    public var files: Int
    /// Subdirectories removed; the purged folder itself is never removed.
    public var directories: Int
    /// Symbolic links removed; links are never followed.
    public var links: Int
    /// The sum of the sizes of the regular files removed, when every one was measured; nil when
    /// some were removed without a stat (their directory announced them as files), since the walk
    /// never makes a system call only for a statistic.
    public var bytes: UInt64?
    /// How many failures occurred, including those not listed in `failures`.
    public var failureCount: Int
    /// The first `PurgeReport.listLimit` failures, in the order they occurred.
    public var failures: [PurgeFailure]
    /// The first `PurgeReport.listLimit` directories on another filesystem or mount that were
    /// not entered, relative to the mount root; each is also counted as a failure (`EXDEV`).
    public var otherFilesystems: [String]
    /// Set when the walk stopped early because a signal asked it to (SIGINT, SIGTERM, SIGHUP):
    /// what is left in the folder was not examined.
    public var stopped: Bool?

    /// How many failures and other-filesystem paths a report lists at most.
    public static let listLimit = 20

    /// Files, directories and links removed.
    public var removals: Int { files + directories + links }

    /// Adds what an earlier walk over the same folder removed (its failures are met again by a
    /// later walk, so they are not added).
    public mutating func add(removalsOf earlier: PurgeReport) {
        files += earlier.files
        directories += earlier.directories
        links += earlier.links
        bytes = bytes.flatMap { own in earlier.bytes.map { own + $0 } }
    }

    /// Adds what a walk over part of the same folder did (a parallel worker's subtree): its
    /// counts, failures and other-filesystem paths (appended, within `listLimit`), and its stop.
    public mutating func merge(_ part: PurgeReport) {
        add(removalsOf: part)
        failureCount += part.failureCount
        failures = Array((failures + part.failures).prefix(Self.listLimit))
        otherFilesystems = Array((otherFilesystems + part.otherFilesystems).prefix(Self.listLimit))
        if part.stopped == true { stopped = true }
    }

    /// Whether everything inside the folder was removed (or, in a dry run, would be attempted
    /// without a failure already known).
    public var isComplete: Bool { failureCount == 0 && stopped != true }

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - folder: The purged folder relative to the mount root.
    ///   - dryRun: Whether nothing was actually removed.
    ///   - files: Files and other non-directory, non-link entries removed.
    ///   - directories: Subdirectories removed.
    ///   - links: Symbolic links removed.
    ///   - bytes: The sum of the sizes of the regular files removed; nil when unknown.
    ///   - failureCount: How many failures occurred.
    ///   - failures: The first failures.
    ///   - otherFilesystems: The first directories not entered because of another filesystem.
    public init(
        folder: String, dryRun: Bool = false, files: Int = 0, directories: Int = 0, links: Int = 0,
        bytes: UInt64? = 0, failureCount: Int = 0, failures: [PurgeFailure] = [],
        otherFilesystems: [String] = []
    ) {
        self.folder = folder
        self.dryRun = dryRun
        self.files = files
        self.directories = directories
        self.links = links
        self.bytes = bytes
        self.failureCount = failureCount
        self.failures = failures
        self.otherFilesystems = otherFilesystems
    }
}
