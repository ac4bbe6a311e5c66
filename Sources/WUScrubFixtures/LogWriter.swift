import WUScrubCore

/// Writes registry transaction logs (`SYSTEM.LOG1`, `.LOG2`) byte for byte as Windows does, from a
/// clean "before" hive and the "after" hives it went through, so that replay can be tested without
/// real logs: replaying the log onto the dirty primary must give back the "after" bytes exactly
/// (bar the base-block fields that recovery itself sets).
///
/// Two formats:
///
/// * **New** (Windows 8.1 and later, file type 6): a 512-byte copy of the base block, then `HvLE`
///   entries from offset 512, each at a 512-byte boundary, each a multiple of 512 bytes long:
///   a 40-byte header (signature, size, flags, sequence number, hive-bins size, page count,
///   Hash-1, Hash-2), 8-byte page references (offset in the hive bins, size), then the pages'
///   bytes. Hash-1 is Marvin32 over the entry from byte 40 to its end; Hash-2 is Marvin32 over its
///   first 32 bytes (Hash-1 included). Windows pads each entry so that it ends on a 4096-byte
///   boundary of the file.
/// * **Old** (Windows XP to 8.0, file type 1, or 2 on NT 3.x to 2000): the base-block copy, `DIRT`
///   and a bitmap of the dirty 512-byte pages of the hive bins (one bit each, least significant
///   bit first, hive-bins size / 4096 bytes), then the dirty pages themselves, packed, from the
///   next 512-byte boundary.
///
/// Every knob that produces a damaged log is explicit (`Entry.damage`, `Entry.gapBefore`, the
/// header fields, `remnants`); left alone, the writer produces a log a real Windows could have
/// written.
public struct TransactionLogWriter: Sendable, Equatable {
    public enum Format: Sendable, Equatable {
        /// `HvLE` entries (file type 6).
        case new
        /// A `DIRT` dirty vector and 512-byte pages (file type 1 or 2).
        case old
    }

    /// How a new-format entry is padded.
    public enum Padding: Sendable, Equatable {
        /// To the next 4096-byte boundary of the log file, as Windows does.
        case fileBlock
        /// To the next multiple of 512 bytes (the least the format allows).
        case sector
    }

    /// A way to damage one new-format entry after it is built.
    public enum Damage: Sendable, Equatable {
        /// The stored Hash-1 does not match the entry's data; Hash-2 is computed over the wrong
        /// value, so Hash-1 is the only check that fails.
        case wrongHash1
        /// The stored Hash-2 does not match the header.
        case wrongHash2
        /// One byte of the first page changed after both hashes were computed (a torn write):
        /// Hash-1 fails.
        case corruptData
        /// The `HvLE` signature is missing (the entry reads as the end of the chain).
        case missingSignature
    }

    /// A run of hive-bins bytes a log carries.
    public struct Page: Sendable, Equatable {
        /// Offset relative to the start of the hive bins (file offset − 4096).
        public var offset: UInt32
        public var bytes: [UInt8]

        public init(offset: UInt32, bytes: [UInt8]) {
            self.offset = offset
            self.bytes = bytes
        }
    }

    /// One new-format (`HvLE`) entry.
    public struct Entry: Sendable, Equatable {
        public var sequence: UInt32
        /// The hive-bins size once the entry is applied.
        public var hiveBinsSize: UInt32
        /// Bit 0: the hive is locked by KTM (copied into the base block's flags by replay).
        public var flags: UInt32
        public var pages: [Page]
        public var damage: Damage?
        /// Zero bytes written before the entry (a multiple of 512), which break the chain: the
        /// entry is no longer where the previous one ends.
        public var gapBefore: Int

        public init(sequence: UInt32, hiveBinsSize: UInt32, flags: UInt32 = 0, pages: [Page],
                    damage: Damage? = nil, gapBefore: Int = 0) {
            self.sequence = sequence
            self.hiveBinsSize = hiveBinsSize
            self.flags = flags
            self.pages = pages
            self.damage = damage
            self.gapBefore = gapBefore
        }
    }

    /// The log's copy of the base block (its first 512 bytes), field by field.
    public struct Header: Sendable, Equatable {
        /// The base block it is copied from (at least 512 bytes; the rest of the fields are kept).
        public var source: [UInt8]
        public var primarySequence: UInt32
        public var secondarySequence: UInt32
        public var lastWritten: UInt64
        public var fileType: UInt32
        public var hiveBinsSize: UInt32
        public var flags: UInt32
        /// Write a checksum that does not match (the log is then unusable).
        public var wrongChecksum = false

        /// A header copied from `hive`'s base block, with all its fields as they are there.
        public init(copying hive: [UInt8]) {
            precondition(hive.count >= 512, "a base block has 512 bytes at least")
            source = Array(hive[0..<512])
            primarySequence = hive.le32(4)
            secondarySequence = hive.le32(8)
            lastWritten = UInt64(hive.le32(12)) | UInt64(hive.le32(16)) << 32
            fileType = hive.le32(28)
            hiveBinsSize = hive.le32(40)
            flags = hive.le32(144)
        }

        /// The 512 bytes.
        public var bytes: [UInt8] {
            var block = source
            block.setLE32(primarySequence, at: 4)
            block.setLE32(secondarySequence, at: 8)
            block.setLE32(UInt32(truncatingIfNeeded: lastWritten), at: 12)
            block.setLE32(UInt32(truncatingIfNeeded: lastWritten >> 32), at: 16)
            block.setLE32(fileType, at: 28)
            block.setLE32(hiveBinsSize, at: 40)
            block.setLE32(flags, at: 144)
            let checksum = TransactionLogWriter.checksum(block)
            block.setLE32(wrongChecksum ? checksum ^ 0x0101_0101 : checksum, at: 508)
            return block
        }
    }

    public var format: Format
    public var header: Header
    /// New format: the entry chain, written from offset 512.
    public var entries: [Entry] = []
    /// New format: entries written after the chain (the remains of an earlier use of the file).
    public var remnants: [Entry] = []
    public var padding: Padding = .fileBlock
    /// Old format: the dirty pages, each 512 bytes at a multiple of 512.
    public var dirtyPages: [Page] = []
    /// The file is padded with zeros to at least this many bytes (logs are preallocated).
    public var minimumSize = 0

    // MARK: - New format

    /// An empty new-format log for a hive: the base-block copy is `primary`'s with file type 6 and
    /// both sequence numbers `sequence`, the number its first entry will carry.
    ///
    /// - Parameters:
    ///   - primary: The hive (its base block is copied).
    ///   - sequence: The sequence number of the first entry.
    public init(newFormatFor primary: [UInt8], startingAt sequence: UInt32) {
        format = .new
        header = Header(copying: primary)
        header.fileType = 6
        header.primarySequence = sequence
        header.secondarySequence = sequence
    }

    /// The sequence number the next appended entry gets: one after the last entry, or the base
    /// block's for the first one.
    public var nextSequence: UInt32 {
        entries.last.map { $0.sequence &+ 1 } ?? header.primarySequence
    }

    /// Appends the entry that takes the hive from `before` to `after`: every 4096-byte page of the
    /// hive bins that differs (or that `before` lacks, when the hive grows), with `after`'s
    /// hive-bins size and flags bit 0.
    ///
    /// - Parameters:
    ///   - before: The hive before the change (whole file).
    ///   - after: The hive after it.
    ///   - sequence: The entry's sequence number (default `nextSequence`).
    ///   - damage: How to damage it, if at all.
    /// - Returns: The entry appended.
    @discardableResult
    public mutating func append(from before: [UInt8], to after: [UInt8], sequence: UInt32? = nil,
                                damage: Damage? = nil) -> Entry {
        let entry = Entry(sequence: sequence ?? nextSequence, hiveBinsSize: after.le32(40),
                          flags: after.le32(144) & 1, pages: Self.dirtyPages(from: before, to: after),
                          damage: damage)
        entries.append(entry)
        return entry
    }

    /// The bytes of one entry that starts at `offset` in the log file.
    ///
    /// - Parameters:
    ///   - entry: The entry.
    ///   - offset: Its position in the file (a multiple of 512), for `.fileBlock` padding.
    ///   - padding: How it is padded.
    public static func bytes(of entry: Entry, at offset: Int = 512, padding: Padding = .fileBlock) -> [UInt8] {
        let used = 40 + 8 * entry.pages.count + entry.pages.reduce(0) { $0 + $1.bytes.count }
        let size = switch padding {
        case .sector: alignUp(used, 512)
        case .fileBlock: alignUp(offset + used, 4096) - offset
        }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.replaceSubrange(0..<4, with: "HvLE".utf8)
        bytes.setLE32(UInt32(size), at: 4)
        bytes.setLE32(entry.flags, at: 8)
        bytes.setLE32(entry.sequence, at: 12)
        bytes.setLE32(entry.hiveBinsSize, at: 16)
        bytes.setLE32(UInt32(entry.pages.count), at: 20)
        var data = 40 + 8 * entry.pages.count
        for (index, page) in entry.pages.enumerated() {
            bytes.setLE32(page.offset, at: 40 + 8 * index)
            bytes.setLE32(UInt32(page.bytes.count), at: 44 + 8 * index)
            bytes.replaceSubrange(data..<data + page.bytes.count, with: page.bytes)
            data += page.bytes.count
        }
        var hash1 = Marvin32.hash(bytes[40...])
        if entry.damage == .wrongHash1 { hash1 ^= 1 }
        bytes.setLE64(hash1, at: 24)
        var hash2 = Marvin32.hash(bytes[0..<32])
        if entry.damage == .wrongHash2 { hash2 ^= 1 }
        bytes.setLE64(hash2, at: 32)
        switch entry.damage {
        case .corruptData: bytes[40 + 8 * entry.pages.count] ^= 0xFF
        case .missingSignature: bytes.replaceSubrange(0..<4, with: "hvle".utf8)
        case .wrongHash1, .wrongHash2, nil: break
        }
        return bytes
    }

    /// Where each entry of the chain starts in the file, in order (each after its gap).
    public var entryOffsets: [Int] {
        var offsets: [Int] = []
        var offset = 512
        for entry in entries {
            offset += entry.gapBefore
            offsets.append(offset)
            offset += Self.bytes(of: entry, at: offset, padding: padding).count
        }
        return offsets
    }

    // MARK: - Old format

    /// An old-format log for a dirty primary, as Windows Vista to 8.0 writes it: the base-block
    /// copy is `primary`'s with file type `fileType`, both sequence numbers equal to the primary's
    /// first one (`sequence` to choose another), and the primary's timestamp, which is what makes
    /// the log applicable.
    ///
    /// - Parameters:
    ///   - primary: The dirty primary (its base block is copied).
    ///   - sequence: Both sequence numbers of the copy (default: the primary's first).
    ///   - fileType: 1 (XP to 8.0) or 2 (NT 3.x to 2000).
    public init(oldFormatFor primary: [UInt8], sequence: UInt32? = nil, fileType: UInt32 = 1) {
        format = .old
        header = Header(copying: primary)
        header.fileType = fileType
        header.primarySequence = sequence ?? header.primarySequence
        header.secondarySequence = header.primarySequence
    }

    /// Marks the pages that take the hive from `before` to `after` dirty, and gives the copy
    /// `after`'s hive-bins size (the size the bitmap covers).
    ///
    /// - Parameters:
    ///   - before: The hive before the change.
    ///   - after: The hive after it.
    ///   - granularity: 4096 marks whole blocks (bitmap bytes 0x00 or 0xFF, as Windows does);
    ///     512 marks single pages.
    public mutating func mark(from before: [UInt8], to after: [UInt8], granularity: Int = 4096) {
        precondition(granularity == 512 || granularity == 4096)
        header.hiveBinsSize = after.le32(40)
        let runs = Self.dirtyPages(from: before, to: after, pageSize: granularity, merge: false)
        var pages: [Page] = []
        for run in runs {
            for start in stride(from: 0, to: run.bytes.count, by: 512) {
                pages.append(Page(offset: run.offset + UInt32(start), bytes: Array(run.bytes[start..<start + 512])))
            }
        }
        dirtyPages = pages.sorted { $0.offset < $1.offset }
    }

    /// Where the packed dirty pages start: the first 512-byte boundary after the bitmap.
    public var pagesStart: Int {
        Self.alignUp(516 + Int(header.hiveBinsSize) / 4096, 512)
    }

    // MARK: - The file

    /// The whole log file.
    public func bytes() -> [UInt8] {
        var file = header.bytes
        switch format {
        case .new:
            for entry in entries + remnants {
                file += [UInt8](repeating: 0, count: entry.gapBefore)
                file += Self.bytes(of: entry, at: file.count, padding: padding)
            }
        case .old:
            let bitmapBytes = Int(header.hiveBinsSize) / 4096
            var bitmap = [UInt8](repeating: 0, count: bitmapBytes)
            for page in dirtyPages {
                let index = Int(page.offset) / 512
                precondition(page.offset % 512 == 0 && page.bytes.count == 512 && index / 8 < bitmapBytes,
                             "an old-format page is 512 bytes at a multiple of 512 inside the hive bins")
                bitmap[index / 8] |= 1 << (index % 8)
            }
            file += "DIRT".utf8
            file += bitmap
            file += [UInt8](repeating: 0, count: pagesStart - file.count)
            // Packed in bitmap order, whatever order they were given in.
            for page in dirtyPages.sorted(by: { $0.offset < $1.offset }) {
                file += page.bytes
            }
        }
        if file.count < minimumSize { file += [UInt8](repeating: 0, count: minimumSize - file.count) }
        return file
    }

    // MARK: - Hives

    /// The `pageSize` pages of the hive bins that differ between two hives, merged into runs of
    /// consecutive pages when `merge` is set (as Windows logs them). A page `before` lacks (the
    /// hive grew) is dirty; pages past `after`'s hive-bins size are not logged.
    ///
    /// - Parameters:
    ///   - before: The hive before (whole file).
    ///   - after: The hive after.
    ///   - pageSize: 4096 (new format), or 512 (old format, page by page).
    ///   - merge: Join consecutive dirty pages into one.
    public static func dirtyPages(from before: [UInt8], to after: [UInt8], pageSize: Int = 4096,
                                  merge: Bool = true) -> [Page] {
        let end = 4096 + Int(after.le32(40))
        precondition(after.count >= end, "the after hive holds its whole hive bins")
        var pages: [Page] = []
        for start in stride(from: 4096, to: end, by: pageSize) {
            let range = start..<start + pageSize
            let dirty = before.count < range.upperBound || !before[range].elementsEqual(after[range])
            guard dirty else { continue }
            if merge, let last = pages.last, Int(last.offset) + 4096 + last.bytes.count == start {
                pages[pages.count - 1].bytes += after[range]
            } else {
                pages.append(Page(offset: UInt32(start - 4096), bytes: Array(after[range])))
            }
        }
        return pages
    }

    /// A dirty primary: `hive` with the given sequence numbers (and timestamp, flags), its
    /// checksum recomputed. With `primarySequence` ≠ `secondarySequence` the base block says a
    /// write to the file started and did not end.
    ///
    /// - Parameters:
    ///   - hive: The hive as it is on disk (a clean one, or one a write left half done).
    ///   - primarySequence: Offset 4.
    ///   - secondarySequence: Offset 8.
    ///   - lastWritten: Offset 12, when given.
    ///   - flags: Offset 144, when given.
    public static func dirtyPrimary(_ hive: [UInt8], primarySequence: UInt32, secondarySequence: UInt32,
                                    lastWritten: UInt64? = nil, flags: UInt32? = nil) -> [UInt8] {
        var header = Header(copying: hive)
        header.primarySequence = primarySequence
        header.secondarySequence = secondarySequence
        if let lastWritten { header.lastWritten = lastWritten }
        if let flags { header.flags = flags }
        var bytes = hive
        bytes.replaceSubrange(0..<512, with: header.bytes)
        return bytes
    }

    /// What a replay of logs that take `primary` to `after` must produce, as the rules define it:
    /// `after`'s hive bins over `primary` (which grows when they are longer, and keeps any bytes
    /// past them), under `primary`'s base block with both sequence numbers `sequence`, `after`'s
    /// hive-bins size, flags bit 0 from `lockedFlag` (the last entry's), file type 0 and a fresh
    /// checksum.
    ///
    /// - Parameters:
    ///   - primary: The dirty primary.
    ///   - after: The hive the logs lead to.
    ///   - sequence: The final sequence number.
    ///   - lockedFlag: Flags bit 0 after replay (default: the primary's).
    public static func expectedReplay(of primary: [UInt8], to after: [UInt8], sequence: UInt32,
                                      lockedFlag: Bool? = nil) -> [UInt8] {
        let binsEnd = 4096 + Int(after.le32(40))
        var bytes = primary
        if bytes.count < binsEnd { bytes += [UInt8](repeating: 0, count: binsEnd - bytes.count) }
        bytes.replaceSubrange(4096..<binsEnd, with: after[4096..<binsEnd])
        var header = Header(copying: primary)
        header.primarySequence = sequence
        header.secondarySequence = sequence
        header.hiveBinsSize = after.le32(40)
        header.fileType = 0
        if let lockedFlag { header.flags = (header.flags & ~1) | (lockedFlag ? 1 : 0) }
        bytes.replaceSubrange(0..<512, with: header.bytes)
        return bytes
    }

    /// `hive` with `count` empty 4096-byte hive bins appended (each a header and one free cell),
    /// and its hive-bins size raised to match: a hive that grew.
    public static func growing(_ hive: [UInt8], byBins count: Int) -> [UInt8] {
        let binsSize = Int(hive.le32(40))
        var bytes = Array(hive[0..<4096 + binsSize])
        for index in 0..<count {
            let offset = UInt32(binsSize + 4096 * index)
            var bin = [UInt8](repeating: 0, count: 4096)
            bin.replaceSubrange(0..<4, with: "hbin".utf8)
            bin.setLE32(offset, at: 4)
            bin.setLE32(4096, at: 8)
            bin.setLE32(4096 - 32, at: 32)
            bytes += bin
        }
        bytes += hive.dropFirst(4096 + binsSize)
        bytes.setLE32(UInt32(binsSize + 4096 * count), at: 40)
        bytes.replaceSubrange(0..<512, with: Header(copying: bytes).bytes)
        return bytes
    }

    /// `hive` with `data` written at `offset` in its hive bins (inside a cell, so that the bins and
    /// the root key stay valid): a change to a cell.
    public static func writing(_ data: some Collection<UInt8>, atBinsOffset offset: Int, in hive: [UInt8]) -> [UInt8] {
        var bytes = hive
        bytes.replaceSubrange(4096 + offset..<4096 + offset + data.count, with: data)
        return bytes
    }

    /// The base-block checksum: XOR of the 127 little-endian dwords before offset 508, where 0
    /// becomes 1 and 0xFFFFFFFF becomes 0xFFFFFFFE.
    public static func checksum(_ block: [UInt8]) -> UInt32 {
        var sum: UInt32 = 0
        for offset in stride(from: 0, to: 508, by: 4) { sum ^= block.le32(offset) }
        switch sum {
        case 0: return 1
        case 0xFFFF_FFFF: return 0xFFFF_FFFE
        default: return sum
        }
    }

    static func alignUp(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }
}

extension Array where Element == UInt8 {
    fileprivate func le32(_ index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[index + $1]) << (8 * UInt32($1)) }
    }

    fileprivate mutating func setLE32(_ value: UInt32, at index: Int) {
        for byte in 0..<4 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
    }

    fileprivate mutating func setLE64(_ value: UInt64, at index: Int) {
        for byte in 0..<8 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
    }
}
