import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// `wuscrub updates` end to end (docs/architecture.md §15): the fixture installs' servicing
/// packages and legacy keys, the filters, JSON, the pending-servicing warnings, a dirty SOFTWARE
/// hive read through its logs with nothing on the volume changed, and hostile SOFTWARE hives.
@Suite("wuscrub updates", .serialized, .enabled(if: Wuscrub.binaryExists, "needs the built wuscrub binary"))
struct UpdatesCommandTests {
    static let packages = "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages"

    /// The text line of one KB.
    static func line(_ run: Run, _ kb: String) -> String? {
        run.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("  \(kb) ") }
    }

    @Test func win10PackagesAreListedOnePerKBWithStateAndTimeChangingNothing() throws {
        let scratch = try Scratch("updates-win10")
        defer { scratch.remove() }
        let install = try Installation("win10", in: scratch)
        let before = install.snapshot()
        let run = try Wuscrub.run("updates", install.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(run.stdout.contains("SOFTWARE hive: Windows/System32/config/SOFTWARE (clean)"), "\(run)")
        #expect(run.stdout.contains("Installed updates: 10 (15 servicing packages, 2 of them no update)"), "\(run)")
        let expected = [
            ("KB5034441", "failed", "2024-01-10 04:05 UTC", "update 19041.3920.1.1"),
            ("KB5032189", "install-pending", "2023-11-15 02:48 UTC", "update 19041.3693.1.5"),
            ("KB5031005", "installed", "2023-10-11 03:30 UTC", "dotnet-rollup 10.0.9186.1"),
            ("KB5031356", "installed", "2023-10-11 03:14 UTC", "rollup 19041.3570.1.9"),
            ("KB5030211", "superseded", "2023-09-13 02:11 UTC", "rollup 19041.3448.1.7"),
            ("KB5005565", "superseded", "2021-09-15 18:40 UTC", "update 19041.1237.1.7"),
            ("KB5027538", "staged", "-", "update 19041.3155.1.2"),
        ]
        for (kb, state, time, kind) in expected {
            let line = try #require(Self.line(run, kb), "\(kb) listed:\n\(run)")
            let words = line.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            #expect(words == "\(kb) \(state) \(time) \(kind)", "\(line)")
        }
        // The servicing stack names no KB: listed by its package name.
        #expect(run.stdout.contains("  ServicingStack_3562 "), "\(run)")
        // Newest first.
        let order = expected.prefix(6).compactMap { kb in run.stdout.range(of: "  \(kb.0) ")?.lowerBound }
        #expect(order == order.sorted())
        #expect(run.stdout.contains("Warning: Component Based Servicing\\RebootPending is present"), "\(run)")
        #expect(run.stdout.contains("Warning: a reset does not clear a pending servicing operation"), "\(run)")
        #expect(install.snapshot() == before, "updates writes nothing")
    }

    @Test func filtersKeepTheAskedStatesAndKBs() throws {
        let scratch = try Scratch("updates-filters")
        defer { scratch.remove() }
        let install = try Installation("win10", in: scratch)
        let pending = try Wuscrub.run("updates", install.root, "--state", "install-pending")
        #expect(pending.status == 0, "\(pending)")
        #expect(Self.line(pending, "KB5032189") != nil && Self.line(pending, "KB5031356") == nil, "\(pending)")
        #expect(pending.stdout.contains("Installed updates: 1 of 10"), "\(pending)")
        let two = try Wuscrub.run("updates", install.root, "--state", "superseded", "--state", "failed")
        #expect(["KB5030211", "KB5005565", "KB5034441"].allSatisfy { Self.line(two, $0) != nil } && Self.line(two, "KB5031356") == nil, "\(two)")
        let kb = try Wuscrub.run("updates", install.root, "--kb", "5005565", "--kb", "kb5031356")
        #expect(Self.line(kb, "KB5005565") != nil && Self.line(kb, "KB5031356") != nil && Self.line(kb, "KB5030211") == nil, "\(kb)")
        let none = try Wuscrub.run("updates", install.root, "--kb", "KB1234567")
        #expect(none.status == 0 && none.stdout.contains("none matches the filters"), "\(none)")
        let badState = try Wuscrub.run("updates", install.root, "--state", "done")
        #expect(badState.status == Exit.usage.rawValue && badState.stderr.contains("install-pending"), "\(badState)")
        let badKB = try Wuscrub.run("updates", install.root, "--kb", "KB12x")
        #expect(badKB.status == Exit.usage.rawValue && badKB.stderr.contains("KB5005565"), "\(badKB)")
    }

    @Test func jsonDocumentHoldsEachUpdateWithItsPackages() throws {
        let scratch = try Scratch("updates-json")
        defer { scratch.remove() }
        let install = try Installation("win10", in: scratch)
        let run = try Wuscrub.run("updates", install.root, "--json", "--kb", "KB5031356")
        #expect(run.status == 0, "\(run)")
        let document = try run.document()
        #expect(document["command"].string == "updates" && document["outcome"].string == "success")
        let report = document["updates"]
        #expect(report["softwareHive"].string == "Windows/System32/config/SOFTWARE")
        #expect(report["hiveState"].string == "clean")
        #expect(report["totalUpdates"].int == 10 && report["packageCount"].int == 15 && report["otherPackages"].int == 2)
        #expect(report["kbFilter"][0].string == "KB5031356")
        #expect(report["pending"].array?.count == 1)
        let update = report["updates"][0]
        #expect(update["kb"].string == "KB5031356" && update["kind"].string == "rollup")
        #expect(update["state"].string == "installed" && update["stateCode"].int == 0x70)
        #expect(update["installedAt"].string == "2023-10-11T03:14:15Z")
        #expect(update["sources"][0].string == "cbs")
        let names = (update["packages"].array ?? []).compactMap { $0["name"].string }
        #expect(Set(names) == ["Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3570.1.9",
                               "Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9"])
    }

    @Test func windowsXPLegacyKeysAreListedWithoutAnyWarning() throws {
        let scratch = try Scratch("updates-xp")
        defer { scratch.remove() }
        let install = try Installation("winxp", in: scratch)
        let run = try Wuscrub.run("updates", install.root, "--json")
        #expect(run.status == 0, "\(run)")
        let report = try run.document()["updates"]
        #expect(report["softwareHive"].string == "WINDOWS/system32/config/software")
        let updates = report["updates"].array ?? []
        #expect(updates.compactMap { $0["kb"].string } == ["KB2347290", "KB954154", "KB958644"], "KB896423 has Installed=0")
        let xp = try #require(updates.first { $0["kb"].string == "KB958644" })
        #expect(xp["sources"].array?.compactMap(\.string) == ["hotfix", "uninstall", "updates"])
        #expect(xp["installedAt"].string == "2008-10-24" && xp["state"].string == "installed" && xp["kind"].string == "hotfix")
        #expect(xp["summary"].string == "Security Update for Windows XP (KB958644)")
        #expect(report["pending"].array?.isEmpty == true)
        let text = try Wuscrub.run("updates", install.root)
        #expect(!text.stdout.contains("Warning:"), "\(text)")
    }

    @Test func pendingFileRenamesInTheSystemHiveAreAWarning() throws {
        let scratch = try Scratch("updates-renames")
        defer { scratch.remove() }
        let spec = """
            dword Select\\Current 2
            dword ControlSet002\\Services\\wuauserv\\Start 3
            multi "ControlSet002\\Control\\Session Manager\\PendingFileRenameOperations" \\??\\C:\\Windows\\a.tmp||\\??\\C:\\Windows\\b.dll|\\??\\C:\\Windows\\c.dll
            dword "ControlSet001\\Control\\Session Manager\\Unrelated" 1
            software System32/config/SOFTWARE
            dword "\(Self.packages)\\Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9\\CurrentState" 112
            """
        let install = try Installation(text: spec, in: scratch)
        let run = try Wuscrub.run("updates", install.root)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("Warning: PendingFileRenameOperations in ControlSet002\\Control\\Session Manager (SYSTEM hive) is set"), "\(run)")
        #expect(run.stdout.contains("Warning: a reset does not clear a pending servicing operation"), "\(run)")
        #expect(!run.stdout.contains("RebootPending"), "\(run)")
        // Without the value (and in another control set only): no warning.
        let quietScratch = try Scratch("updates-renames-quiet")
        defer { quietScratch.remove() }
        let quiet = try Installation(text: spec.replacingOccurrences(of: "ControlSet002\\Control", with: "ControlSet001\\Control"),
                                     in: quietScratch)
        let other = try Wuscrub.run("updates", quiet.root)
        #expect(other.status == 0 && !other.stdout.contains("Warning:"), "\(other)")
    }

    @Test func dirtySoftwareHiveIsReadThroughItsLogsWithNothingOnTheVolumeChanged() throws {
        let scratch = try Scratch("updates-dirty")
        defer { scratch.remove() }
        let install = try Installation("win10", in: scratch)
        let software = install.path("Windows/System32/config/SOFTWARE")
        let before = try FileIO.read(software)
        // The change the log holds: one more package, installed.
        let copy = scratch.sub("after")
        try FileIO.createDurably(before, at: copy)
        let added = "Package_for_KB5099999~31bf3856ad364e35~amd64~~19041.9999.1.1"
        try HiveEditor.rewrite(copy, edit: { hive in
            let packages = try #require(try hive.node(at: Self.packages))
            let node = try hive.addChild(named: added, to: packages)
            try hive.setValue(.dword(0x70), named: "CurrentState", in: node, keyPath: added)
        }, verify: { _ in })
        let after = try FileIO.read(copy)
        let sequence = UInt32(before[8]) | UInt32(before[9]) << 8 | UInt32(before[10]) << 16 | UInt32(before[11]) << 24
        var log = TransactionLogWriter(newFormatFor: before, startingAt: sequence)
        log.append(from: before, to: after)
        try FileManager.default.removeItem(atPath: software)
        try FileIO.createDurably(TransactionLogWriter.dirtyPrimary(before, primarySequence: sequence + 1, secondarySequence: sequence), at: software)
        try FileIO.createDurably(log.bytes(), at: software + ".LOG1")
        let snapshot = install.snapshot()

        let run = try Wuscrub.run("updates", install.root, "--json")
        #expect(run.status == 0, "\(run)")
        let report = try run.document()["updates"]
        #expect(report["hiveState"].string?.hasPrefix("dirty-recoverable") == true, "\(run)")
        #expect((report["updates"].array ?? []).contains { $0["kb"].string == "KB5099999" }, "the package only the log holds is listed")
        #expect(report["totalUpdates"].int == 11)
        #expect(install.snapshot() == snapshot, "the dirty hive and its log are left as they were")

        // Without the log the change is not there: the hive is read as the file holds it, with a note.
        try FileManager.default.removeItem(atPath: software + ".LOG1")
        let refused = try Wuscrub.run("updates", install.root)
        #expect(refused.status == 0 && Self.line(refused, "KB5099999") == nil, "\(refused)")
        #expect(refused.stdout.contains("dirty-refused") && refused.stdout.contains("cannot be replayed"), "\(refused)")
    }

    @Test func hostileSoftwareHivesFailCleanlyNamingTheHive() throws {
        let scratch = try Scratch("updates-hostile")
        defer { scratch.remove() }
        let install = try Installation("win10", in: scratch)
        let software = install.path("Windows/System32/config/SOFTWARE")
        let good = try FileIO.read(software)
        func replace(_ bytes: [UInt8]) throws {
            try FileManager.default.removeItem(atPath: software)
            try FileIO.createDurably(bytes, at: software)
        }

        // Garbage after a valid-looking start: not a hive.
        try replace(Array("regf".utf8) + FixtureSpec.pattern(count: 70_000, seed: "garbage"))
        var snapshot = install.snapshot()
        let garbage = try Wuscrub.run("updates", install.root)
        #expect(garbage.status == Exit.hiveError.rawValue, "\(garbage)")
        #expect(garbage.stderr.contains("Windows/System32/config/SOFTWARE"), "\(garbage)")
        #expect(install.snapshot() == snapshot)

        // A million subkeys under Packages (a few MB): refused by the child in bounded time.
        try replace(try CraftedHives.manySubkeys(in: good, keyName: "Packages"))
        snapshot = install.snapshot()
        let started = Date()
        let many = try Wuscrub.run("updates", install.root)
        #expect(Date().timeIntervalSince(started) < 30, "\(many)")
        #expect(many.status == Exit.hiveError.rawValue, "\(many)")
        #expect(many.stderr.contains("Windows/System32/config/SOFTWARE") && many.stderr.contains("subkeys"), "\(many)")
        #expect(install.snapshot() == snapshot)

        // Larger than any hive wuscrub reads (sparse: nothing is written to disk).
        try replace(good)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: software))
        try handle.truncate(atOffset: UInt64(HiveRecovery.maximumReadSize) + 4096)
        try handle.close()
        let huge = try Wuscrub.run("updates", install.root)
        #expect(huge.status == Exit.ioError.rawValue, "\(huge)")
        #expect(huge.stderr.contains("SOFTWARE") && huge.stderr.contains("too large"), "\(huge)")

        // No SOFTWARE hive at all: the message says where wuscrub looked.
        try FileManager.default.removeItem(atPath: software)
        let missing = try Wuscrub.run("updates", install.root)
        #expect(missing.status == Exit.ioError.rawValue && missing.stderr.contains("find the SOFTWARE hive"), "\(missing)")
    }
}
