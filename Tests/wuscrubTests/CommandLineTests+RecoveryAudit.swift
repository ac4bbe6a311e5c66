import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

// MARK: - Audit 3: the binary on a broken log and on a dirty hive without logs

extension RecoveryCommandLineTests {
    @Test("reset on SYSTEM_B whose LOG2 base block is invalid: exit 4, LOG2's entries 2111…2130 named, nothing changed",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resetRefusesToDropTheEntriesOfABrokenLog() throws {
        let scratch = try Scratch("e2e-broken-log2")
        defer { scratch.remove() }
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        let log2 = tree.path(install.log2)
        var bytes = try FileIO.read(log2)
        bytes.replaceSubrange(508..<512, with: "INVL".utf8)
        try FileManager.default.removeItem(atPath: log2)
        try FileIO.createDurably(bytes, at: log2)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.dirtyHive.rawValue, "LOG1 alone (2107…2110) must not be applied: \(run)")
        #expect(run.stderr.contains("SYSTEM.LOG2 holds hash-valid entries 2111…2130"), "\(run.stderr)")
        #expect(tree.snapshot() == before, "a refused reset changes nothing")
    }

    @Test("status and hive check on SYSTEM_2 (dirty, no logs): dirty-refused, nothing written",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func statusOfADirtyHiveWithoutLogs() throws {
        let scratch = try Scratch("e2e-status-system2")
        defer { scratch.remove() }
        let tree = try CorpusInstall.system2(in: scratch).tree
        let before = tree.snapshot()

        let json = try Wuscrub.run("status", "--json", tree.root)
        #expect(json.status == Exit.success.rawValue, "\(json)")
        let status = try json.document()["status"]
        #expect(status["hiveState"].string == "dirty-refused", "\(status["hiveState"])")
        #expect(status["recovery"]["outcome"].string == "refused")
        #expect(status["recovery"]["refusal"].string?.contains("no transaction log was found") == true)

        let text = try Wuscrub.run("status", tree.root)
        #expect(text.status == Exit.success.rawValue, "\(text)")
        #expect(text.stdout.contains("dirty-refused"), "\(text.stdout)")

        let check = try Wuscrub.run("hive", "check", tree.path(tree.hive))
        #expect(check.status == Exit.dirtyHive.rawValue, "\(check)")
        #expect(check.stdout.contains("state dirty-refused"), "\(check.stdout)")
        #expect(tree.snapshot() == before)
    }
}
