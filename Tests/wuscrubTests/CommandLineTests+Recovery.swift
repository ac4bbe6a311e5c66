import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The built `wuscrub` binary, end to end, on real dirty hives from the shared corpus
/// (`../shared/corpus`, see its README and `docs/registry-format.md` §12): `hive check`,
/// `hive recover`, and `reset` / `resume` / `rollback` on an installation whose SYSTEM hive must
/// have its transaction logs replayed first.
///
/// Every test is gated on the corpus: skipped with a reason when it is absent, failing when
/// `WUSCRUB_REQUIRE_CORPUS=1` (then `Corpus.copy` throws).
@Suite("wuscrub end to end: transaction-log recovery")
struct RecoveryCommandLineTests {
    /// regipy's SYSTEM_B: LOG1 holds entries 2107…2110, LOG2 2111…2130 (corpus README).
    static let systemBSequences = Array(UInt32(2107)...UInt32(2130))
    static let systemBLastSequence: UInt32 = 2130

    /// The yarp hives whose recovery must be refused: `folder/file` under `yarp/`.
    static let refusedYarpHives = ["BadLogHive1/BadLogHive", "BadLogHive3/BadLogHive", "TruncatedDirtyHive"]
}

// MARK: - Helpers (local to this file)

/// Reads hives with tools that are not wuscrub's own code.
enum HiveProbe {
    /// The two sequence numbers of a hive's base block (bytes 4..8 and 8..12).
    static func sequences(_ path: String) throws -> (primary: UInt32, secondary: UInt32) {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let bytes = [UInt8](try handle.read(upToCount: 12) ?? Data())
        guard bytes.count == 12 else { throw Truncated(path: path) }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        return (word(4), word(8))
    }

    /// The number of lines `reglookup -t KEY` prints (one per key, plus its header): a key count
    /// from a parser independent of hivex. Standard output goes to a file in `scratch` and
    /// standard error is drained by `Shell.run`, so a large dump cannot block on a pipe.
    static func keyLines(_ hive: String, scratch: Scratch) throws -> Int {
        let listing = scratch.sub("reglookup-\(UUID().uuidString.prefix(8)).txt")
        defer { try? FileManager.default.removeItem(atPath: listing) }
        try Shell.run("/usr/bin/reglookup", ["-t", "KEY", hive], stdoutTo: listing)
        return try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n").count
    }

    /// `wuauserv\Start` in a control set, read with `hivexget`.
    static func start(_ hive: String, controlSet: String = "ControlSet001") throws -> Int? {
        let text = try Shell.run("/usr/bin/hivexget", [hive, "\\\(controlSet)\\Services\\wuauserv", "Start"])
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Name → size and SHA-256 of every entry below a folder (or of a single file).
    static func contents(_ path: String) -> [String: String] { TreeSnapshot(path).entries }

    /// Whether `a` from byte `offset` to its end equals `b` from the same offset to its end.
    static func tailsEqual(_ a: String, _ b: String, from offset: Int) throws -> Bool {
        let left = try Data(contentsOf: URL(fileURLWithPath: a))
        let right = try Data(contentsOf: URL(fileURLWithPath: b))
        return left.count == right.count && left.count > offset && left.dropFirst(offset) == right.dropFirst(offset)
    }

    struct Truncated: Error, CustomStringConvertible {
        var path: String
        var description: String { "'\(path)' is shorter than 12 bytes" }
    }
}

/// A fixture installation (built from a small spec) whose SYSTEM hive is then replaced by a real
/// corpus hive, with the corpus logs beside it as `SYSTEM.LOG1` / `SYSTEM.LOG2`.
struct CorpusInstall {
    let tree: Installation
    /// The corpus files used, for building reference copies.
    let hiveSource: String
    let logSources: [String]

    /// A few files in each purge folder and a sibling folder that must survive. The spec's
    /// Start value (2) differs from the corpus hives' (3), so a check that read the spec's hive
    /// by mistake could not pass.
    static let spec = #"""
        dword Select\Current 1
        dword Select\Default 1
        dword ControlSet001\Services\wuauserv\Start 2
        file SoftwareDistribution/DataStore/DataStore.edb 65536
        file SoftwareDistribution/DataStore/Logs/edb.log 4096
        file SoftwareDistribution/Download/0b1e5a3c/windows10.0-kb5031356-x64.cab 30000
        file SoftwareDistribution/Download/SharedFileCache/a1b2c3 4096
        file SoftwareDistribution/SLS/7971F918/sls.cab 3000
        """#

    /// regipy SYSTEM_B with both of its logs.
    static func systemB(in scratch: Scratch) throws -> CorpusInstall {
        try CorpusInstall(hive: "regipy/SYSTEM_B.xz", logs: ["regipy/SYSTEM_B.LOG1.xz", "regipy/SYSTEM_B.LOG2.xz"], in: scratch)
    }

    /// regipy SYSTEM_2: dirty, no logs.
    static func system2(in scratch: Scratch) throws -> CorpusInstall {
        try CorpusInstall(hive: "regipy/SYSTEM_2.xz", logs: [], in: scratch)
    }

    init(hive: String, logs: [String], in scratch: Scratch) throws {
        tree = try Installation(text: Self.spec, in: scratch)
        hiveSource = hive
        logSources = logs
        try #require(tree.root == scratch.sub("root"), "Corpus.copy writes relative to the scratch folder")
        try FileManager.default.removeItem(atPath: tree.path(tree.hive))
        _ = try Corpus.copy(hive, into: scratch, as: "root/" + tree.hive)
        for (log, suffix) in zip(logs, ["LOG1", "LOG2"]) {
            _ = try Corpus.copy(log, into: scratch, as: "root/" + tree.hive + "." + suffix)
        }
    }

    var log1: String { tree.hive + ".LOG1" }
    var log2: String { tree.hive + ".LOG2" }
    var logs: [String] { logSources.isEmpty ? [] : [log1, log2] }
    var sibling: String { tree.windows + "/SoftwareDistribution/SLS" }

    func sha256(_ relative: String) throws -> String { try FileIO.sha256(ofFile: tree.path(relative)) }

    /// A private copy of the corpus hive and logs in `scratch/<folder>`, recovered with
    /// `wuscrub hive recover` into `scratch/<folder>.recovered` (`--discard-unreconciled` when
    /// there are no logs). Returns the recovered file.
    func reference(in scratch: Scratch, folder: String = "reference") throws -> String {
        try FileManager.default.createDirectory(atPath: scratch.sub(folder), withIntermediateDirectories: true)
        let hive = try Corpus.copy(hiveSource, into: scratch, as: folder + "/SYSTEM")
        for (log, suffix) in zip(logSources, ["LOG1", "LOG2"]) {
            _ = try Corpus.copy(log, into: scratch, as: folder + "/SYSTEM." + suffix)
        }
        let output = scratch.sub(folder + ".recovered")
        let run = try Wuscrub.run(["hive", "recover", hive, "--output", output] + (logSources.isEmpty ? ["--discard-unreconciled"] : []))
        try #require(run.status == Exit.success.rawValue, "building the reference: \(run)")
        return output
    }

    /// Runs `reset --yes --json` and requires it to finish.
    @discardableResult
    func reset() throws -> JSON {
        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        try #require(run.status == Exit.success.rawValue, "setting up: \(run)")
        try #require(try tree.readJournal()["phase"].string == "done")
        return try run.document()
    }
}

extension JSON {
    /// `applied[*].sequences` of a recovery analysis, as arrays of numbers.
    var appliedSequences: [[Int]]? {
        self["applied"].array?.map { $0["sequences"].array?.compactMap(\.int) ?? [] }
    }
}

// MARK: - hive check

extension RecoveryCommandLineTests {
    @Test("hive check on yarp NewDirtyHive1: recoverable, LOG1 entry 2 then LOG2 entries 3-5, final sequence 5; writes nothing",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func checkNewDirtyHive() throws {
        let scratch = try Scratch("e2e-check-dirty")
        defer { scratch.remove() }
        let folder = try Corpus.copy("yarp/NewDirtyHive1", into: scratch)
        let hive = folder + "/NewDirtyHive"
        let before = HiveProbe.contents(folder)
        try #require(before.count == 5, "the folder and its four files: \(before)")

        let text = try Wuscrub.run("hive", "check", hive)
        #expect(text.status == Exit.success.rawValue, "\(text)")
        #expect(text.stdout.contains("NewDirtyHive.LOG1") && text.stdout.contains("NewDirtyHive.LOG2"), "\(text.stdout)")

        let run = try Wuscrub.run("hive", "check", "--json", hive)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let document = try run.document()
        let check = document["check"]
        #expect(document["command"].string == "hive check")
        #expect(document["exitCode"].int == 0)
        #expect(check["outcome"].string == "recovered", "\(check)")
        #expect(check.appliedSequences == [[2], [3, 4, 5]], "\(check["applied"])")
        let appliedNames = check["applied"].array?.compactMap { $0["path"].string?.split(separator: "/").last.map(String.init) }
        #expect(appliedNames == ["NewDirtyHive.LOG1", "NewDirtyHive.LOG2"])
        #expect(check["finalSequence"].int == 5)
        #expect(check["primarySequence"].int == 3 && check["secondarySequence"].int == 2, "\(check)")

        #expect(HiveProbe.contents(folder) == before, "hive check must not change any file in the folder")
    }

    @Test("hive check on RecoveredHive_Windows10 alone: clean, exit 0", .enabled(if: Corpus.enabled, Corpus.skipReason))
    func checkCleanHive() throws {
        let scratch = try Scratch("e2e-check-clean")
        defer { scratch.remove() }
        let hive = try Corpus.copy("yarp/NewDirtyHive1/RecoveredHive_Windows10", into: scratch)
        let before = HiveProbe.contents(scratch.path)

        let run = try Wuscrub.run("hive", "check", "--json", hive)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let check = try run.document()["check"]
        #expect(check["outcome"].string == "clean", "\(check)")
        #expect(check["applied"].array?.isEmpty == true)
        #expect(HiveProbe.contents(scratch.path) == before)
    }

    @Test("hive check refuses a dirty hive whose logs cannot be used: exit 4, dirty-hive, files unchanged",
          .enabled(if: Corpus.enabled, Corpus.skipReason), arguments: RecoveryCommandLineTests.refusedYarpHives)
    func checkRefused(_ relative: String) throws {
        let scratch = try Scratch("e2e-check-refused")
        defer { scratch.remove() }
        let top = String(relative.split(separator: "/").first!)
        _ = try Corpus.copy("yarp/" + top, into: scratch)
        let hive = scratch.sub(relative)
        let before = HiveProbe.contents(scratch.path)

        let text = try Wuscrub.run("hive", "check", hive)
        #expect(text.status == Exit.dirtyHive.rawValue, "\(text)")
        #expect(text.stderr.contains("dirty"), "\(text.stderr)")

        let run = try Wuscrub.run("hive", "check", "--json", hive)
        #expect(run.status == Exit.dirtyHive.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["error"]["kind"].string == "dirty-hive", "\(document)")
        #expect(document["exitCode"].int == Int(Exit.dirtyHive.rawValue))
        #expect(document["check"]["outcome"].string == "refused")
        #expect(document["check"]["refusal"].string?.isEmpty == false)
        #expect(HiveProbe.contents(scratch.path) == before, "a refused check must change nothing")
    }
}

// MARK: - hive recover

extension RecoveryCommandLineTests {
    @Test("hive recover NewDirtyHive1 equals Windows 10's own recovery after the base block; input untouched; never overwrites OUT",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func recoverNewDirtyHive() throws {
        let scratch = try Scratch("e2e-recover")
        defer { scratch.remove() }
        let folder = try Corpus.copy("yarp/NewDirtyHive1", into: scratch)
        let hive = folder + "/NewDirtyHive"
        let windows = folder + "/RecoveredHive_Windows10"
        let output = scratch.sub("recovered.hive")
        let before = HiveProbe.contents(folder)

        let run = try Wuscrub.run("hive", "recover", hive, "--output", output, "--json")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try run.document()["output"].string == output)
        #expect(try run.document()["check"]["outcome"].string == "recovered")
        #expect(try HiveProbe.tailsEqual(output, windows, from: 4096),
                "the recovered hive must equal RecoveredHive_Windows10 from byte 4096 to the end")
        let sequences = try HiveProbe.sequences(output)
        #expect(sequences.primary == sequences.secondary && sequences.primary == 5, "\(sequences)")
        #expect(HiveProbe.contents(folder) == before, "the hive and its logs must be byte-identical afterwards")

        // A second run must not overwrite the file it wrote.
        let written = try FileIO.sha256(ofFile: output)
        let again = try Wuscrub.run("hive", "recover", hive, "--output", output)
        #expect(again.status == Exit.ioError.rawValue, "\(again)")
        #expect(again.stderr.contains("exists"), "\(again.stderr)")
        #expect(try FileIO.sha256(ofFile: output) == written, "OUT must not change")
        #expect(HiveProbe.contents(folder) == before)
    }

    @Test("hive recover on a clean hive is a usage error (exit 64) and writes no file",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func recoverCleanHive() throws {
        let scratch = try Scratch("e2e-recover-clean")
        defer { scratch.remove() }
        let hive = try Corpus.copy("yarp/NewDirtyHive1/RecoveredHive_Windows10", into: scratch)
        let output = scratch.sub("out.hive")

        let run = try Wuscrub.run("hive", "recover", hive, "--output", output, "--json")
        let kind = try run.document()["error"]["kind"].string
        #expect(run.status == Exit.usage.rawValue, "\(run)")
        #expect(kind == "usage")
        #expect(run.status != Exit.success.rawValue, "\(run)")
        #expect(try run.document()["error"]["message"].string?.contains("clean") == true)
        #expect(!FileManager.default.fileExists(atPath: output), "no file may be written for a clean hive")
    }

    @Test("hive recover on SYSTEM_2 (dirty, no logs): exit 4; with --discard-unreconciled a clean hive reglookup reads",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func recoverWithoutLogs() throws {
        let scratch = try Scratch("e2e-recover-nologs")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.sub("in"), withIntermediateDirectories: true)
        let hive = try Corpus.copy("regipy/SYSTEM_2.xz", into: scratch, as: "in/SYSTEM")
        let original = try HiveProbe.sequences(hive)
        try #require(original.primary != original.secondary, "SYSTEM_2 must be dirty: \(original)")
        let before = HiveProbe.contents(scratch.sub("in"))
        let output = scratch.sub("out.hive")

        let refused = try Wuscrub.run("hive", "recover", hive, "--output", output, "--json")
        #expect(refused.status == Exit.dirtyHive.rawValue, "\(refused)")
        #expect(try refused.document()["error"]["kind"].string == "dirty-hive")
        #expect(!FileManager.default.fileExists(atPath: output))

        let run = try Wuscrub.run("hive", "recover", hive, "--output", output, "--discard-unreconciled", "--json")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try run.document()["check"]["outcome"].string == "discarded")
        let sequences = try HiveProbe.sequences(output)
        #expect(sequences.primary == sequences.secondary, "the written hive must be clean: \(sequences)")
        #expect(!Serial.isAfter(original.primary, sequences.primary), "the sequence number must not go backwards: \(sequences)")
        // Discarding keeps the primary's content: reglookup reads it, with every key of the original.
        let keys = try HiveProbe.keyLines(output, scratch: scratch)
        #expect(keys > 1)
        #expect(keys == (try HiveProbe.keyLines(hive, scratch: scratch)))
        #expect(HiveProbe.contents(scratch.sub("in")) == before, "the input must be byte-identical afterwards")
    }
}

// MARK: - reset on an installation with a dirty hive and its logs

extension RecoveryCommandLineTests {
    @Test("reset --yes on regipy SYSTEM_B: the logs are replayed (2107…2130), the service restored, the logs kept and backed up",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resetReplaysLogs() throws {
        let scratch = try Scratch("e2e-reset-systemb")
        defer { scratch.remove() }
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        let originalHive = try install.sha256(tree.hive)
        let originalLogs = try install.logs.map { try install.sha256($0) }

        // The reference: the same hive recovered by `wuscrub hive recover`, read with other tools.
        let reference = try install.reference(in: scratch)
        let originalStart = try #require(try HiveProbe.start(reference))
        try #require(originalStart != 4, "the reference must not already be disabled")
        let referenceKeys = try HiveProbe.keyLines(reference, scratch: scratch)
        let dirtyKeys = try HiveProbe.keyLines(tree.path(tree.hive), scratch: scratch)
        try #require(referenceKeys != dirtyKeys, "replaying the logs adds keys, so the key count tells recovered from not")

        let status = try Wuscrub.run("status", "--json", tree.root)
        #expect(status.status == Exit.success.rawValue, "\(status)")
        let reported = try status.document()["status"]
        #expect(reported["hiveState"].string?.hasPrefix("dirty-recoverable") == true, "\(reported["hiveState"])")
        #expect(reported["starts"].starts?.map(\.controlSet) == ["ControlSet001"], "\(reported["starts"])")
        #expect(reported["starts"].starts?.first?.start == originalStart)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let result = try run.document()["result"]

        // The final hive: the service as it was, clean, above every sequence number in the logs.
        let finalHive = tree.path(tree.hive)
        #expect(try HiveProbe.start(finalHive) == originalStart)
        #expect(result["finalStarts"].starts?.map(\.start) == [originalStart])
        let sequences = try HiveProbe.sequences(finalHive)
        #expect(sequences.primary == sequences.secondary, "the final base block must be clean: \(sequences)")
        #expect(Serial.isAfter(sequences.primary, Self.systemBLastSequence), "sequence \(sequences.primary) must be above \(Self.systemBLastSequence)")
        #expect(try HiveProbe.keyLines(finalHive, scratch: scratch) == referenceKeys,
                "reglookup must see the keys of the recovered hive, not those of the dirty one")

        // The logs stay on disk as they were.
        #expect(try install.logs.map { try install.sha256($0) } == originalLogs, "SYSTEM.LOG1/LOG2 must be untouched")

        // The journal records the replay, and the backups match the originals.
        let journal = try tree.readJournal()
        #expect(journal["phase"].string == "done")
        #expect(journal["recovery"]["outcome"].string == "recovered")
        #expect(journal["recovery"].appliedSequences?.flatMap { $0 } == Self.systemBSequences.map(Int.init),
                "\(journal["recovery"]["applied"])")
        #expect(journal["recovery"]["applied"].array?.compactMap { $0["path"].string?.split(separator: "/").last.map(String.init) }
                == ["SYSTEM.LOG1", "SYSTEM.LOG2"])
        let backupPath = try #require(journal["backupPath"].string)
        #expect(backupPath.hasPrefix(tree.backupDirectory + "/"), "\(backupPath)")
        #expect(try install.sha256(backupPath) == originalHive, "the hive backup must be the dirty original")
        let logBackups = journal["logBackupPaths"].array?.compactMap(\.string) ?? []
        #expect(logBackups.map { String($0.split(separator: ".").last ?? "") } == ["LOG1", "LOG2"], "\(logBackups)")
        #expect(logBackups.allSatisfy { $0.hasPrefix(tree.backupDirectory + "/") }, "\(logBackups)")
        #expect(try logBackups.map { try install.sha256($0) } == originalLogs)
        let listed = Set(tree.backups().map { tree.backupDirectory + "/" + $0 })
        #expect(listed.isSuperset(of: [backupPath] + logBackups), "\(listed)")

        // The purge folders are empty, everything else outside wuscrub's folder is as it was.
        let after = tree.snapshot()
        for folder in tree.purgeFolders {
            #expect(after.under(folder) == [folder: "dir"], "\(folder) must be empty")
            #expect(result["journal"]["purge"].report(for: folder).folderCount == tree.expectedContents(of: folder))
        }
        #expect(after.under(install.sibling) == before.under(install.sibling) && !before.under(install.sibling).isEmpty)
        var outside = after.excluding(tree.purgeFolders + [tree.stateDirectory, tree.hive])
        if before.entries[tree.windows + "/Logs"] == nil { outside[tree.windows + "/Logs"] = nil }
        #expect(outside == before.excluding(tree.purgeFolders + [tree.hive]))

        let later = try Wuscrub.run("status", "--json", tree.root)
        #expect(later.status == Exit.success.rawValue, "\(later)")
        let laterStatus = try later.document()["status"]
        #expect(laterStatus["hiveState"].string == "clean", "\(laterStatus["hiveState"])")
        #expect(laterStatus["hive"]["state"].string == "clean")
        #expect(laterStatus["journal"]["phase"].string == "done")
    }

    @Test("reset --dry-run on SYSTEM_B writes nothing and names both logs and the entries 2107…2130",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func dryRunNamesLogs() throws {
        let scratch = try Scratch("e2e-dry-systemb")
        defer { scratch.remove() }
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        for word in ["SYSTEM.LOG1", "SYSTEM.LOG2", "\(Self.systemBSequences.first!)", "\(Self.systemBSequences.last!)"] {
            #expect(run.stdout.contains(word), "'\(word)' not named:\n\(run.stdout)")
        }
        #expect(tree.snapshot() == before, "a dry run must write nothing")

        let json = try Wuscrub.run("reset", "--dry-run", "--json", tree.root)
        #expect(json.status == Exit.success.rawValue, "\(json)")
        let recovery = try json.document()["plan"]["recovery"]
        #expect(recovery["outcome"].string == "recovered")
        #expect(recovery.appliedSequences?.flatMap { $0 } == Self.systemBSequences.map(Int.init))
        #expect(tree.snapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: tree.path(tree.stateDirectory)))
    }

    @Test("reset on SYSTEM_2 (dirty, no logs): exit 4 and nothing changed; --discard-unreconciled resets and leaves a clean hive",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resetWithoutLogs() throws {
        let scratch = try Scratch("e2e-reset-system2")
        defer { scratch.remove() }
        let install = try CorpusInstall.system2(in: scratch)
        let tree = install.tree
        let reference = try install.reference(in: scratch)
        let originalStart = try #require(try HiveProbe.start(reference))
        try #require(originalStart != 4)
        let before = tree.snapshot()

        let refused = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(refused.status == Exit.dirtyHive.rawValue, "\(refused)")
        #expect(try refused.document()["error"]["kind"].string == "dirty-hive")
        #expect(tree.snapshot() == before, "a refused reset must change nothing")

        let run = try Wuscrub.run("reset", "--yes", "--discard-unreconciled", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let journal = try tree.readJournal()
        #expect(journal["phase"].string == "done")
        #expect(journal["recovery"]["outcome"].string == "discarded", "\(journal["recovery"])")
        let sequences = try HiveProbe.sequences(tree.path(tree.hive))
        #expect(sequences.primary == sequences.secondary, "the final hive must be clean: \(sequences)")
        #expect(try HiveProbe.start(tree.path(tree.hive)) == originalStart)
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == [folder: "dir"], "\(folder) must be empty")
        }
        let status = try Wuscrub.run("status", "--json", tree.root).document()["status"]
        #expect(status["hive"]["state"].string == "clean")
    }
}

// MARK: - Interrupted recovery (journal edited the way a crash would leave it)

extension RecoveryCommandLineTests {
    /// After a finished reset on SYSTEM_B, the journal is reopened at phase `recover`; the hive on
    /// disk is the recovered baseline the journal records.
    func reopenedAtRecover(in scratch: Scratch) throws -> (install: CorpusInstall, baseline: String) {
        let install = try CorpusInstall.systemB(in: scratch)
        try install.reset()
        let baseline = try #require(try install.tree.readJournal()["baselineHiveSHA256"].string)
        try #require(try install.tree.hiveSHA256() == baseline, "a finished run leaves the recovered baseline on disk")
        try install.tree.moveJournal(toPhase: "recover")
        return (install, baseline)
    }

    /// After a finished reset on SYSTEM_B: the dirty original is put back, the purge folders
    /// refilled and the journal reopened at `recover` with the baseline hash kept: what a crash
    /// just before the recovered hive replaced the dirty one leaves.
    func crashedBeforeRecoveredRename(in scratch: Scratch) throws -> (install: CorpusInstall, original: String) {
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        let original = try tree.hiveSHA256()
        try install.reset()
        let backup = try #require(try tree.readJournal()["backupPath"].string)
        try FileManager.default.removeItem(atPath: tree.path(tree.hive))
        try FileManager.default.copyItem(atPath: tree.path(backup), toPath: tree.path(tree.hive))
        try #require(try tree.hiveSHA256() == original)
        try tree.addFile(tree.dataStore + "/again.edb", size: 5000)
        try tree.moveJournal(toPhase: "recover")
        return (install, original)
    }

    @Test("resume --yes from phase 'recover' with the baseline already in place is idempotent",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resumeAtRecoverIsIdempotent() throws {
        let scratch = try Scratch("e2e-resume-recover")
        defer { scratch.remove() }
        let (install, baseline) = try reopenedAtRecover(in: scratch)
        let tree = install.tree
        let logs = try install.logs.map { try install.sha256($0) }

        let run = try Wuscrub.run("resume", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try tree.hiveSHA256() == baseline, "the hive must be unchanged")
        #expect(try tree.readJournal()["phase"].string == "done")
        #expect(try tree.readJournal()["baselineHiveSHA256"].string == baseline)
        #expect(try install.logs.map { try install.sha256($0) } == logs)
    }

    @Test("rollback --yes from phase 'recover' keeps the original start values and closes the journal",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func rollbackAtRecover() throws {
        let scratch = try Scratch("e2e-rollback-recover")
        defer { scratch.remove() }
        let (install, baseline) = try reopenedAtRecover(in: scratch)
        let tree = install.tree
        let originalStarts = try tree.readJournal()["originalStarts"].starts
        try #require(originalStarts?.isEmpty == false)

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try run.document()["result"]["finalStarts"].starts == originalStarts)
        #expect(try HiveProbe.start(tree.path(tree.hive)) == originalStarts?.first?.start)
        #expect(try tree.hiveSHA256() == baseline)
        #expect(try tree.readJournal()["phase"].string == "rolled-back")
    }

    @Test("rollback --yes after the disable step puts the recovered baseline back, not the dirty original",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func rollbackRestoresBaseline() throws {
        let scratch = try Scratch("e2e-rollback-baseline")
        defer { scratch.remove() }
        let install = try CorpusInstall.systemB(in: scratch)
        let tree = install.tree
        try install.reset()
        let journal = try tree.readJournal()
        let baseline = try #require(journal["baselineHiveSHA256"].string)
        try #require(baseline != journal["originalHiveSHA256"].string)
        let originalStart = try #require(try HiveProbe.start(tree.path(tree.hive)))
        let disabled = try HiveSurgery.setServiceValues(tree.path(tree.hive), [("ControlSet001", "Start", 4)])
        try tree.moveJournal(toPhase: "disable", ["disabledHiveSHA256": disabled])

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(try run.document()["result"]["restoredByteIdentical"].bool == true)
        #expect(try tree.hiveSHA256() == baseline, "the restore must put back the recovered hive")
        #expect(try HiveProbe.start(tree.path(tree.hive)) == originalStart)
        #expect(try tree.readJournal()["phase"].string == "rolled-back")
    }

    @Test("resume --yes after a crash before the recovered hive replaced the dirty one replays the logs and finishes",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resumeAfterCrashBeforeRename() throws {
        let scratch = try Scratch("e2e-resume-crash-recover")
        defer { scratch.remove() }
        let (install, _) = try crashedBeforeRecoveredRename(in: scratch)
        let tree = install.tree
        let logs = try install.logs.map { try install.sha256($0) }
        let originalStarts = try tree.readJournal()["originalStarts"].starts

        let run = try Wuscrub.run("resume", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let journal = try tree.readJournal()
        #expect(journal["phase"].string == "done")
        let sequences = try HiveProbe.sequences(tree.path(tree.hive))
        #expect(sequences.primary == sequences.secondary && Serial.isAfter(sequences.primary, Self.systemBLastSequence), "\(sequences)")
        #expect(try tree.hiveSHA256() == journal["baselineHiveSHA256"].string)
        let baselineBackup = try #require(journal["baselineBackupPath"].string)
        #expect(try install.sha256(baselineBackup) == journal["baselineHiveSHA256"].string)
        #expect(try HiveProbe.start(tree.path(tree.hive)) == originalStarts?.first?.start)
        #expect(tree.snapshot().under(tree.dataStore) == [tree.dataStore: "dir"], "the resumed run must purge")
        #expect(try install.logs.map { try install.sha256($0) } == logs)
    }

    @Test("resume after a crash in the recover phase works with the root spelled differently (another mount point)",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func resumeWithRootSpelledDifferently() throws {
        let scratch = try Scratch("e2e-resume-other-root")
        defer { scratch.remove() }
        let (install, original) = try crashedBeforeRecoveredRename(in: scratch)
        let tree = install.tree
        // The same folder, named another way: as after remounting the disk elsewhere.
        let sameRoot = scratch.path + "/./root"

        let run = try Wuscrub.run("resume", "--yes", "--json", sameRoot)
        let phase = try tree.readJournal()["phase"].string
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(phase == "done")
        if run.status != Exit.success.rawValue {
            #expect(try tree.hiveSHA256() == original, "a refused resume must leave the hive as it was")
        }
    }

    @Test("rollback after a crash before the recovered hive replaced the dirty one closes the journal, hive untouched",
          .enabled(if: Corpus.enabled, Corpus.skipReason))
    func rollbackAfterCrashBeforeRename() throws {
        let scratch = try Scratch("e2e-rollback-crash-recover")
        defer { scratch.remove() }
        let (install, original) = try crashedBeforeRecoveredRename(in: scratch)
        let tree = install.tree
        let logs = try install.logs.map { try install.sha256($0) }

        let run = try Wuscrub.run("rollback", "--yes", "--json", tree.root)
        let phase = try tree.readJournal()["phase"].string
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(phase == "rolled-back")
        #expect(try tree.hiveSHA256() == original, "rollback must not edit or replay the dirty original")
        #expect(try install.logs.map { try install.sha256($0) } == logs)
    }
}
