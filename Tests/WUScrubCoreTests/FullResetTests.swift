import Foundation
import Testing
@testable import WUScrubCore
import WUScrubTestSupport

/// `reset --full` beyond the services (docs/architecture.md §17): catroot2 renamed (never deleted,
/// never over anything), the BITS queue's files moved into the quarantine, both undone by
/// `rollback` to the exact tree; hostile entries refused.
@Suite struct FullResetTests {
    static let spec = FullResetFixture.spec
    static let win10Queue = FullResetFixture.win10Queue
    static let win7Queue = FullResetFixture.win7Queue
    static let notQueue = FullResetFixture.notQueue

    struct Setup {
        let scratch: Scratch
        let root: String
        let install: WindowsInstall
        let hive: String
        let downloader: String

        init(_ name: String, queue: [String]? = FullResetTests.win10Queue, spec: String = FullResetTests.spec) throws {
            scratch = try Scratch(name)
            root = try FixtureTree.install(text: spec, in: scratch)
            downloader = FullResetFixture.downloader
            if let queue { try FullResetFixture.addQueue(queue, root: root) }
            install = try WindowsInstall.locate(root: root)
            hive = install.path(install.systemHive)
        }

        func resetter(crashingAt point: Resetter.Checkpoint? = nil) -> Resetter {
            var resetter = Resetter(sandboxed: install, toolVersion: "test")
            resetter.full = true
            if let point {
                resetter.checkpoint = { reached in if reached == point { throw Crash() } }
            }
            return resetter
        }

        var system32: String { root + "/Windows/System32" }

        func touched() -> [String: ExactTree] { FullResetFixture.touched(root: root) }

        func hivexStarts() throws -> [Int] { try FullResetFixture.hivexStarts(hive) }

        /// Asserts what an uninterrupted full run leaves.
        func expectFinished(_ outcome: ResetOutcome, queue: [String] = FullResetTests.win10Queue,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
            let journal = outcome.journal
            #expect(journal.phase == .done, sourceLocation: sourceLocation)
            #expect(outcome.purgeComplete, sourceLocation: sourceLocation)
            let renamed = try #require(journal.catroot2RenamedPath, sourceLocation: sourceLocation)
            #expect(renamed == "Windows/System32/catroot2.wuscrub-" + journal.runID.prefix(8), sourceLocation: sourceLocation)
            #expect(!FileIO.exists(system32 + "/catroot2"), sourceLocation: sourceLocation)
            #expect(FileIO.exists(root + "/" + renamed + "/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb"), sourceLocation: sourceLocation)
            #expect(FileIO.exists(system32 + "/CatRoot/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}"), "CatRoot is not catroot2", sourceLocation: sourceLocation)
            let quarantine = try #require(journal.quarantinePath, sourceLocation: sourceLocation)
            let moved = try FileManager.default.contentsOfDirectory(atPath: root + "/" + quarantine + "/Downloader").sorted()
            #expect(moved == queue.sorted(), sourceLocation: sourceLocation)
            let left = try FileManager.default.contentsOfDirectory(atPath: root + "/" + downloader).sorted()
            #expect(left == FullResetTests.notQueue.sorted(), sourceLocation: sourceLocation)
            #expect(try hivexStarts() == [3, 2, 2, 2, 3], sourceLocation: sourceLocation)
        }
    }

    @Test func aFullRunRenamesCatroot2AndMovesTheBitsQueueIntoTheQuarantine() throws {
        let setup = try Setup("full-run")
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let plan = try resetter.preflight()
        let full = try #require(plan.full)
        #expect(full.catroot2 == "Windows/System32/catroot2")
        #expect(full.bitsQueueFolder == setup.downloader)
        #expect(full.bitsQueueFiles == Self.win10Queue.sorted())
        #expect(plan.quarantineIn != nil, "--full implies --quarantine")
        let outcome = try resetter.run(plan)
        try setup.expectFinished(outcome)
        let reports = try #require(outcome.journal.fullReset)
        #expect(reports.map(\.folder) == [setup.downloader, "Windows/System32/catroot2"])
        #expect(reports.first?.files == Self.win10Queue.count)
        #expect(reports.last?.directories == 1)
    }

    @Test func aWindows7QueueMovesToo() throws {
        let setup = try Setup("full-win7", queue: Self.win7Queue)
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        try setup.expectFinished(try resetter.run(try resetter.preflight()), queue: Self.win7Queue)
    }

    @Test func withoutADownloaderFolderTheQueueIsSkipped() throws {
        let setup = try Setup("full-xp", queue: nil)
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let plan = try resetter.preflight()
        #expect(plan.full?.bitsQueueFolder == nil)
        let outcome = try resetter.run(plan)
        #expect(outcome.journal.phase == .done && outcome.purgeComplete)
        #expect(outcome.journal.bitsQueuePath == nil)
        #expect(outcome.journal.fullReset?.map(\.folder) == ["Windows/System32/catroot2"])
    }

    @Test func rollbackAfterAFinishedRunPutsTheExactTreeBack() throws {
        let setup = try Setup("full-rollback")
        defer { setup.scratch.remove() }
        let before = setup.touched()
        let resetter = setup.resetter()
        try setup.expectFinished(try resetter.run(try resetter.preflight()))
        let outcome = try setup.resetter().rollback()
        #expect(outcome.journal.phase == .rolledBack)
        #expect(outcome.putBackComplete)
        let after = setup.touched()
        for (name, tree) in before {
            #expect(after[name] == tree, "\(name):\n\(after[name]!.difference(from: tree))")
        }
    }

    static let points = Resetter.Checkpoint.all.filter { $0 != .phaseStarted(.done) && $0 != .beforeRecoveredHiveRename && $0 != .phaseStarted(.recover) }
        + Resetter.Checkpoint.fullReset

    @Test(arguments: points)
    func resumeFromEveryPointEndsLikeAnUninterruptedRun(point: Resetter.Checkpoint) throws {
        let setup = try Setup("full-resume")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        var resumer = Resetter(sandboxed: setup.install, toolVersion: "test")
        resumer.quarantines = false  // the journal decides, not the options
        try setup.expectFinished(try resumer.resume())
    }

    @Test(arguments: points)
    func rollbackFromEveryPointPutsTheExactTreeAndEveryStartValueBack(point: Resetter.Checkpoint) throws {
        let setup = try Setup("full-rollback-point")
        defer { setup.scratch.remove() }
        let before = setup.touched()
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        let outcome = try Resetter(sandboxed: setup.install, toolVersion: "test").rollback()
        #expect(outcome.journal.phase == .rolledBack)
        #expect(try setup.hivexStarts() == [3, 2, 2, 2, 3])
        let after = setup.touched()
        for (name, tree) in before {
            #expect(after[name] == tree, "\(name):\n\(after[name]!.difference(from: tree))")
        }
    }

    // MARK: - Hostile entries

    @Test(arguments: ["symlink", "fifo"])
    func aCatroot2ThatIsNotAFolderIsRefusedAndNothingChanges(kind: String) throws {
        let setup = try Setup("full-hostile-\(kind)")
        defer { setup.scratch.remove() }
        let catroot2 = setup.system32 + "/catroot2"
        try FileManager.default.removeItem(atPath: catroot2)
        if kind == "symlink" {
            try FileManager.default.createSymbolicLink(atPath: catroot2, withDestinationPath: "/etc")
        } else {
            #expect(mkfifo(catroot2, 0o600) == 0)
        }
        let before = TreeSnapshot(setup.root)
        let error = #expect(throws: WUScrubError.self) { _ = try setup.resetter().preflight() }
        #expect(error?.description.contains("catroot2") == true, "\(String(describing: error))")
        #expect(TreeSnapshot(setup.root) == before)
    }

    @Test func aDownloaderThatIsALinkIsRefused() throws {
        let setup = try Setup("full-hostile-downloader", queue: nil)
        defer { setup.scratch.remove() }
        try FileManager.default.createDirectory(atPath: setup.root + "/ProgramData/Microsoft/Network", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: setup.root + "/" + setup.downloader, withDestinationPath: setup.system32 + "/config")
        let before = TreeSnapshot(setup.root)
        #expect(throws: WUScrubError.self) { _ = try setup.resetter().preflight() }
        #expect(TreeSnapshot(setup.root) == before)
    }

    @Test func aCatroot2RenameTargetThatExistsIsNeverReplaced() throws {
        let setup = try Setup("full-existing-target")
        defer { setup.scratch.remove() }
        var resetter = setup.resetter()
        let root = setup.root
        let install = setup.install
        resetter.checkpoint = { point in
            guard point == .phaseStarted(.purge), let journal = try JournalStore(install: install).load() else { return }
            let planted = root + "/" + journal.catroot2RenamedPath!
            try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: false)
            try FileIO.createDurably([1, 2, 3], at: planted + "/keep")
        }
        let outcome = try resetter.run(try resetter.preflight())
        #expect(outcome.journal.phase == .done)
        #expect(!outcome.purgeComplete, "the rename is reported as not done")
        let renamed = setup.root + "/" + outcome.journal.catroot2RenamedPath!
        #expect(try FileManager.default.contentsOfDirectory(atPath: renamed) == ["keep"], "the planted folder is untouched")
        #expect(FileIO.exists(setup.system32 + "/catroot2/edb.log"), "catroot2 stays where it is")
        #expect(try setup.hivexStarts() == [3, 2, 2, 2, 3])
        // Rollback does not rename the planted folder over catroot2 either.
        _ = try setup.resetter().rollback()
        #expect(try FileManager.default.contentsOfDirectory(atPath: renamed) == ["keep"])
        #expect(FileIO.exists(setup.system32 + "/catroot2/edb.log"))
    }

    @Test func queueEntriesThatAreLinksOrFIFOsMoveAsTheyAreNeverOpened() throws {
        let setup = try Setup("full-queue-nodes", queue: ["qmgr.jfm"])
        defer { setup.scratch.remove() }
        let folder = setup.root + "/" + setup.downloader
        try FileManager.default.createSymbolicLink(atPath: folder + "/qmgr.db", withDestinationPath: setup.hive)
        #expect(mkfifo(folder + "/edb.log", 0o600) == 0)
        let hive = try FileIO.sha256(ofFile: setup.hive)
        let before = setup.touched()
        let resetter = setup.resetter()
        let outcome = try resetter.run(try resetter.preflight())
        #expect(outcome.journal.phase == .done && outcome.purgeComplete)
        let moved = try FileManager.default.contentsOfDirectory(atPath: setup.root + "/" + outcome.journal.quarantinePath! + "/Downloader").sorted()
        #expect(moved == ["edb.log", "qmgr.db", "qmgr.jfm"])
        #expect(try FileIO.sha256(ofFile: setup.hive) == hive, "the link's target is untouched")
        _ = try setup.resetter().rollback()
        #expect(setup.touched() == before)
    }

    @Test func afterTheQuarantineIsPurgedRollbackStillGivesCatroot2ItsNameBack() throws {
        let setup = try Setup("full-after-purge")
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let outcome = try resetter.run(try resetter.preflight())
        let purged = try setup.resetter().purgeQuarantines(keeping: 0, dryRun: false)
        #expect(purged.purged?.count == 1)
        #expect(!FileIO.exists(setup.root + "/" + outcome.journal.quarantinePath!))
        #expect(FileIO.exists(setup.root + "/" + outcome.journal.catroot2RenamedPath!), "quarantine purge leaves the renamed catroot2")
        let rollback = try setup.resetter().rollback()
        #expect(rollback.journal.phase == .rolledBack)
        #expect(FileIO.exists(setup.system32 + "/catroot2/edb.log"))
        #expect(!FileIO.exists(setup.root + "/" + outcome.journal.catroot2RenamedPath!))
        #expect(try setup.hivexStarts() == [3, 2, 2, 2, 3])
    }

    @Test func theQueueFileNamesAreMatchedWithoutRegardToCase() {
        for name in Self.win10Queue + Self.win7Queue + ["QMGR.DB", "Edb.Chk", "edb.log", "edb.jrs", "qmgr.dat"] {
            #expect(Resetter.isBitsQueueFile(Array(name.utf8)), "\(name)")
        }
        for name in Self.notQueue + ["qmgr", "edb", "edblog", "x.log", "qmgr.db-wal", ".dat", "edb.log/"] {
            #expect(!Resetter.isBitsQueueFile(Array(name.utf8)), "\(name)")
        }
    }

    // MARK: - The journal's new fields

    static func validFull() -> Journal {
        var journal = JournalValidationTests.valid()
        journal.purge = nil
        journal.quarantinePath = "Windows/SoftwareDistribution/" + QuarantineName(startedAt: journal.startedAt, runID: journal.runID).name
        journal.quarantine = []
        journal.catroot2Path = "Windows/System32/catroot2"
        journal.catroot2RenamedPath = "Windows/System32/catroot2.wuscrub-0123abcd"
        journal.bitsQueuePath = "ProgramData/Microsoft/Network/Downloader"
        journal.fullReset = [PurgeReport(folder: "ProgramData/Microsoft/Network/Downloader"), PurgeReport(folder: "Windows/System32/catroot2")]
        journal.folderTimes = [Journal.FolderTime(path: "Windows/System32", modified: 1), Journal.FolderTime(path: "ProgramData/Microsoft/Network/Downloader", modified: 2)]
        return journal
    }

    static let damages: [(String, @Sendable (inout Journal) -> Void)] = [
        ("catroot2 elsewhere", { $0.catroot2Path = "Windows/System32/config"; $0.catroot2RenamedPath = "Windows/System32/config.wuscrub-0123abcd" }),
        ("catroot2 escaping", { $0.catroot2Path = "Windows/System32/../../catroot2"; $0.catroot2RenamedPath = "Windows/System32/../../catroot2.wuscrub-0123abcd" }),
        ("renamed to another run's name", { $0.catroot2RenamedPath = "Windows/System32/catroot2.wuscrub-ffffffff" }),
        ("renamed over the hive's folder", { $0.catroot2RenamedPath = "Windows/System32/config" }),
        ("renamed without catroot2", { $0.catroot2Path = nil }),
        ("catroot2 without its new name", { $0.catroot2RenamedPath = nil }),
        ("BITS queue elsewhere", { $0.bitsQueuePath = "Windows/System32/config" }),
        ("BITS queue with ..", { $0.bitsQueuePath = "ProgramData/Microsoft/Network/../../../Windows" }),
        ("results of another folder", { $0.fullReset = [PurgeReport(folder: "Windows/System32/config")] }),
        ("three results", { $0.fullReset = Array(repeating: PurgeReport(folder: "Windows/System32/catroot2"), count: 3) }),
        ("results before the purge", { $0.phase = .disable; $0.quarantine = nil }),
        ("a folder time elsewhere", { $0.folderTimes = [Journal.FolderTime(path: "Windows/System32/config", modified: 1)] }),
        ("a full reset without a quarantine", { $0.quarantinePath = nil; $0.quarantine = nil; $0.folderTimes = nil; $0.purge = [] }),
    ]

    @Test("a full run's journal with catroot2 or BITS queue fields out of what wuscrub writes is damaged", arguments: 0..<damages.count)
    func damagedFields(index: Int) throws {
        var journal = Self.validFull()
        try journal.validate(for: JournalValidationTests.install, path: "journal.json")
        Self.damages[index].1(&journal)
        JournalValidationTests.expectDamaged(journal, Self.damages[index].0)
    }

    @Test func aForgedCatroot2PathInTheJournalIsRefusedAndNothingChanges() throws {
        let setup = try Setup("full-forged")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.purge))) {
            try setup.resetter(crashingAt: .phaseStarted(.purge)).run(try setup.resetter().preflight())
        }
        let path = setup.install.path(setup.install.stateDirectory + "/journal.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let forged = text.replacingOccurrences(of: "Windows\\/System32\\/catroot2.wuscrub-", with: "Windows\\/System32\\/config\\/x.wuscrub-")
            .replacingOccurrences(of: "Windows/System32/catroot2.wuscrub-", with: "Windows/System32/config/x.wuscrub-")
        #expect(forged != text)
        try FileIO.replaceAtomically(path, with: Array(forged.utf8))
        let before = TreeSnapshot(setup.root)
        for command in ["resume", "rollback"] {
            let error = #expect(throws: WUScrubError.self) {
                _ = command == "resume" ? try setup.resetter().resume() : try setup.resetter().rollback()
            }
            guard case .reset(.journalDamaged)? = error else { Issue.record("\(command): \(String(describing: error))"); continue }
        }
        #expect(TreeSnapshot(setup.root).excluding([setup.install.stateDirectory]) == before.excluding([setup.install.stateDirectory]))
    }
}
