import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The Windows volume is attacker-controlled: nothing on it may reach the host.
///
/// Every run here is the real binary under `timeout` (124: hung) and `prlimit --as` (a runaway
/// read cannot take the machine's memory). For each case the suite checks the exit code, the
/// message (the path and what was found), that no byte outside ROOT changed (victim files, a
/// victim folder and a loop-attached victim image, hashed before and after, and not even read),
/// that a refusal changed nothing on the volume, and that `Start` is never left at 4 without an
/// open journal.
///
/// Against a tool that opens a planted FIFO, each such case costs the full timeout (60 s, then
/// SIGKILL 5 s later) once: `WUSCRUB_HOSTILE_TIMEOUT=10` shortens that while iterating. The
/// NTFS cases are skipped with a reason without root and FUSE (`NTFSImage.enabled`); the device
/// node cases need root (mknod, losetup) and are skipped with a reason without it.
@Suite("hostile volume", .serialized)
struct HostileVolumeTests {
    /// Exit codes a run may end with at all: the documented ones except 70 (internal error).
    /// Anything else is a crash (134, 139, 137, 132, 133), a hang (124) or the fault hook (99).
    static let documented: Set<Int32> = Set(Exit.allCases.map(\.rawValue)).subtracting([Exit.internalError.rawValue])

    /// The committed win10 fixture's SYSTEM hive, copied as a tempting victim.
    static var fixtureHive: String { Repository.fixtures + "/hives/win10.SYSTEM" }

    /// Device nodes (mknod) and loop devices (losetup) need root: skipped with this reason otherwise,
    /// unless `WUSCRUB_REQUIRE_ROOT=1`, which makes them run and fail.
    static let needsRoot = getuid() == 0 || ProcessInfo.processInfo.environment["WUSCRUB_REQUIRE_ROOT"] == "1"
    static let needsRootReason: Comment = "plants device nodes (mknod) of a loop device (losetup): needs root; skipped (WUSCRUB_REQUIRE_ROOT=1 makes it fail instead)"

    /// Phases in which a run is over: its journal is not open.
    static let closedPhases: Set<String> = ["done", "rolled-back", "interrupted"]
}

// MARK: - Commands

/// The commands every hostile case is put through.
enum HostileCommand: String, CaseIterable, Sendable, CustomStringConvertible {
    case reset = "reset --yes"
    case dryRun = "reset --dry-run"
    case resume = "resume --yes"
    case rollback = "rollback --yes"
    case status = "status"

    var description: String { rawValue }
    var arguments: [String] { rawValue.split(separator: " ").map(String.init) }
    /// resume and rollback need an interrupted run to work on.
    var needsInterruptedRun: Bool { self == .resume || self == .rollback }
}

// MARK: - A stage: one installation to attack

extension Installation {
    /// An installation already built at `root` (a copy, or a fixture written onto an NTFS volume).
    init(spec: FixtureSpec, root: String) {
        self.spec = spec
        self.root = root
    }
}

/// One installation in its own scratch folder (or on a mounted volume), in a chosen state.
struct HostileStage {
    enum State: Sendable {
        /// As the fixture builds it.
        case fresh
        /// After one `reset --yes` (journal `done`, one backup).
        case finished
        /// `reset --yes` stopped dead (`WUSCRUB_FAULT=after-journal-purge`, exit 99): Start=4, journal open in `purge`.
        case interrupted
    }

    let scratch: Scratch?
    let tree: Installation
    let originalHive: String
    let originalStarts: [ExpectedStart]

    /// Builds the fixture in a new scratch folder, or (with `root`) wipes that folder and builds it there.
    init(_ label: String, fixture: String = "win10", state: State, root: String? = nil) throws {
        let spec = try FixtureTree.spec(fixture)
        if let root {
            scratch = nil
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where !name.hasPrefix("$") {
                try HostilePaths.remove(root + "/" + name)
            }
            _ = try FixtureBuilder.install(spec, at: root)
            tree = Installation(spec: spec, root: root)
        } else {
            let scratch = try Scratch("hostile-\(label)")
            self.scratch = scratch
            tree = try Installation(fixture, in: scratch)
        }
        originalHive = try tree.hiveSHA256()
        originalStarts = spec.expectedStarts()
        switch state {
        case .fresh:
            break
        case .finished:
            let run = try HostileRunner.run(["reset", "--yes", tree.root])
            try #require(run.status == 0, "setting up a finished run: \(run.status) \(run.stderr)")
        case .interrupted:
            let run = try HostileRunner.run(["reset", "--yes", tree.root], environment: ["WUSCRUB_FAULT": "after-journal-purge"])
            try #require(run.status == 99, "setting up an interrupted run: \(run.status) \(run.stderr)")
            try #require(try tree.readJournal()["phase"].string == "purge")
        }
    }

    /// A copy of this stage's tree (`cp -a`) in a new scratch folder, for one more command on the same start.
    func copy(_ label: String) throws -> HostileStage {
        let target = try Scratch("hostile-\(label)")
        try Shell.run("/bin/cp", ["-a", tree.root, target.sub("root")])
        return HostileStage(scratch: target, tree: Installation(spec: tree.spec, root: target.sub("root")),
                            originalHive: originalHive, originalStarts: originalStarts)
    }

    private init(scratch: Scratch, tree: Installation, originalHive: String, originalStarts: [ExpectedStart]) {
        self.scratch = scratch
        self.tree = tree
        self.originalHive = originalHive
        self.originalStarts = originalStarts
    }

    func close() { scratch?.remove() }

    var root: String { tree.root }
    func path(_ relative: String) -> String { tree.path(relative) }
    var lock: String { tree.stateDirectory + "/lock" }

    /// Runs the binary, bounded, on this stage.
    func run(_ arguments: [String], environment: [String: String] = [:], addressSpace: UInt64? = HostileRunner.addressSpaceLimit) throws -> Run {
        let result = try HostileRunner.run(arguments, environment: environment, addressSpace: addressSpace)
        return Run(arguments: result.arguments, status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    func run(_ command: HostileCommand) throws -> Run { try run(command.arguments + [root]) }

    func snapshot() -> HostileSnapshot { HostileSnapshot(root) }

    /// `wuauserv\Start` in each recorded control set, read with `hivexget` in a child process;
    /// nil when the hive is not a regular file or cannot be read.
    func starts() -> [Int]? {
        let hive = path(tree.hive)
        guard let size = HostilePaths.regularFileSize(hive), size < HostileSnapshot.hashLimit else { return nil }
        var values: [Int] = []
        for expected in originalStarts {
            guard let result = try? Shell.capture("/usr/bin/timeout", ["20", "/usr/bin/hivexget", hive, "\\\(expected.controlSet)\\Services\\wuauserv", "Start"]),
                  result.status == 0, let value = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
            values.append(value)
        }
        return values
    }

    /// The journal's `phase`, when the journal is a small regular file that parses; nil otherwise.
    func journalPhase() -> String? {
        let journal = path(tree.journal)
        guard let size = HostilePaths.regularFileSize(journal), size < 1 << 20 else { return nil }
        return try? tree.readJournal()["phase"].string
    }
}

// MARK: - Checks shared by every file of the suite

extension HostileVolumeTests {
    /// No crash, no hang, no internal error.
    static func expectSane(_ run: Run, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!run.hung, "\(context): hung (timeout stopped it)\n\(run)", sourceLocation: sourceLocation)
        #expect(documented.contains(run.status), "\(context): exit \(run.status) is not a documented outcome (crash? internal error?)\n\(run)",
                sourceLocation: sourceLocation)
    }

    /// A refusal: exit `code`, standard error naming the path (at least its file name) and `words`.
    static func expectRefusal(_ run: Run, code: Exit, naming path: String, words: [String], _ context: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == code.rawValue, "\(context): expected exit \(code.rawValue)\n\(run)", sourceLocation: sourceLocation)
        let name = (path as NSString).lastPathComponent
        #expect(run.stderr.contains(name), "\(context): the message must name '\(path)'\n\(run.stderr)", sourceLocation: sourceLocation)
        for word in words {
            #expect(run.stderr.lowercased().contains(word.lowercased()), "\(context): the message must say '\(word)'\n\(run.stderr)",
                    sourceLocation: sourceLocation)
        }
    }

    /// `Start` is 4 (disabled) only while the journal is open (a phase other than done, rolled-back,
    /// interrupted). With `before` (taken just before the run), a state the run did not change at
    /// all (the attacker's own Start=4 beside a forged journal, say) is not the run's doing.
    static func expectStartNotStranded(_ stage: HostileStage, _ context: String, before: StrandWatch? = nil,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let starts = stage.starts(), starts.contains(4) else { return }
        let now = StrandWatch(stage)
        if let before, before == now { return }
        let journal = stage.path(stage.tree.journal)
        let phase = HostilePaths.type(of: journal) == "file" ? stage.journalPhase() : nil
        #expect(phase.map { !closedPhases.contains($0) } ?? false,
                "\(context): Start is 4 but the journal is not open (\(HostilePaths.type(of: journal)), phase \(phase ?? "unreadable"))",
                sourceLocation: sourceLocation)
    }

    /// Snapshot equality with the differences in the message.
    static func expectUnchanged(_ after: HostileSnapshot, _ before: HostileSnapshot, _ context: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let unchanged = after == before
        #expect(unchanged, "\(context): the volume changed:\n\(after.difference(from: before))", sourceLocation: sourceLocation)
    }
}

/// Start and the journal file as they are, to tell whether a run changed them.
struct StrandWatch: Equatable {
    let starts: [Int]?
    let journal: String?

    init(_ stage: HostileStage) {
        starts = stage.starts()
        journal = HostileSnapshot(stage.path(stage.tree.journal)).entries["."]
    }
}

extension Run {
    /// `timeout` stopped the run: 124 after SIGTERM, 137 when it had to SIGKILL it 5 s later.
    var hung: Bool { status == 124 || status == 137 }
}

/// Watches the victims around one run: their bytes, and whether anything read them.
struct VictimWatch {
    let victims: Victims
    let fingerprint: [String: String]
    let loopReads: Int?

    /// Call just before the run.
    init(_ victims: Victims) {
        self.victims = victims
        fingerprint = victims.fingerprint()   // reads them, flushes the loop device's cache
        victims.armReadDetector()
        loopReads = victims.loopReads()
    }

    /// Call just after the run.
    func expectUntouched(_ context: String, readsAllowed: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        if !readsAllowed {
            let read = victims.filesRead()
            #expect(read.isEmpty, "\(context): victim files outside ROOT were read: \(read)", sourceLocation: sourceLocation)
            if let loopReads, let now = victims.loopReads() {
                #expect(now == loopReads, "\(context): the victim block device was read (\(now - loopReads) requests)",
                        sourceLocation: sourceLocation)
            }
        }
        let after = victims.fingerprint()
        let unchanged = after == fingerprint
        #expect(unchanged, "\(context): bytes outside ROOT changed:\n\(HostileSnapshot.diff(after, fingerprint))",
                sourceLocation: sourceLocation)
    }
}

extension HostileSnapshot {
    static func diff(_ after: [String: String], _ before: [String: String]) -> String {
        Set(after.keys).union(before.keys).sorted().compactMap { key in
            after[key] == before[key] ? nil : "\(key): \(before[key] ?? "absent") → \(after[key] ?? "absent")"
        }.joined(separator: "\n")
    }
}

/// A scratch folder with victims in it, outside every ROOT. Call `close()` in a `defer`.
struct VictimSite {
    let scratch: Scratch
    let victims: Victims

    init(hive: String = HostileVolumeTests.fixtureHive) throws {
        scratch = try Scratch("hostile-victims")
        victims = try Victims(in: scratch.sub("victims"), hive: hive)
    }

    func close() {
        victims.close()
        scratch.remove()
    }
}

// MARK: - The limits themselves

extension HostileVolumeTests {
    @Test("a normal reset, status and hive check pass under the suite's address-space limit and timeout")
    func normalRunUnderTheLimit() throws {
        let stage = try HostileStage("normal", state: .fresh)
        defer { stage.close() }
        let status = try stage.run(.status)
        #expect(status.status == 0, "\(status)")
        let check = try stage.run(["hive", "check", stage.path(stage.tree.hive)])
        #expect(check.status == 0, "\(check)")
        let reset = try stage.run(.reset)
        #expect(reset.status == 0, "\(reset)")
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
        #expect(stage.journalPhase() == "done")
    }
}
