import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// Attacks found by a red-team pass over the hardened tool, each kept as a test.
extension CommandLineTests {
    @Test("a hard-linked wuscrub.log (its other name outside ROOT) is refused before anything changes; the other file keeps its bytes")
    func hardLinkedLog() throws {
        let scratch = try Scratch("e2e-hardlink")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        let outside = scratch.sub("outside-root.txt")
        try Data("host file\n".utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.removeItem(atPath: tree.path(tree.log))
        try #require(link(outside, tree.path(tree.log)) == 0)
        _ = try setup.refill()
        let before = tree.snapshot()
        for arguments in [["reset", "--yes", tree.root], ["reset", "--dry-run", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
            #expect(run.stderr.contains("wuscrub.log' has 2 hard links"), "\(run.stderr)")
        }
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "host file\n")
        #expect(tree.snapshot() == before, "nothing changed")
    }

    @Test("a journal whose original start values differ from the backed-up hive is damaged: rollback and resume refuse, the journal stays open")
    func forgedOriginalStarts() throws {
        let scratch = try Scratch("e2e-forged-starts")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let crashed = try Self.run(["reset", "--yes", tree.root], fault: "after-hive-rename")
        try #require(crashed.status == 99, "\(crashed)")
        let controlSet = try #require(tree.spec.expectedStarts().first).controlSet
        try tree.editJournal(["originalStarts": [["controlSet": controlSet, "start": 4, "delayedAutostart": false]]])
        let before = tree.snapshot()
        for command in ["rollback", "resume"] {
            let run = try Wuscrub.run(command, "--yes", tree.root)
            #expect(run.status == Exit.ioError.rawValue, "\(run)")
            #expect(run.stderr.contains("are not those of the backed-up hive"), "\(run.stderr)")
            #expect(try tree.readJournal()["phase"].string == "disable", "the journal stays open")
        }
        #expect(tree.snapshot().excluding([tree.log]) == before.excluding([tree.log]), "nothing but log lines changed")

        // Without the backup, Start=4 cannot be confirmed: refused too, never closed as restored.
        for name in tree.backups() { try FileManager.default.removeItem(atPath: tree.path(tree.backupDirectory + "/" + name)) }
        let run = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(run.status == Exit.ioError.rawValue, "\(run)")
        #expect(run.stderr.contains("cannot confirm the service's original start mode"), "\(run.stderr)")
        #expect(try tree.readJournal()["phase"].string == "disable", "the journal stays open")
    }

    @Test("a wuscrub.log bind-mounted from elsewhere is refused before the journal is written",
          .enabled(if: getuid() == 0, "needs root to bind-mount"))
    func bindMountedLog() throws {
        let scratch = try Scratch("e2e-bind-log")
        let tree = try Installation("win10", in: scratch)
        let outside = scratch.sub("outside.log")
        try Data("elsewhere\n".utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createDirectory(atPath: tree.path(tree.stateDirectory), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: tree.path(tree.log)))
        try Shell.run("/usr/bin/mount", ["--bind", outside, tree.path(tree.log)])
        defer {
            _ = try? Shell.run("/usr/bin/umount", [tree.path(tree.log)])
            scratch.remove()
        }
        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.unsafeState.rawValue, "\(run)")
        #expect(run.stderr.contains("wuscrub.log' is on another file system or mount"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tree.path(tree.journal)), "no journal was written")
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "elsewhere\n")
    }

    @Test("hive check on bytes that are no hive at all is a hive error (exit 5), not a dirty hive")
    func hiveCheckOnNonHive() throws {
        let scratch = try Scratch("e2e-not-a-hive")
        defer { scratch.remove() }
        let file = scratch.sub("zeros")
        try Data(count: 65536).write(to: URL(fileURLWithPath: file))
        let run = try Wuscrub.run("hive", "check", file)
        #expect(run.status == Exit.hiveError.rawValue, "\(run)")
        #expect(run.stderr.contains("not a registry hive"), "\(run.stderr)")
    }

    @Test("logs that together exceed what wuscrub reads make recovery refuse (exit 4), at once, without a crash, under a 1 GiB address-space limit",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func logsTooLargeTogether() throws {
        let scratch = try Scratch("e2e-log-budget")
        defer { scratch.remove() }
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        let config = tree.path(FileIO.parent(of: tree.hive))
        // Each log is padded with a hole to just under the limit: one fits, the next no longer does.
        for log in ["SYSTEM.LOG1", "SYSTEM.LOG2"] {
            #expect(truncate(config + "/" + log, off_t(HiveRecovery.maximumReadSize - 4096)) == 0)
        }
        let before = tree.snapshot()
        let result = try Shell.capture("/usr/bin/prlimit", ["--as=\(1 << 30)", "--", Repository.binary, "reset", "--yes", tree.root])
        #expect(result.status == Exit.dirtyHive.rawValue, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("SYSTEM.LOG2") && result.stderr.contains("too large"), "\(result.stderr)")
        #expect(tree.snapshot() == before)
    }

    @Test("a hive larger than the memory an address-space limit leaves is reset all the same: the hive is never held in the process's memory")
    func hiveLargerThanMemory() throws {
        let scratch = try Scratch("e2e-memory")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        // A real hive followed by 200 MiB of hole: within the size limit, and more than half the 512 MiB of address
        // space left: the hivex child holds one copy (it must), the parent none (before, it held several).
        #expect(truncate(tree.path(tree.hive), 200 << 20) == 0)
        let original = try FileIO.sha256(ofFile: tree.path(tree.hive))
        for arguments in [["status", tree.root], ["reset", "--yes", tree.root]] {
            let result = try Shell.capture("/usr/bin/prlimit", ["--as=\(512 << 20)", "--", Repository.binary] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stdout)\(result.stderr)")
        }
        #expect(try FileIO.sha256(ofFile: tree.path(tree.hive)) == original, "the hive is byte-identical after the run")
    }

    @Test("a dirty hive too large for the memory its log replay needs is a clear refusal before anything changes, never an abort")
    func dirtyHiveTooLargeForMemory() throws {
        let scratch = try Scratch("e2e-memory-dirty")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let hive = tree.path(tree.hive)
        #expect(truncate(hive, 200 << 20) == 0)
        // Dirty: the secondary sequence number one below the primary, the checksum kept valid.
        var header = Array(try FileIO.read(hive)[0..<512])
        let primary = UInt32(header[4]) | UInt32(header[5]) << 8 | UInt32(header[6]) << 16 | UInt32(header[7]) << 24
        withUnsafeBytes(of: (primary &- 1).littleEndian) { header.replaceSubrange(8..<12, with: $0) }
        withUnsafeBytes(of: BaseBlock.checksum(header[0..<512]).littleEndian) { header.replaceSubrange(508..<512, with: $0) }
        let fd = open(hive, O_WRONLY)
        #expect(fd >= 0 && pwrite(fd, header, 512, 0) == 512)
        close(fd)
        let before = tree.snapshot()
        for arguments in [["reset", "--yes", tree.root], ["status", tree.root]] {
            let result = try Shell.capture("/usr/bin/prlimit", ["--as=\(512 << 20)", "--", Repository.binary] + arguments)
            #expect(![134, 139, 132].contains(result.status), "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("Cannot allocate memory") || result.stderr.contains("Cannot allocate memory"),
                    "\(arguments): \(result.stdout)\(result.stderr)")
            if arguments[0] == "reset" { #expect(result.status == Exit.ioError.rawValue, "\(result.stderr)") }
        }
        #expect(tree.snapshot() == before, "nothing changed")
    }
}
