/// A registry transaction log (`SYSTEM.LOG1`, `.LOG2`, `.LOG`), parsed and validated.
///
/// Nothing here trusts a field before checking it: every offset and size is bounds-checked,
/// and a new-format entry chain stops at the first entry that fails a check.
public struct TransactionLog: Sendable {
    public enum Format: String, Sendable, Codable {
        /// `HvLE` entries, Windows 8.1 and later (file type 6).
        case new
        /// A dirty-page bitmap (`DIRT`), Windows XP to 8.0 (file type 1 or 2).
        case old
    }

    public let path: String
    public let size: Int
    /// The file's bytes (replay copies pages out of them).
    public let bytes: [UInt8]
    /// The log's copy of the base block, when the file holds 512 bytes at least.
    public let baseBlock: BaseBlock?
    /// The format, when the base block is valid.
    public let format: Format?
    /// Why the log cannot be used at all (nil when its base block is valid).
    public let problem: String?
    /// New format: the entry chain from offset 512, each with the next sequence number.
    public let entries: [LogEntry]
    /// New format: why the chain ended ("end of the file", or the first failed check).
    public let chainEnd: String
    /// New format: the chain ended at an `HvLE` header that fails a check (a hash, a size, a page
    /// reference), not at the end of the entries; `chainEnd` says which.
    public let chainEndsAtDamagedEntry: Bool
    /// The sequence number of every entry whose hashes are valid, anywhere in the file (the chain,
    /// remnants after it), in file order, **whatever the base block says**: a log whose base block
    /// is invalid is scanned too, so that its entries are never lost silently (docs/registry-format.md §6.6, §10.4).
    public let hashValidSequences: [UInt32]
    /// The highest of `hashValidSequences` (serial arithmetic), if any.
    public let highestSequence: UInt32?
    /// The scan for hash-valid entries stopped at its work bound (a crafted file with an entry
    /// header at every boundary); what lies beyond is then unknown.
    public let remnantScanIncomplete: Bool
    /// Why the file could not be read at all (too large), so that its entries are unknown; nil for a log that was read.
    public var unreadable: String? = nil
    /// Old format: indices of the dirty 512-byte pages of the hive bins, in bitmap order.
    public let dirtyPages: [Int]
    /// Old format: where the packed dirty pages start in the file.
    public let pagesStart: Int

    /// Parses a log file's bytes.
    ///
    /// - Parameters:
    ///   - path: The log's path, for messages.
    ///   - bytes: The whole file.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        size = bytes.count
        var entries: [LogEntry] = []
        var chainEnd = "no entries"
        var damaged = false
        var dirtyPages: [Int] = []
        var pagesStart = 0
        let block = bytes.count >= 512 ? BaseBlock(bytes[0..<512]) : nil
        baseBlock = block
        // Every file that can hold one entry is scanned, valid base block or not.
        let (sequences, incomplete) = TransactionLog.hashValidSequences(bytes)
        var problem = TransactionLog.check(block, size: bytes.count)
        if problem == nil, let block {
            if block.fileType == 6 {
                format = .new
                (entries, chainEnd, damaged) = TransactionLog.chain(bytes, first: block.primarySequence)
            } else {
                switch TransactionLog.dirtyVector(bytes, hiveBinsSize: Int(block.hiveBinsSize)) {
                case .success(let vector):
                    format = .old
                    (dirtyPages, pagesStart) = vector
                case .failure(let reason):
                    format = nil
                    problem = reason.message
                }
            }
        } else {
            format = nil
        }
        self.problem = problem
        self.entries = entries
        self.chainEnd = chainEnd
        chainEndsAtDamagedEntry = damaged
        hashValidSequences = sequences
        highestSequence = Serial.highest(sequences)
        self.remnantScanIncomplete = incomplete
        self.dirtyPages = dirtyPages
        self.pagesStart = pagesStart
    }

    /// A log that cannot be read (too large, or unreadable): unusable, and since its entries
    /// cannot be scanned, counted as possibly holding some (so recovery is refused, never silently
    /// done without it).
    ///
    /// - Parameters:
    ///   - path: The log's path, for messages.
    ///   - size: Its size in bytes.
    ///   - problem: Why it cannot be read.
    public init(path: String, size: Int, unreadable problem: String) {
        self.path = path
        bytes = []
        self.size = size
        baseBlock = nil
        format = nil
        self.problem = problem
        entries = []
        chainEnd = "not read"
        chainEndsAtDamagedEntry = false
        hashValidSequences = []
        highestSequence = nil
        remnantScanIncomplete = true
        dirtyPages = []
        pagesStart = 0
        unreadable = problem
    }

    /// The bytes of one page of an entry.
    package func bytesView(_ page: LogPage) -> ArraySlice<UInt8> {
        bytes[page.dataOffset..<page.dataOffset + Int(page.size)]
    }

    /// Whether the log can be used for recovery (valid base block and body).
    public var isValid: Bool { problem == nil && format != nil }

    // MARK: - Base block

    package static func check(_ block: BaseBlock?, size: Int) -> String? {
        guard size > 0 else { return "the file is empty" }
        guard let block else { return "the file has \(size) bytes, fewer than a 512-byte base block" }
        guard block.hasSignature else { return "no 'regf' signature" }
        guard block.isChecksumValid else { return "its base-block checksum is wrong" }
        guard block.primarySequence == block.secondarySequence else {
            return "its sequence numbers differ (\(block.primarySequence)/\(block.secondarySequence))"
        }
        guard block.majorVersion == 1, (3...6).contains(block.minorVersion) else {
            return "unsupported format version \(block.majorVersion).\(block.minorVersion)"
        }
        guard [1, 2, 6].contains(block.fileType) else { return "file type \(block.fileType) is not a log (1, 2 or 6)" }
        guard block.clusteringFactor == 1 else { return "clustering factor \(block.clusteringFactor), expected 1" }
        guard block.hiveBinsSize >= 4096, block.hiveBinsSize % 4096 == 0 else {
            return "hive-bins size \(block.hiveBinsSize) is not a positive multiple of 4096"
        }
        return nil
    }

    // MARK: - New format

    /// Parses one `HvLE` entry at `offset`, checking everything (docs/registry-format.md §6.4, and bounds).
    ///
    /// - Returns: The entry, or why it is not one.
    package static func entry(_ bytes: [UInt8], at offset: Int) -> Result<LogEntry, Invalid> {
        guard offset + 40 <= bytes.count else { return .failure(Invalid("end of the file")) }
        guard bytes[offset..<offset + 4].elementsEqual("HvLE".utf8) else {
            return .failure(Invalid("no 'HvLE' signature at offset \(offset)"))
        }
        // From here on there is an entry header, and what fails makes the entry damaged.
        let named = "entry at offset \(offset) (claiming sequence \(bytes.loadLE(UInt32.self, at: offset + 12)))"
        let size = Int(bytes.loadLE(UInt32.self, at: offset + 4))
        guard size >= 512, size % 512 == 0, size <= bytes.count - offset else {
            return .failure(Invalid(damaged: "\(named) has an invalid size \(size)"))
        }
        let hiveBinsSize = bytes.loadLE(UInt32.self, at: offset + 16)
        guard hiveBinsSize >= 4096, hiveBinsSize % 4096 == 0 else {
            return .failure(Invalid(damaged: "\(named) has an invalid hive-bins size \(hiveBinsSize)"))
        }
        let count = Int(bytes.loadLE(UInt32.self, at: offset + 20))
        guard count > 0, count <= (size - 40) / 8 else {
            return .failure(Invalid(damaged: "\(named) has an invalid page count \(count)"))
        }
        let storedHash2 = bytes.loadLE(UInt64.self, at: offset + 32)
        guard Marvin32.hash(bytes[offset..<offset + 32]) == storedHash2 else {
            return .failure(Invalid(damaged: "\(named) fails its header hash (Hash-2)"))
        }
        let storedHash1 = bytes.loadLE(UInt64.self, at: offset + 24)
        guard Marvin32.hash(bytes[offset + 40..<offset + size]) == storedHash1 else {
            return .failure(Invalid(damaged: "\(named) fails its data hash (Hash-1)"))
        }
        var pages: [LogPage] = []
        var dataOffset = offset + 40 + 8 * count
        for index in 0..<count {
            let reference = offset + 40 + 8 * index
            let pageOffset = bytes.loadLE(UInt32.self, at: reference)
            let pageSize = bytes.loadLE(UInt32.self, at: reference + 4)
            guard pageSize > 0, pageOffset % 4096 == 0, pageSize % 4096 == 0,
                  UInt64(pageOffset) + UInt64(pageSize) <= UInt64(hiveBinsSize),
                  dataOffset + Int(pageSize) <= offset + size
            else {
                return .failure(Invalid(damaged: "\(named) has an invalid page reference \(index) (offset \(pageOffset), size \(pageSize))"))
            }
            pages.append(LogPage(offset: pageOffset, size: pageSize, dataOffset: dataOffset))
            dataOffset += Int(pageSize)
        }
        return .success(LogEntry(
            fileOffset: offset, size: size, flags: bytes.loadLE(UInt32.self, at: offset + 8),
            sequence: bytes.loadLE(UInt32.self, at: offset + 12), hiveBinsSize: hiveBinsSize, pages: pages
        ))
    }

    /// The chain of entries from offset 512 whose sequence numbers run `first`, `first + 1`, …
    ///
    /// - Returns: The entries, why the chain ended, and whether it ended at a damaged entry header.
    package static func chain(_ bytes: [UInt8], first: UInt32) -> ([LogEntry], String, Bool) {
        var entries: [LogEntry] = []
        var offset = 512
        var expected = first
        while true {
            switch entry(bytes, at: offset) {
            case .failure(let reason):
                return (entries, reason.message, reason.damaged)
            case .success(let entry):
                guard entry.sequence == expected else {
                    return (entries, "entry at offset \(offset) has sequence number \(entry.sequence), expected \(expected)", false)
                }
                entries.append(entry)
                offset += entry.size
                expected &+= 1
            }
        }
    }

    /// The sequence numbers of the hash-valid entries at the 512-byte boundaries after the base block
    /// (in file order), and whether the scan gave up: it hashes at most 2 × the file size plus 1 MiB,
    /// so a crafted file cannot make it quadratic. Only a header whose size fits in the file is
    /// charged to that budget (any other is rejected before hashing), so one stray header with a
    /// huge size cannot end the scan early.
    package static func hashValidSequences(_ bytes: [UInt8]) -> ([UInt32], Bool) {
        var sequences: [UInt32] = []
        var offset = 512
        var budget = 2 * bytes.count + (1 << 20)
        while offset + 40 <= bytes.count {
            guard bytes[offset] == UInt8(ascii: "H"), bytes[offset..<offset + 4].elementsEqual("HvLE".utf8) else {
                offset += 512
                continue
            }
            let size = Int(bytes.loadLE(UInt32.self, at: offset + 4))
            if size <= bytes.count - offset {
                budget -= size
                if budget < 0 { return (sequences, true) }
            }
            if case .success(let entry) = entry(bytes, at: offset) {
                sequences.append(entry.sequence)
                offset += entry.size
            } else {
                offset += 512
            }
        }
        return (sequences, false)
    }

    // MARK: - Old format

    /// The dirty vector (`DIRT` + bitmap) of an old-format log: dirty page indices and where the pages start.
    package static func dirtyVector(_ bytes: [UInt8], hiveBinsSize: Int) -> Result<([Int], Int), Invalid> {
        guard bytes.count >= 516, bytes[512..<516].elementsEqual("DIRT".utf8) else {
            return .failure(Invalid("no 'DIRT' signature at offset 512"))
        }
        let bitmapBytes = hiveBinsSize / 4096
        guard 516 + bitmapBytes <= bytes.count else {
            return .failure(Invalid("the dirty bitmap (\(bitmapBytes) bytes) runs past the end of the file"))
        }
        var pages: [Int] = []
        for byteIndex in 0..<bitmapBytes {
            let byte = bytes[516 + byteIndex]
            if byte == 0 { continue }
            for bit in 0..<8 where byte & (1 << bit) != 0 {
                pages.append(byteIndex * 8 + bit)
            }
        }
        let start = (516 + bitmapBytes + 511) / 512 * 512
        guard start + 512 * pages.count <= bytes.count else {
            return .failure(Invalid("the log holds fewer dirty pages than its bitmap marks (\(pages.count))"))
        }
        return .success((pages, start))
    }

    /// Why a structure is invalid.
    package struct Invalid: Error {
        let message: String
        /// An entry header is there but fails a check (as opposed to: no entry there at all).
        let damaged: Bool
        init(_ message: String) {
            self.message = message
            damaged = false
        }
        init(damaged message: String) {
            self.message = message
            damaged = true
        }
    }
}
