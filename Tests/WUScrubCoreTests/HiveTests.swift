import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

@Suite struct HiveTests {
    // MARK: - Base block

    @Test func checksumAppliesTheSpecialCases() {
        var block = [UInt8](repeating: 0, count: 512)
        #expect(BaseBlock.checksum(block[...]) == 1, "a raw XOR of 0 must be stored as 1")
        block.storeLittleEndian(UInt32(0xFFFF_FFFF), at: 0)
        #expect(BaseBlock.checksum(block[...]) == 0xFFFF_FFFE, "a raw XOR of 0xFFFFFFFF must be stored as 0xFFFFFFFE")
        block.storeLittleEndian(UInt32(0x1234_5678), at: 4)
        #expect(BaseBlock.checksum(block[...]) == 0xFFFF_FFFF ^ 0x1234_5678)
    }

    @Test func commitRecomputesTheChecksumWithTheSpecialCases() throws {
        let scratch = try Scratch("checksum")
        defer { scratch.remove() }
        /// hivex's output for a source whose flags field (which hivex copies unchanged) is `flags`.
        func commitOutput(flags: UInt32) throws -> [UInt8] {
            var bytes = HiveTemplate.emptyHive()
            bytes.storeLittleEndian(3, at: 8)        // secondary sequence 3: hivex writes 2/2 anyway
            bytes.storeLittleEndian(flags, at: 144)
            BaseBlock.updateChecksum(&bytes)
            let source = scratch.sub("source-\(flags)")
            try FileIO.createDurably(bytes, at: source)
            let hive = try Hive(path: source, writable: true)
            defer { hive.close() }
            try hive.addChild(named: "Key", to: hive.root)
            try hive.commit(to: scratch.sub("out-\(flags)"))
            return try FileIO.read(scratch.sub("out-\(flags)"))
        }
        func rawXor(_ bytes: [UInt8]) -> UInt32 {
            stride(from: 0, to: 508, by: 4).reduce(UInt32(0)) { sum, offset in
                sum ^ (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
            }
        }
        // Learn the raw XOR hivex's header will have, then choose flags that make it exactly 0.
        let first = try commitOutput(flags: 0)
        let crafted = try commitOutput(flags: rawXor(first))
        #expect(rawXor(crafted) == 0, "the crafted header must hit the special case")
        let block = try #require(BaseBlock(crafted[0..<512]))
        #expect(block.storedChecksum == 1, "hivex alone would store 0 here")
        #expect(block.isChecksumValid)
    }

    @Test func fixChecksumRewritesOnlyTheChecksum() throws {
        let scratch = try Scratch("fix")
        defer { scratch.remove() }
        var bytes = HiveTemplate.emptyHive()
        bytes.storeLittleEndian(0xDEAD_BEEF, at: 508)
        try FileIO.createDurably(bytes, at: scratch.sub("hive"))
        try HiveFile.fixChecksum(at: scratch.sub("hive"))
        let fixed = try FileIO.read(scratch.sub("hive"))
        #expect(fixed == HiveTemplate.emptyHive())
    }

    @Test func dirtyMeansWrongChecksumOrSequenceMismatch() throws {
        var bytes = HiveTemplate.emptyHive()
        #expect(BaseBlock(bytes[0..<512])?.isDirty == false)
        bytes.storeLittleEndian(UInt32(7), at: 4)
        BaseBlock.updateChecksum(&bytes)
        #expect(BaseBlock(bytes[0..<512])?.isDirty == true)
        bytes.storeLittleEndian(UInt32(1), at: 4)
        #expect(BaseBlock(bytes[0..<512])?.isChecksumValid == false)
        #expect(BaseBlock(bytes[0..<512])?.isDirty == true)
    }

    // MARK: - Layout

    @Test func truncatedHiveIsRefused() throws {
        let bytes = try FixtureBuilder.hive(for: FixtureTree.spec("win10"))
        #expect(throws: HiveFormatError.truncated(path: "SYSTEM", declaredEnd: bytes.count, fileSize: 8192)) {
            try HiveLayout.validate(Array(bytes[0..<8192]), path: "SYSTEM")
        }
    }

    @Test func brokenBinChainIsRefused() throws {
        var bytes = try FixtureBuilder.hive(for: FixtureTree.spec("win10"))
        try HiveLayout.validate(bytes, path: "SYSTEM")
        bytes.storeLittleEndian(UInt32(0x4000), at: 4096 + 4)  // first bin claims a wrong offset
        #expect(throws: HiveFormatError.brokenBinChain(path: "SYSTEM", offset: 4096, reason: "the bin says it is at 16384, but it is at 0")) {
            try HiveLayout.validate(bytes, path: "SYSTEM")
        }
        var short = try FixtureBuilder.hive(for: FixtureTree.spec("win10"))
        short.storeLittleEndian(UInt32(short.count - 4096 + 4096), at: 40)  // declares one bin more than the chain has
        short += [UInt8](repeating: 0, count: 4096)
        BaseBlock.updateChecksum(&short)
        #expect(throws: HiveFormatError.self) { try HiveLayout.validate(short, path: "SYSTEM") }
    }

    @Test(.enabled(if: Corpus.enabled, Corpus.skipReason))
    func corpusTruncatedHivesAreRefused() throws {
        let scratch = try Scratch("truncated")
        defer { scratch.remove() }
        for name in ["yarp/TruncatedHive", "yarp/TruncatedDirtyHive"] {
            let path = try Corpus.copy(name, into: scratch)
            #expect(throws: HiveFormatError.self) { try HiveLayout.validate(try FileIO.read(path), path: path) }
        }
    }

    // MARK: - Template and hivex

    @Test func emptyHiveOpensInHivexAndIndependentParsers() throws {
        let scratch = try Scratch("template")
        defer { scratch.remove() }
        let path = scratch.sub("empty")
        try FileIO.createDurably(HiveTemplate.emptyHive(rootName: "ROOT"), at: path)
        let hive = try Hive(path: path)
        defer { hive.close() }
        #expect(hive.name(of: hive.root) == "ROOT")
        #expect(try hive.children(of: hive.root).isEmpty)
        try HiveLayout.validate(try FileIO.read(path), path: path)
        let dump = try Shell.run("/usr/bin/reglookup", [path])
        #expect(dump.contains("/,KEY,"))
    }

    @Test func readsTypedValuesAndFindsKeysWithoutRegardToCase() throws {
        let scratch = try Scratch("values")
        defer { scratch.remove() }
        let spec = try FixtureSpec(name: "values", text: """
            dword Key\\Dword 305419896
            qword Key\\Qword 1311768467463790320
            sz Key\\Text héllo wörld
            expand Key\\Path %SystemRoot%\\system32
            multi Key\\List a|bb|ccc
            binary Key\\Blob 40
            """)
        let path = scratch.sub("hive")
        try FileIO.createDurably(try FixtureBuilder.hive(for: spec), at: path)
        let hive = try Hive(path: path)
        defer { hive.close() }
        let key = try #require(try hive.node(at: "KEY"))
        #expect(try hive.child(of: hive.root, named: "kEy") == key)
        #expect(try hive.value(named: "dword", in: key) == .dword(0x1234_5678))
        #expect(try hive.value(named: "Qword", in: key) == .qword(0x1234_5678_9ABC_DEF0))
        #expect(try hive.value(named: "Text", in: key) == .string("héllo wörld"))
        #expect(try hive.value(named: "Path", in: key) == .expandString("%SystemRoot%\\system32"))
        #expect(try hive.value(named: "List", in: key) == .multiString(["a", "bb", "ccc"]))
        #expect(try hive.value(named: "Blob", in: key) == .binary(FixtureSpec.pattern(count: 40, seed: "Key\\Blob")))
        #expect(try hive.value(named: "Missing", in: key) == nil)
        #expect(try hive.node(at: "Key\\Missing") == nil)
        // An independent parser reads the same.
        let dump = try Shell.run("/usr/bin/reglookup", ["-p", "/Key", path])
        #expect(dump.contains("/Key/Dword,DWORD,0x12345678,"))
        #expect(dump.contains("/Key/List,MULTI_SZ,a|bb|ccc,"))
    }

    @Test func openErrorsCarryErrnoAndPath() {
        #expect(throws: HiveError.cannotOpen(path: "/nonexistent/SYSTEM", errno: .noSuchFileOrDirectory)) {
            _ = try Hive(path: "/nonexistent/SYSTEM")
        }
    }

    @Test func setValueRefusesKeysHoldingBigValues() throws {
        let scratch = try Scratch("big")
        defer { scratch.remove() }
        let spec = try FixtureSpec(name: "big", text: "dword Svc\\Start 3\nbinary Svc\\Big 20000\ndword Small\\Start 3\nbinary Small\\Edge 16344")
        let path = scratch.sub("hive")
        try FileIO.createDurably(try FixtureBuilder.hive(for: spec), at: path)
        let hive = try Hive(path: path, writable: true)
        defer { hive.close() }
        let svc = try #require(try hive.node(at: "Svc"))
        #expect(throws: HiveError.bigValueOnKey(path: path, key: "Svc", value: "Big", size: 20000)) {
            try hive.setValue(.dword(4), named: "Start", in: svc, keyPath: "Svc")
        }
        #expect(try hive.value(named: "Start", in: svc) == .dword(3), "nothing changed in memory")
        let small = try #require(try hive.node(at: "Small"))
        try hive.setValue(.dword(4), named: "Start", in: small, keyPath: "Small")
        #expect(try hive.value(named: "Start", in: small) == .dword(4), "16,344 bytes is still a single cell")
    }

    @Test func editorReplacesAtomicallyAndLeavesNoTemporaryFile() throws {
        let scratch = try Scratch("editor")
        defer { scratch.remove() }
        let path = scratch.sub("SYSTEM")
        try FileIO.createDurably(try FixtureBuilder.hive(for: FixtureTree.spec("win10")), at: path)
        let before = try FileIO.sha256(ofFile: path)
        // A failing verification leaves the original untouched and removes the temporary file.
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try HiveEditor.rewrite(path, edit: { hive in
                try ServiceConfiguration.setStart([("ControlSet001", 4)], in: hive)
            }, verify: { _ in throw Refused() })
        }
        #expect(try FileIO.sha256(ofFile: path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["SYSTEM"])
        // A successful edit is clean, valid and read back by hivex.
        var recorded: String?
        let digest = try HiveEditor.rewrite(path, edit: { hive in
            try ServiceConfiguration.setStart([("ControlSet001", 4)], in: hive)
        }, verify: { _ in }, beforeReplace: { digest, _ in recorded = digest })
        #expect(recorded == digest)
        #expect(try FileIO.sha256(ofFile: path) == digest)
        let block = try HiveLayout.validate(try FileIO.read(path), path: path)
        #expect(!block.isDirty)
        let hive = try Hive(path: path)
        defer { hive.close() }
        #expect(try ServiceConfiguration.read(hive).map(\.start) == [4])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["SYSTEM"])
    }
}

extension Array where Element == UInt8 {
    mutating func storeLittleEndian(_ value: UInt32, at index: Int) {
        for byte in 0..<4 { self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
    }
}

extension HiveTests {
    @Test func writableOpenRefusesATruncatedHiveThatHivexWouldAccept() throws {
        let scratch = try Scratch("truncated-open")
        defer { scratch.remove() }
        let bytes = try FixtureBuilder.hive(for: FixtureTree.spec("win10"))
        let path = scratch.sub("SYSTEM")
        try FileIO.createDurably(Array(bytes[0..<(bytes.count - 4096)]), at: path)
        let readOnly = try Hive(path: path)  // hivex itself opens it
        readOnly.close()
        #expect(throws: HiveError.truncated(path: path, declaredEnd: bytes.count, fileSize: bytes.count - 4096)) {
            _ = try Hive(path: path, writable: true)
        }
    }
}
