import WUScrubCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a seed file is, from its name and its first bytes.
enum SeedKind: String {
    case primary
    case newLog = "new-format log"
    case oldLog = "old-format log"
    case log = "log (unrecognised body)"
}

/// One seed file, with its place in a hive + logs group.
struct Seed {
    var path: String
    var bytes: [UInt8]
    var kind: SeedKind
    var given: Bool
    /// Logs: the index of the matching primary.
    var primary: Int?
    /// Primaries: the indices of their logs.
    var logs: [Int] = []
    /// Logs: the unmutated file, parsed once.
    var parsed: TransactionLog?
    var isLog: Bool { kind != .primary }
}

/// What the mutators know about the primary an input goes with.
struct Context {
    var hiveBinsSize: UInt32 = 0x1000
    var primarySequence: UInt32 = 1
    var secondarySequence: UInt32 = 1
    var lastWritten: UInt64 = 0

    init() {}

    init(primary bytes: [UInt8]) {
        hiveBinsSize = Bytes.u32(bytes, 40)
        primarySequence = Bytes.u32(bytes, 4)
        secondarySequence = Bytes.u32(bytes, 8)
        lastWritten = Bytes.u64(bytes, 12)
    }
}

/// Loading the seed files and grouping them: each log with the primary beside it.
enum SeedSet {
    static func isLogName(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".log") || lower.hasSuffix(".log1") || lower.hasSuffix(".log2")
    }

    static func stripLogExtension(_ path: String) -> String {
        guard let dot = path.lastIndex(of: "."), isLogName(path) else { return path }
        return String(path[..<dot])
    }

    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func kind(path: String, bytes: [UInt8]) -> SeedKind {
        let fileType = Bytes.u32(bytes, 28)
        let typed = bytes.count >= 512 && [1, 2, 6].contains(fileType)
        guard isLogName(path) || typed else { return .primary }
        if Bytes.has(bytes, "HvLE", at: 512) || (typed && fileType == 6) { return .newLog }
        if Bytes.has(bytes, "DIRT", at: 512) || (typed && fileType != 6) { return .oldLog }
        return .log
    }

    /// Loads the named files and their companions (the primary beside a log, a primary's logs).
    static func load(_ files: [String]) -> [Seed] {
        var seeds: [Seed] = []
        var index: [String: Int] = [:]
        func add(_ path: String, given: Bool) {
            let key = canonical(path)
            if let existing = index[key] {
                if given { seeds[existing].given = true }
                return
            }
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path) } catch { fail("cannot read seed '\(path)': \(error)", status: 66) }
            index[key] = seeds.count
            seeds.append(Seed(path: path, bytes: bytes, kind: kind(path: path, bytes: bytes), given: given))
        }
        for file in files { add(file, given: true) }
        for seed in seeds where isLogName(seed.path) {
            let primary = stripLogExtension(seed.path)
            var info = stat()
            if stat(primary, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { add(primary, given: false) }
        }
        for seed in seeds where seed.kind == .primary {
            let folder = FileIO.parent(of: seed.path)
            let name = String(seed.path.split(separator: "/").last ?? "")
            let names = (try? FileIO.names(in: folder)) ?? []
            for log in (try? HiveRecovery.logNames(forHive: name, among: names, folder: folder)) ?? [] { add(folder + "/" + log, given: false) }
        }
        for i in seeds.indices where seeds[i].isLog {
            if isLogName(seeds[i].path), let primary = index[canonical(stripLogExtension(seeds[i].path))],
               seeds[primary].kind == .primary {
                seeds[i].primary = primary
                seeds[primary].logs.append(i)
            }
            seeds[i].parsed = TransactionLog(path: seeds[i].path, bytes: seeds[i].bytes)
        }
        return seeds
    }
}
