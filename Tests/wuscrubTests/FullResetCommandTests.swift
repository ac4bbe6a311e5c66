import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// `reset --full`, `resume` and `rollback` with the real binary (docs/architecture.md §17).
@Suite("reset --full, end to end", .serialized)
struct FullResetCommandTests {
    static func installation(_ scratch: Scratch, queue: [String] = FullResetFixture.win10Queue) throws -> Installation {
        let tree = try Installation(text: FullResetFixture.spec, in: scratch)
        try FullResetFixture.addQueue(queue, root: tree.root)
        return tree
    }

    @Test("--full --dry-run says what it would rename, move and disable, and writes nothing")
    func dryRun() throws {
        let scratch = try Scratch("e2e-full-dry")
        defer { scratch.remove() }
        let tree = try Self.installation(scratch, queue: FullResetFixture.win7Queue)
        let before = tree.snapshot()
        let text = try Wuscrub.run("reset", "--full", "--dry-run", tree.root)
        #expect(text.status == Exit.success.rawValue, "\(text)")
        #expect(text.stdout.contains("Would also (reset --full):"), "\(text.stdout)")
        #expect(text.stdout.contains("rename Windows/System32/catroot2 to Windows/System32/catroot2.wuscrub-<run> (never deleted)"), "\(text.stdout)")
        #expect(text.stdout.contains("move the BITS queue from \(FullResetFixture.downloader) into Windows/SoftwareDistribution/wuscrub-quarantine-<time>-<run>/Downloader: QMGR1.DAT, qmgr0.dat"), "\(text.stdout)")
        #expect(text.stdout.contains("set Start=4 for wuauserv, BITS, CryptSvc, UsoSvc, WaaSMedicSvc where present"), "\(text.stdout)")
        #expect(text.stdout.contains("  BITS:\n    ControlSet001: Start=2 (automatic (delayed))"), "grouped by service: \(text.stdout)")
        let json = try Wuscrub.run("reset", "--full", "--dry-run", "--json", tree.root).document()
        #expect(json["plan"]["full"]["catroot2"].string == "Windows/System32/catroot2")
        #expect(json["plan"]["full"]["bitsQueueFiles"].array?.count == 2)
        #expect(json["plan"]["starts"][1]["service"].string == "BITS")
        #expect(json["plan"]["quarantineIn"].string == "Windows/SoftwareDistribution", "--full implies --quarantine")
        #expect(tree.snapshot() == before, "nothing written")
    }

    @Test("reset --full then rollback: catroot2, the BITS queue and the folders' exact tree are back, every service's Start too")
    func fullAndRollBack() throws {
        let scratch = try Scratch("e2e-full")
        defer { scratch.remove() }
        let tree = try Self.installation(scratch)
        let original = FullResetFixture.touched(root: tree.root)
        let hive = try tree.hiveSHA256()
        let reset = try Wuscrub.run("reset", "--full", "--yes", tree.root)
        #expect(reset.status == Exit.success.rawValue, "\(reset)")
        #expect(reset.stdout.contains("Renamed Windows/System32/catroot2 to Windows/System32/catroot2.wuscrub-"), "\(reset.stdout)")
        #expect(reset.stdout.contains("Moved the BITS queue into the quarantine from \(FullResetFixture.downloader): 7 files"), "\(reset.stdout)")
        #expect(!FileManager.default.fileExists(atPath: tree.path("Windows/System32/catroot2")))
        #expect(try FullResetFixture.hivexStarts(tree.path(tree.hive)) == FullResetFixture.originalStarts)
        #expect(try tree.hiveSHA256() == hive)
        let journal = try tree.readJournal()
        #expect(journal["originalStarts"].array?.count == 5)
        #expect(journal["fullReset"].array?.count == 2)

        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(rollback.stdout.contains("Put back into Windows/System32/catroot2"), "\(rollback.stdout)")
        #expect(rollback.stdout.contains("Put back into \(FullResetFixture.downloader)"), "\(rollback.stdout)")
        let restored = FullResetFixture.touched(root: tree.root)
        for (name, exact) in original {
            #expect(restored[name] == exact, "\(name):\n\(restored[name]!.difference(from: exact))")
        }
        #expect(try tree.hiveSHA256() == hive)
    }

    @Test("a crash in the full reset's moves, then resume or rollback", arguments: ["after-bits-queue", "after-catroot2-rename"])
    func crashes(_ point: String) throws {
        for action in ["resume", "rollback"] {
            let scratch = try Scratch("e2e-full-crash")
            defer { scratch.remove() }
            let tree = try Self.installation(scratch)
            let original = FullResetFixture.touched(root: tree.root)
            let crashed = try CommandLineTests.run(["reset", "--full", "--yes", tree.root], fault: point)
            try #require(crashed.status == 99, "\(crashed)")
            #expect(try FullResetFixture.hivexStarts(tree.path(tree.hive)) == [4, 4, 4, 4, 4], "disabled while the run is unfinished")
            let next = try Wuscrub.run(action, "--yes", tree.root)
            #expect(next.status == Exit.success.rawValue, "\(action) after \(point): \(next)")
            #expect(try FullResetFixture.hivexStarts(tree.path(tree.hive)) == FullResetFixture.originalStarts)
            if action == "resume" {
                #expect(try tree.readJournal()["phase"].string == "done")
                #expect(!FileManager.default.fileExists(atPath: tree.path("Windows/System32/catroot2")))
                continue
            }
            let restored = FullResetFixture.touched(root: tree.root)
            for (name, exact) in original {
                #expect(restored[name] == exact, "\(action) after \(point), \(name):\n\(restored[name]!.difference(from: exact))")
            }
        }
    }
}

extension FullResetCommandTests {
    @Test("a queue file's name with control characters is shown escaped in the plan, and still moved and put back")
    func hostileQueueName() throws {
        let scratch = try Scratch("e2e-full-hostile-name")
        defer { scratch.remove() }
        let tree = try Self.installation(scratch, queue: ["qmgr\u{1B}[2J.dat"])
        let original = FullResetFixture.touched(root: tree.root)
        let plan = try Wuscrub.run("reset", "--full", "--dry-run", tree.root)
        #expect(!plan.stdout.contains("\u{1B}"), "\(plan.stdout)")
        #expect(plan.stdout.contains("qmgr?[2J.dat"), "\(plan.stdout)")
        let reset = try Wuscrub.run("reset", "--full", "--yes", tree.root)
        #expect(reset.status == Exit.success.rawValue, "\(reset)")
        #expect(!reset.stdout.contains("\u{1B}"))
        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(FullResetFixture.touched(root: tree.root) == original)
    }
}
