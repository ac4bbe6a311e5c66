import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// `reset --quarantine`, `rollback`, `quarantine list|purge` with the real binary
/// (docs/architecture.md §16).
@Suite("quarantine and rollback, end to end", .serialized)
struct QuarantineCommandTests {
    static func distribution(_ tree: Installation) -> ExactTree {
        ExactTree(tree.path(tree.windows + "/SoftwareDistribution"))
    }

    static func run(_ arguments: [String], fault: String) throws -> Run {
        try CommandLineTests.run(arguments, fault: fault)
    }

    @Test("--dry-run with --quarantine writes nothing and says where the entries would go")
    func dryRun() throws {
        let scratch = try Scratch("e2e-quarantine-dry")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let before = tree.snapshot()
        let plan = try Wuscrub.run("reset", "--quarantine", "--dry-run", "--json", tree.root)
        #expect(plan.status == Exit.success.rawValue, "\(plan)")
        let document = try plan.document()
        #expect(document["plan"]["quarantineIn"].string == tree.windows + "/SoftwareDistribution")
        // The plan counts sizes: it says how much space the quarantine will hold.
        #expect(document["plan"]["purge"].report(for: tree.dataStore)["bytes"].int != nil)
        let text = try Wuscrub.run("reset", "--quarantine", "--dry-run", tree.root)
        #expect(text.stdout.contains("Would move into the quarantine \(tree.windows)/SoftwareDistribution/wuscrub-quarantine-<time>-<run>"), "\(text.stdout)")
        #expect(text.stdout.contains("Kept: the update history in DataStore"), "\(text.stdout)")
        #expect(tree.snapshot() == before, "nothing written")
    }

    @Test("reset --quarantine then rollback: the folders' exact tree is back; a plain reset says what it loses")
    func quarantineAndRollBack() throws {
        let scratch = try Scratch("e2e-quarantine")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let original = Self.distribution(tree)
        let hive = try tree.hiveSHA256()

        let reset = try Wuscrub.run("reset", "--quarantine", "--yes", tree.root)
        #expect(reset.status == Exit.success.rawValue, "\(reset)")
        #expect(reset.stdout.contains("Quarantine: \(tree.windows)/SoftwareDistribution/wuscrub-quarantine-"), "\(reset.stdout)")
        #expect(reset.stdout.contains("'wuscrub rollback \(tree.root)' puts it back"), "\(reset.stdout)")
        for folder in tree.purgeFolders { #expect(tree.snapshot().under(folder) == [folder: "dir"]) }
        let shown = try Wuscrub.run("status", tree.root)
        #expect(shown.stdout.contains("its quarantine \(tree.windows)/SoftwareDistribution/wuscrub-quarantine-") &&
                shown.stdout.contains("'wuscrub rollback' puts it back"), "\(shown.stdout)")
        let status = try Wuscrub.run("quarantine", "list", "--json", tree.root)
        let folders = try status.document()["quarantines"]["folders"].array ?? []
        #expect(folders.count == 1 && folders.first?["canRollBack"].bool == true, "\(status)")

        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(rollback.stdout.contains("Put back into \(tree.dataStore)"), "\(rollback.stdout)")
        #expect(rollback.stdout.contains("not written by this rollback"), "\(rollback.stdout)")
        let restored = Self.distribution(tree)
        #expect(restored == original, "\(restored.difference(from: original))")
        #expect(try tree.hiveSHA256() == hive)
        #expect(try Wuscrub.run("status", "--json", tree.root).document()["status"]["quarantine"].exists == false, "put back: none kept")
        let again = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(again.status == Exit.usage.rawValue, "nothing left to roll back: \(again)")

        let plain = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(plain.stdout.contains("Lost: the update history kept in DataStore"), "\(plain.stdout)")
        #expect(plain.stdout.contains("wuscrub updates ROOT"), "\(plain.stdout)")
    }

    @Test("a crash while moving, then rollback or resume; a crash while putting back, then rollback",
          arguments: ["mid-purge", "after-journal-restore"])
    func crashes(_ point: String) throws {
        for action in ["rollback", "resume"] {
            let scratch = try Scratch("e2e-quarantine-crash")
            defer { scratch.remove() }
            let tree = try Installation("win10", in: scratch)
            let original = Self.distribution(tree)
            let crashed = try Self.run(["reset", "--quarantine", "--yes", tree.root], fault: point)
            try #require(crashed.status == 99, "\(crashed)")
            let status = try Wuscrub.run("status", tree.root)
            #expect(status.stdout.contains("Unfinished run"), "\(status.stdout)")
            let next = try Wuscrub.run(action, "--yes", tree.root)
            #expect(next.status == Exit.success.rawValue, "\(action) after \(point): \(next)")
            if action == "resume" {
                #expect(try tree.readJournal()["phase"].string == "done")
                for folder in tree.purgeFolders { #expect(tree.snapshot().under(folder) == [folder: "dir"]) }
                continue
            }
            #expect(Self.distribution(tree) == original, "\(Self.distribution(tree).difference(from: original))")
        }
    }

    @Test("a crash while putting back leaves the journal open in put-back; rollback finishes it")
    func crashWhilePuttingBack() throws {
        let scratch = try Scratch("e2e-quarantine-putback")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let original = Self.distribution(tree)
        try #require(try Wuscrub.run("reset", "--quarantine", "--yes", tree.root).status == 0)
        let crashed = try Self.run(["rollback", "--yes", tree.root], fault: "mid-put-back")
        try #require(crashed.status == 99, "\(crashed)")
        #expect(try tree.readJournal()["phase"].string == "put-back")
        let reset = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(reset.status == Exit.unfinishedJournal.rawValue, "no new run over an unfinished rollback: \(reset)")
        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(Self.distribution(tree) == original, "\(Self.distribution(tree).difference(from: original))")
    }

    @Test("a put-back whose quarantine is already gone (a crash after its removal) only closes the journal: the hive is never written")
    func putBackAfterTheQuarantineIsGone() throws {
        let scratch = try Scratch("e2e-quarantine-gone")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try #require(try Wuscrub.run("reset", "--quarantine", "--yes", tree.root).status == 0)
        let crashed = try Self.run(["rollback", "--yes", tree.root], fault: "mid-put-back")
        try #require(crashed.status == 99, "\(crashed)")
        // The crash came later: everything back by hand, the quarantine folder removed.
        let distribution = tree.path(tree.windows + "/SoftwareDistribution")
        let quarantine = try #require(try FileManager.default.contentsOfDirectory(atPath: distribution).first { $0.hasPrefix("wuscrub-quarantine-") })
        for leaf in ["DataStore", "Download"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: distribution + "/" + quarantine + "/" + leaf) {
                try FileManager.default.moveItem(atPath: distribution + "/" + quarantine + "/" + leaf + "/" + name, toPath: distribution + "/" + leaf + "/" + name)
            }
        }
        try FileManager.default.removeItem(atPath: distribution + "/" + quarantine)
        // Since the run, the service was disabled in Windows, and the hive is dirty.
        try HiveSurgery.setServiceValues(tree.path(tree.hive), [(controlSet: "ControlSet001", name: "Start", value: 4)])
        try HiveSurgery.makeDirty(tree.path(tree.hive))
        let hive = try tree.hiveSHA256()

        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(rollback.stdout.contains("not written by this rollback"), "\(rollback.stdout)")
        #expect(try tree.hiveSHA256() == hive, "the hive is never written by a put-back")
        #expect(try tree.readJournal()["phase"].string == "rolled-back")
    }

    @Test("SIGTERM while moving: the run closes as interrupted, and says how to put back or go on")
    func signalWhileMoving() throws {
        let scratch = try Scratch("e2e-quarantine-signal")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let original = Self.distribution(tree)
        let stopped = try Self.run(["reset", "--quarantine", "--yes", tree.root], fault: "mid-purge:TERM")
        #expect(stopped.status == Exit.terminated.rawValue, "\(stopped)")
        #expect(stopped.stderr.contains("went into the quarantine") && stopped.stderr.contains("wuscrub rollback"), "\(stopped.stderr)")
        #expect(try tree.readJournal()["phase"].string == "interrupted")
        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        #expect(Self.distribution(tree) == original, "\(Self.distribution(tree).difference(from: original))")
    }

    @Test("rollback never replaces an entry made since: exit 6, listed, kept in the quarantine")
    func conflict() throws {
        let scratch = try Scratch("e2e-quarantine-conflict")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try #require(try Wuscrub.run("reset", "--quarantine", "--yes", tree.root).status == 0)
        try tree.addFile(tree.dataStore + "/DataStore.edb", size: 100)
        let newer = tree.snapshot().entries[tree.dataStore + "/DataStore.edb"]
        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.purgeIncomplete.rawValue, "\(rollback)")
        #expect(rollback.stdout.contains("DataStore/DataStore.edb") && rollback.stdout.contains("Some entries stayed in the quarantine"), "\(rollback.stdout)")
        #expect(tree.snapshot().entries[tree.dataStore + "/DataStore.edb"] == newer, "never replaced")
        #expect(tree.snapshot().under(tree.dataStore).count == 2, "nothing else of the old database mixed in")
        #expect(tree.snapshot().under(tree.download).count > 1, "Download, without a conflict, is put back")
        // Once the name is free, a second rollback finishes.
        try FileManager.default.removeItem(atPath: tree.path(tree.dataStore + "/DataStore.edb"))
        let again = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(again.status == Exit.success.rawValue, "\(again)")
    }

    @Test("quarantine purge: --dry-run, confirmation, --keep; refused while a run is unfinished")
    func purge() throws {
        let scratch = try Scratch("e2e-quarantine-purge")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        try #require(try Wuscrub.run("reset", "--quarantine", "--yes", tree.root).status == 0)
        let dry = try Wuscrub.run("quarantine", "purge", "--dry-run", tree.root)
        #expect(dry.status == 0 && dry.stdout.contains("Would delete \(tree.windows)/SoftwareDistribution/wuscrub-quarantine-"), "\(dry)")
        let unconfirmed = try Wuscrub.run("quarantine", "purge", tree.root)
        #expect(unconfirmed.status == Exit.cancelled.rawValue, "no terminal, no --yes: \(unconfirmed)")
        let kept = try Wuscrub.run("quarantine", "purge", "--keep", "1", "--yes", tree.root)
        #expect(kept.status == 0 && kept.stdout.contains("No quarantine folder to delete"), "\(kept)")

        let crashed = try Self.run(["reset", "--quarantine", "--yes", tree.root], fault: "after-journal-restore")
        try #require(crashed.status == 99)
        let refused = try Wuscrub.run("quarantine", "purge", "--yes", tree.root)
        #expect(refused.status == Exit.unfinishedJournal.rawValue, "\(refused)")
        try #require(try Wuscrub.run("resume", "--yes", tree.root).status == 0)

        let purged = try Wuscrub.run("quarantine", "purge", "--yes", "--json", tree.root)
        #expect(purged.status == 0, "\(purged)")
        #expect(try purged.document()["quarantines"]["purged"].array?.count == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: tree.path(tree.windows + "/SoftwareDistribution"))
        #expect(!left.contains { $0.hasPrefix("wuscrub-quarantine-") }, "\(left)")
        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.usage.rawValue, "a purged quarantine cannot be put back: \(rollback)")
    }

    @Test("links, device nodes, FIFOs and sockets are moved as they are, never opened; a mount below an entry keeps it in place",
          .enabled(if: Probe.tmpfsMounts, "needs root (mknod, mount) to plant special files and a mount in DataStore"))
    func hostileEntries() throws {
        let scratch = try Scratch("e2e-quarantine-hostile")
        var mounted: [String] = []
        var rawMount: String?
        var store = ""
        defer {
            if let rawMount { _ = try? Shell.run("/bin/sh", ["-c", rawMount, store]) }
            for point in mounted.reversed() where (try? Shell.run("/usr/bin/umount", [point])) == nil {
                _ = try? Shell.run("/usr/bin/umount", ["-l", point])
            }
            scratch.remove()
        }
        let tree = try Installation("win10", in: scratch)
        let victim = scratch.sub("victim")
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim + "/file"))
        store = tree.path(tree.dataStore)
        try FileManager.default.createSymbolicLink(atPath: store + "/to-victim", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: store + "/to-file", withDestinationPath: victim + "/file")
        #expect(mkfifo(store + "/fifo", 0o644) == 0)
        #expect(mknod(store + "/null", S_IFCHR | 0o666, try HostilePaths.deviceNumber("/dev/null")) == 0)
        try HostilePaths.makeSocket(at: store + "/socket")
        // A file system mounted right at an entry, and one deeper below another.
        for point in ["/mounted", "/deep/er/mounted"] {
            try FileManager.default.createDirectory(atPath: store + point, withIntermediateDirectories: true)
            try Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", store + point])
            mounted.append(store + point)
            try Data("on tmpfs".utf8).write(to: URL(fileURLWithPath: store + point + "/keep"))
        }
        // A mount below a name that is not UTF-8: compared as bytes with the mount table.
        let bad = Array(store.utf8) + Array("/bad".utf8) + [0xFF]
        #expect(mkdir(bad.map { CChar(bitPattern: $0) } + [0], 0o755) == 0)
        let inner = bad + Array("/inner".utf8)
        #expect(mkdir(inner.map { CChar(bitPattern: $0) } + [0], 0o755) == 0)
        // mount(8) gets the raw bytes through the shell's printf.
        let rawInner = "\"$(printf '%s/bad\\377/inner' \"$0\")\""
        try Shell.run("/bin/sh", ["-c", "mount -t tmpfs -o size=1m tmpfs " + rawInner, store])
        rawMount = "umount " + rawInner + " || umount -l " + rawInner
        let original = Self.distribution(tree)
        let victimBefore = ExactTree(victim)

        let reset = try Wuscrub.run("reset", "--quarantine", "--yes", "--json", tree.root)
        #expect(reset.status == Exit.purgeIncomplete.rawValue, "the mounts stay: \(reset)")
        let report = try reset.document()["result"]["journal"]["quarantine"].report(for: tree.dataStore)
        let others = Set(report["otherFilesystems"].array?.compactMap(\.string) ?? [])
        #expect(others == [tree.dataStore + "/mounted", tree.dataStore + "/deep", tree.dataStore + "/bad\\xFF"], "\(report)")
        #expect(report["failureCount"].int == 3, "each counted once, whatever the passes: \(report)")
        let left = try FileManager.default.contentsOfDirectory(atPath: store).count
        #expect(left == 3, "everything else moved: \(left) left")
        #expect(ExactTree(victim) == victimBefore, "nothing followed")

        let rollback = try Wuscrub.run("rollback", "--yes", tree.root)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback)")
        let restored = Self.distribution(tree)
        #expect(restored == original, "\(restored.difference(from: original))")
        #expect(ExactTree(victim) == victimBefore)
    }
}
