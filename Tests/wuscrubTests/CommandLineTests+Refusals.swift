import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// A SYSTEM hive that lacks what wuscrub needs, described as an inline fixture spec.
struct BrokenHive: Sendable, CustomTestStringConvertible {
    var label: String
    var spec: String
    /// Text the error message must contain.
    var mentions: [String]

    var testDescription: String { label }

    /// Files in the purge folders, so that "nothing changed" is a real check.
    static let files = """
        file SoftwareDistribution/DataStore/DataStore.edb 4096
        file SoftwareDistribution/Download/ab12/update.cab 5000
        file SoftwareDistribution/ReportingEvents.log 100
        """

    static let all: [BrokenHive] = [
        BrokenHive(label: "no Services\\wuauserv key", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\BITS\Start 3
            """#, mentions: [#"ControlSet001\Services\wuauserv"#]),
        BrokenHive(label: "no Select key", spec: #"""
            dword ControlSet001\Services\wuauserv\Start 3
            """#, mentions: ["'Select'"]),
        BrokenHive(label: "Select\\Current names a control set that does not exist", spec: #"""
            dword Select\Current 5
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            """#, mentions: ["ControlSet005", #"Select\Current"#]),
        BrokenHive(label: "Select\\Default names a control set that does not exist", spec: #"""
            dword Select\Current 1
            dword Select\Default 2
            dword ControlSet001\Services\wuauserv\Start 3
            """#, mentions: ["ControlSet002", #"Select\Default"#]),
        BrokenHive(label: "Select\\Current out of range (1000 and 0)", spec: #"""
            dword Select\Current 1000
            dword Select\Default 0
            dword ControlSet001\Services\wuauserv\Start 3
            """#, mentions: [#"Select\Current"#]),
        BrokenHive(label: "wuauserv in one of the two chosen control sets only", spec: #"""
            dword Select\Current 1
            dword Select\Default 2
            dword ControlSet001\Services\wuauserv\Start 3
            dword ControlSet002\Services\BITS\Start 3
            """#, mentions: [#"ControlSet002\Services\wuauserv"#]),
        BrokenHive(label: "Start is REG_SZ", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            sz ControlSet001\Services\wuauserv\Start 3
            """#, mentions: ["REG_SZ", "Start"]),
        BrokenHive(label: "Start is REG_QWORD", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            qword ControlSet001\Services\wuauserv\Start 3
            """#, mentions: ["REG_QWORD", "Start"]),
        BrokenHive(label: "no Start value", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Type 32
            """#, mentions: ["'Start'"]),
        BrokenHive(label: "a 20000-byte value on the wuauserv key", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            binary ControlSet001\Services\wuauserv\Big 20000
            """#, mentions: ["16,344", "'Big'", "20000"]),
    ]
}

// MARK: - Not a Windows installation

extension CommandLineTests {
    @Test("an empty directory is not a Windows installation: exit 2, naming what was looked for",
          arguments: ["reset", "status"])
    func notWindows(_ subcommand: String) throws {
        let scratch = try Scratch("e2e-not-windows")
        defer { scratch.remove() }
        let empty = scratch.sub("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)

        let run = try Wuscrub.run(subcommand == "reset" ? ["reset", "--yes", empty] : [subcommand, empty])
        #expect(run.status == Exit.notWindows.rawValue, "\(run)")
        #expect(run.stderr.contains("System32/config/SYSTEM"), "the message should say what was looked for: \(run.stderr)")
        #expect(run.stderr.contains("Windows"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "nothing may be created")
    }

    @Test("a root that does not exist, or is a file, exits 2")
    func unusableRoot() throws {
        let scratch = try Scratch("e2e-no-root")
        defer { scratch.remove() }
        let missing = scratch.sub("does-not-exist")
        let run = try Wuscrub.run("reset", "--yes", missing)
        #expect(run.status == Exit.notWindows.rawValue, "\(run)")
        #expect(run.stderr.contains(missing), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))

        let file = scratch.sub("a-file")
        try Data("not a partition".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = try Wuscrub.run("reset", "--yes", file)
        #expect(onFile.status == Exit.notWindows.rawValue, "\(onFile)")
    }
}

// MARK: - Dirty hives

extension CommandLineTests {
    @Test("a dirty hive (primary sequence = secondary + 1) is refused with exit 4, nothing changed")
    func dirtyHive() throws {
        let scratch = try Scratch("e2e-dirty")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try HiveSurgery.makeDirty(tree.path(tree.hive))
        let dirtyBytes = try tree.hiveSHA256()
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.dirtyHive.rawValue, "\(run)")
        #expect(run.stderr.contains("dirty"), "\(run.stderr)")
        #expect(run.stderr.contains("sequence"), "\(run.stderr)")
        #expect(tree.snapshot() == before, "a refused reset must change nothing")
        #expect(try tree.hiveSHA256() == dirtyBytes)

        let dryRun = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(dryRun.status == Exit.dirtyHive.rawValue, "\(dryRun)")

        let status = try Wuscrub.run("status", "--json", tree.root)
        #expect(status.status == Exit.success.rawValue, "status reports a dirty hive, it does not fail: \(status)")
        #expect(try status.document()["status"]["hive"]["state"].string == "dirty")
        #expect(tree.snapshot() == before)
    }

    @Test("a hive with a wrong base-block checksum is refused with exit 4, nothing changed")
    func wrongChecksum() throws {
        let scratch = try Scratch("e2e-checksum")
        defer { scratch.remove() }
        let tree = try Installation("winxp", in: scratch)
        try HiveSurgery.breakChecksum(tree.path(tree.hive))
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.dirtyHive.rawValue, "\(run)")
        #expect(run.stderr.contains("checksum"), "\(run.stderr)")
        #expect(tree.snapshot() == before)
    }
}

// MARK: - Invalid hives

extension CommandLineTests {
    @Test("a hive truncated to 8192 bytes is refused with exit 5 and left as it is")
    func truncatedHive() throws {
        let scratch = try Scratch("e2e-truncated")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try #require(FileIO.size(of: tree.path(tree.hive)).map { $0 > 8192 } == true, "the fixture hive must be bigger than the cut")
        try HiveSurgery.truncate(tree.path(tree.hive), to: 8192)
        let truncated = try tree.hiveSHA256()
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.hiveError.rawValue, "\(run)")
        #expect(run.stderr.contains("truncated"), "\(run.stderr)")
        #expect(try tree.hiveSHA256() == truncated)
        #expect(FileIO.size(of: tree.path(tree.hive)) == 8192)
        #expect(tree.snapshot() == before)
    }

    @Test("a hive that lacks what wuscrub needs is refused with exit 5, nothing changed", arguments: BrokenHive.all)
    func brokenHive(_ broken: BrokenHive) throws {
        let scratch = try Scratch("e2e-broken-hive")
        defer { scratch.remove() }
        let tree = try Installation(text: broken.spec + "\n" + BrokenHive.files, in: scratch)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.hiveError.rawValue, "\(run)")
        for text in broken.mentions {
            #expect(run.stderr.contains(text), "the message should mention \(text): \(run.stderr)")
        }
        #expect(tree.snapshot() == before, "a refused reset must change nothing")
    }

    @Test("a folder wuscrub cannot write in (statvfs says writable) is refused by the write probe: exit 3, nothing changed",
          .enabled(if: Probe.immutableFiles, "needs root, chattr and an ext4/xfs temporary directory to make a folder refuse writes"))
    func writeProbeRefusesAnUnwritableFolder() throws {
        let scratch = try Scratch("e2e-write-probe")
        let tree = try Installation("win10", in: scratch)
        let logs = tree.path(tree.windows + "/Logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try Shell.run("/usr/bin/chattr", ["+i", logs])
        defer {
            _ = try? Shell.run("/usr/bin/chattr", ["-i", logs])
            scratch.remove()
        }
        let before = tree.snapshot()
        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("read-only"), "\(run.stderr)")
        #expect(tree.snapshot() == before)
    }

    @Test("status still reports Fast Startup (HiberbootEnabled) when Start cannot be used")
    func statusShowsHiberbootDespiteABadStart() throws {
        let scratch = try Scratch("e2e-hiberboot")
        defer { scratch.remove() }
        let tree = try Installation(text: #"""
            dword Select\Current 1
            dword Select\Default 1
            sz ControlSet001\Services\wuauserv\Start 3
            dword "ControlSet001\Control\Session Manager\Power\HiberbootEnabled" 1
            """# + "\n" + BrokenHive.files, in: scratch)
        let run = try Wuscrub.run("status", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let status = try run.document()["status"]
        #expect(status["hiberbootEnabled"].int == 1, "\(run.stdout)")
        #expect(status["startsError"].string?.contains("Start") == true, "\(run.stdout)")
    }

    @Test("a value of exactly 16,344 bytes on the wuauserv key is accepted")
    func largestSingleCellValue() throws {
        let scratch = try Scratch("e2e-16344")
        defer { scratch.remove() }
        let tree = try Installation(text: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            binary ControlSet001\Services\wuauserv\Big 16344
            """# + "\n" + BrokenHive.files, in: scratch)
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try tree.hiveSHA256() == originalHive)
        #expect(try tree.readJournal()["phase"].string == "done")
    }
}

// MARK: - Names that differ only by case

extension CommandLineTests {
    @Test("both 'Windows' and 'windows' holding a SYSTEM hive: exit 3 naming both, nothing changed")
    func ambiguousWindowsFolder() throws {
        let scratch = try Scratch("e2e-case-windows")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let twin = tree.path("windows/System32/config")
        try FileManager.default.createDirectory(atPath: twin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tree.path(tree.hive), toPath: twin + "/SYSTEM")
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("'Windows'") && run.stderr.contains("'windows'"), "both names: \(run.stderr)")
        #expect(tree.snapshot() == before)
    }

    @Test("both 'Download' and 'download': exit 3 naming both, nothing changed")
    func ambiguousDownloadFolder() throws {
        let scratch = try Scratch("e2e-case-download")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try tree.addFile(tree.windows + "/SoftwareDistribution/download/stray.cab", size: 100)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("SoftwareDistribution/Download'") && run.stderr.contains("SoftwareDistribution/download'"),
                "both names: \(run.stderr)")
        #expect(tree.snapshot() == before)
    }

    /// The state folder `<Windows>/Logs/wuscrub` is resolved without regard to case like every other path.
    @Test("an existing 'LOGS' folder is used, not doubled by a new 'Logs' beside it")
    func existingLogsFolderInAnotherCase() throws {
        let scratch = try Scratch("e2e-case-logs")
        defer { scratch.remove() }
        let tree = try Installation("winxp", in: scratch)
        try tree.addFile(tree.windows + "/LOGS/setup.log", size: 64)
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        let names = try FileManager.default.contentsOfDirectory(atPath: tree.path(tree.windows))
        #expect(Set(names.map { $0.lowercased() }).count == names.count,
                "wuscrub must not create names that differ only by case: \(names.sorted())")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(FileManager.default.fileExists(atPath: tree.path(tree.windows + "/LOGS/wuscrub/journal.json")))
        #expect(try tree.hiveSHA256() == originalHive)
    }

    @Test("XP casing (WINDOWS/system32/config/system) is found and reset")
    func xpCasing() throws {
        let scratch = try Scratch("e2e-xp")
        defer { scratch.remove() }
        let tree = try Installation("winxp", in: scratch)
        try #require(tree.windows == "WINDOWS" && tree.hive == "WINDOWS/system32/config/system")
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let install = try run.document()["install"]
        #expect(install["windows"].string == "WINDOWS")
        #expect(install["systemHive"].string == "WINDOWS/system32/config/system")
        #expect(install["download"].string == tree.download)
        #expect(FileManager.default.fileExists(atPath: tree.path("WINDOWS/Logs/wuscrub/journal.json")))
        #expect(!FileManager.default.fileExists(atPath: tree.path("Windows")), "no second Windows folder may appear")
        #expect(try tree.hiveSHA256() == originalHive)
    }
}

// MARK: - Links on the way

extension CommandLineTests {
    @Test("a symlinked folder or hive on the way is refused with exit 3, its target untouched",
          arguments: ["SoftwareDistribution/Download", "SoftwareDistribution/DataStore", "SoftwareDistribution", "System32/config/SYSTEM"])
    func symlinkedComponent(_ component: String) throws {
        let scratch = try Scratch("e2e-linked-folder")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let outside = scratch.sub("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let target = outside + "/" + (component.split(separator: "/").last.map(String.init) ?? component)
        try FileManager.default.moveItem(atPath: tree.path(tree.windows + "/" + component), toPath: target)
        try tree.symlink(tree.windows + "/" + component, to: target)
        let outsideBefore = TreeSnapshot(outside)
        let before = tree.snapshot()
        try #require(outsideBefore.entries.count > 1, "the link's target must hold something")

        for arguments in [["reset", "--yes", tree.root], ["reset", "--dry-run", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
            #expect(run.stderr.contains("symbolic link"), "\(run.stderr)")
            #expect(run.stderr.contains(component), "the message should name the link: \(run.stderr)")
        }
        #expect(TreeSnapshot(outside) == outsideBefore, "the link's target must be untouched")
        #expect(tree.snapshot() == before)
    }

    @Test("a Download or DataStore that is a regular file is refused with exit 3, nothing changed",
          arguments: ["Download", "DataStore"])
    func purgeFolderIsAFile(_ folder: String) throws {
        let scratch = try Scratch("e2e-folder-file")
        defer { scratch.remove() }
        let tree = try Installation("delayed-auto", in: scratch)
        let path = tree.path(folder == "Download" ? tree.download : tree.dataStore)
        try FileManager.default.removeItem(atPath: path)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: path))
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("not a directory") && run.stderr.contains(folder), "\(run.stderr)")
        #expect(tree.snapshot() == before)
    }

    @Test("no SoftwareDistribution at all: nothing to remove, both folders created empty after the purge")
    func noSoftwareDistribution() throws {
        let scratch = try Scratch("e2e-no-sd")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try FileManager.default.removeItem(atPath: tree.path(tree.windows + "/SoftwareDistribution"))
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try run.document()["result"]["journal"]["purge"].array?.isEmpty == true)
        for folder in [tree.dataStore, tree.download] {
            #expect(tree.snapshot().under(folder) == [folder: "dir"], "\(folder) created empty")
        }
        #expect(try tree.hiveSHA256() == originalHive)
    }

    /// Only components below the mount root are checked for links when the state folder is created.
    @Test("a mount root reached through a symlinked parent directory can be reset")
    func rootBelowSymlinkedParent() throws {
        let scratch = try Scratch("e2e-linked-parent")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try FileManager.default.createSymbolicLink(atPath: scratch.sub("via"), withDestinationPath: scratch.path)
        let root = scratch.sub("via") + "/root"
        let originalHive = try tree.hiveSHA256()

        let dryRun = try Wuscrub.run("reset", "--dry-run", root)
        #expect(dryRun.status == Exit.success.rawValue, "\(dryRun)")

        let run = try Wuscrub.run("reset", "--yes", root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try tree.readJournal()["phase"].string == "done")
        #expect(try tree.hiveSHA256() == originalHive, "whatever happened, the hive must be the original")
    }
}
