import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// The codes and messages a technician sees in the corner cases of a hostile or broken volume.
extension CommandLineTests {
    /// Runs the binary with `WUSCRUB_FAULT` set.
    static func run(_ arguments: [String], fault: String) throws -> Run {
        let result = try Shell.capture(Repository.binary, arguments, environment: ["WUSCRUB_FAULT": fault])
        return Run(arguments: arguments, status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test("hive check on a clean hive too large to read says why (its size), exit 5, without reading it")
    func oversizedCleanHive() throws {
        let scratch = try Scratch("e2e-oversized")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let hive = tree.path(tree.hive)
        #expect(truncate(hive, 5 << 30) == 0)
        for arguments in [["hive", "check", hive], ["reset", "--yes", tree.root], ["reset", "--dry-run", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.hiveError.rawValue, "\(run)")
            #expect(run.stderr.contains("5368709120 bytes, more than"), "\(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tree.path(tree.journal)))
    }

    @Test("rollback after a run stopped before its backup was written names no backup that does not exist")
    func rollbackWithoutBackup() throws {
        let scratch = try Scratch("e2e-no-backup")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let original = try tree.hiveSHA256()
        let crashed = try Self.run(["reset", "--yes", tree.root], fault: "after-journal-backup")
        try #require(crashed.status == 99, "\(crashed)")
        try #require(tree.backups().isEmpty, "the backup step had not run yet")

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]
        #expect(!result["backupPath"].exists, "\(result)")
        #expect(result["finalStarts"].starts == tree.spec.expectedStarts(), "read back from the hive")
        #expect(try tree.hiveSHA256() == original)
    }

    @Test("an unknown journal schemaVersion is refused as damaged (exit 8), by reset, resume, rollback; status says why")
    func unknownSchemaVersion() throws {
        let scratch = try Scratch("e2e-schema")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let crashed = try Self.run(["reset", "--yes", tree.root], fault: "after-journal-purge")
        try #require(crashed.status == 99, "\(crashed)")
        try tree.editJournal(["schemaVersion": 3])
        let before = tree.snapshot()
        for arguments in [["reset", "--yes", tree.root], ["resume", "--yes", tree.root], ["rollback", "--yes", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.ioError.rawValue, "\(run)")
            #expect(run.stderr.contains("damaged") && run.stderr.contains("schemaVersion is 3"), "\(run.stderr)")
        }
        #expect(tree.snapshot() == before, "nothing changed")
        let status = try Wuscrub.run("status", "--json", tree.root)
        #expect(status.status == Exit.success.rawValue, "\(status)")
        #expect(try status.document()["status"]["journalError"].string?.contains("schemaVersion") == true)
    }

    @Test("a backup that is not the original's bytes is never written over the hive: rollback sets the values with hivex instead")
    func forgedBackupIsNotRestored() throws {
        let scratch = try Scratch("e2e-forged-backup")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let crashed = try Self.run(["reset", "--yes", tree.root], fault: "after-journal-purge")
        try #require(crashed.status == 99, "\(crashed)")
        let backup = try #require(tree.backups().first)
        // Garbage where the backup was: its hash is not the one recorded.
        try Data(repeating: 0x41, count: 16384).write(to: URL(fileURLWithPath: tree.path(tree.backupDirectory + "/" + backup)))
        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]
        #expect(result["restoredByteIdentical"].bool == false)
        #expect(result["notes"].array?.first?.string?.contains("could not be used") == true, "\(result)")
        #expect(try HiveSurgery.starts(tree.path(tree.hive)) == tree.spec.expectedStarts())
        #expect(try FileIO.read(tree.path(tree.hive)).prefix(4) == Array("regf".utf8)[...], "still a hive")
    }
}

extension CommandLineTests {
    @Test("a full disk at any step is an I/O error (exit 8) naming the file, the hive as it was: never a hive error",
          .enabled(if: Probe.tmpfsMounts, "needs root and mount(8) to fill a small tmpfs"))
    func fullDisk() throws {
        var failedWritingTheDisabledHive = false
        for freePages in [4, 6, 8, 10, 12, 16] {
            let scratch = try Scratch("e2e-full-disk")
            try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", scratch.path])
            defer {
                if (try? Shell.run("/usr/bin/umount", [scratch.path])) == nil { _ = try? Shell.run("/usr/bin/umount", ["-l", scratch.path]) }
                scratch.remove()
            }
            let tree = try Installation("win10", in: scratch)
            let original = try tree.hiveSHA256()
            var info = statvfs()
            try #require(statvfs(scratch.path, &info) == 0)
            let filler = Int(info.f_bavail) - freePages
            try #require(filler > 0)
            try Data(count: filler * Int(info.f_bsize)).write(to: URL(fileURLWithPath: scratch.sub("filler")))

            let run = try Wuscrub.run("reset", "--yes", tree.root)
            #expect([Exit.success.rawValue, Exit.ioError.rawValue].contains(run.status), "\(freePages) pages free: \(run)")
            if run.status == Exit.ioError.rawValue {
                #expect(run.stderr.contains("No space left on device") && run.stderr.contains("Windows/"), "\(run.stderr)")
                if run.stderr.contains("Windows/System32/config/.SYSTEM.wuscrub-") { failedWritingTheDisabledHive = true }
            }
            #expect(try tree.hiveSHA256() == original, "\(freePages) pages free: the hive is as it was")
        }
        #expect(failedWritingTheDisabledHive, "one of the sizes runs out of space while the disabled hive is written")
    }
}

extension CommandLineTests {
    @Test("names and journal text from the volume reach the terminal escaped: no control character is printed")
    func controlCharactersAreEscaped() throws {
        let scratch = try Scratch("e2e-escapes")
        defer { scratch.remove() }
        let setup = try FinishedRun("win10", in: scratch)
        let tree = setup.tree
        let escape = "\u{1B}]0;owned\u{07}\u{1B}[2J"
        try FileManager.default.createDirectory(atPath: tree.path(tree.backupDirectory + "/SYSTEM-" + escape), withIntermediateDirectories: false)
        let again = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(again.status == Exit.success.rawValue, "\(again)")
        #expect(again.stdout.contains("SYSTEM-\\x1B]0;owned\\x07\\x1B[2J"), "the stray is listed, escaped: \(again.stdout)")
        #expect(!again.output.contains("\u{1B}"), "no escape character is printed")

        try tree.editJournal(["phase": "purge", "backupPath": "../../" + escape])
        for arguments in [["resume", "--yes", tree.root], ["status", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.output.contains("\\x1B]0;owned"), "\(run)")
            #expect(!run.output.contains("\u{1B}") && !run.output.contains("\u{07}"), "no control character is printed: \(run)")
        }
    }
}
