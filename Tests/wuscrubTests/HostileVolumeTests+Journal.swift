import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Crafted journals

/// One forged `journal.json`.
struct JournalCraft: Sendable, CustomTestStringConvertible {
    enum Base: Sendable {
        /// A finished run's journal (`done`).
        case done
        /// A run stopped in the disable step: the disabled hive (Start=4) on disk, journal open in `disable`.
        case disabled
    }

    enum Edit: Sendable {
        /// Set `key` to a JSON fragment; `{VICTIM}`, `{VICTIM_HIVE}`, `{VICTIM_DIR}` become victim paths
        /// without their leading `/`, `{HASH}` a valid-looking wrong hash.
        case set(String, String)
        /// Set `key` to a fragment and remove other keys.
        case setRemoving(String, String, [String])
        /// Replace one string field's value with `count` bytes of padding.
        case pad(String, Int)
        /// Extend the file, sparse, to this size.
        case sparse(Int64)
        /// Replace the file with JSON nested this deep.
        case nested(Int)
        /// Put bytes that are not UTF-8 in a string field.
        case notUTF8
    }

    enum Expectation: Sendable {
        /// resume, rollback and reset: exit 8, "journal" and "damaged"; nothing changes; status reports journalError.
        case damaged
        /// Not a journal at all (too large, not UTF-8, too deep): exit 8 and "journal".
        case unreadable
        /// Well-formed but disagreeing with the backup on disk (a wrong hash): exit 8 and "journal",
        /// however the message puts it; `status` cannot know without hashing the backup.
        case rejected
        /// Consistent enough to be a real interrupted run: resume/rollback may finish (0) or refuse (3, 8); reset 7 or 8.
        case mayProceed
    }

    var label: String
    var base: Base
    var edit: Edit
    var expectation: Expectation
    var testDescription: String { label }

    static let pathFields: [(field: String, array: Bool, victim: String, badName: String, insideRoot: String)] = [
        ("backupPath", false, "{VICTIM_HIVE}", "Windows/Logs/wuscrub/backup/not-a-backup", "Windows/System32/config/SYSTEM"),
        ("logBackupPaths", true, "{VICTIM}", "Windows/Logs/wuscrub/backup/SYSTEM.LOG1", "Windows/System32/config/SYSTEM.LOG1"),
        ("baselineBackupPath", false, "{VICTIM_HIVE}", "Windows/Logs/wuscrub/backup/recovered", "Windows/SoftwareDistribution/SLS/SYSTEM"),
        ("hivePath", false, "{VICTIM_HIVE}", "Windows/System32/config/SOFTWARE", "Windows/SoftwareDistribution/Download/SYSTEM"),
        ("createdFolders", true, "{VICTIM_DIR}", "Windows/SoftwareDistribution/SLS", "Windows/System32"),
    ]

    static var all: [JournalCraft] {
        var crafts: [JournalCraft] = []
        for (field, array, victim, badName, insideRoot) in pathFields {
            func value(_ text: String) -> String { array ? "[\"\(text)\"]" : "\"\(text)\"" }
            for (what, text) in [("../../../../ to a victim outside ROOT", "../../../../" + victim), ("an absolute victim path", "/" + victim),
                                 ("a name outside the backup pattern", badName), ("a path inside ROOT outside backup/", insideRoot)] {
                crafts.append(JournalCraft(label: "\(field): \(what)", base: .disabled, edit: .set(field, value(text)), expectation: .damaged))
            }
        }
        for field in ["originalHiveSHA256", "disabledHiveSHA256", "baselineHiveSHA256"] {
            // A wrong disabled hash is what a hive edited after the disable step looks like: resume refuses it
            // (3, "changed outside wuscrub") and rollback sets the original values; both are fine here.
            crafts.append(JournalCraft(label: "\(field): a wrong hash", base: .disabled, edit: .set(field, "\"{HASH}\""),
                                       expectation: field == "disabledHiveSHA256" ? .mayProceed : .rejected))
            crafts.append(JournalCraft(label: "\(field): not hex", base: .disabled, edit: .set(field, "\"../../not hex at all\""), expectation: .damaged))
        }
        for version in ["3", "0", "\"1\""] {
            crafts.append(JournalCraft(label: "schemaVersion \(version)", base: .done, edit: .set("schemaVersion", version), expectation: .damaged))
        }
        let phases = ["journal", "backup", "recover", "disable", "purge", "restore", "verify"]
        for (index, phase) in phases.enumerated() {
            // A done journal carries every field; before the purge, purge reports cannot exist, before disable no disabled hash.
            let inconsistent = index <= 3
            crafts.append(JournalCraft(label: "phase \(phase), later phases' fields kept", base: .done, edit: .set("phase", "\"\(phase)\""),
                                       expectation: inconsistent ? .damaged : .mayProceed))
            let later: [String] = index <= 2 ? ["disabledHiveSHA256", "purge", "createdFolders"] : index <= 4 ? ["purge", "createdFolders"] : []
            crafts.append(JournalCraft(label: "phase \(phase), later phases' fields removed", base: .done,
                                       edit: .setRemoving("phase", "\"\(phase)\"", later), expectation: .mayProceed))
        }
        let starts = [
            ("originalStarts empty", "[]"),
            ("originalStarts with 100 entries", "[" + (1...100).map { #"{"controlSet":"ControlSet\#(String(format: "%03d", $0))","start":3,"delayedAutostart":false}"# }.joined(separator: ",") + "]"),
            ("originalStarts start 99", #"[{"controlSet":"ControlSet001","start":99,"delayedAutostart":false}]"#),
            ("originalStarts controlSet ../x", #"[{"controlSet":"../x","start":3,"delayedAutostart":false}]"#),
        ]
        for (label, fragment) in starts {
            crafts.append(JournalCraft(label: label, base: .disabled, edit: .set("originalStarts", fragment), expectation: .damaged))
        }
        crafts.append(JournalCraft(label: "runID garbage", base: .disabled, edit: .set("runID", #""../../\u0000\n*?""#), expectation: .damaged))
        crafts.append(JournalCraft(label: "originalHiveSize negative", base: .disabled, edit: .set("originalHiveSize", "-4096"), expectation: .damaged))
        crafts.append(JournalCraft(label: "originalHiveSize huge", base: .disabled, edit: .set("originalHiveSize", "9223372036854775807"), expectation: .damaged))
        crafts.append(JournalCraft(label: "a 5 MiB journal (padded string field)", base: .disabled, edit: .pad("toolVersion", 5 << 20), expectation: .unreadable))
        crafts.append(JournalCraft(label: "a sparse 5 GiB journal", base: .disabled, edit: .sparse(5 << 30), expectation: .unreadable))
        crafts.append(JournalCraft(label: "deeply nested JSON", base: .disabled, edit: .nested(200_000), expectation: .unreadable))
        crafts.append(JournalCraft(label: "bytes that are not UTF-8", base: .disabled, edit: .notUTF8, expectation: .unreadable))
        return crafts
    }

    /// Applies the edit to the stage's journal.
    func apply(to stage: HostileStage, victims: Victims) throws {
        let path = stage.path(stage.tree.journal)
        func substitute(_ text: String) -> String {
            text.replacingOccurrences(of: "{VICTIM_HIVE}", with: String(victims.hiveCopy.dropFirst()))
                .replacingOccurrences(of: "{VICTIM_DIR}", with: String(victims.folder.dropFirst()))
                .replacingOccurrences(of: "{VICTIM}", with: String(victims.file.dropFirst()))
                .replacingOccurrences(of: "{HASH}", with: String(repeating: "ab", count: 32))
        }
        func fragment(_ text: String) throws -> Any {
            try JSONSerialization.jsonObject(with: Data(substitute(text).utf8), options: .fragmentsAllowed)
        }
        switch edit {
        case let .set(key, text):
            try stage.tree.editJournal([key: try fragment(text)])
        case let .setRemoving(key, text, removed):
            try stage.tree.editJournal([key: try fragment(text)])
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            for name in removed { object[name] = nil }
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        case let .pad(key, count):
            try stage.tree.editJournal([key: String(repeating: "A", count: count)])
        case let .sparse(size):
            try HostilePaths.makeSparse(path, size: size)
        case let .nested(depth):
            let text = "{\"schemaVersion\":1,\"phase\":\"purge\",\"x\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        case .notUTF8:
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let marker = Array("\"toolVersion\" : \"".utf8)
            let start = try #require(bytes.firstRange(of: marker), "the journal names its toolVersion").upperBound
            bytes.replaceSubrange(start..<start + 2, with: [0xFF, 0xFE, 0xC3, 0x28])
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
    }
}

extension HostileVolumeTests {
    /// A stage in the craft's base state (before the edit).
    static func journalBase(_ base: JournalCraft.Base) throws -> HostileStage {
        let stage = try HostileStage("journal", state: .finished)
        if base == .disabled {
            let sets = stage.originalStarts.map { (controlSet: $0.controlSet, name: "Start", value: UInt32(4)) }
            let disabled = try HiveSurgery.setServiceValues(stage.path(stage.tree.hive), sets)
            try stage.tree.editJournal(["phase": "disable", "disabledHiveSHA256": disabled])
        }
        return stage
    }

    @Test("a forged journal.json (path fields out of backup/ or ROOT, bad hashes, schema, phases, starts, sizes, giants, non-UTF-8) is refused as damaged (exit 8); nothing moves",
          arguments: JournalCraft.all)
    func craftedJournal(_ craft: JournalCraft) throws {
        let site = try VictimSite()
        defer { site.close() }
        let template = try Self.journalBase(craft.base)
        defer { template.close() }
        // Decoys a path inside ROOT may name, so that following one would find something.
        try Data(FixtureSpec.pattern(count: 4096, seed: "decoy")).write(to: URL(fileURLWithPath: template.path("Windows/SoftwareDistribution/Download/SYSTEM")))
        try craft.apply(to: template, victims: site.victims)

        for command in [HostileCommand.resume, .rollback, .reset, .status] {
            let stage = try template.copy("journal-\(command.arguments[0])")
            defer { stage.close() }
            let context = "\(craft.label), \(command)"
            let before = stage.snapshot()
            let strand = StrandWatch(stage)
            let watch = VictimWatch(site.victims)
            let run = command == .status ? try stage.run(["status", "--json", stage.root]) : try stage.run(command)
            Self.expectSane(run, context)
            watch.expectUntouched(context)
            Self.expectStartNotStranded(stage, context, before: strand)
            guard !run.hung else { break }

            if command == .status {
                #expect(run.status == Exit.success.rawValue, "\(context): \(run)")
                if craft.expectation == .damaged || craft.expectation == .unreadable {
                    let error = try? run.document()["status"]["journalError"].string
                    #expect(error?.isEmpty == false, "\(context): status.journalError must say what is wrong\n\(run.stdout)")
                }
                Self.expectUnchanged(stage.snapshot(), before, context)
                continue
            }
            switch craft.expectation {
            case .damaged, .unreadable, .rejected:
                #expect(run.status == Exit.ioError.rawValue, "\(context): \(run)")
                #expect(run.stderr.contains("journal"), "\(context): the message must name the journal\n\(run.stderr)")
                if craft.expectation == .damaged {
                    #expect(run.stderr.lowercased().contains("damaged"), "\(context): the message must say the journal is damaged\n\(run.stderr)")
                }
                Self.expectUnchanged(stage.snapshot(), before, context)
            case .mayProceed:
                let allowed: [Exit] = command == .reset ? [.unfinishedJournal, .ioError] : [.success, .unsafeState, .ioError]
                #expect(allowed.map(\.rawValue).contains(run.status), "\(context): \(run)")
                if run.status == Exit.success.rawValue {
                    #expect(stage.starts() == stage.originalStarts.map(\.start), "\(context): Start must end at its original value")
                    #expect(stage.journalPhase().map(Self.closedPhases.contains) == true, "\(context): the journal is closed")
                } else {
                    // A resume that fails part-way may have logged a line; nothing else may move.
                    Self.expectUnchanged(HostileSnapshot(entries: stage.snapshot().entries.filter { $0.key != stage.tree.log }),
                                         HostileSnapshot(entries: before.entries.filter { $0.key != stage.tree.log }), context)
                }
            }
        }
    }

    @Test("reported attack (b): phase 'journal' and backupPath ../../../../<victim>: resume exits 8 and the victim keeps its bytes; reset refuses (8), not 'resume'")
    func reportedBackupPathAttack() throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("attack-b", state: .finished)
        defer { stage.close() }
        let victim = site.victims.file
        try stage.tree.editJournal(["phase": "journal", "backupPath": "../../../../" + victim.dropFirst()])
        let victimBytes = try FileIO.sha256(ofFile: victim)
        let before = stage.snapshot()

        let resume = try stage.run(.resume)
        Self.expectSane(resume, "resume")
        #expect(resume.status == Exit.ioError.rawValue, "\(resume)")
        #expect(resume.stderr.contains("journal"), "\(resume.stderr)")
        #expect(FileManager.default.fileExists(atPath: victim), "the victim file still exists")
        #expect((try? FileIO.sha256(ofFile: victim)) == victimBytes, "the victim file keeps its bytes")
        Self.expectUnchanged(stage.snapshot(), before, "resume")

        let reset = try stage.run(.reset)
        Self.expectSane(reset, "reset")
        #expect(reset.status == Exit.ioError.rawValue, "reset must refuse the damaged journal, not ask to resume it: \(reset)")
        #expect(!reset.stderr.contains("wuscrub resume"), "\(reset.stderr)")
        #expect((try? FileIO.sha256(ofFile: victim)) == victimBytes)
        Self.expectUnchanged(stage.snapshot(), before, "reset")
    }

    @Test("reported attack (a): wuscrub.log replaced by a block device node of a loop device over a victim image: reset exits 3, the image's bytes unchanged",
          .enabled(if: HostileVolumeTests.needsRoot, HostileVolumeTests.needsRootReason))
    func reportedLogDeviceAttack() throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("attack-a", state: .finished)
        defer { stage.close() }
        try Plant.blockDevice.put(at: stage.path(stage.tree.log), victims: site.victims)
        let image = try FileIO.sha256(ofFile: site.victims.image)
        let before = stage.snapshot()
        let watch = VictimWatch(site.victims)
        let run = try stage.run(.reset)
        Self.expectSane(run, "reset")
        Self.expectRefusal(run, code: .unsafeState, naming: stage.tree.log, words: ["is a block device"], "reset")
        // Read-detection first: hashing the image afterwards reads it (and so does flushing the loop device).
        watch.expectUntouched("reset")
        site.victims.flushLoop()
        #expect(try FileIO.sha256(ofFile: site.victims.image) == image, "the victim image's bytes are unchanged")
        Self.expectUnchanged(stage.snapshot(), before, "reset")
    }
}
