import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Stray entries in wuscrub's folders

/// Entries in wuscrub's folders that wuscrub did not write, named like what it writes.
enum Strays {
    /// (root-relative path under the Windows folder's parent, what to put there).
    static func entries(_ tree: Installation) -> [(path: String, kind: Plant)] {
        let config = FileIO.parent(of: tree.hive)
        return [
            (config + "/.SYSTEM.wuscrub-1-2.tmp", .directory),
            (tree.stateDirectory + "/.journal.json.wuscrub-1-2.tmp", .directory),
            (tree.backupDirectory + "/SYSTEM-000001-20200101T000000Z-0badc0de", .directory),
            (tree.backupDirectory + "/SYSTEM-123456789012345678901234567890-20200101T000000Z-0badc0de", .regularFile),
            (tree.backupDirectory + "/SYSTEM-abc", .regularFile),
            (tree.backupDirectory + "/SYSTEM-000099-20260101T000000Z-deadbeef", .fifo),
        ]
    }

    static func plant(in stage: HostileStage, victims: Victims) throws -> [String] {
        let strays = entries(stage.tree)
        for (path, kind) in strays { try kind.put(at: stage.path(path), victims: victims) }
        return strays.map(\.path)
    }

    /// The snapshot entries at and below the strays.
    static func snapshot(_ stage: HostileStage, _ strays: [String]) -> [String: String] {
        stage.snapshot().entries.filter { key, _ in strays.contains { key == $0 || key.hasPrefix($0 + "/") } }
    }

    /// The backups wuscrub wrote: everything in backup/ but the strays.
    static func ownBackups(_ stage: HostileStage, _ strays: [String]) -> [String] {
        let names = Set(strays.map { ($0 as NSString).lastPathComponent })
        return stage.tree.backups().filter { !names.contains($0) }
    }
}

extension HostileVolumeTests {
    static func expectStraysMentioned(_ run: Run, _ strays: [String], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for stray in strays {
            let name = (stray as NSString).lastPathComponent
            #expect(run.output.contains(name) || run.output.contains("left alone"),
                    "\(context): the output must mention the stray '\(name)' (or say it was left alone)\n\(run)", sourceLocation: sourceLocation)
        }
    }

    @Test("strays in config/, the state folder and backup/ (temp-named folders, backup-named folder and FIFO, a 30-digit serial, SYSTEM-abc) survive five resets; pruning keeps the three newest runs' backups")
    func straysSurviveRepeatedResets() throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("strays", state: .fresh)
        defer { stage.close() }
        let strays = try Strays.plant(in: stage, victims: site.victims)
        let before = Strays.snapshot(stage, strays)
        try #require(before.count >= strays.count)
        for attempt in 1...5 {
            let watch = VictimWatch(site.victims)
            let run = try stage.run(.reset)
            let context = "reset \(attempt)"
            Self.expectSane(run, context)
            #expect(run.status == Exit.success.rawValue, "\(context): \(run)")
            watch.expectUntouched(context)
            #expect(Strays.snapshot(stage, strays) == before, "\(context): the strays are untouched")
            Self.expectStraysMentioned(run, strays, context)
            Self.expectStartNotStranded(stage, context)
            guard !run.hung else { return }
        }
        let own = Strays.ownBackups(stage, strays)
        #expect(own.count == 3, "after five clean runs the three newest runs' backups remain: \(own)")
        let current = try #require(try stage.tree.readJournal()["backupPath"].string)
        #expect(own.map { stage.tree.backupDirectory + "/" + $0 }.contains(current), "the last run's backup is kept: \(own)")
        for backup in own {
            #expect(try FileIO.sha256(ofFile: stage.path(stage.tree.backupDirectory + "/" + backup)) == stage.originalHive)
        }
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
    }

    @Test("strays planted after an interruption survive resume and rollback, which succeed", arguments: [HostileCommand.resume, .rollback])
    func straysSurviveResumeAndRollback(_ command: HostileCommand) throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("strays-resume", state: .interrupted)
        defer { stage.close() }
        let strays = try Strays.plant(in: stage, victims: site.victims)
        let before = Strays.snapshot(stage, strays)
        let watch = VictimWatch(site.victims)
        let run = try stage.run(command)
        Self.expectSane(run, "\(command)")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        watch.expectUntouched("\(command)")
        #expect(Strays.snapshot(stage, strays) == before, "the strays are untouched")
        Self.expectStraysMentioned(run, strays, "\(command)")
        #expect(stage.starts() == stage.originalStarts.map(\.start), "Start is back to its original value")
        #expect(stage.journalPhase() == (command == .resume ? "done" : "rolled-back"))
    }
}
