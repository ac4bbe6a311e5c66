import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// Damaged hives through the real binary: no crash, no hang, a clear refusal, the hive untouched.
@Suite("damaged hives", .serialized)
struct HostileHiveTests {
    /// Runs `wuscrub reset --yes ROOT` bounded to 30 seconds (exit 124 means it hung).
    func reset(_ root: String) throws -> Shell.Result {
        try Shell.capture("/usr/bin/timeout", ["30", Repository.binary, "reset", "--yes", root])
    }

    /// A deterministic generator (xorshift64*), so a failing mutation can be named by its index.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Mutation `index` of a hive: bit flips in the base block, a hive-bin header, or cells, or a truncation.
    static func mutate(_ hive: [UInt8], index: Int) -> (bytes: [UInt8], what: String) {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) &* 0x1000_0000_01B3)
        var bytes = hive
        switch index % 4 {
        case 0:
            let offset = generator.below(512)
            bytes[offset] ^= UInt8(1 << generator.below(8))
            return (bytes, "bit flip in the base block at \(offset)")
        case 1:
            let bins = stride(from: 4096, to: bytes.count, by: 4096).filter { bytes[$0..<$0 + 4].elementsEqual("hbin".utf8) }
            let offset = bins[generator.below(bins.count)] + generator.below(32)
            bytes[offset] ^= UInt8(1 << generator.below(8))
            return (bytes, "bit flip in a hive-bin header at \(offset)")
        case 2:
            for _ in 0..<(1 + generator.below(4)) {
                let offset = 4096 + 32 + generator.below(bytes.count - 4096 - 32)
                bytes[offset] ^= UInt8(1 << generator.below(8))
            }
            return (bytes, "bit flips in cells")
        default:
            let length = generator.below(bytes.count)
            return (Array(bytes[0..<length]), "truncated to \(length) bytes")
        }
    }

    @Test("500 seeded mutations of a fixture SYSTEM hive: no crash or hang, a refusal or a clean run, the hive byte-identical")
    func mutatedFixtureHives() throws {
        let scratch = try Scratch("hostile")
        defer { scratch.remove() }
        let root = try FixtureTree.install("split-controlsets", in: scratch)
        let hivePath = root + "/Windows/System32/config/SYSTEM"
        let original = try FileIO.read(hivePath)
        var outcomes: [Int32: Int] = [:]
        for index in 0..<500 {
            let (bytes, what) = Self.mutate(original, index: index)
            try? FileManager.default.removeItem(atPath: root + "/Windows/Logs")
            try FileManager.default.removeItem(atPath: hivePath)
            try FileIO.createDurably(bytes, at: hivePath)
            let run = try reset(root)
            outcomes[run.status, default: 0] += 1
            #expect([0, 4, 5].contains(run.status), "mutation \(index) (\(what)): exit \(run.status)\n\(run.stderr)")
            if run.status != 0 {
                #expect(run.stderr.contains("wuscrub: error:"), "mutation \(index) (\(what)): a clear message")
            }
            #expect(try FileIO.read(hivePath) == bytes, "mutation \(index) (\(what)): the hive is byte-identical afterwards")
        }
        #expect(outcomes[5, default: 0] > 0 && outcomes[4, default: 0] > 0, "the mutations reach both refusals: \(outcomes)")
    }

    /// GarbageHive's base-block checksum is wrong, which the format defines as *dirty* (pending
    /// log data): it gets the dirty-hive refusal (4); the others are hive errors (5).
    @Test("the damaged corpus hives are refused as hive errors (exit 5, or 4 for a wrong checksum), byte-identical afterwards",
          .enabled(if: Corpus.enabled, Corpus.skipReason),
          arguments: ["regipy/corrupted_system_hive.xz", "yarp/TruncatedHive", "yarp/GarbageHive", "yarp/EmptyHive"])
    func damagedCorpusHives(name: String) throws {
        let scratch = try Scratch("hostile-corpus")
        defer { scratch.remove() }
        let root = try FixtureTree.install("win10", in: scratch)
        let hivePath = root + "/Windows/System32/config/SYSTEM"
        try FileManager.default.removeItem(atPath: hivePath)
        let copy = try Corpus.copy(name, into: scratch)
        try FileManager.default.moveItem(atPath: copy, toPath: hivePath)
        let before = TreeSnapshot(root)
        let run = try reset(root)
        #expect(run.status == (name == "yarp/GarbageHive" ? 4 : 5), "\(name): exit \(run.status)\n\(run.stderr)")
        #expect(run.stderr.contains("wuscrub: error:") && run.stderr.contains("SYSTEM"), "\(run.stderr)")
        #expect(TreeSnapshot(root) == before, "nothing changed")
    }
}
