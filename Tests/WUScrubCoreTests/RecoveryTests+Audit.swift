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
}

extension Array where Element == UInt8 {
    mutating func put32(_ value: UInt32, at index: Int) {
        for byte in 0..<4 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
    }

    mutating func put64(_ value: UInt64, at index: Int) {
        for byte in 0..<8 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
    }
}
