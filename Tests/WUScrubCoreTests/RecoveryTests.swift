import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

@Suite(.enabled(if: Corpus.enabled, Corpus.skipReason))
struct RecoveryTests {
    /// Copies a corpus folder (or single file) into scratch; returns the scratch path of `primary`.
    func copy(_ folder: String, primary: String, into scratch: Scratch) throws -> String {
        let source = Corpus.directory + "/" + folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { throw CorpusMissing(path: source) }
        if isDirectory.boolValue {
            for name in try FileManager.default.contentsOfDirectory(atPath: source) {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: scratch.sub(name))
            }
        } else {
            try FileManager.default.copyItem(atPath: source, toPath: scratch.sub(primary))
        }
        return scratch.sub(primary)
    }

    func hashes(_ scratch: Scratch) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: scratch.path) {
            result[name] = try FileIO.sha256(ofFile: scratch.sub(name))
        }
        return result
    }

    // MARK: - New format

    @Test func newDirtyHiveMatchesWindows10ByteForByte() throws {
        let scratch = try Scratch("new-dirty")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(try hashes(scratch) == before, "analysis writes nothing")
        #expect(analysis.outcome == .recovered)
        #expect(analysis.applied.map(\.sequences) == [[2], [3, 4, 5]], "LOG1 then LOG2, by sequence number")
        #expect(analysis.applied.map { $0.path.hasSuffix(".LOG1") } == [true, false])
        #expect(analysis.finalSequence == 5)
        let recovered = try #require(analysis.recovered)
        let windows = try FileIO.read(scratch.sub("RecoveredHive_Windows10"))
        #expect(recovered.count == windows.count)
        #expect(recovered[4096...] == windows[4096...], "identical to Windows 10's own recovery after the base block")
        // After a hivex commit the sequence numbers are 6/6, as in Windows' file.
        try FileIO.createDurably(recovered, at: scratch.sub("recovered"))
        let opened = try Hive(path: scratch.sub("recovered"), writable: true)
        defer { opened.close() }
        try opened.commit(to: scratch.sub("committed"))
        let block = try #require(BaseBlock(try FileIO.read(scratch.sub("committed"))[0..<512]))
        #expect(block.primarySequence == 6 && block.secondarySequence == 6 && !block.isDirty)
    }

    @Test func logsAreOrderedBySequenceNotByName() throws {
        let scratch = try Scratch("swapped")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        // Swap the names: LOG2 now holds the earlier entry.
        try FileManager.default.moveItem(atPath: hive + ".LOG1", toPath: hive + ".tmp")
        try FileManager.default.moveItem(atPath: hive + ".LOG2", toPath: hive + ".LOG1")
        try FileManager.default.moveItem(atPath: hive + ".tmp", toPath: hive + ".LOG2")
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.applied.map(\.sequences) == [[2], [3, 4, 5]])
        #expect(analysis.applied.first?.path.hasSuffix(".LOG2") == true)
        let windows = try FileIO.read(scratch.sub("RecoveredHive_Windows10"))
        #expect(try #require(analysis.recovered)[4096...] == windows[4096...])
    }

    @Test func logsAreFoundWithoutRegardToCase() throws {
        let scratch = try Scratch("case")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        try FileManager.default.moveItem(atPath: hive + ".LOG1", toPath: hive + ".log1")
        try FileManager.default.moveItem(atPath: hive + ".LOG2", toPath: hive + ".Log2")
        let folder = FileIO.parent(of: hive)
        #expect(try HiveRecovery.logNames(forHive: "NewDirtyHive", among: FileIO.names(in: folder), folder: folder)
                == ["NewDirtyHive.log1", "NewDirtyHive.Log2"])
        #expect(try HiveRecovery.analyze(hiveAt: hive).logs.map(\.path) == [hive + ".log1", hive + ".Log2"])
        try FileManager.default.copyItem(atPath: hive + ".log1", toPath: hive + ".LOG1")
        #expect(throws: RecoveryError.self) {
            _ = try HiveRecovery.logNames(forHive: "NewDirtyHive", among: FileIO.names(in: folder), folder: folder)
        }
    }

    @Test func systemBIsReplayedInOrderAndGrows() throws {
        let scratch = try Scratch("system-b")
        defer { scratch.remove() }
        let hive = try Corpus.copy("regipy/SYSTEM_B.xz", into: scratch)
        _ = try Corpus.copy("regipy/SYSTEM_B.LOG1.xz", into: scratch)
        _ = try Corpus.copy("regipy/SYSTEM_B.LOG2.xz", into: scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .recovered)
        #expect(analysis.applied.flatMap(\.sequences) == Array(2107...2130))
        #expect(analysis.applied.reduce(0) { $0 + $1.pages } == 315)
        #expect(analysis.finalHiveBinsSize == 12_591_104)
        #expect(analysis.finalSequence == 2130)
        let recovered = try #require(analysis.recovered)
        let block = try HiveLayout.validate(recovered, path: "recovered")
        #expect(block.hiveBinsSize == 12_591_104 && !block.isDirty && block.primarySequence == 2130)
        // Every key readable by hivex and by an independent parser.
        let path = scratch.sub("recovered")
        try FileIO.createDurably(recovered, at: path)
        let opened = try Hive(path: path)
        var keys = 0
        var stack = [opened.root]
        while let node = stack.popLast() {
            keys += 1
            _ = try opened.valueEntries(of: node)
            stack += try opened.children(of: node)
        }
        opened.close()
        let lines = try Shell.run("/usr/bin/reglookup", ["-t", "KEY", path]).split(separator: "\n").count - 1
        #expect(keys == lines, "hivex and reglookup see the same number of keys")
        let original = try Shell.run("/usr/bin/reglookup", ["-t", "KEY", hive]).split(separator: "\n").count - 1
        #expect(keys > original, "the logs add keys (\(original) before, \(keys) after)")
    }

    // MARK: - Old format

    @Test func oldDirtyHiveMatchesWindows7ButForTwoKnownPlaces() throws {
        let scratch = try Scratch("old-dirty")
        defer { scratch.remove() }
        let hive = try copy("yarp/OldDirtyHive", primary: "OldDirtyHive", into: scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .recovered)
        #expect(analysis.applied.map(\.format) == [.old])
        #expect(analysis.applied.first?.pages == 64)
        let recovered = try #require(analysis.recovered)
        let windows = try FileIO.read(scratch.sub("RecoveredHive_Windows7"))
        #expect(recovered.count == windows.count)
        var differing: [Int] = []
        for index in 4096..<min(recovered.count, windows.count) where recovered[index] != windows[index] {
            differing.append(index)
        }
        // 1: the first hive bin's timestamp (Windows' later write); 2: one byte of key 4500's nk.
        let timestamp = differing.filter { (4096 + 20..<4096 + 28).contains($0) }
        let others = differing.filter { !(4096 + 20..<4096 + 28).contains($0) }
        #expect(!timestamp.isEmpty)
        #expect(others.count == 1, "one byte outside the bin timestamp: \(others)")
        if let offset = others.first {
            #expect(recovered[offset] == 24 && windows[offset] == 2, "largest value name length: 24 in the log, 2 in Windows' file")
        }
    }

    // MARK: - Refusals

    @Test(arguments: [
        ("yarp/BadLogHive1", "BadLogHive"), ("yarp/BadLogHive3", "BadLogHive"),
        ("yarp/TruncatedDirtyHive", "TruncatedDirtyHive"), ("yarp/BadBaseBlockHive", "BadBaseBlockHive"),
    ])
    func unrecoverableHivesAreRefused(folder: String, primary: String) throws {
        let scratch = try Scratch("refused")
        defer { scratch.remove() }
        let hive = try copy(folder, primary: primary, into: scratch)
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(analysis.recovered == nil && analysis.refusal != nil)
        #expect(try hashes(scratch) == before)
    }

    @Test func dirtyHiveWithoutLogsIsRefusedUnlessDiscarding() throws {
        let scratch = try Scratch("no-logs")
        defer { scratch.remove() }
        let hive = try Corpus.copy("regipy/SYSTEM_2.xz", into: scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(analysis.refusal?.contains("no transaction log") == true)
        let discarded = try HiveRecovery.analyze(hiveAt: hive, discardUnreconciled: true)
        #expect(discarded.outcome == .discarded)
        let block = try HiveLayout.validate(try #require(discarded.recovered), path: "discarded")
        #expect(!block.isDirty && block.primarySequence == 205)
    }

    /// Rewrites a new-format entry's hashes after a change.
    func rehash(_ log: inout [UInt8], entryAt offset: Int) {
        let size = Int(log.loadLittleEndian(at: offset + 4))
        let hash1 = Marvin32.hash(log[offset + 40..<offset + size])
        for byte in 0..<8 { log[offset + 24 + byte] = UInt8(truncatingIfNeeded: hash1 >> (8 * UInt64(byte))) }
        let hash2 = Marvin32.hash(log[offset..<offset + 32])
        for byte in 0..<8 { log[offset + 32 + byte] = UInt8(truncatingIfNeeded: hash2 >> (8 * UInt64(byte))) }
    }

    @Test func aFlippedEntryHashStopsReplayAndTheRestIsNotLostSilently() throws {
        let scratch = try Scratch("flipped")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var log2 = try FileIO.read(hive + ".LOG2")
        let second = 512 + Int(log2.loadLittleEndian(at: 512 + 4))   // entry 4
        log2[second + 24] ^= 0x01                                    // its Hash-1
        try FileManager.default.removeItem(atPath: hive + ".LOG2")
        try FileIO.createDurably(log2, at: hive + ".LOG2")
        let parsed = TransactionLog(path: hive + ".LOG2", bytes: log2)
        #expect(parsed.entries.map(\.sequence) == [3], "the chain stops before the flipped entry")
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused, "entry 5 is valid beyond the break: applying 2–3 would lose it")
        #expect(analysis.refusal?.contains("up to sequence 5") == true)
        #expect(try hashes(scratch) == before)
    }

    @Test func anOutOfSequenceEntryIsRefused() throws {
        let scratch = try Scratch("out-of-sequence")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var log2 = try FileIO.read(hive + ".LOG2")
        let second = 512 + Int(log2.loadLittleEndian(at: 512 + 4))
        log2[second + 12] = 9                                        // entry 4 claims sequence 9
        rehash(&log2, entryAt: second)
        try FileManager.default.removeItem(atPath: hive + ".LOG2")
        try FileIO.createDurably(log2, at: hive + ".LOG2")
        let parsed = TransactionLog(path: hive + ".LOG2", bytes: log2)
        #expect(parsed.entries.map(\.sequence) == [3])
        #expect(parsed.chainEnd.contains("sequence number 9, expected 4"))
        let before = try hashes(scratch)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(try hashes(scratch) == before)
    }

    @Test func cleanHiveIgnoresItsLogs() throws {
        let scratch = try Scratch("clean")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        try FileManager.default.removeItem(atPath: hive)
        try FileManager.default.copyItem(atPath: scratch.sub("RecoveredHive_Windows10"), toPath: hive)
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .clean && analysis.applied.isEmpty && analysis.recovered == nil)
    }
}

extension Array where Element == UInt8 {
    func loadLittleEndian(at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[index + $1]) << (8 * $1) }
    }
}

// MARK: - Hostile logs (found by `make fuzz`)

extension RecoveryTests {
    @Test func anEntryDeclaringHugeHiveBinsIsRefusedBeforeAnyAllocation() throws {
        let scratch = try Scratch("huge-bins")
        defer { scratch.remove() }
        let hive = try copy("yarp/NewDirtyHive1", primary: "NewDirtyHive", into: scratch)
        var log1 = try FileIO.read(hive + ".LOG1")
        for byte in 0..<4 { log1[512 + 16 + byte] = UInt8(truncatingIfNeeded: UInt32(0xFFFF_F000) >> (8 * UInt32(byte))) }
        rehash(&log1, entryAt: 512)
        try FileManager.default.removeItem(atPath: hive + ".LOG1")
        try FileIO.createDurably(log1, at: hive + ".LOG1")
        #expect(TransactionLog(path: "LOG1", bytes: log1).entries.first?.hiveBinsSize == 0xFFFF_F000, "the crafted entry itself is valid")
        let analysis = try HiveRecovery.analyze(hiveAt: hive)
        #expect(analysis.outcome == .refused)
        #expect(analysis.refusal?.contains("declares 4294963200 bytes of hive bins") == true, "\(analysis.refusal ?? "")")
        #expect(analysis.finalSequence == nil && analysis.finalHiveBinsSize == nil, "a refusal reports no recovered hive")
    }

    @Test func overlappingEntryHeadersCannotMakeTheScanQuadratic() throws {
        // An HvLE header at every 512-byte boundary, each claiming to run to the end of the file,
        // with a valid header hash and a wrong data hash.
        let size = 1 << 20
        var log = [UInt8](repeating: 0, count: size)
        var header = HiveTemplate.emptyHive()[0..<512].map { $0 }
        header[28] = 6
        BaseBlock.updateChecksum(&header)
        log.replaceSubrange(0..<512, with: header)
        for offset in stride(from: 512, to: size - 512, by: 512) {
            log.replaceSubrange(offset..<offset + 4, with: "HvLE".utf8)
            let entrySize = UInt32(size - offset)
            for byte in 0..<4 {
                log[offset + 4 + byte] = UInt8(truncatingIfNeeded: entrySize >> (8 * UInt32(byte)))
                log[offset + 16 + byte] = UInt8(truncatingIfNeeded: UInt32(4096) >> (8 * UInt32(byte)))
            }
            log[offset + 20] = 1
            let hash2 = Marvin32.hash(log[offset..<offset + 32])
            for byte in 0..<8 { log[offset + 32 + byte] = UInt8(truncatingIfNeeded: hash2 >> (8 * UInt64(byte))) }
        }
        let parsed = TransactionLog(path: "crafted.LOG1", bytes: log)
        #expect(parsed.remnantScanIncomplete, "the scan stops at its work bound")
        #expect(parsed.entries.isEmpty)
    }
}
