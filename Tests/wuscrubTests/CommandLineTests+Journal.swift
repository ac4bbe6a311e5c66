import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// An installation after one finished `reset --yes`, which tests then turn into an interrupted run.
struct FinishedRun {
    let tree: Installation
    /// The SHA-256 of the SYSTEM hive before the run (and after it: the run restores it byte for byte).
    let originalHive: String

    init(_ fixture: String, in scratch: Scratch) throws {
        tree = try Installation(fixture, in: scratch)
        originalHive = try tree.hiveSHA256()
        let run = try Wuscrub.run("reset", "--yes", tree.root)
        try #require(run.status == Exit.success.rawValue, "setting up: \(run)")
        try #require(try tree.readJournal()["phase"].string == "done")
    }

    /// Puts the hive in the state the disable step leaves (Start=4 in every recorded control set)
    /// and records that hive in the journal, whose phase becomes `phase`.
    ///
    /// - Returns: The SHA-256 of the disabled hive.
    @discardableResult
    func interruptAfterDisable(phase: String) throws -> String {
        let sets = tree.spec.expectedStarts().map { (controlSet: $0.controlSet, name: "Start", value: UInt32(4)) }
        let disabled = try HiveSurgery.setServiceValues(tree.path(tree.hive), sets)
        try tree.moveJournal(toPhase: phase, ["disabledHiveSHA256": disabled])
        return disabled
    }

    /// Puts files back in both purge folders, as if the purge had not run yet.
    ///
    /// - Returns: What was put in each folder.
    func refill() throws -> [String: FolderCount] {
        var added: [String: FolderCount] = [:]
        for (index, folder) in tree.purgeFolders.enumerated() {
            try tree.addFile(folder + "/again-\(index).bin", size: 1000 + index)
            try tree.addFile(folder + "/sub/deeper-\(index).bin", size: 300)
            added[folder] = FolderCount(files: 2, directories: 1, bytes: 1300 + index)
        }
        return added
    }
}

// MARK: - An unfinished journal blocks reset

extension CommandLineTests {
    @Test("reset refuses an unfinished run with exit 7, pointing at resume and rollback, and changes nothing")
    func unfinishedJournalBlocksReset() throws {
        let scratch = try Scratch("e2e-unfinished")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        _ = try setup.refill()
        try tree.moveJournal(toPhase: "purge")
        let before = tree.snapshot()

        for arguments in [["reset", "--yes", tree.root], ["reset", "--dry-run", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.unfinishedJournal.rawValue, "\(run)")
            #expect(run.stderr.contains("resume") && run.stderr.contains("rollback"), "\(run.stderr)")
            #expect(run.stderr.contains("purge"), "the message should name the phase: \(run.stderr)")
            #expect(tree.snapshot() == before, "a refused reset must change nothing")
        }

        let status = try Wuscrub.run("status", "--json", tree.root)
        #expect(status.status == Exit.success.rawValue, "\(status)")
        #expect(try status.document()["status"]["journal"]["phase"].string == "purge")
        #expect(tree.snapshot() == before)
    }

    @Test("a run still in progress (its lock held, its journal open) makes reset, resume and rollback exit 9, not 7")
    func aRunInProgressIsBusyNotUnfinished() throws {
        let scratch = try Scratch("e2e-busy")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        try setup.interruptAfterDisable(phase: "purge")
        // The other run holds the lock (flock is per open file description: take it in a child).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [tree.path(tree.stateDirectory + "/lock"), "-c", "sleep 5"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        usleep(300_000)
        let before = tree.snapshot()
        for arguments in [["reset", "--yes", tree.root], ["reset", "--dry-run", tree.root],
                          ["resume", "--yes", tree.root], ["rollback", "--yes", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.locked.rawValue, "\(arguments): \(run)")
            #expect(run.stderr.contains("another wuscrub"), "\(run.stderr)")
            #expect(tree.snapshot() == before, "\(arguments) changed nothing")
        }
    }

    @Test("resume and rollback without --yes and without a terminal are cancelled, nothing changed",
          arguments: ["resume", "rollback"])
    func resumeWithoutConfirmation(_ subcommand: String) throws {
        let scratch = try Scratch("e2e-resume-no-yes")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        try setup.interruptAfterDisable(phase: "disable")
        let before = setup.tree.snapshot()

        let run = try Wuscrub.run(subcommand, setup.tree.root)
        #expect(run.status == Exit.cancelled.rawValue, "\(run)")
        #expect(setup.tree.snapshot() == before)
    }
}

// MARK: - resume

extension CommandLineTests {
    @Test("resume --yes finishes a run interrupted in the purge phase")
    func resumeFromPurge() throws {
        let scratch = try Scratch("e2e-resume-purge")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        let added = try setup.refill()
        try tree.moveJournal(toPhase: "purge")

        let run = try Wuscrub.run("resume", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]
        #expect(result["journal"]["phase"].string == "done")
        #expect(try tree.readJournal()["phase"].string == "done")
        #expect(try tree.hiveSHA256() == setup.originalHive)
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == [folder: "dir"], "\(folder) must be emptied by the resumed purge")
            #expect(result["journal"]["purge"].report(for: folder).folderCount == added[folder], "\(folder)")
        }
        let log = try String(contentsOfFile: tree.path(tree.log), encoding: .utf8)
        #expect(log.contains("resuming run"), "\(log)")
    }

    @Test("resume --yes from the disable phase purges and puts the original hive bytes back")
    func resumeFromDisable() throws {
        let scratch = try Scratch("e2e-resume-disable")
        defer { scratch.remove() }
        let setup = try FinishedRun("split-controlsets", in: scratch)
        let tree = setup.tree
        try setup.interruptAfterDisable(phase: "disable")
        try #require(try HiveSurgery.starts(tree.path(tree.hive)).allSatisfy { $0.start == 4 })
        _ = try setup.refill()

        let run = try Wuscrub.run("resume", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]
        #expect(result["restoredByteIdentical"].bool == true)
        #expect(result["finalStarts"].starts == tree.spec.expectedStarts())
        #expect(try tree.hiveSHA256() == setup.originalHive)
        #expect(try tree.readJournal()["phase"].string == "done")
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == [folder: "dir"])
        }
    }

    @Test("resume refuses a hive that is neither the original nor the disabled one: exit 3, journal left open")
    func resumeRefusesAChangedHive() throws {
        let scratch = try Scratch("e2e-resume-changed")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        let controlSet = try #require(tree.spec.expectedStarts().first).controlSet
        // Someone else edited the hive after the journal recorded it: Start is still 3, Type is not.
        let changed = try HiveSurgery.setServiceValues(tree.path(tree.hive), [(controlSet, "Type", 16)])
        try tree.moveJournal(toPhase: "disable")
        let before = tree.snapshot()

        let run = try Wuscrub.run("resume", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("changed outside wuscrub"), "\(run.stderr)")
        #expect(try tree.hiveSHA256() == changed)
        #expect(try tree.readJournal()["phase"].string == "disable")
        #expect(tree.snapshot().excluding([tree.log]) == before.excluding([tree.log]))
    }

    @Test("resume and rollback with no open journal exit 64", arguments: ["resume", "rollback"])
    func nothingToResume(_ subcommand: String) throws {
        let scratch = try Scratch("e2e-nothing-to-resume")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let before = tree.snapshot()

        let fresh = try Wuscrub.run(subcommand, "--yes", tree.root)
        #expect(fresh.status == Exit.usage.rawValue, "no journal at all: \(fresh)")
        #expect(fresh.stderr.contains("no unfinished wuscrub run"), "\(fresh.stderr)")
        #expect(tree.snapshot() == before)

        let reset = try Wuscrub.run("reset", "--yes", tree.root)
        try #require(reset.status == Exit.success.rawValue, "\(reset)")
        let closed = tree.snapshot()
        let afterDone = try Wuscrub.run(subcommand, "--yes", tree.root)
        #expect(afterDone.status == Exit.usage.rawValue, "closed journal: \(afterDone)")
        #expect(tree.snapshot() == closed)
    }

    @Test("an unreadable journal stops reset and resume with exit 8, nothing changed")
    func unreadableJournal() throws {
        let scratch = try Scratch("e2e-bad-journal")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        try Data("{ this is not a journal".utf8).write(to: URL(fileURLWithPath: tree.path(tree.journal)))
        _ = try setup.refill()
        let before = tree.snapshot()

        for arguments in [["reset", "--yes", tree.root], ["resume", "--yes", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.ioError.rawValue, "\(run)")
            #expect(run.stderr.contains("journal"), "\(run.stderr)")
            #expect(tree.snapshot() == before)
        }
    }
}

// MARK: - rollback

extension CommandLineTests {
    @Test("rollback --yes from the disable phase puts the original hive back and purges nothing")
    func rollbackFromDisable() throws {
        let scratch = try Scratch("e2e-rollback")
        defer { scratch.remove() }
        let setup = try FinishedRun("split-controlsets", in: scratch)
        let tree = setup.tree
        try setup.interruptAfterDisable(phase: "disable")
        _ = try setup.refill()
        let before = tree.snapshot()

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["command"].string == "rollback")
        #expect(document["result"]["restoredByteIdentical"].bool == true)
        #expect(document["result"]["finalStarts"].starts == tree.spec.expectedStarts())
        #expect(try tree.hiveSHA256() == setup.originalHive)
        #expect(try tree.readJournal()["phase"].string == "rolled-back")
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == before.under(folder), "rollback must not purge \(folder)")
        }

        // The run is closed: a new reset may start.
        let again = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(again.status == Exit.success.rawValue, "\(again)")
    }

    @Test("rollback --yes on a hive changed since the disable step sets the original start values")
    func rollbackAfterOutsideChange() throws {
        let scratch = try Scratch("e2e-rollback-changed")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        let controlSet = try #require(tree.spec.expectedStarts().first).controlSet
        // The journal keeps the disabled hash of the real run; this hive is disabled *and* edited.
        let changed = try HiveSurgery.setServiceValues(tree.path(tree.hive), [(controlSet, "Start", 4), (controlSet, "Type", 16)])
        try tree.moveJournal(toPhase: "disable")
        try #require(try tree.readJournal()["disabledHiveSHA256"].string != changed)

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]
        #expect(result["restoredByteIdentical"].bool == false)
        #expect(try HiveSurgery.starts(tree.path(tree.hive)) == tree.spec.expectedStarts())
        #expect(result["finalStarts"].starts == tree.spec.expectedStarts())
        #expect(try tree.readJournal()["phase"].string == "rolled-back")

        let status = try Wuscrub.run("status", "--json", tree.root).document()
        #expect(status["status"]["hive"]["state"].string == "clean")
    }
}
