import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// Simulates a crash at a checkpoint: the run stops there with everything it wrote on disk.
struct Crash: Error {}

@Suite struct ResetterTests {
    /// A fixture installation with its original state.
    struct Setup {
        let scratch: Scratch
        let root: String
        let install: WindowsInstall
        let hive: String
        let originalHash: String
        let originalStarts: [ServiceStart]
        let before: TreeSnapshot

        init(_ fixture: String) throws {
            scratch = try Scratch("reset-\(fixture)")
            root = try FixtureTree.install(fixture, in: scratch)
            install = try WindowsInstall.locate(root: root)
            hive = install.path(install.systemHive)
            originalHash = try FileIO.sha256(ofFile: hive)
            let opened = try Hive(path: hive)
            originalStarts = try ServiceConfiguration.read(opened)
            opened.close()
            before = TreeSnapshot(root)
        }

        func resetter(crashingAt point: Resetter.Checkpoint? = nil) -> Resetter {
            var resetter = Resetter(sandboxed: install, toolVersion: "test")
            if let point {
                resetter.checkpoint = { reached in if reached == point { throw Crash() } }
            }
            return resetter
        }

        func starts() throws -> [ServiceStart] {
            let opened = try Hive(path: hive)
            defer { opened.close() }
            return try ServiceConfiguration.read(opened)
        }

        /// Asserts the state an uninterrupted run leaves.
        func expectFinished(_ outcome: ResetOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try FileIO.sha256(ofFile: hive) == originalHash, "hive byte-identical", sourceLocation: sourceLocation)
            #expect(try starts() == originalStarts, sourceLocation: sourceLocation)
            #expect(outcome.journal.phase == .done, sourceLocation: sourceLocation)
            let after = TreeSnapshot(root)
            let purged = [install.dataStore, install.download].compactMap { $0 }
            for folder in purged {
                #expect(after.under(folder) == [folder: "dir"], "\(folder) emptied, kept", sourceLocation: sourceLocation)
            }
            #expect(after.excluding(purged + [install.windows + "/Logs"]) == before.excluding(purged),
                    "nothing else changed", sourceLocation: sourceLocation)
            let config = try FileManager.default.contentsOfDirectory(atPath: FileIO.parent(of: hive))
            #expect(!config.contains { $0.hasSuffix(".tmp") }, "no temporary hive left", sourceLocation: sourceLocation)
        }
    }

    // MARK: - A whole run

    @Test(arguments: ["win10", "winxp", "split-controlsets", "delayed-auto"])
    func resetEmptiesTheFoldersAndRestoresTheHiveByteForByte(fixture: String) throws {
        let setup = try Setup(fixture)
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let plan = try resetter.preflight()
        #expect(plan.starts == setup.originalStarts)
        #expect(TreeSnapshot(setup.root) == setup.before, "preflight writes nothing")
        let outcome = try resetter.run(plan)
        try setup.expectFinished(outcome)
        #expect(outcome.restoredByteIdentical)
        #expect(outcome.journal.originalStarts == setup.originalStarts)
        let journal = try #require(try JournalStore(install: setup.install).load())
        #expect(journal == outcome.journal)
        #expect(try FileIO.sha256(ofFile: setup.install.path(journal.backupPath)) == setup.originalHash)
        #expect(journal.disabledHiveSHA256 != nil && journal.disabledHiveSHA256 != setup.originalHash)
        let log = try String(contentsOfFile: setup.install.path(setup.install.stateDirectory + "/wuscrub.log"), encoding: .utf8)
        for phase in Journal.Phase.runPhases {
            #expect(log.contains("phase \(phase.rawValue):"), "log line for \(phase)")
        }
    }

    /// The resetter names the phase its walks are in, and the purge's total is the plan's count.
    @Test func progressFollowsTheCountThenThePurge() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        var resetter = setup.resetter()
        let progress = PurgeProgress()
        resetter.progress = progress
        let seen = Box<PurgeProgress.Snapshot>()
        resetter.checkpoint = { point in
            if point == .phaseStarted(.restore) { seen.value = progress.snapshot }
        }
        let plan = try resetter.preflight()
        let counted = plan.purge.reduce(0) { $0 + $1.removals }
        #expect(counted > 0)
        #expect(progress.snapshot.phase == .idle && progress.snapshot.entries == counted, "the count ended")
        let outcome = try resetter.run(plan)
        let removed = try #require(outcome.journal.purge).reduce(0) { $0 + $1.removals }
        // Read when the restore phase starts, before its own step begins: the purge's counters.
        #expect(seen.value?.phase == .idle, "the purge ended before the restore")
        #expect(seen.value?.entries == removed && removed == counted)
        #expect(seen.value?.total == counted)
        // The steps after the purge (restore, verify) were shown, and ended too.
        #expect(progress.snapshot.phase == .idle && progress.snapshot.label == "Checking the start mode")

        // A run that did not count first has no total.
        let uncounted = try Setup("win10")
        defer { uncounted.scratch.remove() }
        var quick = uncounted.resetter()
        quick.progress = progress
        quick.checkpoint = { point in
            if point == .phaseStarted(.restore) { seen.value = progress.snapshot }
        }
        _ = try quick.run(try quick.preflight(countingPurge: false))
        #expect(seen.value?.total == nil && seen.value?.entries == counted)
    }

    @Test func theHiveIsDisabledWhileThePurgeRuns() throws {
        let setup = try Setup("split-controlsets")
        defer { setup.scratch.remove() }
        var resetter = setup.resetter()
        let hive = setup.hive
        let seen = Box<[UInt32]>()
        resetter.checkpoint = { point in
            if point == .phaseStarted(.purge) {
                let opened = try Hive(path: hive)
                defer { opened.close() }
                seen.value = try ServiceConfiguration.read(opened).map(\.start)
            }
        }
        _ = try resetter.run(try resetter.preflight())
        #expect(seen.value == [4, 4], "Start=4 in every chosen control set")
    }

    @Test func restoreSetsValuesWhenTheHiveChangedSinceDisable() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.restore))) { try setup.resetter(crashingAt: .phaseStarted(.restore)).run(try setup.resetter().preflight()) }
        // Something else edits the hive meanwhile (another value in the same key).
        try HiveEditor.rewrite(setup.hive, edit: { hive in
            let key = try #require(try hive.node(at: "ControlSet001\\Services\\wuauserv"))
            try hive.setValue(.dword(1), named: "Extra", in: key, keyPath: "wuauserv")
        }, verify: { _ in })
        let outcome = try setup.resetter().resume()
        #expect(!outcome.restoredByteIdentical)
        #expect(try setup.starts() == setup.originalStarts)
        let opened = try Hive(path: setup.hive)
        defer { opened.close() }
        #expect(try opened.value(named: "Extra", in: try #require(try opened.node(at: "ControlSet001\\Services\\wuauserv"))) == .dword(1),
                "the other change is kept")
    }

    @Test func keepsTheNewestThreeBackups() throws {
        let setup = try Setup("delayed-auto")
        defer { setup.scratch.remove() }
        var backups: [String] = []
        for _ in 0..<5 {
            let resetter = setup.resetter()
            // Runs within the same second (names carry the time to the second and a random run
            // id): the order must still be the order of the runs.
            backups.append(try resetter.run(try resetter.preflight()).journal.backupPath)
        }
        // Something else the technician put there is not a backup and stays.
        let directory = setup.install.path(setup.install.stateDirectory + "/backup")
        try FileManager.default.createDirectory(atPath: directory + "/SYSTEM-notes", withIntermediateDirectories: false)
        let resetter = setup.resetter()
        backups.append(try resetter.run(try resetter.preflight()).journal.backupPath)
        let kept = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(kept == (backups.suffix(3).map { String($0.split(separator: "/").last!) } + ["SYSTEM-notes"]).sorted())
    }

    // MARK: - Refusals change nothing

    @Test func dirtyHiveIsRefusedAndNothingChanges() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        var bytes = try FileIO.read(setup.hive)
        bytes.storeLittleEndian(bytes[4..<8].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) } + 1, at: 4)
        BaseBlock.updateChecksum(&bytes)
        try FileManager.default.removeItem(atPath: setup.hive)
        try FileIO.createDurably(bytes, at: setup.hive)
        let before = TreeSnapshot(setup.root)
        // The fixture's SYSTEM.LOG1 and SYSTEM.LOG2 are empty: nothing can be replayed.
        let error = #expect(throws: WUScrubError.self) { _ = try setup.resetter().preflight() }
        guard case .recovery(.refused)? = error else { Issue.record("expected refused, got \(String(describing: error))"); return }
        #expect(error?.description.contains("the file is empty") == true)
        #expect(TreeSnapshot(setup.root) == before)
    }

    @Test func unfinishedJournalBlocksANewReset() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.purge))) { try setup.resetter(crashingAt: .phaseStarted(.purge)).run(try setup.resetter().preflight()) }
        let before = TreeSnapshot(setup.root)
        #expect(throws: WUScrubError.reset(.unfinishedJournal(path: "Windows/Logs/wuscrub/journal.json", phase: .purge))) {
            _ = try setup.resetter().preflight()
        }
        #expect(TreeSnapshot(setup.root) == before)
    }

    @Test func resumeAndRollbackNeedAnOpenJournal() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        #expect(throws: WUScrubError.reset(.nothingToResume(path: "Windows/Logs/wuscrub/journal.json"))) { _ = try setup.resetter().resume() }
        #expect(throws: WUScrubError.reset(.nothingToResume(path: "Windows/Logs/wuscrub/journal.json"))) { _ = try setup.resetter().rollback() }
    }

    // MARK: - Interrupted runs

    @Test(arguments: Resetter.Checkpoint.all.filter { $0 != .phaseStarted(.done) && $0 != .beforeRecoveredHiveRename })
    func resumeFromEveryPointEndsLikeAnUninterruptedRun(point: Resetter.Checkpoint) throws {
        let setup = try Setup("split-controlsets")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        try HiveLayout.validate(try FileIO.read(setup.hive), path: setup.hive)
        let outcome = try setup.resetter().resume()
        try setup.expectFinished(outcome)
    }

    @Test(arguments: Resetter.Checkpoint.all.filter { $0 != .phaseStarted(.done) && $0 != .beforeRecoveredHiveRename })
    func rollbackFromEveryPointRestoresTheOriginalStartValues(point: Resetter.Checkpoint) throws {
        let setup = try Setup("split-controlsets")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        let outcome = try setup.resetter().rollback()
        #expect(try setup.starts() == setup.originalStarts)
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
        #expect(outcome.journal.phase == .rolledBack)
        #expect { _ = try setup.resetter().resume() } throws: { if case .reset? = $0 as? WUScrubError { true } else { false } }
        let config = try FileManager.default.contentsOfDirectory(atPath: FileIO.parent(of: setup.hive))
        #expect(!config.contains { $0.hasSuffix(".tmp") })
    }
}

/// A mutable box for values captured by `@Sendable` test closures.
final class Box<Value>: @unchecked Sendable {
    var value: Value?
}

// MARK: - Special-case checksums

extension ResetterTests {
    /// hivex rejects a hive whose correct checksum is one of the docs/registry-format.md §1.2 special cases (it wants the
    /// plain XOR); wuscrub writes the correct value, so it must still read and re-edit such a hive.
    @Test func aDisabledHiveWithASpecialCaseChecksumIsReadAndRestored() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        // Learn the header hivex will write for the disable step, then set the flags field (copied
        // unchanged by hivex) so that header's plain XOR is exactly 0: its correct checksum is 1.
        let probe = setup.scratch.sub("probe")
        let hive = try Hive(path: setup.hive, writable: true)
        try ServiceConfiguration.setStart([(controlSet: "ControlSet001", start: 4)], in: hive)
        try hive.commit(to: probe)
        hive.close()
        let written = try FileIO.read(probe)
        var original = try FileIO.read(setup.hive)
        let flags = original[144..<148].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        original.storeLittleEndian(flags ^ BaseBlock.rawChecksum(written[0..<512]), at: 144)
        BaseBlock.updateChecksum(&original)
        try FileIO.replaceAtomically(setup.hive, with: original)
        let originalHash = try FileIO.sha256(ofFile: setup.hive)

        var resetter = setup.resetter()
        let seen = Box<(checksum: UInt32, starts: [UInt32])>()
        let path = setup.hive
        resetter.checkpoint = { point in
            guard point == .phaseStarted(.purge) else { return }
            let block = try #require(BaseBlock(try FileIO.read(path)[0..<512]))
            let opened = try Hive(path: path)
            defer { opened.close() }
            seen.value = (block.storedChecksum, try ServiceConfiguration.read(opened).map(\.start))
        }
        let outcome = try resetter.run(try resetter.preflight())
        #expect(seen.value?.checksum == 1, "the disabled hive carries the special-case checksum")
        #expect(seen.value?.starts == [4], "and is still readable through hivex")
        #expect(outcome.restoredByteIdentical)
        #expect(try FileIO.sha256(ofFile: setup.hive) == originalHash)
    }
}

// MARK: - A crash in the middle of the purge

extension ResetterTests {
    @Test func theMidPurgePointLeavesAFolderPartlyEmptiedAndResumeFinishesIt() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let dataStore = try #require(setup.install.dataStore)
        let before = setup.before.under(dataStore)
        _ = #expect(throws: WUScrubError.checkpoint(.midPurge)) { try setup.resetter(crashingAt: .midPurge).run(try setup.resetter().preflight()) }
        let during = TreeSnapshot(setup.root).under(dataStore)
        #expect(during.count == before.count - 1, "exactly one entry of DataStore removed when the crash hits:\n\(during)")
        #expect(TreeSnapshot(setup.root).under(try #require(setup.install.download)) == setup.before.under(try #require(setup.install.download)))
        let outcome = try setup.resetter().resume()
        try setup.expectFinished(outcome)
        let report = try #require(outcome.journal.purge?.first)
        // `before` holds the folder itself and its entries; one entry went before the crash.
        #expect(report.removals == before.count - 2, "the resumed purge reports what remained")
    }

    @Test func anUninterruptedPurgeReportsEverythingOnceThoughItPausesAfterTheFirstRemoval() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let plan = try resetter.preflight()
        let outcome = try resetter.run(plan)
        #expect(outcome.journal.purge == plan.purge.map { var real = $0; real.dryRun = false; return real })
    }
}

// MARK: - Leftovers of a crash

extension ResetterTests {
    @Test(arguments: ["resume", "rollback"])
    func temporaryFilesACrashLeftBesideTheHiveAndTheJournalAreRemoved(_ command: String) throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.purge))) { try setup.resetter(crashingAt: .phaseStarted(.purge)).run(try setup.resetter().preflight()) }
        let leftovers = [FileIO.temporaryName(beside: setup.hive),
                         FileIO.temporaryName(beside: setup.install.path(setup.install.stateDirectory + "/journal.json"))]
        for path in leftovers { try FileIO.createDurably([1, 2, 3], at: path) }
        _ = command == "resume" ? try setup.resetter().resume() : try setup.resetter().rollback()
        for path in leftovers { #expect(!FileIO.exists(path), "\(path) removed") }
    }
}
