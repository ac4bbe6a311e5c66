import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// Cases from the third audit of transaction-log recovery (issue 3), one `MARK` per finding, on
/// private copies of the corpus hives.
extension RecoveryTests {
    /// Replaces a (read-only) corpus copy with new bytes.
    func replace(_ path: String, with bytes: [UInt8]) throws {
        try FileManager.default.removeItem(atPath: path)
        try FileIO.createDurably(bytes, at: path)
    }

    /// Writes "INVL" over a base block's checksum, as yarp's BadLogHive fixtures do.
    func breakChecksum(_ path: String) throws {
        var bytes = try FileIO.read(path)
        bytes.replaceSubrange(508..<512, with: "INVL".utf8)
        try replace(path, with: bytes)
    }

    /// SYSTEM_B and both of its logs, decompressed into `scratch`.
    func systemB(in scratch: Scratch) throws -> String {
        let hive = try Corpus.copy("regipy/SYSTEM_B.xz", into: scratch)
        _ = try Corpus.copy("regipy/SYSTEM_B.LOG1.xz", into: scratch)
        _ = try Corpus.copy("regipy/SYSTEM_B.LOG2.xz", into: scratch)
        return hive
    }

    // MARK: - Logs whose base block is invalid

    @Test func aLogWhoseBaseBlockIsInvalidIsStillScannedForEntries() throws {
        let folder = Corpus.directory + "/yarp/BadLogHive3/BadLogHive"
        let log1 = TransactionLog(path: "LOG1", bytes: try FileIO.read(folder + ".LOG1"))
        let log2 = TransactionLog(path: "LOG2", bytes: try FileIO.read(folder + ".LOG2"))
        // Locals, so that a failure does not print the logs' bytes.
        let valid = [log1.isValid, log2.isValid], sequences = [log1.hashValidSequences, log2.hashValidSequences]
        let highest = log2.highestSequence, summary = LogSummary(log2).hashValidEntries
        #expect(valid == [false, false])
        #expect(sequences == [[2], [3, 4, 5]])
        #expect(highest == 5)
        #expect(summary == [3, 4, 5])
    }

    @Test func entriesInALogWhoseBaseBlockIsInvalidAreNotLostSilently() throws {
        let scratch = try Scratch("invalid-log2")
        defer { scratch.remove() }
        let hive = try systemB(in: scratch)
        try breakChecksum(hive + ".LOG2")
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused, "LOG1 alone reaches 2110, LOG2 still holds 2111…2130")
        #expect(analysis.recovered == nil && analysis.applied.isEmpty && analysis.finalSequence == nil)
        let refusal = try #require(analysis.refusal)
        #expect(refusal.contains("up to sequence 2130, but replay can only reach 2110"), "\(refusal)")
        #expect(refusal.contains("SYSTEM_B.LOG2 holds hash-valid entries 2111…2130"), "\(refusal)")
        #expect(refusal.contains("base-block checksum is wrong"), "\(refusal)")
        #expect(analysis.logs.last?.hashValidEntries == Array(2111...2130))
        #expect(try hashes(scratch) == before)
    }

    @Test func badLogHive3IsStillRefusedAndSaysWhatItsLogsHold() throws {
        let scratch = try Scratch("bad-log-3")
        defer { scratch.remove() }
        let hive = try copy("yarp/BadLogHive3", primary: "BadLogHive", into: scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(analysis.refusal?.contains("BadLogHive.LOG2: its base-block checksum is wrong, though it holds hash-valid entries 3…5") == true,
                "\(analysis.refusal ?? "")")
    }

    @Test func anOldFormatReplayDoesNotDropNewFormatEntriesOfAnotherLog() throws {
        let scratch = try Scratch("old-and-new")
        defer { scratch.remove() }
        let hive = try copy("yarp/OldDirtyHive", primary: "OldDirtyHive", into: scratch)
        // OldDirtyHive is 5/4; BadLogHive3's LOG2 (invalid base block) holds hash-valid entries 3, 4, 5.
        try replace(hive + ".LOG2", with: try FileIO.read(Corpus.directory + "/yarp/BadLogHive3/BadLogHive.LOG2"))
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("OldDirtyHive.LOG2 holds hash-valid new-format entries 4…5") == true, "\(analysis.refusal ?? "")")
        #expect(try hashes(scratch) == before)
    }

    // MARK: - What --discard-unreconciled discards

    @Test func discardingBadLogHive3ListsEveryEntryAndEndsAboveThem() throws {
        let scratch = try Scratch("discard-bad-log-3")
        defer { scratch.remove() }
        let hive = try copy("yarp/BadLogHive3", primary: "BadLogHive", into: scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive, discardUnreconciled: true)
        #expect(analysis.outcome == .discarded)
        #expect(analysis.discarded == [
            hive + ".LOG1: entry 2 discarded (the log is unusable: its base-block checksum is wrong)",
            hive + ".LOG2: entries 3…5 discarded (the log is unusable: its base-block checksum is wrong)",
        ])
        #expect(analysis.finalSequence == 5, "LOG2 holds hash-valid entries up to 5")
        let block = try HiveLayout.validate(try #require(analysis.recovered), path: "discarded")
        #expect(block.primarySequence == 5 && block.secondarySequence == 5)
    }

    @Test func discardingSystemBWithBothLogsBrokenEndsAtTheirLastEntry() throws {
        let scratch = try Scratch("discard-system-b")
        defer { scratch.remove() }
        let hive = try systemB(in: scratch)
        try breakChecksum(hive + ".LOG1")
        try breakChecksum(hive + ".LOG2")
        let analysis = try HiveRecovery.analyze(hiveAt: hive, discardUnreconciled: true)
        #expect(analysis.outcome == .discarded)
        #expect(analysis.finalSequence == 2130)
        #expect(analysis.discarded.count == 2)
        #expect(analysis.discarded.first?.contains("2107…2110 discarded") == true, "\(analysis.discarded)")
        #expect(analysis.discarded.last == hive + ".LOG2: entries 2111…2130 discarded (the log is unusable: its base-block checksum is wrong)")
    }

    @Test func discardingAfterAFlippedHashListsTheEntriesBeyondTheBreak() throws {
        let scratch = try Scratch("discard-flipped")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var log2 = try FileIO.read(hive + ".LOG2")
        let second = 512 + Int(log2.loadLittleEndian(at: 512 + 4))   // entry 4
        log2[second + 24] ^= 0x01
        try replace(hive + ".LOG2", with: log2)
        let analysis = try HiveRecovery.analyze(hiveAt: hive, discardUnreconciled: true)
        #expect(analysis.outcome == .discarded)
        #expect(analysis.finalSequence == 5)
        #expect(analysis.discarded == [
            hive + ".LOG1: entry 2 discarded",
            hive + ".LOG2: entries 3, 5 discarded; discarded unread: the entry at offset \(second) (claiming sequence 4) fails its header hash (Hash-2)",
        ])
    }

    // MARK: - Stray entry headers

    @Test func aStrayEntryHeaderWithAHugeSizeInTheZeroTailChangesNothing() throws {
        let scratch = try Scratch("stray-header")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var log2 = try FileIO.read(hive + ".LOG2")
        #expect(log2[40960...].allSatisfy { $0 == 0 }, "LOG2's zero tail starts at 40960")
        log2.replaceSubrange(45056..<45060, with: "HvLE".utf8)
        log2.put32(0xFFFF_FE00, at: 45056 + 4)
        try replace(hive + ".LOG2", with: log2)
        let parsed = TransactionLog(path: "LOG2", bytes: log2)
        let incomplete = parsed.remnantScanIncomplete, sequences = parsed.hashValidSequences
        #expect(!incomplete, "one stray header does not exhaust the scan's budget")
        #expect(sequences == [3, 4, 5])
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .recovered, "\(analysis.refusal ?? "")")
        #expect(analysis.applied.map(\.sequences) == [[2], [3, 4, 5]])
    }

    // MARK: - Growth only over logged pages

    /// A new-format entry: header, page references, page data, zero padding to a multiple of 512,
    /// both hashes.
    static func entry(sequence: UInt32, hiveBinsSize: UInt32, pages: [(offset: UInt32, data: [UInt8])]) -> [UInt8] {
        let used = 40 + 8 * pages.count + pages.reduce(0) { $0 + $1.data.count }
        var entry = [UInt8](repeating: 0, count: (used + 511) / 512 * 512)
        entry.replaceSubrange(0..<4, with: "HvLE".utf8)
        entry.put32(UInt32(entry.count), at: 4)
        entry.put32(sequence, at: 12)
        entry.put32(hiveBinsSize, at: 16)
        entry.put32(UInt32(pages.count), at: 20)
        var data = 40 + 8 * pages.count
        for (index, page) in pages.enumerated() {
            entry.put32(page.offset, at: 40 + 8 * index)
            entry.put32(UInt32(page.data.count), at: 44 + 8 * index)
            entry.replaceSubrange(data..<data + page.data.count, with: page.data)
            data += page.data.count
        }
        entry.put64(Marvin32.hash(entry[40...]), at: 24)
        entry.put64(Marvin32.hash(entry[0..<32]), at: 32)
        return entry
    }

    /// An empty 4 KiB hive bin at `offset` (relative to the hive bins): header and one free cell.
    static func emptyBin(at offset: UInt32) -> [UInt8] {
        var bin = [UInt8](repeating: 0, count: 4096)
        bin.replaceSubrange(0..<4, with: "hbin".utf8)
        bin.put32(offset, at: 4)
        bin.put32(4096, at: 8)
        bin.put32(4096 - 32, at: 32)
        return bin
    }

    /// Moves LOG1's entry 2 (one 20 KiB page, the whole hive) to the top of a larger hive-bins size.
    func moveFirstPage(of hive: String, hiveBinsSize: UInt32) throws {
        var log1 = try FileIO.read(hive + ".LOG1")
        let pageSize = log1.loadLittleEndian(at: 512 + 44)
        log1.put32(hiveBinsSize, at: 512 + 16)
        log1.put32(hiveBinsSize - pageSize, at: 512 + 40)
        rehash(&log1, entryAt: 512)
        try replace(hive + ".LOG1", with: log1)
    }

    @Test(arguments: [UInt32(0x1000_0000), 0xFFFF_F000])
    func aPageAtTheTopOfAHugeHiveBinsSizeIsRefused(hiveBinsSize: UInt32) throws {
        let scratch = try Scratch("one-page-growth")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        try moveFirstPage(of: hive, hiveBinsSize: hiveBinsSize)
        let crafted = TransactionLog(path: "LOG1", bytes: try FileIO.read(hive + ".LOG1")).entries.first?.hiveBinsSize
        #expect(crafted == hiveBinsSize, "the crafted entry itself is valid")
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("entry 2 declares \(hiveBinsSize) bytes of hive bins, but the primary holds 20480 and the applied entries write no further than 20480") == true,
                "\(analysis.refusal ?? "")")
    }

    /// NewDirtyHive1 with its primary cut to its declared end (so growth must extend the file) and
    /// an entry 6 appended to LOG2's chain.
    func growingHive(in scratch: Scratch, entry6: [UInt8]) throws -> String {
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        try replace(hive, with: Array(try FileIO.read(hive)[0..<4096 + 20480]))
        var log2 = try FileIO.read(hive + ".LOG2")
        let end = TransactionLog(path: "LOG2", bytes: log2).entries.last.map { $0.fileOffset + $0.size } ?? 0
        #expect(end == 40960)
        log2.replaceSubrange(end..<end + entry6.count, with: entry6)
        try replace(hive + ".LOG2", with: log2)
        return hive
    }

    @Test func growthOverLoggedPagesExtendsTheFile() throws {
        let scratch = try Scratch("growth")
        defer { scratch.remove() }
        let hive = try growingHive(in: scratch, entry6: Self.entry(sequence: 6, hiveBinsSize: 24576, pages: [(20480, Self.emptyBin(at: 20480))]))
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .recovered, "\(analysis.refusal ?? "")")
        #expect(analysis.applied.map(\.sequences) == [[2], [3, 4, 5, 6]])
        #expect(analysis.finalSequence == 6 && analysis.finalHiveBinsSize == 24576)
        let recovered = try #require(analysis.recovered)
        #expect(recovered.count == 4096 + 24576, "the file grows to the new hive-bins end")
        let block = try HiveLayout.validate(recovered, path: "recovered")
        #expect(block.hiveBinsSize == 24576 && !block.isDirty)
        try FileIO.createDurably(recovered, at: scratch.sub("recovered"))
        let opened = try Hive(path: scratch.sub("recovered"))
        opened.close()
    }

    @Test func growthOverAPageNoEntryWritesIsRefused() throws {
        let scratch = try Scratch("growth-gap")
        defer { scratch.remove() }
        // 8 KiB of growth, but only the upper 4 KiB is logged: the lower one would be zeros.
        let hive = try growingHive(in: scratch, entry6: Self.entry(sequence: 6, hiveBinsSize: 28672, pages: [(24576, Self.emptyBin(at: 24576))]))
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(analysis.refusal?.contains("entry 6 declares 28672 bytes of hive bins, but the primary holds 20480 and the applied entries write no further than 20480: the hive may only grow by pages its logs supply") == true,
                "\(analysis.refusal ?? "")")
        #expect(try hashes(scratch) == before)
    }

    @Test func anOldFormatLogGrowingTheHiveOverPagesItDoesNotMarkIsRefused() throws {
        let scratch = try Scratch("old-growth")
        defer { scratch.remove() }
        let hive = try copy("yarp/OldDirtyHive", primary: "OldDirtyHive", into: scratch)
        // 4 KiB more hive bins: the bitmap gains one byte (still zero), its pages still start at 1024.
        var log1 = try FileIO.read(hive + ".LOG1")
        #expect(log1.loadLittleEndian(at: 40) == 487_424 && log1[516 + 119] == 0)
        log1.put32(487_424 + 4096, at: 40)
        BaseBlock.updateChecksum(&log1)
        try replace(hive + ".LOG1", with: log1)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("OldDirtyHive.LOG1 declares 491520 bytes of hive bins, but the primary holds 487424 and its dirty pages write no further than 487424") == true,
                "\(analysis.refusal ?? "")")
    }

    @Test func aPrimaryOf4GiBOrMoreIsRefusedWithoutBeingRead() throws {
        let scratch = try Scratch("huge-primary")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        // A sparse file: the dirty base block, then 4 GiB of hole.
        let header = Array(try FileIO.read(hive)[0..<4096])
        try replace(hive, with: header)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hive))
        try handle.truncate(atOffset: UInt64(HiveRecovery.maximumPrimarySize) + 4096)
        try handle.close()
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("4 GiB or more") == true, "\(analysis.refusal ?? "")")
    }

    // MARK: - Old format: which log

    @Test func oldFormatPrefersLog1ThenLog2OverDotLog() throws {
        let scratch = try Scratch("old-preference")
        defer { scratch.remove() }
        let hive = try copy("yarp/OldDirtyHive", primary: "OldDirtyHive", into: scratch)
        let log1 = try FileIO.read(hive + ".LOG1")
        let reference = try #require(try HiveRecovery.analyze(hiveAt: hive).recovered)
        // .LOG: LOG1 with a marker in its last dirty page, so the copy used can be told apart.
        var marked = log1
        let marker = Array("AUDITMARK".utf8)
        marked.replaceSubrange(marked.count - 256..<marked.count - 256 + marker.count, with: marker)
        try FileIO.createDurably(marked, at: hive + ".LOG")
        func contains(_ bytes: [UInt8]) -> Bool { (0...bytes.count - marker.count).contains { bytes[$0..<$0 + marker.count].elementsEqual(marker) } }

        let first = try HiveRecovery.analyze(hiveAt: hive)
        #expect(first.applied.map { $0.path.hasSuffix(".LOG1") } == [true], "LOG1 before .LOG: \(first.applied.map(\.path))")
        #expect(try #require(first.recovered) == reference)
        #expect(!contains(try #require(first.recovered)))

        // Without LOG1, LOG2 (a copy of it) still comes before .LOG.
        try FileManager.default.removeItem(atPath: hive + ".LOG1")
        try replace(hive + ".LOG2", with: log1)
        let second = try HiveRecovery.analyze(hiveAt: hive)
        #expect(second.applied.map { $0.path.hasSuffix(".LOG2") } == [true], "LOG2 before .LOG: \(second.applied.map(\.path))")
        #expect(try #require(second.recovered) == reference)
    }

    // MARK: - The primary's file type

    @Test func aDirtyPrimaryWithALogsFileTypeIsRefused() throws {
        let scratch = try Scratch("file-type")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var bytes = try FileIO.read(hive)
        bytes.put32(6, at: 28)
        BaseBlock.updateChecksum(&bytes)
        try replace(hive, with: bytes)
        let before = try hashes(scratch)
        for discard in [false, true] {
            let analysis = try HiveRecovery.analyze(hiveAt: hive, discardUnreconciled: discard)
            #expect(analysis.outcome == .refused && analysis.recovered == nil, "discard: \(discard)")
            #expect(analysis.refusal?.contains("file type 6, not 0") == true, "\(analysis.refusal ?? "")")
        }
        #expect(try hashes(scratch) == before)
    }

    // MARK: - Wrap-around

    /// Adds `shift` (mod 2^32) to every sequence number of the primary, both base blocks and every
    /// entry of NewDirtyHive1, then fixes the checksums and header hashes.
    func shiftSequences(of hive: String, by shift: UInt32) throws {
        var primary = try FileIO.read(hive)
        primary.put32(primary.loadLittleEndian(at: 4) &+ shift, at: 4)
        primary.put32(primary.loadLittleEndian(at: 8) &+ shift, at: 8)
        BaseBlock.updateChecksum(&primary)
        try replace(hive, with: primary)
        for name in [".LOG1", ".LOG2"] {
            var log = try FileIO.read(hive + name)
            let base = log.loadLittleEndian(at: 4) &+ shift
            log.put32(base, at: 4)
            log.put32(base, at: 8)
            BaseBlock.updateChecksum(&log)
            var offset = 512
            while offset + 40 <= log.count, log[offset..<offset + 4].elementsEqual("HvLE".utf8) {
                log.put32(log.loadLittleEndian(at: offset + 12) &+ shift, at: offset + 12)
                log.put64(Marvin32.hash(log[offset..<offset + 32]), at: offset + 32)   // Hash-1 does not cover the header
                offset += Int(log.loadLittleEndian(at: offset + 4))
            }
            try replace(hive + name, with: log)
        }
    }

    /// Shifts that put LOG1's entry at 0xFFFFFFFF (LOG2 then 0, 1, 2), wrap inside LOG2's chain
    /// (0xFFFFFFFF, 0, 1), or move everything half the number space away.
    @Test(arguments: [UInt32(0xFFFF_FFFD), 0xFFFF_FFFC, 0x8000_0000])
    func sequenceNumbersWrapAroundInSerialOrder(shift: UInt32) throws {
        let scratch = try Scratch("wrap")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        try shiftSequences(of: hive, by: shift)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .recovered, "\(analysis.refusal ?? "")")
        #expect(analysis.applied.map(\.sequences) == [[2 &+ shift], [3 &+ shift, 4 &+ shift, 5 &+ shift]])
        #expect(analysis.applied.first?.path.hasSuffix(".LOG1") == true)
        #expect(analysis.finalSequence == 5 &+ shift)
        let windows = try FileIO.read(scratch.sub("RecoveredHive_Windows10"))
        #expect(try #require(analysis.recovered)[4096...] == windows[4096...])
    }

    // MARK: - Hash-1 of a real entry (docs/registry-format.md §7.5)

    @Test func hash1OfARealEntry() throws {
        let log1 = try FileIO.read(Corpus.directory + "/yarp/NewDirtyHive1/NewDirtyHive.LOG1")
        #expect(log1.count == 24576)
        #expect(Marvin32.hash(log1[552..<24576]) == 0x6786_6C66_1807_E431)
        let stored = (0..<8).reduce(UInt64(0)) { $0 | UInt64(log1[512 + 24 + $1]) << (8 * UInt64($1)) }
        #expect(stored == 0x6786_6C66_1807_E431, "the value stored at entry offset 24")
    }

    // MARK: - status

    @Test func statusShowsADirtyHiveWithoutLogsAsDirtyRefused() throws {
        let scratch = try Scratch("status-system-2")
        defer { scratch.remove() }
        let root = try FixtureTree.install(text: "file SoftwareDistribution/Download/abc/update.cab 100", in: scratch)
        let hive = root + "/Windows/System32/config/SYSTEM"
        try FileManager.default.removeItem(atPath: hive)
        try FileManager.default.moveItem(atPath: try Corpus.copy("regipy/SYSTEM_2.xz", into: scratch), toPath: hive)
        let before = TreeSnapshot(root)
        let status = StatusReport(install: try WindowsInstall.locate(root: root))
        #expect(status.hiveState == "dirty-refused")
        #expect(status.recovery?.outcome == .refused)
        #expect(status.recovery?.refusal?.contains("no transaction log was found") == true)
        #expect(status.starts == nil && status.startsError?.contains("cannot be replayed") == true)
        #expect(TreeSnapshot(root) == before)
    }
}

extension Array where Element == UInt8 {
    mutating func put32(_ value: UInt32, at index: Int) {
        for byte in 0..<4 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
    }

    mutating func put64(_ value: UInt64, at index: Int) {
        for byte in 0..<8 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
    }
}
