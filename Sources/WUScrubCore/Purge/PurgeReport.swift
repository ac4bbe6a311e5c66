import SystemPackage

/// One entry that could not be removed or entered during a purge.
public struct PurgeFailure: Sendable, Codable, Equatable {
    /// The entry's path relative to the mount root, shown lossily (see `displayPath(_:)`).
    public var path: String
    /// What failed: `stat`, `open`, `opendir`, `readdir`, `unlink`, `rmdir`, or
    /// `not entered (…)` for a directory the walk refused to enter.
    public var operation: String
    /// The error number (`EXDEV` for another filesystem, `ENAMETOOLONG` for too deep,
    /// `EAGAIN` for an entry replaced while walking, otherwise the system call's own).
    public var errno: Int32
    /// The system's text for `errno` (`strerror`).
    public var message: String

    /// Creates a failure record.
    ///
    /// - Parameters:
    ///   - path: The entry's path relative to the mount root, already made displayable.
    ///   - operation: What failed.
    ///   - errno: The error number.
    ///   - message: The explanation; `nil` uses the system's text for `errno`.
    public init(path: String, operation: String, errno: Int32, message: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.message = message ?? Errno(rawValue: errno).description
    }

    /// Shows raw path bytes as text without losing information about them.
    ///
    /// Valid UTF-8 is kept; every byte that is not part of valid UTF-8 becomes `\xNN`; newline,
    /// tab and carriage return become `\n`, `\t`, `\r`; other control characters become `\xNN`
    /// and a backslash becomes `\\`, so distinct names never look alike.
    /// - Parameter bytes: The path as stored on disk.
    /// - Returns: A single-line string that can be printed or encoded as JSON.
    public static func displayPath(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var text = ""
        text.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case 0x0A: text += "\\n"
                case 0x09: text += "\\t"
                case 0x0D: text += "\\r"
                case 0x5C: text += "\\\\"
                case 0x00..<0x20, 0x7F: text += escaped(byte)
                default: text.unicodeScalars.append(Unicode.Scalar(byte))
                }
                index += 1
            } else if let (scalar, length) = decodeScalar(bytes, at: index), scalar.value >= 0xA0 {
                text.unicodeScalars.append(scalar)
                index += length
            } else {
                // Invalid UTF-8, or a C1 control character: show the byte itself.
                text += escaped(byte)
                index += 1
            }
        }
        return text
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// Decodes one well-formed UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF).
    private static func decodeScalar(_ bytes: [UInt8], at start: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[start]
        let length: Int
        var value: UInt32
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0: length = 3; value = UInt32(lead & 0x0F); lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xED: length = 3; value = UInt32(lead & 0x0F); highest = 0x9F
        case 0xF0: length = 4; value = UInt32(lead & 0x07); lowest = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
        case 0xF4: length = 4; value = UInt32(lead & 0x07); highest = 0x8F
        default: return nil
        }
        guard start + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[start + offset]
            let range = offset == 1 ? lowest...highest : 0x80...0xBF
            guard range.contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}

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
    /// The sum of `st_size` over the regular files removed.
    public var bytes: UInt64
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
        bytes += earlier.bytes
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
    ///   - bytes: The sum of `st_size` over the regular files removed.
    ///   - failureCount: How many failures occurred.
    ///   - failures: The first failures.
    ///   - otherFilesystems: The first directories not entered because of another filesystem.
    public init(
        folder: String, dryRun: Bool = false, files: Int = 0, directories: Int = 0, links: Int = 0,
        bytes: UInt64 = 0, failureCount: Int = 0, failures: [PurgeFailure] = [],
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
