import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

/// The real hives of `../shared/corpus`, read in place (decompressed into scratch directories).
@Suite(.enabled(if: Corpus.enabled, Corpus.skipReason))
struct CorpusTests {
    /// An installation built around a corpus SYSTEM hive.
    func install(_ relative: String, in scratch: Scratch) throws -> WindowsInstall {
        let root = try FixtureTree.install(text: """
            file SoftwareDistribution/DataStore/DataStore.edb 4096
            file SoftwareDistribution/Download/abc/update.cab 10000
            file SoftwareDistribution/SLS/keep.cab 100
            """, in: scratch)
        let hive = root + "/Windows/System32/config/SYSTEM"
        try FileManager.default.removeItem(atPath: hive)
        let copy = try Corpus.copy(relative, into: scratch)
        try FileManager.default.moveItem(atPath: copy, toPath: hive)
        return try WindowsInstall.locate(root: root)
    }

    /// reglookup's full dump: one line per key and value, from a parser that is not hivex.
    func dump(_ path: String) throws -> [String] {
        try Shell.run("/usr/bin/reglookup", [path]).split(separator: "\n").map(String.init)
    }

    /// The corpus holds no SOFTWARE hive: the `subkeys` operation `updates` uses is checked on the
    /// real SYSTEM hive's 400-odd services instead, against `hivexsh` (docs/architecture.md §15.2).
    @Test func subkeysOfARealHiveMatchHivexsh() throws {
        let scratch = try Scratch("corpus-subkeys")
        defer { scratch.remove() }
        let path = try Corpus.copy("regipy/SYSTEM.xz", into: scratch)
        let bytes = try FileIO.read(path)
        _ = SandboxSupport.ready
        let listing = try HiveSandbox.readSubkeys(hive: HiveImage(bytes, path: "SYSTEM"), path: "SYSTEM",
                                                  queries: [SubkeyQuery(key: "ControlSet001\\services", names: ["Start"])])
        let shell = try Shell.capture("/usr/bin/hivexsh", [path], stdin: "cd ControlSet001\\services\nls\n")
        let names = shell.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(names.count > 300)
        #expect(Set(listing[0].records.map(\.name)) == Set(names))
        #expect(listing[0].records.first { $0.name == "wuauserv" }?.values == ["2"])
    }

    @Test func realCleanSystemHiveIsEditedAndRestoredWithEverythingElseIdentical() throws {
        let scratch = try Scratch("corpus-system")
        defer { scratch.remove() }
        let install = try install("regipy/SYSTEM.xz", in: scratch)
        let hive = install.path(install.systemHive)
        let original = try FileIO.read(hive)
        let originalDump = try dump(hive)

        var resetter = Resetter(sandboxed: install, toolVersion: "test")
        let plan = try resetter.preflight()
        #expect(plan.hive.state == "clean")
        #expect(plan.starts == [ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: true)])
        #expect(plan.starts.first?.startType == "automatic (delayed)")

        // While the purge runs, the hive differs from the original only in wuauserv's Start.
        let disabledDump = Box<[String]>()
        resetter.checkpoint = { point in
            if point == .phaseStarted(.purge) { disabledDump.value = try dump(hive) }
        }
        let outcome = try resetter.run(plan)
        let during = try #require(disabledDump.value)
        let removed = Set(originalDump).subtracting(during)
        let added = Set(during).subtracting(originalDump)
        // The real hive spells the key "services" in lower case.
        #expect(removed == ["/ControlSet001/services/wuauserv/Start,DWORD,0x00000002,"], "only Start changed")
        #expect(added == ["/ControlSet001/services/wuauserv/Start,DWORD,0x00000004,"])
        #expect(during.count == originalDump.count)

        // Afterwards the hive is the original, byte for byte.
        #expect(outcome.restoredByteIdentical)
        #expect(try FileIO.read(hive) == original)
        #expect(outcome.finalStarts.map(\.start) == [2])
    }

    @Test func hivexEditOfTheRealHiveKeepsEveryOtherKeyAndValue() throws {
        let scratch = try Scratch("corpus-edit")
        defer { scratch.remove() }
        let install = try install("regipy/SYSTEM.xz", in: scratch)
        let hive = install.path(install.systemHive)
        let originalDump = try dump(hive)
        // Change the value, then set it back with hivex (not from the backup): the content is the same.
        for start: UInt32 in [4, 2] {
            try HiveEditor.rewrite(hive, edit: { try ServiceConfiguration.setStart([("ControlSet001", start)], in: $0) }, verify: { _ in })
        }
        #expect(try dump(hive) == originalDump)
        let regfexport = try Shell.capture("/usr/bin/regfexport", [hive])
        #expect(regfexport.status == 0, "regfexport reads the edited hive: \(regfexport.stderr.prefix(300))")
        let block = try HiveLayout.validate(try FileIO.read(hive), path: hive)
        #expect(!block.isDirty && block.primarySequence == 13983 + 2)
    }

    @Test func dirtyRealHiveIsRefused() throws {
        let scratch = try Scratch("corpus-dirty")
        defer { scratch.remove() }
        let install = try install("regipy/SYSTEM_2.xz", in: scratch)
        let before = TreeSnapshot(install.root)
        let error = #expect(throws: WUScrubError.self) { _ = try Resetter(sandboxed: install, toolVersion: "test").preflight() }
        guard case .recovery(.refused)? = error else { Issue.record("expected a refused recovery, got \(String(describing: error))"); return }
        #expect(error?.description.contains("sequence numbers 205 ≠ 204") == true)
        #expect(error?.description.contains("no transaction log was found") == true)
        #expect(TreeSnapshot(install.root) == before)
    }

    @Test func corruptedRealHiveIsAHiveError() throws {
        let scratch = try Scratch("corpus-corrupt")
        defer { scratch.remove() }
        let install = try install("regipy/corrupted_system_hive.xz", in: scratch)
        let before = TreeSnapshot(install.root)
        #expect(throws: (any Error).self) { _ = try Resetter(sandboxed: install, toolVersion: "test").preflight() }
        #expect(TreeSnapshot(install.root) == before)
    }
}

/// A reset on an installation whose SYSTEM hive is the dirty regipy SYSTEM_B with its two logs.
@Suite(.enabled(if: Corpus.enabled, Corpus.skipReason))
struct DirtyResetTests {
    struct Setup {
        let scratch: Scratch
        let install: WindowsInstall
        let hive: String
        let logHashes: [String: String]
        let recoveredStarts: [ServiceStart]
        let recoveredKeys: Int

        init() throws {
            scratch = try Scratch("dirty-reset")
            let root = try FixtureTree.install(text: """
                file SoftwareDistribution/DataStore/DataStore.edb 8192
                file SoftwareDistribution/Download/abc/update.cab 10000
                file SoftwareDistribution/SLS/keep.cab 100
                """, in: scratch)
            let config = root + "/Windows/System32/config"
            for name in ["SYSTEM", "SYSTEM.LOG1", "SYSTEM.LOG2"] { try? FileManager.default.removeItem(atPath: config + "/" + name) }
            let hive = try Corpus.copy("regipy/SYSTEM_B.xz", into: scratch)
            try FileManager.default.moveItem(atPath: hive, toPath: config + "/SYSTEM")
            var hashes: [String: String] = [:]
            for log in ["LOG1", "LOG2"] {
                let copy = try Corpus.copy("regipy/SYSTEM_B.\(log).xz", into: scratch)
                try FileManager.default.moveItem(atPath: copy, toPath: config + "/SYSTEM.\(log)")
                hashes[log] = try FileIO.sha256(ofFile: config + "/SYSTEM.\(log)")
            }
            install = try WindowsInstall.locate(root: root)
            self.hive = config + "/SYSTEM"
            logHashes = hashes
            let analysis = try HiveRecovery.analyze(hiveAt: self.hive)
            let recovered = scratch.sub("recovered")
            try FileIO.createDurably(try #require(analysis.recovered), at: recovered)
            let opened = try Hive(path: recovered)
            recoveredStarts = try ServiceConfiguration.read(opened)
            opened.close()
            recoveredKeys = try Shell.run("/usr/bin/reglookup", ["-t", "KEY", recovered]).split(separator: "\n").count
        }

        func expectFinished(_ outcome: ResetOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let bytes = try FileIO.read(hive)
            let block = try HiveLayout.validate(bytes, path: hive)
            #expect(!block.isDirty, sourceLocation: sourceLocation)
            #expect(Serial.isAfter(block.primarySequence, 2130), "above every sequence number in the logs: \(block.primarySequence)", sourceLocation: sourceLocation)
            let opened = try Hive(path: hive)
            #expect(try ServiceConfiguration.read(opened) == recoveredStarts, sourceLocation: sourceLocation)
            opened.close()
            #expect(outcome.journal.phase == .done, sourceLocation: sourceLocation)
            #expect(outcome.journal.recovery?.applied.flatMap(\.sequences) == Array(2107...2130), sourceLocation: sourceLocation)
            for (log, hash) in logHashes {
                #expect(try FileIO.sha256(ofFile: hive + "." + log) == hash, "the logs are left untouched", sourceLocation: sourceLocation)
            }
            let keys = try Shell.run("/usr/bin/reglookup", ["-t", "KEY", hive]).split(separator: "\n").count
            #expect(keys == recoveredKeys, "every recovered key is there", sourceLocation: sourceLocation)
            for folder in [install.dataStore!, install.download!] {
                #expect(try FileManager.default.contentsOfDirectory(atPath: install.path(folder)).isEmpty, sourceLocation: sourceLocation)
            }
        }
    }

    @Test func resetReplaysTheLogsThenEditsAndRestores() throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        let resetter = Resetter(sandboxed: setup.install, toolVersion: "test")
        let plan = try resetter.preflight()
        #expect(plan.recovery?.outcome == .recovered)
        #expect(plan.starts == setup.recoveredStarts)
        let outcome = try resetter.run(plan)
        try setup.expectFinished(outcome)
        #expect(outcome.restoredByteIdentical, "the recovered baseline is put back byte for byte")
        #expect(try FileIO.sha256(ofFile: setup.hive) == outcome.journal.baselineHiveSHA256)
        let backups = try FileManager.default.contentsOfDirectory(atPath: setup.install.path(setup.install.stateDirectory + "/backup"))
        #expect(backups.filter { $0.hasSuffix(".LOG1") || $0.hasSuffix(".LOG2") }.count == 2)
        #expect(try FileIO.sha256(ofFile: setup.install.path(outcome.journal.backupPath)) == outcome.journal.originalHiveSHA256)
        for path in outcome.journal.logBackupPaths ?? [] {
            let log = String(path.split(separator: ".").last!)
            #expect(try FileIO.sha256(ofFile: setup.install.path(path)) == setup.logHashes[log])
        }
    }

    @Test(arguments: [Resetter.Checkpoint.phaseStarted(.recover), .beforeRecoveredHiveRename, .phaseStarted(.disable), .afterHiveRename, .phaseStarted(.restore)])
    func resumeAfterACrashAroundRecovery(point: Resetter.Checkpoint) throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        var crashing = Resetter(sandboxed: setup.install, toolVersion: "test")
        crashing.checkpoint = { if $0 == point { throw Crash() } }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try crashing.run(try crashing.preflight()) }
        let outcome = try Resetter(sandboxed: setup.install, toolVersion: "test").resume()
        try setup.expectFinished(outcome)
    }
}
