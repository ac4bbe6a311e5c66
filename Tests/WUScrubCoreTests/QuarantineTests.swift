import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// `reset --quarantine`, `rollback` of a quarantine, and `quarantine list|purge`
/// (docs/architecture.md §16), on plain folders.
@Suite struct QuarantineTests {
    typealias Setup = ResetterTests.Setup

    /// `SoftwareDistribution` exactly: every entry's identity, times and contents.
    static func distribution(_ setup: Setup) -> ExactTree {
        ExactTree(setup.install.path(try! #require(setup.install.softwareDistribution)))
    }

    static func quarantining(_ setup: Setup, crashingAt point: Resetter.Checkpoint? = nil) -> Resetter {
        var resetter = setup.resetter(crashingAt: point)
        resetter.quarantines = true
        return resetter
    }

    /// The folder a quarantine run moved into, and its subfolders' contents keyed as in the original.
    static func quarantined(_ setup: Setup, _ journal: Journal) throws -> [String: String] {
        let path = try #require(journal.quarantinePath)
        let base = try #require(setup.install.softwareDistribution)
        // Keyed by the original folder: <quarantine>/DataStore/x ↔ SoftwareDistribution/DataStore/x.
        return TreeSnapshot(setup.root).under(path).reduce(into: [:]) { result, entry in
            guard entry.key != path else { return }
            result[base + entry.key.dropFirst(path.count)] = entry.value
        }
    }

    @Test("a quarantine run moves every entry, keeps the folders, and rollback puts back the exact tree")
    func quarantineThenRollBack() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let original = Self.distribution(setup)
        let folders = [setup.install.dataStore, setup.install.download].compactMap { $0 }
        Thread.sleep(forTimeInterval: 0.02)  // a later folder time would show if one were not set back

        let resetter = Self.quarantining(setup)
        let outcome = try resetter.run(try resetter.preflight())
        #expect(outcome.journal.phase == .done)
        #expect(outcome.purgeComplete)
        #expect(outcome.journal.purge == nil, "nothing deleted")
        let path = try #require(outcome.journal.quarantinePath)
        #expect(path.hasPrefix(setup.install.softwareDistribution! + "/wuscrub-quarantine-"))
        let after = TreeSnapshot(setup.root)
        for folder in folders { #expect(after.under(folder) == [folder: "dir"], "\(folder) emptied, kept") }
        // What left the folders is in the quarantine, byte for byte.
        let moved = try Self.quarantined(setup, outcome.journal)
        var expected = setup.before.under(folders[0]).merging(setup.before.under(folders[1])) { a, _ in a }
        for folder in folders { expected.removeValue(forKey: folder) }
        #expect(moved.filter { !folders.contains($0.key) } == expected)
        let held = try #require(outcome.quarantineHeld)
        #expect(held.removals == expected.count)
        let sizes = expected.values.compactMap { $0.hasPrefix("file ") ? UInt64($0.split(separator: " ")[1]) : nil }
        #expect(held.bytes == sizes.reduce(0, +))
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)

        let back = try setup.resetter().rollback()
        #expect(back.journal.phase == .rolledBack)
        #expect(back.putBackComplete)
        #expect(back.hiveUntouched == true)
        let restored = Self.distribution(setup)
        #expect(restored == original, "\(restored.difference(from: original))")
        #expect(throws: WUScrubError.self, "nothing left to roll back") { _ = try setup.resetter().journalToRollBack() }
    }

    @Test("rollback never replaces an entry that exists again: it stays quarantined until the name is free")
    func putBackNeverReplaces() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let resetter = Self.quarantining(setup)
        let outcome = try resetter.run(try resetter.preflight())
        let dataStore = setup.install.path(try #require(setup.install.dataStore))
        // Windows ran after the reset and made a new database.
        let newer = Data("new database".utf8)
        try newer.write(to: URL(fileURLWithPath: dataStore + "/DataStore.edb"))

        let partial = try setup.resetter().rollback()
        #expect(!partial.putBackComplete)
        let failure = try #require(partial.journal.putBack?.flatMap(\.failures).first)
        #expect(failure.path.hasSuffix("DataStore/DataStore.edb") && failure.errno == EEXIST, "\(failure)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dataStore + "/DataStore.edb")) == newer, "never replaced")
        let quarantine = setup.install.path(try #require(outcome.journal.quarantinePath))
        #expect(FileManager.default.fileExists(atPath: quarantine + "/DataStore/DataStore.edb"), "the old one is kept")

        // Once the name is free, rollback moves the rest and removes the quarantine.
        try FileManager.default.removeItem(atPath: dataStore + "/DataStore.edb")
        let done = try setup.resetter().rollback()
        #expect(done.putBackComplete)
        #expect(!FileManager.default.fileExists(atPath: quarantine))
        #expect(TreeSnapshot(setup.root).under(setup.install.dataStore!) == setup.before.under(setup.install.dataStore!))
    }

    @Test("a crash at any point of a quarantine run: resume ends as an uninterrupted run, rollback as before the run",
          arguments: Resetter.Checkpoint.all.filter { $0 != .beforeRecoveredHiveRename })  // a clean hive: no recovery
    func crashThenResumeOrRollBack(_ point: Resetter.Checkpoint) throws {
        for action in ["resume", "rollback"] {
            let setup = try Setup("win10")
            defer { setup.scratch.remove() }
            let original = Self.distribution(setup)
            let resetter = Self.quarantining(setup, crashingAt: point)
            let plan = try resetter.preflight()
            #expect(throws: WUScrubError.checkpoint(point)) { _ = try resetter.run(plan) }
            let journal = try #require(try JournalStore(install: setup.install).load())
            #expect(journal.quarantinePath != nil, "a resumed run must move, not delete: the journal says so from its start")
            if action == "resume" {
                // After the journal says done there is nothing to resume: the run is over.
                let final = journal.phase.isClosed ? journal : try setup.resetter().resume().journal
                #expect(final.phase == .done, "after \(point)")
                #expect(final.purge == nil)
                #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
                #expect(try setup.starts() == setup.originalStarts)
                let moved = try Self.quarantined(setup, final)
                let after = TreeSnapshot(setup.root)
                for folder in [setup.install.dataStore!, setup.install.download!] {
                    #expect(after.under(folder) == [folder: "dir"], "\(folder) emptied after \(point)")
                    for (key, value) in setup.before.under(folder) where key != folder {
                        #expect(moved[key] == value, "\(key) in the quarantine after \(point)")
                    }
                }
            } else {
                _ = try setup.resetter().rollback()
                #expect(try setup.starts() == setup.originalStarts)
                #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
                let restored = Self.distribution(setup)
                #expect(restored == original, "after \(point): \(restored.difference(from: original))")
                #expect(restored.entries.count == original.entries.count)
            }
        }
    }

    @Test("a crash while putting back: rollback or resume finishes it")
    func crashWhilePuttingBack() throws {
        for action in ["resume", "rollback"] {
            let setup = try Setup("win10")
            defer { setup.scratch.remove() }
            let original = Self.distribution(setup)
            let resetter = Self.quarantining(setup)
            _ = try resetter.run(try resetter.preflight())
            for point in [Resetter.Checkpoint.phaseStarted(.putBack), .midPutBack] {
                #expect(throws: WUScrubError.checkpoint(point)) { _ = try setup.resetter(crashingAt: point).rollback() }
                let journal = try #require(try JournalStore(install: setup.install).load())
                #expect(journal.phase == .putBack)
            }
            let outcome = action == "resume" ? try setup.resetter().resume() : try setup.resetter().rollback()
            #expect(outcome.journal.phase == .rolledBack)
            let restored = Self.distribution(setup)
            #expect(restored == original, "\(action): \(restored.difference(from: original))")
        }
    }

    @Test("a stop requested during the move closes the run as interrupted; rollback puts back what moved")
    func stopDuringTheMove() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let original = Self.distribution(setup)
        let stop = Flag()
        var resetter = Self.quarantining(setup)
        resetter.checkpoint = { point in if point == .midPurge { stop.set() } }
        resetter.stopRequested = { stop.isSet ? SIGTERM : nil }
        let outcome = try resetter.run(try resetter.preflight())
        #expect(outcome.journal.phase == .interrupted)
        #expect(outcome.interruptedBy == SIGTERM)
        #expect(outcome.journal.quarantine?.reduce(0) { $0 + $1.removals } == 1, "stopped after the first entry")
        #expect(try setup.starts() == setup.originalStarts)

        _ = try setup.resetter().rollback()
        let restored = Self.distribution(setup)
        #expect(restored == original, "\(restored.difference(from: original))")
    }

    @Test("quarantine list and purge: oldest first, sizes, --keep, names that only look like a quarantine left alone")
    func listAndPurge() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let base = setup.install.path(setup.install.softwareDistribution!)
        let first = Self.quarantining(setup)
        let one = try first.run(try first.preflight())
        try Data("x".utf8).write(to: URL(fileURLWithPath: base + "/DataStore/later.edb"))
        Thread.sleep(forTimeInterval: 1.1)  // the folder names carry the start time in seconds
        let two = try first.run(try first.preflight())
        let victim = setup.scratch.sub("victim")
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: victim + "/precious"))
        try FileManager.default.createSymbolicLink(atPath: base + "/wuscrub-quarantine-20200101T000000Z-deadbeef", withDestinationPath: victim)

        let listing = try setup.resetter().quarantineFolders()
        #expect(listing.folders.map(\.path) == [one.journal.quarantinePath!, two.journal.quarantinePath!])
        #expect(listing.folders.map(\.canRollBack) == [false, true])
        #expect(listing.folders[1].contents?.removals == 1 && listing.folders[1].contents?.bytes == 1)
        #expect(listing.leftAlone.count == 1 && listing.leftAlone[0].contains("symbolic link"), "\(listing.leftAlone)")

        let dry = try setup.resetter().purgeQuarantines(keeping: 1, dryRun: true)
        #expect(dry.purged?.map(\.folder) == [one.journal.quarantinePath!])
        #expect(FileManager.default.fileExists(atPath: setup.install.path(one.journal.quarantinePath!)), "dry run deletes nothing")

        let done = try setup.resetter().purgeQuarantines(keeping: 1, dryRun: false)
        #expect(done.purged?.allSatisfy(\.isComplete) == true)
        #expect(done.folders.map(\.path) == [two.journal.quarantinePath!])
        #expect(!FileManager.default.fileExists(atPath: setup.install.path(one.journal.quarantinePath!)))
        #expect(try String(contentsOfFile: victim + "/precious", encoding: .utf8) == "keep", "a link is never followed")
        // The last run can still be rolled back.
        #expect(try setup.resetter().rollback().putBackComplete)
        #expect(FileManager.default.fileExists(atPath: base + "/DataStore/later.edb"))
    }

    @Test("put back: one folder per name whatever its case in the quarantine; a folder gone since the run is made again")
    func putBackNames() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let resetter = Self.quarantining(setup)
        let outcome = try resetter.run(try resetter.preflight())
        let quarantine = setup.install.path(try #require(outcome.journal.quarantinePath))
        let base = setup.install.path(setup.install.softwareDistribution!)
        // A second DataStore in another case, planted in the quarantine; DataStore itself removed.
        try FileManager.default.createDirectory(atPath: quarantine + "/DATASTORE", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: quarantine + "/DATASTORE/x"))
        try FileManager.default.removeItem(atPath: base + "/DataStore")

        let back = try setup.resetter().rollback()
        let names = try FileManager.default.contentsOfDirectory(atPath: base)
        #expect(names.filter { $0.lowercased() == "datastore" } == ["DataStore"], "one folder, the run's name: \(names)")
        #expect(TreeSnapshot(setup.root).under(setup.install.dataStore!) == setup.before.under(setup.install.dataStore!))
        #expect(FileManager.default.fileExists(atPath: quarantine + "/DATASTORE/x"), "the planted folder is left alone")
        #expect(back.journal.phase == .rolledBack)
        _ = try WindowsInstall.locate(root: setup.root)  // no two names differing only by case
    }

    @Test("quarantine purge --keep keeps the last run's quarantine before a planted later name")
    func keepPrefersTheLastRun() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let resetter = Self.quarantining(setup)
        let outcome = try resetter.run(try resetter.preflight())
        let planted = setup.install.softwareDistribution! + "/wuscrub-quarantine-99991231T000000Z-deadbeef"
        try FileManager.default.createDirectory(atPath: setup.install.path(planted), withIntermediateDirectories: true)
        let done = try setup.resetter().purgeQuarantines(keeping: 1, dryRun: false)
        #expect(done.kept == [outcome.journal.quarantinePath!])
        #expect(done.purged?.map(\.folder) == [planted])
        #expect(try setup.resetter().rollback().putBackComplete)
    }

    @Test("the quarantine's name: one exact pattern, ordered by time")
    func names() throws {
        let name = QuarantineName(startedAt: Date(timeIntervalSince1970: 1_795_962_063), runID: "3123dbcb-0000-4000-8000-000000000000")
        #expect(name.name == "wuscrub-quarantine-20261129T142103Z-3123dbcb")
        #expect(QuarantineName(parsing: name.name) == name)
        for bad in ["wuscrub-quarantine-20261130T002103Z-3123DBCB", "wuscrub-quarantine-20261130T002103Z-3123dbc",
                    "wuscrub-quarantine-2026113XT002103Z-3123dbcb", "wuscrub-quarantine-20261130T002103Z-3123dbcb/",
                    "wuscrub-quarantine-20261130T002103Z-../../x", "xwuscrub-quarantine-20261130T002103Z-3123dbcb", ""] {
            #expect(QuarantineName(parsing: bad) == nil, "\(bad)")
        }
        #expect(QuarantineName(parsing: "wuscrub-quarantine-20250101T000000Z-ffffffff")! < name)
    }

    @Test("a journal's quarantine fields are checked: another folder, a version 1 journal, results out of phase")
    func forgedQuarantineFields() throws {
        let setup = try Setup("win10")
        defer { setup.scratch.remove() }
        let resetter = Self.quarantining(setup)
        let outcome = try resetter.run(try resetter.preflight())
        let store = JournalStore(install: setup.install)
        let path = setup.install.path(store.journalPath)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let forgeries: [(String, (inout [String: Any]) -> Void)] = [
            ("another folder", { $0["quarantinePath"] = "Windows/System32" }),
            ("a path out of the volume", { $0["quarantinePath"] = "Windows/SoftwareDistribution/../../../etc" }),
            ("another run's quarantine", { $0["quarantinePath"] = setup.install.softwareDistribution! + "/wuscrub-quarantine-20200101T000000Z-deadbeef" }),
            ("a version 1 journal", { $0["schemaVersion"] = 1 }),
            ("put-back results in a finished run", { $0["putBack"] = $0["quarantine"] }),
            ("a folder time of another folder", { $0["folderTimes"] = [["path": "Windows/System32", "modified": 0]] }),
            ("both a purge and a quarantine", { $0["purge"] = $0["quarantine"] }),
            ("a report for another folder, with control characters", {
                var reports = $0["quarantine"] as? [[String: Any]] ?? []
                reports[0]["folder"] = "\u{1b}]0;PWNED\u{07}\u{1b}[2J"
                $0["quarantine"] = reports
            }),
        ]
        for (what, forge) in forgeries {
            var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
            forge(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
            #expect(throws: WUScrubError.self, "\(what)") { _ = try store.load() }
            let before = Self.distribution(setup)
            #expect(throws: WUScrubError.self, "rollback refuses \(what)") { _ = try setup.resetter().rollback() }
            #expect(Self.distribution(setup) == before, "\(what): nothing moved")
        }
        try good.write(to: URL(fileURLWithPath: path))
        #expect(try store.load() == outcome.journal)
    }
}

/// A flag set from a checkpoint and read by `stopRequested`.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
