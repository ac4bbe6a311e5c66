import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// What this machine lets a test do, found by trying it once.
enum Probe {
    /// Root, `chattr` and a temporary directory on a file system with the immutable attribute.
    static let immutableFiles: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr"),
              let scratch = try? Scratch("probe-immutable") else { return false }
        defer { scratch.remove() }
        let file = scratch.sub("file")
        guard FileManager.default.createFile(atPath: file, contents: Data("x".utf8)),
              (try? Shell.run("/usr/bin/chattr", ["+i", file])) != nil else { return false }
        let refused = unlink(file) != 0
        _ = try? Shell.run("/usr/bin/chattr", ["-i", file])
        return refused
    }()

    /// Root and a `mount -t tmpfs` that works here.
    static let tmpfsMounts: Bool = {
        guard getuid() == 0, let scratch = try? Scratch("probe-mount") else { return false }
        defer { scratch.remove() }
        guard (try? Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", scratch.path])) != nil else { return false }
        _ = try? Shell.run("/usr/bin/umount", [scratch.path])
        return true
    }()
}

// MARK: - A purge that cannot remove everything

extension CommandLineTests {
    @Test("an entry the purge cannot remove gives exit 6, is listed, and the start mode is still restored",
          .enabled(if: Probe.immutableFiles, "needs root, chattr and an ext4/xfs temporary directory to make an undeletable file"))
    func purgeFailure() throws {
        let scratch = try Scratch("e2e-purge-failure")
        var immutable: String?
        defer {
            // The immutable flag must go first, or the scratch directory cannot be removed.
            if let immutable { _ = try? Shell.run("/usr/bin/chattr", ["-i", immutable]) }
            scratch.remove()
        }
        let tree = try Installation("win10", in: scratch)
        let locked = tree.download + "/locked.cab"
        try tree.addFile(locked, size: 777)
        try Shell.run("/usr/bin/chattr", ["+i", tree.path(locked)])
        immutable = tree.path(locked)
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.purgeIncomplete.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["outcome"].string == "purge-incomplete")
        #expect(document["exitCode"].int == Int(Exit.purgeIncomplete.rawValue))
        let report = document["result"]["journal"]["purge"].report(for: tree.download)
        #expect(report["failureCount"].int == 1, "\(report)")
        #expect(report["failures"].array?.contains { $0["path"].string?.hasSuffix("locked.cab") == true } == true, "\(report)")

        // The run went on: the service's start mode is back, the journal is closed.
        #expect(try tree.hiveSHA256() == originalHive)
        #expect(try tree.readJournal()["phase"].string == "done")
        // Only the undeletable file is left.
        #expect(tree.snapshot().under(tree.download).keys.sorted() == [tree.download, locked])
        #expect(tree.snapshot().under(tree.dataStore) == [tree.dataStore: "dir"])
    }

    @Test("a file system mounted inside Download is not entered, is reported, and gives exit 6",
          .enabled(if: Probe.tmpfsMounts, "needs root and mount(8) to put a tmpfs inside Download"))
    func otherFileSystemInsideDownload() throws {
        let scratch = try Scratch("e2e-other-fs")
        var mounted: String?
        defer {
            // Unmount first, so that removing the scratch directory stays on this file system.
            if let mounted, (try? Shell.run("/usr/bin/umount", [mounted])) == nil {
                _ = try? Shell.run("/usr/bin/umount", ["-l", mounted])
            }
            scratch.remove()
        }
        let tree = try Installation("win10", in: scratch)
        let mountPoint = tree.download + "/mounted"
        try FileManager.default.createDirectory(atPath: tree.path(mountPoint), withIntermediateDirectories: true)
        try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tree.path(mountPoint)])
        mounted = tree.path(mountPoint)
        try tree.addFile(mountPoint + "/keep/precious.bin", size: 2048)
        let mountedBefore = TreeSnapshot(tree.path(mountPoint))
        let originalHive = try tree.hiveSHA256()

        // The plan says so first, naming the mount point.
        let plan = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(plan.status == Exit.success.rawValue, "\(plan)")
        #expect(plan.stdout.contains("1 problem") && plan.stdout.contains("not entered (other filesystem) '\(mountPoint)'"), "\(plan.stdout)")

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.purgeIncomplete.rawValue, "\(run)")
        let report = try run.document()["result"]["journal"]["purge"].report(for: tree.download)
        let others = report["otherFilesystems"].array?.compactMap(\.string) ?? []
        #expect(others.contains { $0.hasSuffix("mounted") }, "the mount point should be reported: \(report)")

        #expect(TreeSnapshot(tree.path(mountPoint)) == mountedBefore, "nothing on the other file system may be touched")
        #expect(try tree.hiveSHA256() == originalHive)
        #expect(try tree.readJournal()["phase"].string == "done")
        // Everything else in Download is gone.
        #expect(tree.snapshot().under(tree.download).keys.filter { !$0.hasPrefix(mountPoint) }.sorted() == [tree.download])
    }
}

// MARK: - What ROOT is

extension CommandLineTests {
    @Test("status on a plain directory says ROOT is not a mount point and names the mount, its type and options")
    func statusOnAPlainDirectory() throws {
        let scratch = try Scratch("e2e-volume-plain")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let run = try Wuscrub.run("status", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let volume = try run.document()["status"]["volume"]
        #expect(volume["rootIsMountPoint"].bool == false)
        #expect(volume["windowsOnOtherDevice"].bool == false)
        let mountPoint = try #require(volume["mountPoint"].string)
        #expect(tree.root.hasPrefix(mountPoint == "/" ? "/" : mountPoint + "/"), "\(mountPoint) holds \(tree.root)")
        #expect(volume["kind"].string?.isEmpty == false && volume["options"].array?.isEmpty == false, "\(volume)")
        let text = try Wuscrub.run("status", tree.root)
        #expect(text.stdout.contains("Volume: ROOT is a folder inside the mount at \(mountPoint)"), "\(text.stdout)")
    }

    @Test("a Windows folder on another mount than ROOT is refused by status, the plan and a run: exit 3, nothing changed",
          .enabled(if: Probe.tmpfsMounts, "needs root and mount(8) to put the Windows folder on a tmpfs"))
    func windowsOnAnotherDevice() throws {
        let scratch = try Scratch("e2e-volume-other")
        let tree = try Installation("win10", in: scratch)
        let windows = tree.path(tree.windows)
        try FileManager.default.moveItem(atPath: windows, toPath: scratch.sub("saved"))
        try FileManager.default.createDirectory(atPath: windows, withIntermediateDirectories: false)
        try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", windows])
        defer {
            if (try? Shell.run("/usr/bin/umount", [windows])) == nil { _ = try? Shell.run("/usr/bin/umount", ["-l", windows]) }
            scratch.remove()
        }
        try Shell.run("/bin/cp", ["-a", scratch.sub("saved") + "/.", windows])

        let before = tree.snapshot()
        for arguments in [["status", tree.root], ["reset", "--dry-run", tree.root], ["reset", "--yes", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
            #expect(run.stderr.contains("'\(windows)' is on another file system or mount"), "\(run.stderr)")
        }
        #expect(tree.snapshot() == before, "nothing changed")
    }
}
