import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The built `wuscrub` binary, end to end, on fixture installations built in scratch directories.
///
/// Every test runs the real executable (`Repository.binary`) through `Shell.capture`, whose
/// standard input is a pipe: wuscrub never has a terminal here unless a test gives it one.
@Suite("wuscrub end to end")
struct CommandLineTests {
    /// The committed fixtures (`Fixtures/specs/*.fixture`).
    static let committedFixtures = ["win10", "winxp", "split-controlsets", "delayed-auto"]

    /// Siblings of the purge folders that a reset must leave exactly as they were.
    static let siblings = ["SLS", "AuthCabs", "PostRebootEventCache.V2", "ReportingEvents.log"]

    /// The phases a finished run goes through, in order (`Journal.Phase`, without `rolled-back`).
    static let phases = ["journal", "backup", "recover", "disable", "purge", "restore", "verify", "done"]
}

// MARK: - The binary and the fixtures

extension CommandLineTests {
    @Test("the wuscrub binary under test is built")
    func binaryIsBuilt() {
        #expect(Wuscrub.binaryExists, "no executable at \(Wuscrub.binary): build the package first")
    }

    @Test("the parameterized tests cover every committed fixture")
    func everyCommittedFixtureIsCovered() throws {
        let specs = try FileManager.default.contentsOfDirectory(atPath: Repository.fixtures + "/specs")
            .filter { $0.hasSuffix(".fixture") }
            .map { String($0.dropLast(".fixture".count)) }
        #expect(Set(specs) == Set(Self.committedFixtures))
    }
}

// MARK: - reset --yes on the committed fixtures

extension CommandLineTests {
    @Test("reset --yes empties DataStore and Download and leaves everything else as it was",
          arguments: CommandLineTests.committedFixtures)
    func resetCommittedFixture(_ name: String) throws {
        let scratch = try Scratch("e2e-reset")
        defer { scratch.remove() }
        let tree = try Installation(name, in: scratch)
        for folder in tree.purgeFolders {
            try #require(tree.expectedContents(of: folder).files > 0, "fixture \(name) must put files in \(folder)")
        }
        let before = tree.snapshot()
        let originalHive = try tree.hiveSHA256()

        let run = try Wuscrub.run("reset", "--yes", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")

        let after = tree.snapshot()
        #expect(try tree.hiveSHA256() == originalHive, "the SYSTEM hive must be byte-identical to the original")
        for folder in tree.purgeFolders {
            #expect(after.under(folder) == [folder: "dir"], "\(folder) must still exist, empty")
        }

        // Everything outside the purge folders and wuscrub's state folder is untouched.
        var outside = after.excluding(tree.purgeFolders + [tree.stateDirectory])
        if before.entries[tree.windows + "/Logs"] == nil { outside[tree.windows + "/Logs"] = nil }
        #expect(outside == before.excluding(tree.purgeFolders))
        let presentSiblings = Self.siblings.map { tree.windows + "/SoftwareDistribution/" + $0 }
            .filter { before.entries[$0] != nil }
        #expect(!presentSiblings.isEmpty, "fixture \(name) should hold a sibling folder to protect")
        for sibling in presentSiblings {
            #expect(after.under(sibling) == before.under(sibling), "\(sibling) must be untouched")
        }

        // The journal is closed and points at a backup of the original hive.
        let journal = try tree.readJournal()
        #expect(journal["phase"].string == "done")
        #expect(journal["originalHiveSHA256"].string == originalHive)
        #expect(journal["hivePath"].string == tree.hive)
        let backups = tree.backups()
        #expect(backups.count == 1, "backups: \(backups)")
        let backup = try #require(backups.first)
        #expect(journal["backupPath"].string == tree.backupDirectory + "/" + backup)
        #expect(try FileIO.sha256(ofFile: tree.path(tree.backupDirectory + "/" + backup)) == originalHive)

        // The log records each phase of this run once, in order.
        let runID = try #require(journal["runID"].string)
        let log = try String(contentsOfFile: tree.path(tree.log), encoding: .utf8)
        let lines = LogLine.parse(log)
        #expect(lines.allSatisfy { $0.run == String(runID.prefix(8)) }, "every line names run \(runID.prefix(8)):\n\(log)")
        #expect(LogLine.phaseSequence(lines) == Self.phases, "\(log)")
        for phase in Self.phases.dropFirst().dropLast() {
            #expect(lines.filter { $0.phase == phase && $0.note == "starting" }.count == 1,
                    "phase \(phase) must be started exactly once:\n\(log)")
        }
        #expect(lines.filter { $0.phase == "journal" }.count == 1)
        #expect(lines.filter { $0.phase == "done" }.count == 1)
    }

    @Test("reset --yes keeps only the three newest hive backups")
    func resetPrunesOldBackups() throws {
        let scratch = try Scratch("e2e-backups")
        defer { scratch.remove() }
        let tree = try Installation("delayed-auto", in: scratch)
        let originalHive = try tree.hiveSHA256()
        for attempt in 1...4 {
            let run = try Wuscrub.run("reset", "--yes", tree.root)
            try #require(run.status == Exit.success.rawValue, "run \(attempt): \(run)")
        }
        let backups = tree.backups()
        #expect(backups.count == 3, "backups: \(backups)")
        for backup in backups {
            #expect(try FileIO.sha256(ofFile: tree.path(tree.backupDirectory + "/" + backup)) == originalHive)
        }
        let current = try #require(try tree.readJournal()["backupPath"].string)
        #expect(backups.map { tree.backupDirectory + "/" + $0 }.contains(current), "the last run's backup must be kept")
    }
}

/// One line of `wuscrub.log`: `<time> run <id8> phase <phase>: <note>` or `<time> run <id8>: <note>`.
struct LogLine: Equatable {
    var run: String
    var phase: String?
    var note: String

    static func parse(_ text: String) -> [LogLine] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count == 3, words[1] == "run" else { return nil }
            let rest = words[2]
            guard let colon = rest.range(of: ": ") else { return nil }
            let head = rest[..<colon.lowerBound].split(separator: " ").map(String.init)
            let note = String(rest[colon.upperBound...])
            switch head.count {
            case 1: return LogLine(run: head[0], phase: nil, note: note)
            case 3 where head[1] == "phase": return LogLine(run: head[0], phase: head[2], note: note)
            default: return nil
            }
        }
    }

    /// The phases named by the lines, with repeats of the same phase merged.
    static func phaseSequence(_ lines: [LogLine]) -> [String] {
        lines.compactMap(\.phase).reduce(into: []) { sequence, phase in
            if sequence.last != phase { sequence.append(phase) }
        }
    }
}

// MARK: - Absent purge folders

extension CommandLineTests {
    @Test("an absent Download folder is reported, and created empty after the purge, as Windows expects")
    func absentDownloadFolder() throws {
        let scratch = try Scratch("e2e-no-download")
        defer { scratch.remove() }
        let tree = try Installation(text: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            file SoftwareDistribution/DataStore/DataStore.edb 4096
            file SoftwareDistribution/DataStore/Logs/edb.log 1000
            """#, in: scratch)
        try #require(!FileManager.default.fileExists(atPath: tree.path(tree.download)))
        let originalHive = try tree.hiveSHA256()

        let plan = try Wuscrub.run("reset", "--dry-run", "--json", tree.root)
        #expect(plan.status == Exit.success.rawValue, "\(plan)")
        #expect(try plan.document()["plan"]["missingFolders"].array?.compactMap(\.string) == [tree.download])
        let text = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(text.stdout.contains("\(tree.download): absent, nothing to remove; would be created empty"), "\(text.stdout)")

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let purge = try run.document()["result"]["journal"]["purge"]
        #expect(purge.array?.count == 1, "only DataStore is purged: \(purge)")
        #expect(purge.report(for: tree.dataStore).folderCount == tree.expectedContents(of: tree.dataStore))
        #expect(tree.snapshot().under(tree.download) == [tree.download: "dir"], "Download is created empty")
        #expect(try run.document()["result"]["journal"]["createdFolders"].array?.compactMap(\.string) == [tree.download])
        #expect(tree.snapshot().under(tree.dataStore) == [tree.dataStore: "dir"])
        #expect(try tree.hiveSHA256() == originalHive)
    }
}

// MARK: - --json

extension CommandLineTests {
    @Test("reset --yes --json prints one document with the original starts and the purge counts",
          arguments: CommandLineTests.committedFixtures)
    func resetJSON(_ name: String) throws {
        let scratch = try Scratch("e2e-json")
        defer { scratch.remove() }
        let tree = try Installation(name, in: scratch)
        let originalHive = try tree.hiveSHA256()
        let expectedStarts = tree.spec.expectedStarts()
        try #require(!expectedStarts.isEmpty)

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["schemaVersion"].int == 1)
        #expect(document["tool"].string == "wuscrub")
        #expect(document["command"].string == "reset")
        #expect(document["root"].string == tree.root)
        #expect(document["outcome"].string == "success")
        #expect(document["exitCode"].int == Int(run.status))
        #expect(!document["error"].exists)
        #expect(run.stderr.isEmpty, "nothing on standard error with --json: \(run.stderr)")

        #expect(document["install"]["systemHive"].string == tree.hive)
        let result = document["result"]
        #expect(result["journal"]["phase"].string == "done")
        #expect(result["journal"]["originalStarts"].starts == expectedStarts, "\(result["journal"]["originalStarts"])")
        #expect(result["finalStarts"].starts == expectedStarts)
        #expect(result["restoredByteIdentical"].bool == true)
        #expect(result["finalHiveSHA256"].string == originalHive)
        #expect(result["journal"]["originalHiveSHA256"].string == originalHive)

        let purge = result["journal"]["purge"]
        #expect(purge.array?.count == tree.purgeFolders.count, "\(purge)")
        for folder in tree.purgeFolders {
            let report = purge.report(for: folder)
            #expect(report.exists, "no purge report for \(folder): \(purge)")
            #expect(report.folderCount == tree.expectedContents(of: folder), "\(folder): \(report)")
            #expect(report["failureCount"].int == 0, "\(report)")
        }
    }

    @Test("status --json reports the hive, the start modes and the folders", arguments: CommandLineTests.committedFixtures)
    func statusJSON(_ name: String) throws {
        let scratch = try Scratch("e2e-status")
        defer { scratch.remove() }
        let tree = try Installation(name, in: scratch)
        let before = tree.snapshot()

        let run = try Wuscrub.run("status", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["schemaVersion"].int == 1)
        #expect(document["command"].string == "status")
        #expect(document["outcome"].string == "success")
        #expect(document["exitCode"].int == 0)
        let status = document["status"]
        #expect(status["starts"].starts == tree.spec.expectedStarts(), "\(status["starts"])")
        #expect(status["hive"]["state"].string == "clean")
        #expect(status["hive"]["path"].string == tree.hive)
        #expect(status["hive"]["sha256"].string == (try tree.hiveSHA256()))
        #expect(!status["journal"].exists, "no run has been recorded yet")
        for folder in tree.purgeFolders {
            #expect(status["folders"].report(for: folder).folderCount == tree.expectedContents(of: folder),
                    "\(folder): \(status["folders"])")
        }
        #expect(tree.snapshot() == before, "status must write nothing")

        let reset = try Wuscrub.run("reset", "--yes", tree.root)
        try #require(reset.status == Exit.success.rawValue, "\(reset)")
        let later = try Wuscrub.run("status", "--json", tree.root).document()
        #expect(later["status"]["journal"]["phase"].string == "done")
    }

    @Test("errors with --json are one document whose exitCode is the exit status")
    func errorJSON() throws {
        let scratch = try Scratch("e2e-json-error")
        defer { scratch.remove() }
        let empty = scratch.sub("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)

        let run = try Wuscrub.run("reset", "--yes", "--json", empty)
        #expect(run.status == Exit.notWindows.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["schemaVersion"].int == 1)
        #expect(document["command"].string == "reset")
        #expect(document["exitCode"].int == Int(run.status))
        #expect(document["outcome"].string == "not-windows")
        #expect(document["error"]["kind"].string == "not-windows")
        #expect(document["error"]["message"].string?.contains("System32/config/SYSTEM") == true, "\(document)")
        #expect(!document["result"].exists)
        #expect(run.stderr.isEmpty, "with --json the error is in the document only: \(run.stderr)")
    }
}

// MARK: - reset --dry-run

extension CommandLineTests {
    @Test("reset --dry-run writes nothing and counts exactly what a real reset then removes",
          arguments: CommandLineTests.committedFixtures)
    func dryRun(_ name: String) throws {
        let scratch = try Scratch("e2e-dry-run")
        defer { scratch.remove() }
        let tree = try Installation(name, in: scratch)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        #expect(tree.snapshot() == before, "a dry run must write nothing")
        #expect(!FileManager.default.fileExists(atPath: tree.path(tree.stateDirectory)))
        for start in tree.spec.expectedStarts() {
            #expect(run.stdout.contains("\(start.controlSet): Start=\(start.start)"), "\(start) not named:\n\(run.stdout)")
        }
        #expect(run.stdout.contains("nothing was written"), "\(run.stdout)")

        var planned: [String: (count: FolderCount, links: Int)] = [:]
        for folder in tree.purgeFolders {
            let counts = try #require(textCounts(in: run.stdout, folder: folder), "no count line for \(folder):\n\(run.stdout)")
            #expect(counts.count == tree.expectedContents(of: folder), "\(folder) planned")
            planned[folder] = counts
        }

        let reset = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(reset.status == Exit.success.rawValue, "\(reset)")
        let purge = try reset.document()["result"]["journal"]["purge"]
        for folder in tree.purgeFolders {
            let report = purge.report(for: folder)
            #expect(report.folderCount == planned[folder]?.count, "\(folder): planned \(String(describing: planned[folder])), removed \(report)")
            #expect(report["links"].int == planned[folder]?.links)
            #expect(tree.snapshot().under(folder) == [folder: "dir"], "\(folder) must be empty after the real reset")
        }
    }

    @Test("reset --dry-run --json reports the plan, outcome 'planned'")
    func dryRunJSON() throws {
        let scratch = try Scratch("e2e-dry-json")
        defer { scratch.remove() }
        let tree = try Installation("split-controlsets", in: scratch)
        let before = tree.snapshot()

        let run = try Wuscrub.run("reset", "--dry-run", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["outcome"].string == "planned")
        #expect(document["dryRun"].bool == true)
        #expect(document["plan"]["starts"].starts == tree.spec.expectedStarts())
        #expect(document["plan"]["hive"]["sha256"].string == (try tree.hiveSHA256()))
        #expect(document["plan"]["journalPath"].string == tree.journal)
        for folder in tree.purgeFolders {
            #expect(document["plan"]["purge"].report(for: folder).folderCount == tree.expectedContents(of: folder))
        }
        #expect(!document["result"].exists)
        #expect(tree.snapshot() == before)
    }
}

// MARK: - Confirmation

extension CommandLineTests {
    @Test("reset without --yes and without a terminal is cancelled and changes nothing",
          arguments: [[], ["--json"]])
    func resetWithoutConfirmation(_ extra: [String]) throws {
        let scratch = try Scratch("e2e-no-yes")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let before = tree.snapshot()

        // Even a "y" on a pipe is no confirmation: only a terminal can answer.
        for stdin in [nil, "y\n"] as [String?] {
            let run = try Wuscrub.run(["reset"] + extra + [tree.root], stdin: stdin)
            #expect(run.status == Exit.cancelled.rawValue, "\(run)")
            #expect(tree.snapshot() == before, "a cancelled reset must change nothing")
            if extra.contains("--json") {
                let document = try run.document()
                #expect(document["outcome"].string == "cancelled")
                #expect(document["exitCode"].int == Int(Exit.cancelled.rawValue))
            } else {
                #expect(run.stderr.contains("--yes"), "the message should say how to proceed: \(run.stderr)")
            }
        }
    }

    @Test("reset asks on a terminal: 'n' changes nothing, 'y' resets",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"),
                   "needs script(1) (util-linux) to give wuscrub a pseudo-terminal"))
    func resetConfirmedOnATerminal() throws {
        let scratch = try Scratch("e2e-tty")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let before = tree.snapshot()
        let command = "'\(Wuscrub.binary)' reset '\(tree.root)'"

        let declined = try Shell.capture("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "n\n")
        #expect(declined.status == Exit.cancelled.rawValue, "\(declined.stdout)\(declined.stderr)")
        #expect(declined.stdout.contains("[y/N]"), "\(declined.stdout)")
        #expect(tree.snapshot() == before)

        let accepted = try Shell.capture("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: "y\n")
        #expect(accepted.status == Exit.success.rawValue, "\(accepted.stdout)\(accepted.stderr)")
        #expect(try tree.readJournal()["phase"].string == "done")
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == [folder: "dir"])
        }
    }
}

// MARK: - Help, version, usage

extension CommandLineTests {
    @Test("--help of every subcommand exits 0 and shows its usage", arguments: ["reset", "status", "resume", "rollback"])
    func subcommandHelp(_ subcommand: String) throws {
        let run = try Wuscrub.run(subcommand, "--help")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        // reset's ROOT is optional (--device stands in for it), so it shows as [<root>].
        let usage = subcommand == "reset" ? "USAGE: wuscrub reset [<root>] [--device <device>]" : "USAGE: wuscrub \(subcommand) <root>"
        #expect(run.stdout.contains(usage), "\(run.stdout)")
        let viaHelp = try Wuscrub.run("help", subcommand)
        #expect(viaHelp.status == Exit.success.rawValue, "\(viaHelp)")
        #expect(viaHelp.stdout.contains("USAGE: wuscrub \(subcommand)"))
    }

    @Test("wuscrub --help lists the subcommands and every exit code")
    func rootHelp() throws {
        let run = try Wuscrub.run("--help")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        for subcommand in ["reset", "status", "resume", "rollback"] {
            #expect(run.stdout.contains("  \(subcommand) "), "\(subcommand) missing:\n\(run.stdout)")
        }
        for code in Exit.allCases {
            #expect(run.stdout.contains("  \(code.rawValue)\t"), "exit code \(code.rawValue) (\(code)) is not documented:\n\(run.stdout)")
        }
    }

    @Test("README's exit-code table lists exactly the codes the binary documents in --help")
    func readmeExitTable() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first?.components(separatedBy: "\n## ").first)
        let documented = section.split(separator: "\n").compactMap { line -> Int32? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return cells.first.flatMap { Int32($0) }
        }
        #expect(documented == Exit.allCases.map(\.rawValue), "README table: \(documented)")
        let help = try Wuscrub.run("--help").stdout
        let listed = help.split(separator: "\n").compactMap { line -> Int32? in
            line.hasPrefix("  ") && line.contains("\t") ? Int32(line.split(separator: "\t")[0].trimmingCharacters(in: .whitespaces)) : nil
        }
        #expect(listed == documented, "--help lists \(listed)")
    }

    @Test("wuscrub --version prints the version the JSON documents and journals record")
    func version() throws {
        let scratch = try Scratch("e2e-version")
        defer { scratch.remove() }
        let run = try Wuscrub.run("--version")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let printed = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.split(separator: ".").count == 3 && printed.split(separator: ".").allSatisfy { Int($0) != nil },
                "not a version number: '\(printed)'")

        let tree = try Installation("win10", in: scratch)
        let reset = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(try reset.document()["version"].string == printed)
        #expect(try tree.readJournal()["toolVersion"].string == printed)
    }

    @Test("usage errors exit 64", arguments: [["reset"], ["reset", "--frobnicate", "/"], ["frobnicate"], ["status"]])
    func usageErrors(_ arguments: [String]) throws {
        let run = try Wuscrub.run(arguments)
        #expect(run.status == Exit.usage.rawValue, "\(run)")
        #expect(!run.stderr.isEmpty)
        #expect(run.stdout.isEmpty, "without --json the usage goes to standard error only")
    }

    @Test("a usage error under --json still prints the one JSON document, outcome 'usage'",
          arguments: [["reset", "--json"], ["reset", "--json", "--frobnicate", "/"], ["reset", "/", "--json", "--frobnicate"],
                      ["status", "--json"], ["hive", "check", "--json"]])
    func usageErrorsInJSON(_ arguments: [String]) throws {
        let run = try Wuscrub.run(arguments)
        #expect(run.status == Exit.usage.rawValue, "\(run)")
        let document = try run.document()
        #expect(document["outcome"].string == "usage")
        #expect(document["exitCode"].int == Int(Exit.usage.rawValue))
        #expect(document["command"].string == arguments.filter { !$0.hasPrefix("-") && $0 != "/" }.joined(separator: " "))
        #expect(document["root"].string == (arguments.contains("/") ? "/" : ""))
        #expect(document["error"]["message"].string?.isEmpty == false)
    }
}
