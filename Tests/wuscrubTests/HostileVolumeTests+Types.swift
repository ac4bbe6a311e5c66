import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Wrong file types at every path wuscrub opens

/// A path wuscrub opens.
enum OpenedPath: String, CaseIterable, Sendable, CustomStringConvertible {
    case hive = "SYSTEM hive"
    case log1Clean = "SYSTEM.LOG1 beside a clean hive"
    case log1Dirty = "SYSTEM.LOG1 beside a dirty hive"
    case log2Dirty = "SYSTEM.LOG2 beside a dirty hive"
    case hiberfil = "hiberfil.sys at ROOT"
    case journal = "journal.json"
    case log = "wuscrub.log"
    case lock = "lock"
    case backupFolder = "backup folder"
    case runBackup = "the run's own backup in backup/"

    var description: String { rawValue }

    /// Root-relative path in a stage.
    func relative(in stage: HostileStage) throws -> String {
        let tree = stage.tree
        switch self {
        case .hive: return tree.hive
        case .log1Clean, .log1Dirty: return tree.hive + ".LOG1"
        case .log2Dirty: return tree.hive + ".LOG2"
        case .hiberfil: return "hiberfil.sys"
        case .journal: return tree.journal
        case .log: return tree.log
        case .lock: return stage.lock
        case .backupFolder: return tree.backupDirectory
        case .runBackup: return try #require(try tree.readJournal()["backupPath"].string)
        }
    }

    var expectsDirectory: Bool { self == .backupFolder }
    var dirtyHive: Bool { self == .log1Dirty || self == .log2Dirty }
    /// In wuscrub's state folder: reset cases start from a finished run, so the real files are there to replace.
    var inStateFolder: Bool { [.journal, .log, .lock, .backupFolder, .runBackup].contains(self) }

    var commands: [HostileCommand] {
        switch self {
        case .runBackup: [.resume, .rollback, .status]  // its name is only known once a run recorded it
        case .log1Dirty, .log2Dirty: [.reset, .dryRun, .status]
        default: HostileCommand.allCases
        }
    }

    var kinds: [Plant] { expectsDirectory ? Plant.insteadOfDirectory : Plant.insteadOfFile }

    /// What a link planted here points at: a copy of a valid hive for hive-like files, a folder for folders.
    func linkTarget(_ victims: Victims) -> String {
        switch self {
        case .hive, .runBackup: victims.hiveCopy
        case .backupFolder: victims.folder
        default: victims.file
        }
    }
}

struct TypeCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var description: String { testDescription }
    var path: OpenedPath
    var kind: Plant
    var testDescription: String { "\(kind) at \(path)" }

    static let all: [TypeCase] = OpenedPath.allCases.flatMap { path in path.kinds.map { TypeCase(path: path, kind: $0) } }

    /// The device-node, FIFO, socket and link cases on a real ntfs-3g volume.
    static let ntfs: [TypeCase] = [OpenedPath.hive, .hiberfil, .journal, .log, .lock, .backupFolder].flatMap { path in
        [Plant.blockDevice, .nullDevice, .fifo, .socket, .relativeLink, .absoluteLink].map { TypeCase(path: path, kind: $0) }
    }
}

extension HostileVolumeTests {
    /// Puts `kind` at `path` in a stage built for `command`, runs it, and checks the contract.
    ///
    /// - Returns: false when the run hung (the caller stops: the next command would hang as well).
    static func attack(_ typeCase: TypeCase, command: HostileCommand, victims: Victims, ntfsRoot: String? = nil) throws -> Bool {
        let state: HostileStage.State = command.needsInterruptedRun ? .interrupted : typeCase.path.inStateFolder ? .finished : .fresh
        let stage = try HostileStage("types", state: state, root: ntfsRoot)
        defer { stage.close() }
        if typeCase.path.dirtyHive { try HiveSurgery.makeDirty(stage.path(stage.tree.hive)) }
        let relative = try typeCase.path.relative(in: stage)
        let full = stage.path(relative)
        try typeCase.kind.put(at: full, victims: victims, linkTarget: typeCase.path.linkTarget(victims))
        if typeCase.kind == .blockDevice {
            // Probative only if the node really opens the victim (no nodev): read it once, here.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: full))
            let head = try handle.read(upToCount: 16)
            try handle.close()
            let image = try FileHandle(forReadingFrom: URL(fileURLWithPath: victims.image))
            let expected = try image.read(upToCount: 16)
            try image.close()
            try #require(head == expected, "the planted block node must open the victim device")
        }
        let context = "\(typeCase), \(command)"
        let before = stage.snapshot()
        let strand = StrandWatch(stage)
        let watch = VictimWatch(victims)
        let run = try stage.run(command)
        expectSane(run, context)
        watch.expectUntouched(context)
        expectUnchanged(stage.snapshot(), before, context)
        if command == .status {
            #expect([Exit.success.rawValue, Exit.unsafeState.rawValue].contains(run.status), "\(context): \(run)")
        } else {
            expectRefusal(run, code: .unsafeState, naming: relative, words: [typeCase.kind.refusalWords], context)
        }
        expectStartNotStranded(stage, context, before: strand)
        return !run.hung
    }

    @Test("a device node, FIFO, socket, directory or link where wuscrub expects a file (or a file where it expects a folder) is refused by type: exit 3, nothing read or changed",
          .enabled(if: HostileVolumeTests.needsRoot, HostileVolumeTests.needsRootReason), arguments: TypeCase.all)
    func wrongTypeIsRefused(_ typeCase: TypeCase) throws {
        let site = try VictimSite()
        defer { site.close() }
        for command in typeCase.path.commands {
            guard try Self.attack(typeCase, command: command, victims: site.victims) else { break }
        }
    }

    @Test("on a real ntfs-3g volume (which stores device nodes, FIFOs and sockets, without nodev), the same entries are refused by type",
          .enabled(if: NTFSImage.enabled, NTFSImage.skipReason), arguments: TypeCase.ntfs)
    func wrongTypeOnNTFS(_ typeCase: TypeCase) throws {
        let site = try VictimSite()
        defer { site.close() }
        let scratch = try Scratch("hostile-ntfs")
        defer { scratch.remove() }
        let ntfs = try NTFSImage(in: scratch)
        defer { ntfs.unmount() }
        for command in [HostileCommand.reset, .dryRun, .resume, .status] {
            guard try Self.attack(typeCase, command: command, victims: site.victims, ntfsRoot: ntfs.mountPoint) else { break }
        }
    }

    @Test("a stray FIFO, device node or socket in backup/ that is not the run's backup is left alone and never opened",
          .enabled(if: HostileVolumeTests.needsRoot, HostileVolumeTests.needsRootReason))
    func strayNodesInBackupFolder() throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("backup-strays", state: .finished)
        defer { stage.close() }
        let folder = stage.path(stage.tree.backupDirectory)
        let strays: [(String, Plant)] = [("SYSTEM-000001-20200101T000000Z-0badf1f0", .fifo),
                                         ("SYSTEM-000002-20200101T000000Z-0badb10c", .blockDevice),
                                         ("SYSTEM-000003-20200101T000000Z-0bad50c4", .socket),
                                         ("SYSTEM-000004-20200101T000000Z-0ba11111", .absoluteLink)]
        for (name, kind) in strays { try kind.put(at: folder + "/" + name, victims: site.victims, linkTarget: site.victims.hiveCopy) }
        let straysBefore = stage.snapshot().entries.filter { entry in strays.contains { entry.key.hasSuffix("/" + $0.0) } }
        try #require(straysBefore.count == strays.count)
        for attempt in 1...4 {
            let watch = VictimWatch(site.victims)
            let run = try stage.run(.reset)
            Self.expectSane(run, "run \(attempt)")
            // Refusing is safe too; succeeding is fine as long as the strays stay and nothing outside is touched.
            #expect([Exit.success.rawValue, Exit.unsafeState.rawValue].contains(run.status), "run \(attempt): \(run)")
            watch.expectUntouched("run \(attempt)")
            let now = stage.snapshot().entries.filter { entry in strays.contains { entry.key.hasSuffix("/" + $0.0) } }
            #expect(now == straysBefore, "run \(attempt): the strays must stay as they are")
            Self.expectStartNotStranded(stage, "run \(attempt)")
        }
    }
}

// MARK: - Symbolic links at every component

/// A component of a path wuscrub opens, replaced by a link to the real thing moved outside ROOT.
struct LinkedComponent: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    var description: String { testDescription }
    var relative: String
    var kind: Plant
    var command: HostileCommand
    var testDescription: String { "\(kind) at \(relative), \(command)" }

    static let components = [
        "Windows", "Windows/System32", "Windows/System32/config", "Windows/System32/config/SYSTEM",
        "Windows/Logs", "Windows/Logs/wuscrub", "Windows/Logs/wuscrub/backup", "Windows/Logs/wuscrub/journal.json",
        "Windows/Logs/wuscrub/wuscrub.log", "Windows/Logs/wuscrub/lock",
        "Windows/SoftwareDistribution", "Windows/SoftwareDistribution/DataStore", "Windows/SoftwareDistribution/Download",
        "hiberfil.sys",
    ]

    static let all: [LinkedComponent] = components.flatMap { component in
        [Plant.relativeLink, .absoluteLink].flatMap { kind in
            [HostileCommand.reset, .resume, .rollback].map { LinkedComponent(relative: component, kind: kind, command: $0) }
        }
    }
}

extension HostileVolumeTests {
    @Test("a symbolic link at any component of any path wuscrub opens (to the real thing, moved outside ROOT) is refused: exit 3, the target untouched",
          arguments: LinkedComponent.all)
    func linkAtEveryComponent(_ linked: LinkedComponent) throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("links", state: linked.command == .reset ? .finished : .interrupted)
        defer { stage.close() }
        let full = stage.path(linked.relative)
        let moved = site.victims.directory + "/moved-" + (linked.relative as NSString).lastPathComponent
        if linked.relative == "hiberfil.sys" {
            try Data(count: 8192).write(to: URL(fileURLWithPath: moved))  // cleared: not hibernated
        } else {
            try FileManager.default.moveItem(atPath: full, toPath: moved)
        }
        try linked.kind.put(at: full, victims: site.victims, linkTarget: moved)
        let before = stage.snapshot()
        let watch = VictimWatch(site.victims)
        let run = try stage.run(linked.command)
        Self.expectSane(run, "\(linked)")
        watch.expectUntouched("\(linked)")
        Self.expectUnchanged(stage.snapshot(), before, "\(linked)")
        Self.expectRefusal(run, code: .unsafeState, naming: linked.relative, words: ["symbolic link"], "\(linked)")
    }

    @Test("links, device nodes, FIFOs and sockets inside DataStore and Download are unlinked, never followed or opened: exit 0, victims intact",
          .enabled(if: HostileVolumeTests.needsRoot, HostileVolumeTests.needsRootReason))
    func purgeUnlinksWithoutFollowing() throws {
        let site = try VictimSite()
        defer { site.close() }
        let stage = try HostileStage("purge-bait", state: .fresh)
        defer { stage.close() }
        let victims = site.victims
        let bait: [(String, Plant, String?)] = [
            (stage.tree.download + "/up", .relativeLink, victims.folder),
            (stage.tree.download + "/abs", .absoluteLink, victims.folder),
            (stage.tree.download + "/hive", .absoluteLink, victims.hiveCopy),
            (stage.tree.dataStore + "/rel-file", .relativeLink, victims.file),
            (stage.tree.dataStore + "/Logs/abs-file", .absoluteLink, victims.file),
            (stage.tree.download + "/block", .blockDevice, nil),
            (stage.tree.download + "/zero", .zeroDevice, nil),
            (stage.tree.dataStore + "/fifo", .fifo, nil),
            (stage.tree.dataStore + "/Logs/socket", .socket, nil),
        ]
        for (path, kind, target) in bait { try kind.put(at: stage.path(path), victims: victims, linkTarget: target) }
        let before = stage.snapshot()
        let watch = VictimWatch(victims)
        let run = try stage.run(.reset)
        Self.expectSane(run, "purge")
        #expect(run.status == Exit.success.rawValue, "\(run)")
        watch.expectUntouched("purge")
        let after = stage.snapshot()
        for folder in stage.tree.purgeFolders {
            #expect(after.entries.filter { $0.key.hasPrefix(folder + "/") }.isEmpty, "\(folder) must be emptied, bait included")
        }
        let outside = { (snapshot: HostileSnapshot) in
            snapshot.entries.filter { key, _ in
                !stage.tree.purgeFolders.contains { key.hasPrefix($0 + "/") } && !key.hasPrefix(stage.tree.stateDirectory) && key != "Windows/Logs"
            }
        }
        #expect(outside(after) == outside(before), "nothing outside the purge folders and the state folder changes")
        #expect(try stage.tree.hiveSHA256() == stage.originalHive)
    }
}
