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
        try tree.editJournal(["schemaVersion": 2])
        let before = tree.snapshot()
        for arguments in [["reset", "--yes", tree.root], ["resume", "--yes", tree.root], ["rollback", "--yes", tree.root]] {
            let run = try Wuscrub.run(arguments)
            #expect(run.status == Exit.ioError.rawValue, "\(run)")
            #expect(run.stderr.contains("damaged") && run.stderr.contains("schemaVersion is 2"), "\(run.stderr)")
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
