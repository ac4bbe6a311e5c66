import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// wuscrub's documented exit codes (`Sources/wuscrub/ExitStatus.swift`), restated here so that
/// a change to any of them fails a test instead of passing silently.
enum Exit: Int32, CaseIterable, Sendable {
    case success = 0
    case cancelled = 1
    case notWindows = 2
    case unsafeState = 3
    case dirtyHive = 4
    case hiveError = 5
    case purgeIncomplete = 6
    case unfinishedJournal = 7
    case ioError = 8
    case locked = 9
    case usage = 64
    case internalError = 70
    case hangUp = 129
    case interrupted = 130
    case terminated = 143
}

/// One finished run of the built `wuscrub` binary.
struct Run: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// Everything the run printed, for message checks that do not care about the stream.
    var output: String { stdout + stderr }

    var description: String {
        "\(Wuscrub.binary) \(arguments.joined(separator: " ")) exited \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }

    /// Standard output parsed as exactly one JSON object.
    func document() throws -> JSON {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        guard object is [String: Any] else { throw NotAnObject(text: stdout) }
        return JSON(object)
    }

    struct NotAnObject: Error, CustomStringConvertible {
        var text: String
        var description: String { "standard output is JSON but not one object: \(text)" }
    }
}

/// Runs the binary under test.
enum Wuscrub {
    /// The executable the tests run (SwiftPM builds it beside the test bundle).
    static var binary: String { Repository.binary }

    static var binaryExists: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Runs `wuscrub` with its standard input a pipe (so it never has a terminal).
    static func run(_ arguments: [String], stdin: String? = nil) throws -> Run {
        let result = try Shell.capture(binary, arguments, stdin: stdin)
        return Run(arguments: arguments, status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    static func run(_ arguments: String...) throws -> Run { try run(arguments) }
}

/// A read-only view of a `JSONSerialization` result that can be walked with subscripts.
struct JSON: CustomStringConvertible {
    let value: Any?

    init(_ value: Any?) { self.value = value }

    subscript(key: String) -> JSON { JSON((value as? [String: Any])?[key]) }

    subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return JSON(nil) }
        return JSON(array[index])
    }

    var exists: Bool { value != nil && !(value is NSNull) }
    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber)?.intValue ?? value as? Int }
    var bool: Bool? { value as? Bool }
    var array: [JSON]? { (value as? [Any])?.map(JSON.init) }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }

    var description: String {
        guard let value, JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - Expectations computed from a spec

/// What a folder holds, counted the way a purge report counts it (the folder itself excluded).
struct FolderCount: Equatable, CustomStringConvertible, Sendable {
    var files = 0
    var directories = 0
    /// nil where a purge report did not measure them (its walk removed files without a stat).
    var bytes: Int? = 0

    var description: String { "\(files) files, \(directories) directories, " + (bytes.map { "\($0) bytes" } ?? "bytes not measured") }

    /// Equal counts, and equal bytes where both sides measured them.
    static func == (a: FolderCount, b: FolderCount) -> Bool {
        a.files == b.files && a.directories == b.directories && (a.bytes == nil || b.bytes == nil || a.bytes == b.bytes)
    }
}

/// One control set's expected `wuauserv` start mode.
struct ExpectedStart: Equatable, CustomStringConvertible, Sendable {
    var controlSet: String
    var start: Int
    var delayedAutostart: Bool

    var description: String { "\(controlSet)=\(start)\(delayedAutostart ? " (delayed)" : "")" }
}

extension FixtureSpec {
    /// The folders wuscrub empties, relative to the Windows folder.
    static let purgeFolders = ["SoftwareDistribution/DataStore", "SoftwareDistribution/Download"]

    /// The files, bytes and directories the spec creates strictly below `folder`
    /// (a path relative to the Windows folder, compared without regard to case).
    func contents(of folder: String) -> FolderCount {
        let prefix = folder.lowercased() + "/"
        var count = FolderCount()
        var directories = Set<String>()
        func addAncestors(of path: String) {
            var parts = path.split(separator: "/").map(String.init)
            while parts.count > 1 {
                parts.removeLast()
                let parent = parts.joined(separator: "/")
                guard parent.lowercased().hasPrefix(prefix) else { break }
                directories.insert(parent.lowercased())
            }
        }
        for item in items {
            switch item {
            case let .file(path, size) where path.lowercased().hasPrefix(prefix):
                count.files += 1
                count.bytes! += size
                addAncestors(of: path)
            case let .directory(path) where path.lowercased().hasPrefix(prefix):
                directories.insert(path.lowercased())
                addAncestors(of: path)
            default:
                continue
            }
        }
        count.directories = directories.count
        return count
    }

    /// The DWORD the spec stores at `key\name` (key compared without regard to case).
    func dword(_ key: String, _ name: String) -> UInt32? {
        for case let .value(itemKey, itemName, .dword(value)) in items
        where itemKey.lowercased() == key.lowercased() && itemName.lowercased() == name.lowercased() {
            return value
        }
        return nil
    }

    /// The `wuauserv` start modes the spec sets in the control sets that `Select\Current` and
    /// `Select\Default` name, Current first, without duplicates: what a reset must record and restore.
    func expectedStarts() -> [ExpectedStart] {
        var result: [ExpectedStart] = []
        for selector in ["Current", "Default"] {
            guard let number = dword("Select", selector) else { continue }
            let controlSet = "ControlSet" + String(format: "%03u", number)
            guard !result.contains(where: { $0.controlSet.lowercased() == controlSet.lowercased() }) else { continue }
            let service = controlSet + "\\Services\\wuauserv"
            guard let start = dword(service, "Start") else { continue }
            result.append(ExpectedStart(controlSet: controlSet, start: Int(start),
                                        delayedAutostart: dword(service, "DelayedAutostart") == 1))
        }
        return result
    }
}

// MARK: - Installed fixtures

/// A fixture installation built in a scratch directory, with the paths the tests look at.
struct Installation {
    let spec: FixtureSpec
    /// The mount root.
    let root: String

    /// Builds a committed spec (`Fixtures/specs/NAME.fixture`) under `scratch/root`.
    init(_ name: String, in scratch: Scratch) throws {
        spec = try FixtureTree.spec(name)
        root = try FixtureTree.install(name, in: scratch)
    }

    /// Builds an inline spec under `scratch/root`.
    init(text: String, in scratch: Scratch) throws {
        spec = try FixtureSpec(name: "inline", text: text)
        root = try FixtureTree.install(text: text, in: scratch)
    }

    // Paths relative to the root, as TreeSnapshot keys them and as wuscrub reports them.
    var windows: String { spec.windowsFolder }
    var hive: String { windows + "/" + spec.hivePath }
    var dataStore: String { windows + "/SoftwareDistribution/DataStore" }
    var download: String { windows + "/SoftwareDistribution/Download" }
    var purgeFolders: [String] { [dataStore, download] }
    var stateDirectory: String { windows + "/Logs/wuscrub" }
    var journal: String { stateDirectory + "/journal.json" }
    var log: String { stateDirectory + "/wuscrub.log" }
    var backupDirectory: String { stateDirectory + "/backup" }

    /// The absolute path of a root-relative path.
    func path(_ relative: String) -> String { root + "/" + relative }

    func snapshot() -> TreeSnapshot { TreeSnapshot(root) }

    func hiveSHA256() throws -> String { try FileIO.sha256(ofFile: path(hive)) }

    /// What the spec puts below a purge folder (root-relative, as in `dataStore`).
    func expectedContents(of folder: String) -> FolderCount {
        spec.contents(of: String(folder.dropFirst(windows.count + 1)))
    }

    /// The journal file, parsed.
    func readJournal() throws -> JSON {
        JSON(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(journal)))))
    }

    /// Rewrites fields of the journal file (the way an interrupted run would have left it).
    func editJournal(_ changes: [String: Any]) throws {
        let url = URL(fileURLWithPath: path(journal))
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw Run.NotAnObject(text: try String(contentsOf: url, encoding: .utf8))
        }
        for (key, value) in changes {
            if value is NSNull { object.removeValue(forKey: key) } else { object[key] = value }
        }
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }

    /// Moves the journal back to `phase` as a crash there would leave it: what later phases write
    /// (the disabled hive's hash, the purge results, the recovered hive) is removed unless `changes`
    /// sets it (wuscrub refuses a journal that records what its phase cannot have written yet).
    func moveJournal(toPhase phase: String, _ changes: [String: Any] = [:]) throws {
        let phases = ["journal", "backup", "recover", "disable", "purge", "restore", "verify", "done"]
        let index = try #require(phases.firstIndex(of: phase))
        var edit = changes
        edit["phase"] = phase
        var dropped: [String] = []
        if index < phases.firstIndex(of: "recover")! { dropped += ["baselineHiveSHA256", "baselineBackupPath"] }
        if index < phases.firstIndex(of: "disable")! { dropped.append("disabledHiveSHA256") }
        if index < phases.firstIndex(of: "purge")! { dropped += ["purge", "createdFolders"] }
        for key in dropped where edit[key] == nil { edit[key] = NSNull() }
        try editJournal(edit)
    }

    /// The names in the backup folder.
    func backups() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(backupDirectory))) ?? []).sorted()
    }

    /// Writes a file of pattern bytes (creating its folders) at a root-relative path.
    func addFile(_ relative: String, size: Int) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: FileIO.parent(of: full), withIntermediateDirectories: true)
        try Data(FixtureSpec.pattern(count: size, seed: relative)).write(to: URL(fileURLWithPath: full))
    }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(relative), withDestinationPath: target)
    }
}

// MARK: - Hive surgery

/// Changes to a hive file that tests need to build states wuscrub must handle.
enum HiveSurgery {
    /// Makes the hive dirty: primary sequence = secondary + 1, with a correct checksum.
    static func makeDirty(_ path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let secondary = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
        let primary = secondary &+ 1
        for index in 0..<4 { bytes[4 + index] = UInt8(truncatingIfNeeded: primary >> (8 * index)) }
        BaseBlock.updateChecksum(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Leaves the sequence numbers alone and breaks the stored checksum.
    static func breakChecksum(_ path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        BaseBlock.updateChecksum(&bytes)
        bytes[508] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Cuts the file to `size` bytes.
    static func truncate(_ path: String, to size: Int) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
    }

    /// Sets DWORD values of `ControlSetNNN\Services\wuauserv` with hivex (atomically, as wuscrub does).
    ///
    /// - Returns: The SHA-256 of the rewritten hive.
    @discardableResult
    static func setServiceValues(_ path: String, _ values: [(controlSet: String, name: String, value: UInt32)]) throws -> String {
        try HiveEditor.rewrite(
            path,
            edit: { hive in
                for (controlSet, name, value) in values {
                    let key = ServiceStart.serviceKey(in: controlSet)
                    guard let node = try hive.node(at: key) else { throw HiveError.keyNotFound(path: path, key: key) }
                    try hive.setValue(.dword(value), named: name, in: node, keyPath: key)
                }
            },
            verify: { _ in }
        )
    }

    /// The `wuauserv` start values as the hive holds them now (read with WUScrubCore's reader).
    static func starts(_ path: String) throws -> [ExpectedStart] {
        let hive = try Hive(path: path)
        defer { hive.close() }
        return try ServiceConfiguration.read(hive).map {
            ExpectedStart(controlSet: $0.controlSet, start: Int($0.start), delayedAutostart: $0.delayedAutostart)
        }
    }
}

extension JSON {
    /// A `ServiceStart` array from wuscrub's JSON, as `ExpectedStart`s.
    var starts: [ExpectedStart]? {
        array?.compactMap { item in
            guard let controlSet = item["controlSet"].string, let start = item["start"].int,
                  let delayed = item["delayedAutostart"].bool else { return nil }
            return ExpectedStart(controlSet: controlSet, start: start, delayedAutostart: delayed)
        }
    }

    /// A purge report from wuscrub's JSON, as a `FolderCount`.
    var folderCount: FolderCount? {
        guard let files = self["files"].int, let directories = self["directories"].int else { return nil }
        return FolderCount(files: files, directories: directories, bytes: self["bytes"].int)
    }

    /// The report for one folder in an array of purge reports.
    func report(for folder: String) -> JSON {
        array?.first { $0["folder"].string == folder } ?? JSON(nil)
    }
}

/// Parses the count lines wuscrub's text output prints for each purge folder:
/// `  <folder>: N files, N directories, N links, N bytes`.
func textCounts(in output: String, folder: String) -> (count: FolderCount, links: Int)? {
    for line in output.split(separator: "\n") {
        guard let range = line.range(of: folder + ": ") else { continue }
        let numbers = line[range.upperBound...].split(separator: ",").compactMap { part in
            part.split(separator: " ").first.flatMap { Int($0) }
        }
        // "N files, N directories, N links[, N bytes]": bytes only where the walk measured them.
        guard numbers.count >= 3 else { continue }
        return (FolderCount(files: numbers[0], directories: numbers[1], bytes: numbers.count >= 4 ? numbers[3] : nil), numbers[2])
    }
    return nil
}
