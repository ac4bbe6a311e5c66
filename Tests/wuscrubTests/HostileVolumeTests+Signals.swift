import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Signals on a plain ROOT (no --device)

struct SignalCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var description: String { testDescription }
    var point: String
    var signal: String
    var testDescription: String { "SIG\(signal) at \(point)" }

    var number: Int32 {
        switch signal {
        case "INT": SIGINT
        case "HUP": SIGHUP
        default: SIGTERM
        }
    }

    static let signals = ["TERM", "INT", "HUP"]
    /// Points where the disabled hive is in place: the run must put Start back before it exits.
    static let afterDisable = ["mid-purge", "after-hive-rename", "after-journal-purge"].flatMap { point in signals.map { SignalCase(point: point, signal: $0) } }
    /// Points before the disable step: the run stops with the hive untouched.
    static let beforeDisable = ["after-journal-journal", "after-journal-backup", "before-hive-rename"].flatMap { point in signals.map { SignalCase(point: point, signal: $0) } }
}

extension HostileVolumeTests {
    @Test("a signal once the service is disabled: exit 128+N, Start restored, journal closed as 'interrupted', a later reset finishes the purge",
          arguments: SignalCase.afterDisable)
    func signalAfterDisable(_ signalCase: SignalCase) throws {
        let stage = try HostileStage("signal-late", state: .fresh)
        defer { stage.close() }
        let run = try stage.run(["reset", "--yes", stage.root], environment: ["WUSCRUB_FAULT": "\(signalCase.point):\(signalCase.signal)"])
        #expect(run.status == 128 + signalCase.number, "\(run)")
        let message = run.stderr.lowercased()
        #expect(message.contains("interrupted"), "the message says the run was interrupted\n\(run.stderr)")
        #expect(message.contains("restored"), "the message says the start mode was restored\n\(run.stderr)")
        #expect(stage.starts() == stage.originalStarts.map(\.start), "Start is back at its original value")
        #expect(stage.journalPhase() == "interrupted", "the journal is closed as interrupted")
        Self.expectStartNotStranded(stage, "\(signalCase)")

        let again = try stage.run(.reset)
        Self.expectSane(again, "reset after the signal")
        #expect(again.status == Exit.success.rawValue, "\(again)")
        for folder in stage.tree.purgeFolders {
            #expect(stage.snapshot().entries.filter { $0.key.hasPrefix(folder + "/") }.isEmpty, "\(folder) emptied by the next reset")
        }
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
    }

    @Test("a signal before the service is disabled: exit 128+N, the hive byte-identical, no open journal, nothing purged, a later reset works",
          arguments: SignalCase.beforeDisable)
    func signalBeforeDisable(_ signalCase: SignalCase) throws {
        let stage = try HostileStage("signal-early", state: .fresh)
        defer { stage.close() }
        let purgeBefore = stage.snapshot().entries.filter { key, _ in stage.tree.purgeFolders.contains { key.hasPrefix($0) } }
        let run = try stage.run(["reset", "--yes", stage.root], environment: ["WUSCRUB_FAULT": "\(signalCase.point):\(signalCase.signal)"])
        #expect(run.status == 128 + signalCase.number, "\(run)")
        #expect(try stage.tree.hiveSHA256() == stage.originalHive, "the hive is byte-identical")
        let phase = stage.journalPhase()
        let journalType = HostilePaths.type(of: stage.path(stage.tree.journal))
        #expect(journalType == "absent" || phase == "interrupted", "no open journal: \(journalType), phase \(phase ?? "-")")
        let purgeAfter = stage.snapshot().entries.filter { key, _ in stage.tree.purgeFolders.contains { key.hasPrefix($0) } }
        #expect(purgeAfter == purgeBefore, "nothing purged")

        let again = try stage.run(.reset)
        Self.expectSane(again, "reset after the signal")
        #expect(again.status == Exit.success.rawValue, "\(again)")
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
        #expect(stage.journalPhase() == "done")
    }

    @Test("a real SIGTERM during the purge of ~30,000 files: exit 143 within 5 s, Start restored, journal 'interrupted'")
    func realSignalDuringPurge() throws {
        var files = 30_000
        for attempt in 1...3 {
            let stage = try HostileStage("signal-real", state: .fresh)
            defer { stage.close() }
            try Self.fill(stage.path(stage.tree.dataStore + "/bulk"), files: files)
            let scratch = try Scratch("hostile-signal-out")
            defer { scratch.remove() }
            let process = try TerminalProcess(Repository.binary, ["reset", "--yes", stage.root], in: scratch)
            defer { process.finish() }
            // Wait for the purge (the disabled hive is in place), at least 0.3 s.
            let started = Date()
            var inPurge = false
            while Date().timeIntervalSince(started) < 60 {
                if stage.journalPhase() == "purge", Date().timeIntervalSince(started) >= 0.3 { inPurge = true; break }
                if process.wait(seconds: 0.01) != nil { break }
            }
            guard inPurge else {
                _ = process.wait(seconds: 60)
                files *= 3
                try #require(attempt < 3, "the run never reached the purge while running: \(process.stderr)")
                continue
            }
            process.send(SIGTERM)
            let signalled = Date()
            let status = process.wait(seconds: 30)
            let elapsed = Date().timeIntervalSince(signalled)
            guard status != 0 || attempt == 3 else {  // finished before the signal landed: retry with more files
                files *= 3
                continue
            }
            #expect(status == 143, "exit \(status.map(String.init) ?? "none (still running)")\n\(process.stderr)")
            #expect(elapsed <= 5, "it stopped \(elapsed) s after SIGTERM")
            #expect(stage.starts() == stage.originalStarts.map(\.start), "Start restored")
            #expect(stage.journalPhase() == "interrupted", "journal closed as interrupted")
            Self.expectStartNotStranded(stage, "real SIGTERM")
            return
        }
    }

    /// Creates `files` empty files under `folder`, 500 to a subfolder.
    static func fill(_ folder: String, files: Int) throws {
        for index in 0..<files {
            let sub = folder + "/d\(index / 500)"
            if index % 500 == 0 { try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true) }
            let fd = open(sub + "/f\(index)", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw HostilePaths.Failure("create \(sub)/f\(index): \(errno)") }
            close(fd)
        }
    }
}
