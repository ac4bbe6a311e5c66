import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Sparse giants under an address-space limit

/// A SYSTEM hive that is a sparse giant.
struct SparseHive: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var description: String { testDescription }
    var size: Int64
    /// Keep the real hive's first bytes (a valid base block) and extend it, or replace it by zeros only.
    var keepHeader: Bool
    var testDescription: String { "\(size >> 30) GiB, \(keepHeader ? "the real hive extended" : "zeros only")" }

    static let all = [SparseHive(size: 5 << 30, keepHeader: true), SparseHive(size: 100 << 30, keepHeader: true),
                      SparseHive(size: 5 << 30, keepHeader: false)]
}

extension HostileVolumeTests {
    @Test("a sparse giant SYSTEM hive is refused as too large (exit 5, naming SYSTEM), under a 1 GiB address-space limit, without a crash or a hang",
          arguments: SparseHive.all)
    func sparseHive(_ giant: SparseHive) throws {
        let stage = try HostileStage("sparse-hive", state: .fresh)
        defer { stage.close() }
        let hive = stage.path(stage.tree.hive)
        if !giant.keepHeader { try HostilePaths.remove(hive) }
        try HostilePaths.makeSparse(hive, size: giant.size)
        let before = stage.snapshot()
        for command in [HostileCommand.reset, .dryRun] {
            let run = try stage.run(command)
            Self.expectSane(run, "\(giant), \(command)")
            #expect(run.status == Exit.hiveError.rawValue, "\(giant), \(command): \(run)")
            #expect(run.stderr.contains("SYSTEM") && run.stderr.lowercased().contains("too large"),
                    "\(giant), \(command): the message names SYSTEM and says it is too large\n\(run.stderr)")
            Self.expectUnchanged(stage.snapshot(), before, "\(giant), \(command)")
            guard !run.hung else { return }
        }
        let status = try stage.run(.status)
        Self.expectSane(status, "\(giant), status")
        Self.expectUnchanged(stage.snapshot(), before, "\(giant), status")

        let check = try stage.run(["hive", "check", hive])
        Self.expectSane(check, "\(giant), hive check")
        #expect([Exit.dirtyHive.rawValue, Exit.hiveError.rawValue].contains(check.status), "\(check)")
        let reason = check.output.lowercased()
        #expect(reason.contains("too large") || reason.contains("size"), "hive check gives a reason about the size:\n\(check)")
        Self.expectUnchanged(stage.snapshot(), before, "\(giant), hive check")
    }

    @Test("a dirty hive whose SYSTEM.LOG1 is a sparse 5 GiB file: exit 4 or 5 naming the log, no crash, nothing changed",
          arguments: ["LOG1", "LOG2"])
    func sparseLog(_ suffix: String) throws {
        let stage = try HostileStage("sparse-log", state: .fresh)
        defer { stage.close() }
        let hive = stage.path(stage.tree.hive)
        try HiveSurgery.makeDirty(hive)
        try HostilePaths.makeSparse(hive + "." + suffix, size: 5 << 30)
        let before = stage.snapshot()
        for arguments in [["reset", "--yes", stage.root], ["reset", "--dry-run", stage.root], ["hive", "check", hive]] {
            let run = try stage.run(arguments)
            let context = "\(suffix): \(arguments.prefix(2).joined(separator: " "))"
            Self.expectSane(run, context)
            #expect([Exit.dirtyHive.rawValue, Exit.hiveError.rawValue].contains(run.status), "\(context): \(run)")
            #expect(run.output.contains("SYSTEM." + suffix), "\(context): the log is named\n\(run)")
            Self.expectUnchanged(stage.snapshot(), before, context)
            guard !run.hung else { return }
        }
    }

    @Test("a sparse 5 GiB journal.json: reset, resume and rollback exit 8 naming the journal; status still answers")
    func sparseJournal() throws {
        let stage = try HostileStage("sparse-journal", state: .interrupted)
        defer { stage.close() }
        try HostilePaths.makeSparse(stage.path(stage.tree.journal), size: 5 << 30)
        let before = stage.snapshot()
        for command in [HostileCommand.reset, .resume, .rollback] {
            let run = try stage.run(command)
            Self.expectSane(run, "\(command)")
            #expect(run.status == Exit.ioError.rawValue, "\(command): \(run)")
            #expect(run.stderr.contains("journal"), "\(command): \(run.stderr)")
            Self.expectUnchanged(stage.snapshot(), before, "\(command)")
            guard !run.hung else { return }
        }
        let status = try stage.run(["status", "--json", stage.root])
        Self.expectSane(status, "status")
        #expect(status.status == Exit.success.rawValue, "\(status)")
        #expect((try? status.document()["status"]["journalError"].string)?.isEmpty == false, "\(status.stdout)")
        Self.expectUnchanged(stage.snapshot(), before, "status")
    }

    @Test("a sparse 100 GiB hiberfil.sys of zeros (not hibernated) is not read whole: the reset proceeds and finishes")
    func sparseHiberfil() throws {
        let stage = try HostileStage("sparse-hiberfil", state: .fresh)
        defer { stage.close() }
        try HostilePaths.makeSparse(stage.path("hiberfil.sys"), size: 100 << 30)
        let run = try stage.run(.reset)
        Self.expectSane(run, "reset")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
        #expect(stage.journalPhase() == "done")
        #expect(HostilePaths.regularFileSize(stage.path("hiberfil.sys")) == 100 << 30, "hiberfil.sys is left as it was")
    }
}
