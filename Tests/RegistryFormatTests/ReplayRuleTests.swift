import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The replay rules of `HiveRecovery.analyze(hivePath:hive:logs:discardUnreconciled:)`, each on
/// logs written by `TransactionLogWriter` from known hive states, so that no corpus is needed.
///
/// A history is a list of hive states: `states[0]` is the clean template, and step `i` takes
/// `states[i]` to `states[i + 1]`. Every step writes its number over the same 256 bytes (so the
/// order in which steps are replayed shows in the result) and a trace of its own elsewhere (so a
/// step left out shows too).
@Suite("Replay rules (synthetic logs)")
struct ReplayRuleTests {
    typealias Writer = TransactionLogWriter

    static let clean = HiveTemplate.emptyHive()

    /// `steps` successive hive states after `start` (`start` included, first).
    static func history(_ steps: Int, from start: [UInt8] = clean) -> [[UInt8]] {
        var states = [start]
        for step in 1...steps {
            // Inside the template's free cell: the bins and the root key stay valid.
            var next = Writer.writing([UInt8](repeating: UInt8(step), count: 256), atBinsOffset: 1024, in: states[step - 1])
            next = Writer.writing(Array("step \(step)".utf8), atBinsOffset: 2048 + 64 * step, in: next)
            states.append(next)
        }
        return states
    }

    /// A new-format log holding the steps `steps` of `states`, numbered from `sequence`.
    static func newLog(_ states: [[UInt8]], steps: Range<Int>, from sequence: UInt32,
                       damage: [Int: Writer.Damage] = [:], padding: Writer.Padding = .fileBlock) -> Writer {
        var log = Writer(newFormatFor: states[steps.lowerBound], startingAt: sequence)
        log.padding = padding
        for step in steps {
            log.append(from: states[step], to: states[step + 1], damage: damage[step])
        }
        return log
    }

    static func parsed(_ name: String, _ log: Writer) -> TransactionLog {
        TransactionLog(path: "SYSTEM." + name, bytes: log.bytes())
    }

    static func analyze(_ primary: [UInt8], _ logs: [(String, Writer)], discard: Bool = false) -> RecoveryAnalysis {
        HiveRecovery.analyze(hivePath: "SYSTEM", hive: primary, logs: logs.map { parsed($0.0, $0.1) },
                             discardUnreconciled: discard)
    }

    /// The recovered bytes when the outcome is `.recovered` and they pass `HiveLayout.validate`.
    static func recovered(_ analysis: RecoveryAnalysis) throws -> [UInt8] {
        #expect(analysis.outcome == .recovered, "\(analysis.refusal ?? "")")
        guard let bytes = analysis.recovered else { throw NotRecovered(refusal: analysis.refusal) }
        let block = try HiveLayout.validate(bytes, path: "recovered")
        #expect(!block.isDirty)
        return bytes
    }

    struct NotRecovered: Error {
        let refusal: String?
    }

    /// Where two byte strings first differ, or nil when they are equal (so that a failure names an
    /// offset instead of printing every byte).
    static func difference(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> String? {
        for (index, (x, y)) in zip(a, b).enumerated() where x != y {
            return "byte \(index) differs: \(x) ≠ \(y)"
        }
        return a.count == b.count ? nil : "lengths differ: \(a.count) ≠ \(b.count)"
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    // MARK: - The writer itself

    @Test func theWriterLaysOutEntriesAsWindowsDoes() throws {
        let states = Self.history(3)
        let log = Self.newLog(states, steps: 0..<3, from: 7)
        let bytes = log.bytes()
        #expect(Self.u32(bytes, 28) == 6, "file type 6: a new-format log")
        #expect(Self.u32(bytes, 4) == 7 && Self.u32(bytes, 8) == 7, "the copy's sequence numbers are its first entry's")
        #expect(Self.u32(bytes, 508) == BaseBlock.checksum(bytes[0..<512]))
        #expect(log.entryOffsets == [512, 8192, 16384], "each entry (4144 bytes used) ends on a 4096-byte boundary of the file")
        for (index, offset) in log.entryOffsets.enumerated() {
            let size = Int(Self.u32(bytes, offset + 4))
            #expect(offset % 512 == 0 && size % 512 == 0 && (offset + size) % 4096 == 0)
            #expect(bytes[offset..<offset + 4].elementsEqual("HvLE".utf8))
            #expect(Self.u32(bytes, offset + 12) == 7 + UInt32(index))
            let hash1 = UInt64(Self.u32(bytes, offset + 24)) | UInt64(Self.u32(bytes, offset + 28)) << 32
            let hash2 = UInt64(Self.u32(bytes, offset + 32)) | UInt64(Self.u32(bytes, offset + 36)) << 32
            #expect(hash1 == Marvin32.hash(bytes[offset + 40..<offset + size]), "Hash-1 covers the entry after its header")
            #expect(hash2 == Marvin32.hash(bytes[offset..<offset + 32]), "Hash-2 covers the first 32 bytes")
            // One dirty 4 KiB page: the template's only bin.
            #expect(Self.u32(bytes, offset + 20) == 1 && Self.u32(bytes, offset + 40) == 0 && Self.u32(bytes, offset + 44) == 4096)
            #expect(Self.difference(bytes[offset + 48..<offset + 48 + 4096], states[index + 1][4096..<8192]) == nil)
        }
        var sector = log
        sector.padding = .sector
        #expect(sector.entryOffsets == [512, 512 + 4608, 512 + 2 * 4608], "40 + 8 + 4096 bytes round up to 4608")
        let parsed = TransactionLog(path: "LOG1", bytes: sector.bytes())
        #expect(parsed.isValid && parsed.entries.map(\.sequence) == [7, 8, 9] && parsed.chainEnd == "end of the file")
    }

    @Test func theOldFormatWriterMarksDirtyPagesInItsBitmap() throws {
        let states = Self.history(1)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 5, secondarySequence: 4, lastWritten: 42)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: states[0], to: states[1])
        let bytes = log.bytes()
        #expect(Self.u32(bytes, 28) == 1 && Self.u32(bytes, 4) == 5 && Self.u32(bytes, 8) == 5)
        #expect(bytes[512..<516].elementsEqual("DIRT".utf8))
        #expect(bytes[516] == 0xFF, "the one 4 KiB block: its eight 512-byte pages")
        #expect(log.pagesStart == 1024 && bytes.count == 1024 + 4096)
        #expect(Self.difference(bytes[1024...], states[1][4096..<8192]) == nil)
        var fine = Writer(oldFormatFor: primary)
        fine.mark(from: states[0], to: states[1], granularity: 512)
        let fineBytes = fine.bytes()
        // Step 1 touches pages 2 (1024…1279) and 4 (2112…).
        #expect(fineBytes[516] == 0b0001_0100 && fineBytes.count == 1024 + 2 * 512)
    }

    // MARK: - Order

    @Test(arguments: [Writer.Padding.fileBlock, .sector])
    func entriesAreAppliedInSequenceOrderNotByFileName(padding: Writer.Padding) throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        // LOG1 holds the later entries: Windows swaps the logs.
        let log1 = Self.newLog(states, steps: 2..<4, from: 4, padding: padding)
        let log2 = Self.newLog(states, steps: 0..<2, from: 2, padding: padding)
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.path) == ["SYSTEM.LOG2", "SYSTEM.LOG1"])
        #expect(analysis.applied.map(\.sequences) == [[2, 3], [4, 5]])
        #expect(analysis.finalSequence == 5)
        #expect(Self.difference(bytes[4096...], states[4][4096...]) == nil, "exactly the last state's hive bins")
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[4], sequence: 5)) == nil)
    }

    // MARK: - Chaining

    @Test func aLogContinuesTheOtherFromTheNextSequenceNumber() throws {
        let states = Self.history(5)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<3, from: 2)
        let log2 = Self.newLog(states, steps: 3..<5, from: 5)
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.sequences) == [[2, 3, 4], [5, 6]])
        #expect(analysis.finalSequence == 6)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[5], sequence: 6)) == nil)
    }

    @Test func aLogOlderThanThePrimaryIsNotApplied() throws {
        // The primary already holds step 0 (entry 2): 4/3, as after a write of entry 2 to it.
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[1], primarySequence: 4, secondarySequence: 3)
        let stale = Self.newLog(states, steps: 0..<1, from: 2)
        let log2 = Self.newLog(states, steps: 1..<4, from: 3)
        let analysis = Self.analyze(primary, [("LOG1", stale), ("LOG2", log2)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.path) == ["SYSTEM.LOG2"], "LOG1 starts at 2, below the primary's 3")
        #expect(analysis.applied.map(\.sequences) == [[3, 4, 5]])
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[4], sequence: 5)) == nil)
    }

    /// Two logs whose base blocks carry the same sequence number (one cut short after entry 2, the
    /// other holding 2, 3 and 4, as when a failed write makes Windows log to the other file): the
    /// one whose chain reaches further is replayed, whatever the files are named. (Replay used to
    /// start with whichever was listed first and then refuse when that was the short one.)
    @Test func twoLogsStartingAtTheSameSequenceNumberDoNotDependOnTheirNames() throws {
        let states = Self.history(3)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let short = Self.newLog(states, steps: 0..<1, from: 2)
        let long = Self.newLog(states, steps: 0..<3, from: 2)
        let expected = Writer.expectedReplay(of: primary, to: states[3], sequence: 4)
        let longFirst = Self.analyze(primary, [("LOG1", long), ("LOG2", short)])
        #expect(Self.difference(try Self.recovered(longFirst), expected) == nil)
        #expect(longFirst.applied.map(\.sequences) == [[2, 3, 4]])
        let shortFirst = Self.analyze(primary, [("LOG1", short), ("LOG2", long)])
        #expect(shortFirst.outcome == .recovered, "\(shortFirst.refusal ?? "")")
        #expect(shortFirst.applied.map(\.sequences) == [[2, 3, 4]])
        #expect(Self.difference(shortFirst.recovered ?? [], expected) == nil)
    }

    // MARK: - Damaged entries

    @Test(arguments: [Writer.Damage.wrongHash1, .wrongHash2, .corruptData])
    func aBadHashStopsTheChainAndTheEntriesAfterItAreNotLostSilently(damage: Writer.Damage) throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<1, from: 2)
        let log2 = Self.newLog(states, steps: 1..<4, from: 3, damage: [2: damage])   // entry 4
        let parsed = Self.parsed("LOG2", log2)
        let chain = parsed.entries.map(\.sequence), end = parsed.chainEnd, held = parsed.hashValidSequences
        #expect(chain == [3], "the chain stops before the damaged entry")
        #expect(end.contains(damage == .wrongHash2 ? "header hash (Hash-2)" : "data hash (Hash-1)"), "\(end)")
        #expect(held == [3, 5], "entry 5 still lies beyond it, hash-valid")
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil && analysis.applied.isEmpty)
        let refusal = analysis.refusal ?? ""
        #expect(refusal.contains("the logs hold entries up to sequence 5, but replay can only reach 3"), "\(refusal)")
        #expect(refusal.contains("SYSTEM.LOG2 holds hash-valid entry 5 (its chain ends earlier"), "\(refusal)")
    }

    @Test(arguments: [Writer.Damage.wrongHash1, .wrongHash2, .corruptData, .missingSignature])
    func aDamagedLastEntryIsATornWriteAndReplayStopsBeforeIt(damage: Writer.Damage) throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<1, from: 2)
        let log2 = Self.newLog(states, steps: 1..<4, from: 3, damage: [3: damage])   // entry 5
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.sequences) == [[2], [3, 4]])
        #expect(analysis.finalSequence == 4)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[3], sequence: 4)) == nil, "the state before entry 5, exactly")
    }

    // MARK: - Gaps

    @Test func aGapInSequenceNumbersInsideALogIsRefused() throws {
        let states = Self.history(3)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<1, from: 2)
        var log2 = Writer(newFormatFor: states[1], startingAt: 3)
        log2.append(from: states[1], to: states[2])
        log2.append(from: states[2], to: states[3], sequence: 5)   // 4 is missing
        let end = Self.parsed("LOG2", log2).chainEnd
        #expect(end == "entry at offset 8192 has sequence number 5, expected 4")
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("up to sequence 5, but replay can only reach 3") == true, "\(analysis.refusal ?? "")")
    }

    @Test func aGapBetweenTheLogsIsRefused() throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<2, from: 2)   // 2, 3
        let log2 = Self.newLog(states, steps: 2..<4, from: 5)   // 5, 6: entry 4 is nowhere
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        let refusal = analysis.refusal ?? ""
        #expect(refusal.contains("up to sequence 6, but replay can only reach 3"), "\(refusal)")
        #expect(refusal.contains("it starts at 5, so it does not continue the replay at 4"), "\(refusal)")
    }

    @Test func anEntryThatIsNotWhereThePreviousOneEndsBreaksTheChain() throws {
        let states = Self.history(3)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        var log1 = Self.newLog(states, steps: 0..<3, from: 2)
        log1.entries[1].gapBefore = 512   // entry 3 one sector further than entry 2's end
        let parsed = Self.parsed("LOG1", log1)
        let chain = parsed.entries.map(\.sequence), end = parsed.chainEnd, held = parsed.hashValidSequences
        #expect(chain == [2] && end == "no 'HvLE' signature at offset 8192" && held == [2, 3, 4])
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("up to sequence 4, but replay can only reach 2") == true, "\(analysis.refusal ?? "")")
    }

    // MARK: - The log's base block

    enum HeaderFault: String, CaseIterable, Sendable {
        case sequenceAheadOfFirstEntry, sequencesDiffer, wrongChecksum, primaryFileType

        func apply(_ header: inout Writer.Header) {
            switch self {
            case .sequenceAheadOfFirstEntry:
                header.primarySequence = 4
                header.secondarySequence = 4
            case .sequencesDiffer: header.secondarySequence = 2
            case .wrongChecksum: header.wrongChecksum = true
            case .primaryFileType: header.fileType = 0
            }
        }

        /// What the refusal says about LOG2.
        var reason: String {
            switch self {
            case .sequenceAheadOfFirstEntry: "SYSTEM.LOG2 holds hash-valid entries 3…5 (it starts at 4, so it does not continue the replay at 3)"
            case .sequencesDiffer: "its base block is unusable: its sequence numbers differ (3/2)"
            case .wrongChecksum: "its base block is unusable: its base-block checksum is wrong"
            case .primaryFileType: "its base block is unusable: file type 0 is not a log (1, 2 or 6)"
            }
        }
    }

    @Test(arguments: HeaderFault.allCases)
    func aLogWhoseBaseBlockIsWrongContributesNothingAndBlocksWhatFollows(fault: HeaderFault) throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<1, from: 2)
        var log2 = Self.newLog(states, steps: 1..<4, from: 3)
        fault.apply(&log2.header)
        let parsed = Self.parsed("LOG2", log2)
        let chain = parsed.entries.map(\.sequence), held = parsed.hashValidSequences
        #expect(chain.isEmpty, "no entry of LOG2 is applicable")
        #expect(held == [3, 4, 5], "its entries are still found")
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        let refusal = analysis.refusal ?? ""
        #expect(refusal.contains("up to sequence 5, but replay can only reach 2"), "\(refusal)")
        #expect(refusal.contains(fault.reason), "\(refusal)")
    }

    // MARK: - Growth

    /// States that grow the hive: step 1 adds one bin, step 2 two more, each with a trace in it.
    static func growingHistory() -> [[UInt8]] {
        var first = Writer.growing(clean, byBins: 1)
        first = Writer.writing(Array("grown 1".utf8), atBinsOffset: 4096 + 64, in: first)
        var second = Writer.growing(first, byBins: 2)
        second = Writer.writing(Array("grown 2".utf8), atBinsOffset: 3 * 4096 + 64, in: second)
        return [clean, first, second]
    }

    @Test func theHiveGrowsByTheBinsItsEntriesSupply() throws {
        let states = Self.growingHistory()
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        #expect(primary.count == 8192)
        let log1 = Self.newLog(states, steps: 0..<2, from: 2)
        #expect(log1.entries.map(\.hiveBinsSize) == [8192, 16384])
        #expect(log1.entries.map { $0.pages.map(\.offset) } == [[4096], [8192]], "only the new bins are dirty")
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.finalHiveBinsSize == 16384 && analysis.finalSequence == 3)
        #expect(bytes.count == 4096 + 16384, "the file grows to the new end of the hive bins")
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[2], sequence: 3)) == nil)
    }

    @Test func growthOverABinNoEntrySuppliesIsRefused() throws {
        let states = Self.growingHistory()
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        var log1 = Self.newLog(states, steps: 0..<2, from: 2)
        // Entry 3 grows the bins by 8 KiB but carries only the upper 4 KiB.
        log1.entries[1].pages = [Writer.Page(offset: 12288, bytes: Array(states[2][4096 + 12288..<4096 + 16384]))]
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("entry 3 declares 16384 bytes of hive bins, but the primary holds 4096 and the applied entries write no further than 8192: the hive may only grow by pages its logs supply") == true,
                "\(analysis.refusal ?? "")")
    }

    @Test func theReplayedHiveMustHaveAConsistentBinChain() throws {
        let states = Self.growingHistory()
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        // The new bin's header claims another position: every page is supplied, but the result
        // is not a hive.
        let broken = Writer.writing([16, 0, 0, 0], atBinsOffset: 4096 + 4, in: states[1])
        var log1 = Writer(newFormatFor: states[0], startingAt: 2)
        log1.append(from: states[0], to: broken)
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil && analysis.applied.isEmpty)
        #expect(analysis.refusal?.contains("the replayed hive is not consistent") == true, "\(analysis.refusal ?? "")")
        #expect(analysis.refusal?.contains("the bin says it is at 16, but it is at 4096") == true, "\(analysis.refusal ?? "")")
    }

    // MARK: - Wrap-around

    /// LOG2 holds the first three entries, LOG1 the next two, from `first` on (mod 2^32).
    @Test(arguments: [UInt32(0xFFFF_FFFE), 0xFFFF_FFFF, 0xFFFF_FFFB, 0x7FFF_FFFE])
    func sequenceNumbersWrapAroundInSerialOrder(first: UInt32) throws {
        let states = Self.history(5)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: first &+ 1, secondarySequence: first)
        let log2 = Self.newLog(states, steps: 0..<3, from: first)
        let log1 = Self.newLog(states, steps: 3..<5, from: first &+ 3)
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.path) == ["SYSTEM.LOG2", "SYSTEM.LOG1"])
        #expect(analysis.applied.map(\.sequences) == [[first, first &+ 1, first &+ 2], [first &+ 3, first &+ 4]])
        #expect(analysis.finalSequence == first &+ 4)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[5], sequence: first &+ 4)) == nil)
    }

    @Test func aLogJustBeforeTheWrapIsOlderThanAPrimaryJustAfterIt() throws {
        // The primary is at 1 (after the wrap); a log at 0xFFFFFFFF is older, one at 1 current.
        let states = Self.history(3)
        let primary = Writer.dirtyPrimary(states[1], primarySequence: 2, secondarySequence: 1)
        let stale = Self.newLog(states, steps: 0..<1, from: 0xFFFF_FFFF)
        let current = Self.newLog(states, steps: 1..<3, from: 1)
        let analysis = Self.analyze(primary, [("LOG1", stale), ("LOG2", current)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.sequences) == [[1, 2]])
        #expect(analysis.finalSequence == 2)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[3], sequence: 2)) == nil)
    }

    // MARK: - Old format

    @Test(arguments: [4096, 512])
    func anOldFormatLogReplaysItsDirtyPages(granularity: Int) throws {
        let states = Self.history(2)
        // A write of step 2 to the primary started (5/4) and was cut short: half the dirty block
        // is already there, so the primary holds neither state.
        var torn = states[0]
        torn.replaceSubrange(4096 + 1024..<4096 + 1152, with: states[2][4096 + 1024..<4096 + 1152])
        let primary = Writer.dirtyPrimary(torn, primarySequence: 5, secondarySequence: 4, lastWritten: 0x01D2_94F6_CCF6_F3F0)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: states[0], to: states[2], granularity: granularity)
        let analysis = Self.analyze(primary, [("LOG1", log)])
        let bytes = try Self.recovered(analysis)
        #expect(analysis.applied.map(\.format) == [.old] && analysis.applied.map(\.path) == ["SYSTEM.LOG1"])
        #expect(analysis.applied.first?.pages == (granularity == 4096 ? 8 : 2), "pages 2 and 4 of the first block")
        #expect(analysis.finalSequence == 5, "the primary's (and the log's) sequence number")
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[2], sequence: 5)) == nil)
    }

    @Test(arguments: [UInt64(0x01D2_94F6_CCF6_F3F1), 0x01D2_94F6_CCF6_F3EF])
    func anOldFormatLogAppliesOnlyAtThePrimarysTimestamp(logTimestamp: UInt64) throws {
        let states = Self.history(1)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 5, secondarySequence: 4, lastWritten: 0x01D2_94F6_CCF6_F3F0)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: states[0], to: states[1])
        log.header.lastWritten = logTimestamp
        let analysis = Self.analyze(primary, [("LOG1", log)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("no old-format log matches its timestamp: SYSTEM.LOG1 written at \(logTimestamp), the primary at \(0x01D2_94F6_CCF6_F3F0)") == true,
                "\(analysis.refusal ?? "")")
    }

    @Test func anOldFormatLogWhoseSequenceNumbersDifferIsUnusable() throws {
        let states = Self.history(1)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 5, secondarySequence: 4)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: states[0], to: states[1])
        log.header.secondarySequence = 4   // an XP-style log whose write did not end
        let analysis = Self.analyze(primary, [("LOG1", log)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("none of its logs is usable (SYSTEM.LOG1: its sequence numbers differ (5/4))") == true,
                "\(analysis.refusal ?? "")")
    }

    @Test func aLargeOldFormatLogsPagesStartAfterABitmapOfTwoSectors() throws {
        // 513 bins: a 513-byte bitmap, so the pages start at 1536, not 1024.
        let large = Writer.growing(Self.clean, byBins: 512)
        let after = Writer.writing(Array("last bin".utf8), atBinsOffset: 512 * 4096 + 64, in: large)
        let primary = Writer.dirtyPrimary(large, primarySequence: 9, secondarySequence: 8)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: large, to: after)
        #expect(log.pagesStart == 1536 && log.dirtyPages.map(\.offset).first == 512 * 4096)
        let analysis = Self.analyze(primary, [("LOG1", log)])
        let bytes = try Self.recovered(analysis)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: after, sequence: 9)) == nil)
    }

    @Test func anOldFormatLogGrowsTheHiveOnlyOverPagesItMarks() throws {
        let states = Self.growingHistory()
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 5, secondarySequence: 4)
        var log = Writer(oldFormatFor: primary)
        log.mark(from: states[0], to: states[2])
        let bytes = try Self.recovered(Self.analyze(primary, [("LOG1", log)]))
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[2], sequence: 5)) == nil)
        // Without the pages of the first new bin, the hive would grow over zeros.
        log.dirtyPages.removeAll { $0.offset < 8192 }
        let analysis = Self.analyze(primary, [("LOG1", log)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("SYSTEM.LOG1 declares 16384 bytes of hive bins, but the primary holds 4096 and its dirty pages write no further than 4096") == true,
                "\(analysis.refusal ?? "")")
    }

    // MARK: - Clean and log-less primaries

    @Test func aCleanPrimaryIgnoresItsLogs() throws {
        let states = Self.history(3)
        let log1 = Self.newLog(states, steps: 0..<3, from: 2)
        let analysis = Self.analyze(states[0], [("LOG1", log1)])
        #expect(analysis.outcome == .clean)
        #expect(analysis.recovered == nil && analysis.applied.isEmpty && analysis.finalSequence == nil)
        #expect(analysis.logs.first?.entries == [2, 3, 4], "the log is valid and would apply to a dirty primary")
    }

    @Test func aDirtyPrimaryWithoutLogsIsRefusedUnlessDiscarding() throws {
        let states = Self.history(1)
        let primary = Writer.dirtyPrimary(states[1], primarySequence: 3, secondarySequence: 2)
        let refused = Self.analyze(primary, [])
        #expect(refused.outcome == .refused && refused.recovered == nil)
        #expect(refused.refusal?.contains("no transaction log was found beside it") == true, "\(refused.refusal ?? "")")
        let discarded = Self.analyze(primary, [], discard: true)
        #expect(discarded.outcome == .discarded && discarded.applied.isEmpty && discarded.finalSequence == 3)
        guard let bytes = discarded.recovered else { throw NotRecovered(refusal: discarded.refusal) }
        let block = try HiveLayout.validate(bytes, path: "discarded")
        #expect(!block.isDirty)
        // The primary as it is, marked clean at its own first sequence number.
        #expect(Self.difference(bytes, Writer.dirtyPrimary(primary, primarySequence: 3, secondarySequence: 3)) == nil)
    }

    @Test func discardingEndsAboveEverySequenceNumberTheLogsHold() throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2)
        let log1 = Self.newLog(states, steps: 0..<2, from: 2)
        let log2 = Self.newLog(states, steps: 2..<4, from: 7)   // a gap: 4…6 are nowhere
        let analysis = Self.analyze(primary, [("LOG1", log1), ("LOG2", log2)], discard: true)
        #expect(analysis.outcome == .discarded && analysis.finalSequence == 8)
        #expect(analysis.discarded == ["SYSTEM.LOG1: entries 2…3 discarded", "SYSTEM.LOG2: entries 7…8 discarded"])
        guard let bytes = analysis.recovered else { throw NotRecovered(refusal: analysis.refusal) }
        #expect(Self.difference(bytes, Writer.dirtyPrimary(primary, primarySequence: 8, secondarySequence: 8)) == nil, "the primary's content, unchanged")
    }

    // MARK: - The final base block

    @Test(arguments: [true, false])
    func theFinalBaseBlockTakesTheLastEntrysSequenceSizeAndLockFlag(locked: Bool) throws {
        let states = Self.growingHistory()
        // Flags bit 1 is the primary's own and stays; bit 0 comes from the last entry.
        let primary = Writer.dirtyPrimary(states[0], primarySequence: 3, secondarySequence: 2,
                                          lastWritten: 0x1234_5678_9ABC, flags: locked ? 0x2 : 0x3)
        var log1 = Self.newLog(states, steps: 0..<2, from: 2)
        log1.entries[0].flags = locked ? 0 : 1
        log1.entries[1].flags = locked ? 1 : 0
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        let bytes = try Self.recovered(analysis)
        let block = try #require(BaseBlock(bytes[0..<512]))
        #expect(block.primarySequence == 3 && block.secondarySequence == 3, "both: the last entry applied")
        #expect(block.storedChecksum == Writer.checksum(Array(bytes[0..<512])))
        #expect(block.hiveBinsSize == 16384 && block.fileType == 0)
        #expect(block.flags == (locked ? 0x3 : 0x2))
        #expect(block.lastWritten == 0x1234_5678_9ABC && block.rootCellOffset == 0x20)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[2], sequence: 3, lockedFlag: locked)) == nil)
    }

    // MARK: - Remnants

    @Test func remnantsOlderThanThePrimaryAreIgnoredButNewerOnesAreNot() throws {
        let states = Self.history(4)
        let primary = Writer.dirtyPrimary(states[2], primarySequence: 7, secondarySequence: 6)
        // LOG1 was reused: entries 6, 7 over what remains of an earlier 2, 3, 4 (its entry 4).
        var log1 = Self.newLog(states, steps: 2..<4, from: 6)
        let earlier = Self.newLog(states, steps: 0..<3, from: 2)
        log1.remnants = [earlier.entries[2]]
        let held = Self.parsed("LOG1", log1).hashValidSequences
        #expect(held == [6, 7, 4])
        let bytes = try Self.recovered(Self.analyze(primary, [("LOG1", log1)]))
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: states[4], sequence: 7)) == nil)
        // A remnant after the chain that is newer than it cannot be applied and must not be lost.
        log1.remnants[0].sequence = 9
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        #expect(analysis.outcome == .refused && analysis.recovered == nil)
        #expect(analysis.refusal?.contains("SYSTEM.LOG1 holds hash-valid entry 9") == true, "\(analysis.refusal ?? "")")
    }

    // MARK: - A real edit

    @Test func aHivexEditLoggedAsWindowsWouldReplaysToTheEditedHive() throws {
        let scratch = try Scratch("logwriter")
        defer { scratch.remove() }
        try FileIO.createDurably(Self.clean, at: scratch.sub("before"))
        let editor = try Hive(path: scratch.sub("before"), writable: true)
        let select = try editor.addChild(named: "Select", to: editor.root)
        try editor.setValue(.dword(1), named: "Current", in: select, keyPath: "Select")
        let services = try editor.addChild(named: "Services", to: editor.root)
        try editor.setValue(.string("wuauserv"), named: "Name", in: services, keyPath: "Services")
        try editor.commit(to: scratch.sub("after"))
        editor.close()
        let after = try FileIO.read(scratch.sub("after"))
        #expect(Self.u32(after, 40) > 4096, "hivex grows the hive")

        let primary = Writer.dirtyPrimary(Self.clean, primarySequence: 2, secondarySequence: 1)
        var log1 = Writer(newFormatFor: primary, startingAt: 1)
        log1.append(from: Self.clean, to: after)
        let analysis = Self.analyze(primary, [("LOG1", log1)])
        let bytes = try Self.recovered(analysis)
        #expect(Self.difference(bytes[4096...], after[4096...]) == nil)
        #expect(Self.difference(bytes, Writer.expectedReplay(of: primary, to: after, sequence: 1)) == nil)
        try FileIO.createDurably(bytes, at: scratch.sub("recovered"))
        let opened = try Hive(path: scratch.sub("recovered"))
        defer { opened.close() }
        let key = try #require(try opened.node(at: "Select"))
        #expect(try opened.value(named: "Current", in: key) == .dword(1))
        let other = try #require(try opened.node(at: "Services"))
        #expect(try opened.value(named: "Name", in: other) == .string("wuauserv"))
    }
}
