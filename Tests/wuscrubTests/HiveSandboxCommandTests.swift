import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The hivex sandbox seen from the command line.
extension CommandLineTests {
    /// A SYSTEM hive that makes hivex fail an assertion when it edits wuauserv (its value list
    /// names the Start cell twice). It must end as exit 5 with the parser message, the tree
    /// unchanged and no open journal — not as wuscrub itself dying of SIGABRT mid-run.
    ///
    /// Known issue until the reset flow edits the hive through `HiveSandbox` before the journal
    /// opens: the in-process hivex then aborts the whole wuscrub process.
    @Test("a hive that makes hivex fail an assertion: exit 5, clear message, nothing changed, no open journal")
    func hiveThatFailsAHivexAssertion() throws {
        let scratch = try Scratch("e2e-hivex-assert")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let crafted = try CraftedHives.duplicateValueCell(in: try FileIO.read(tree.path(tree.hive)))
        try FileIO.replaceAtomically(tree.path(tree.hive), with: crafted)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.hiveError.rawValue, "\(run)")
        #expect(run.stderr.contains("is damaged in a way its parser cannot handle"), "\(run.stderr)")
        #expect(tree.snapshot() == before, "nothing may change")
        #expect(!FileManager.default.fileExists(atPath: tree.path(tree.journal)), "no journal may be opened")
    }
}
