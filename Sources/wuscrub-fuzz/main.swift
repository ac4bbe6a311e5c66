/// wuscrub-fuzz: a seeded, deterministic mutation fuzzer for transaction-log parsing
/// (`TransactionLog`), log replay (`HiveRecovery.analyze`) and hive layout checks
/// (`HiveLayout.validate`); docs/registry-format.md §6, §8, §10.
///
///     wuscrub-fuzz [--iterations N] [--seed S] [--seconds T] [--start I]
///                  [--trace] [--replay-iteration I [--dump DIR]] SEED-FILE...
///
/// Every input is a pure function of (seed, iteration index): iteration I draws from its own
/// random stream and never from earlier inputs, so `--replay-iteration I` regenerates exactly the
/// input that iteration I ran. A Swift trap in WUScrubCore (index out of range, overflow) kills the
/// process; that is a finding, and so is a recovered hive larger than its primary plus all of its
/// logs (replay may grow a hive only over pages the logs supply). A signal handler prints the iteration before the runtime's own crash
/// report, so the reproduction is `--seed S --replay-iteration I`.
///
/// Seed files are primaries and logs. A log (`*.LOG`, `*.LOG1`, `*.LOG2`) is matched to the primary
/// beside it, and a primary's logs are found with `HiveRecovery.discoverLogs`; those companions are
/// loaded even when not named. Nothing is kept from one input to the next (memory is bounded by the
/// seeds, one mutated input and its replay, which that growth check bounds).
import WUScrubCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Output

/// Writes a line to a file descriptor unbuffered, so nothing is lost when the process dies.
func emit(_ text: String, to fd: Int32 = 1) {
    var line = text + "\n"
    line.withUTF8 { buffer in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

func fail(_ message: String, status: Int32 = 64) -> Never {
    emit("wuscrub-fuzz: " + message, to: 2)
    exit(status)
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale), fraction = scaled % Int(scale)
    var text = (value < 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let f = String(fraction)
        text += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return text
}

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

// MARK: - Crash note

/// What the fatal-signal handler prints. Set before the handler is installed; only plain loads happen
/// in the handler, which formats into a preallocated buffer and calls write(2) and sigaction(2) only.
enum CrashNote {
    nonisolated(unsafe) static var iteration: Int = -1
    nonisolated(unsafe) static var seed: UInt64 = 0
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
    nonisolated(unsafe) static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 8)
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    static func install(seed: UInt64) {
        CrashNote.seed = seed
        CrashNote.iteration = -1
        for (index, signal) in signals.enumerated() {
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = { CrashNote.handle($0) }
            #else
            action.__sigaction_handler.sa_handler = { CrashNote.handle($0) }
            #endif
            sigaction(signal, &action, previous + index)
        }
    }

    /// Prints "fatal signal N at iteration I (seed S)", restores the previous action (the Swift
    /// runtime's backtracer, or the default) and returns, so the faulting instruction runs again and
    /// the previous handler reports the stack.
    static func handle(_ signal: Int32) {
        let buffer = CrashNote.buffer
        var length = 0
        func put(_ text: StaticString) {
            text.withUTF8Buffer { source in
                for byte in source where length < 500 { buffer[length] = byte; length += 1 }
            }
        }
        func put(_ value: UInt64) {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            var rest = value
            withUnsafeMutableBytes(of: &digits) { raw in
                repeat {
                    raw[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                    count += 1
                } while rest > 0
                while count > 0 && length < 500 {
                    count -= 1
                    buffer[length] = raw[count]
                    length += 1
                }
            }
        }
        let iteration = CrashNote.iteration
        put("\nwuscrub-fuzz: FATAL signal ")
        put(UInt64(signal))
        if iteration >= 0 {
            put(" at iteration ")
            put(UInt64(iteration))
            put(" (seed ")
            put(CrashNote.seed)
            put("); reproduce with: wuscrub-fuzz --seed ")
            put(CrashNote.seed)
            put(" --replay-iteration ")
            put(UInt64(iteration))
            put(" <the same seed files>\n")
        } else {
            put(" outside the input loop\n")
        }
        _ = write(2, buffer, length)
        for (index, candidate) in CrashNote.signals.enumerated() where candidate == signal {
            sigaction(signal, CrashNote.previous + index, nil)
        }
    }
}

// MARK: - Random numbers

/// SplitMix64: small, fast, and good enough to drive mutations.
struct SplitMix64 {
    var state: UInt64

    /// The stream of iteration `index` under `seed`: independent of every other iteration.
    init(seed: UInt64, iteration index: Int) {
        state = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(bitPattern: Int64(index)) &+ 0x5755_5343_5255_4221))
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// A number in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }

    /// 1 with probability 1/2, 2 with 1/4, … up to `limit`.
    mutating func geometric(limit: Int) -> Int {
        var n = 1
        while n < limit && chance(1, in: 2) { n += 1 }
        return n
    }
}

// MARK: - Byte helpers

enum Bytes {
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= b.count else { return 0 }
        return UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
    }

    static func put32(_ b: inout [UInt8], _ value: UInt32, _ at: Int) {
        guard at >= 0, at + 4 <= b.count else { return }
        for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
    }

    static func put64(_ b: inout [UInt8], _ value: UInt64, _ at: Int) {
        put32(&b, UInt32(truncatingIfNeeded: value), at)
        put32(&b, UInt32(truncatingIfNeeded: value >> 32), at + 4)
    }

    /// Whether the four ASCII bytes of `signature` are at `at`.
    static func has(_ b: [UInt8], _ signature: StaticString, at: Int) -> Bool {
        guard at >= 0, at + 4 <= b.count else { return false }
        return signature.withUTF8Buffer { s in
            s.count == 4 && b[at] == s[0] && b[at + 1] == s[1] && b[at + 2] == s[2] && b[at + 3] == s[3]
        }
    }

    /// Offsets of `HvLE` headers at 512-byte boundaries from 512, chain and remnants alike: after a
    /// header with a plausible size the scan jumps past it, otherwise it steps 512 bytes (the walk
    /// `highestValidSequence` makes, without the hash checks).
    static func entryOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 512
        while offset + 40 <= b.count, offsets.count < 4096 {
            if has(b, "HvLE", at: offset) {
                offsets.append(offset)
                let size = Int(u32(b, offset + 4))
                if size >= 512, size % 512 == 0, size <= b.count - offset {
                    offset += size
                    continue
                }
            }
            offset += 512
        }
        return offsets
    }

    /// The entries of the chain proper (what `TransactionLog` walks before checking hashes).
    static func chainOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 512
        while offset + 40 <= b.count, has(b, "HvLE", at: offset), offsets.count < 4096 {
            offsets.append(offset)
            let size = Int(u32(b, offset + 4))
            guard size >= 512, size % 512 == 0, size <= b.count - offset else { break }
            offset += size
        }
        return offsets
    }

    /// Hive-bin offsets walked from 4096 by their stored sizes (stops at the first implausible one).
    static func binOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 4096
        while offset + 32 <= b.count, has(b, "hbin", at: offset), offsets.count < 4096 {
            offsets.append(offset)
            let size = Int(u32(b, offset + 8))
            guard size >= 4096, size % 4096 == 0 else { break }
            offset += size
        }
        return offsets
    }
}

// MARK: - Seeds

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

// MARK: - Mutations

/// Mutation notes, collected only when tracing (`--trace`, `--replay-iteration`).
struct Trace {
    var enabled: Bool
    var lines: [String] = []

    mutating func note(_ text: @autoclosure () -> String) {
        if enabled { lines.append(text()) }
    }
}

enum Interesting {
    static let u32: [UInt32] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0x200, 0x201, 0x3FF, 0x400, 0xFFF, 0x1000, 0x1001,
        0x2000, 0x5000, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x0FFF_F000, 0x1000_0000, 0x1FFF_FFFF,
        0x2000_0000, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_E000, 0xFFFF_F000, 0xFFFF_FE00,
        0xFFFF_FFFE, 0xFFFF_FFFF,
    ]
    static let bytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, 0x81]
    static let arithmetic: [UInt32] = [1, 2, 8, 40, 512, 4096, 0x1_0000]
    /// Base-block fields (docs/registry-format.md §1.1).
    static let baseFields = [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 144, 508]
}

/// Mutates one input. Everything it does is drawn from `rng`, so it is reproducible.
struct Mutator {
    var rng: SplitMix64
    var trace: Trace
    let seeds: [Seed]
    /// The largest input a mutation may make: 2 MiB, or the largest seed plus 1 MiB.
    let maximumSize: Int

    // MARK: Values

    mutating func value(near current: UInt32, context: Context) -> UInt32 {
        switch rng.below(10) {
        case 0..<5: return rng.pick(Interesting.u32)
        case 5, 6:
            let delta = rng.pick(Interesting.arithmetic)
            return rng.chance(1, in: 2) ? current &+ delta : current &- delta
        case 7: return rng.pick([context.hiveBinsSize, context.hiveBinsSize &+ 0x1000, context.hiveBinsSize &- 0x1000,
                                 context.primarySequence, context.secondarySequence])
        case 8: return UInt32(rng.below(64)) &* 0x1000
        default: return rng.u32()
        }
    }

    mutating func pageValue(current: UInt32, context: Context) -> UInt32 {
        let hb = context.hiveBinsSize
        switch rng.below(8) {
        case 0..<4: return rng.pick([0, 0x1000, 0x2000, 0x5000, hb &- 0x1000, hb, hb &+ 0x1000, hb &+ 0x2000,
                                     0x7FFF_F000, 0x8000_0000, 0xFFFF_E000, 0xFFFF_F000, 0xFFFF_FFFF, 0x200,
                                     current &+ 0x1000, current &- 0x1000])
        case 4: return UInt32(rng.below(Int(min(hb, 0x100_0000) / 0x1000) + 2)) &* 0x1000
        default: return value(near: current, context: context)
        }
    }

    mutating func sequenceValue(current: UInt32, context: Context) -> UInt32 {
        rng.pick([0, 1, current &- 1, current &+ 1, context.primarySequence, context.secondarySequence,
                  context.secondarySequence &- 1, context.primarySequence &+ 1, 0x7FFF_FFFF, 0x8000_0000,
                  0xFFFF_FFFF, current &+ 0x8000_0000, current &+ 0x7FFF_FFFF, rng.u32()])
    }

    // MARK: Offsets

    /// A random offset, biased towards the base block and the structures of the input's kind.
    mutating func offset(in b: [UInt8], kind: SeedKind) -> Int? {
        guard !b.isEmpty else { return nil }
        let r = rng.below(10)
        if r < 4, b.count >= 512 {
            if rng.chance(1, in: 2) { return rng.pick(Interesting.baseFields) + rng.below(4) }
            return rng.below(512)
        }
        if r < 7 {
            switch kind {
            case .newLog, .log:
                let entries = Bytes.entryOffsets(b)
                if !entries.isEmpty {
                    let e = rng.pick(entries)
                    let count = Int(min(Bytes.u32(b, e + 20), 8))
                    let candidate = e + rng.below(40 + 8 * count)
                    if candidate < b.count { return candidate }
                }
            case .oldLog:
                let bitmap = Int(Bytes.u32(b, 40) / 4096)
                let candidate = 512 + rng.below(4 + min(bitmap, 1 << 20))
                if candidate < b.count { return candidate }
            case .primary:
                let bins = Bytes.binOffsets(b)
                if !bins.isEmpty, rng.chance(3, in: 4) {
                    let candidate = rng.pick(bins) + rng.below(32)
                    if candidate < b.count { return candidate }
                }
                let root = 4096 + Int(Bytes.u32(b, 36))
                let candidate = root + rng.below(80)
                if candidate < b.count { return candidate }
            }
        }
        return rng.below(b.count)
    }

    // MARK: Generic mutations

    mutating func generic(_ b: inout [UInt8], kind: SeedKind, context: Context) {
        switch rng.below(16) {
        case 0, 1, 2:
            guard let at = offset(in: b, kind: kind) else { return extend(&b) }
            let bit = rng.below(8)
            b[at] ^= UInt8(1) << UInt8(bit)
            trace.note("flip bit \(bit) of byte \(at)")
        case 3, 4:
            guard let at = offset(in: b, kind: kind) else { return extend(&b) }
            b[at] = rng.chance(3, in: 4) ? rng.pick(Interesting.bytes) : rng.byte()
            trace.note("set byte \(at) to 0x\(String(b[at], radix: 16))")
        case 5, 6, 7:
            guard let at = offset(in: b, kind: kind).map({ $0 & ~3 }), at + 4 <= b.count else { return extend(&b) }
            let v = value(near: Bytes.u32(b, at), context: context)
            Bytes.put32(&b, v, at)
            trace.note("set u32 at \(at) to 0x\(String(v, radix: 16))")
        case 8, 9:
            truncate(&b)
        case 10, 11:
            extend(&b)
        case 12:
            splice(&b, kind: kind)
        case 13:
            // Copy a region over another (AFL-style), often aligned.
            guard b.count > 2 else { return }
            let length = 1 + rng.below(min(b.count / 2, 8192))
            let aligned = rng.chance(1, in: 2)
            var from = rng.below(b.count - length + 1), to = rng.below(b.count - length + 1)
            if aligned { from = from / 512 * 512; to = to / 512 * 512 }
            guard from + length <= b.count, to + length <= b.count else { return }
            let chunk = Array(b[from..<from + length])
            b.replaceSubrange(to..<to + length, with: chunk)
            trace.note("copy \(length) bytes from \(from) to \(to)")
        case 14:
            // Insert or delete bytes (shifts everything after: breaks alignment on purpose).
            if rng.chance(1, in: 2), !b.isEmpty {
                let start = rng.below(b.count)
                let n = min(1 + rng.below(1024), b.count - start)
                b.removeSubrange(start..<start + n)
                trace.note("delete \(n) bytes at \(start)")
            } else {
                let at = rng.below(b.count + 1)
                let n = rng.pick([1, 4, 8, 40, 512, 4096])
                guard b.count + n <= maximumSize else { return }
                b.insert(contentsOf: (0..<n).map { _ in rng.byte() }, at: at)
                trace.note("insert \(n) random bytes at \(at)")
            }
        default:
            // Fill a region with one value.
            guard !b.isEmpty else { return extend(&b) }
            let start = rng.below(b.count)
            let length = min(b.count - start, rng.pick([4, 8, 32, 40, 512, 4096]))
            let fill = rng.pick(Interesting.bytes)
            for k in start..<start + length { b[k] = fill }
            trace.note("fill \(length) bytes at \(start) with 0x\(String(fill, radix: 16))")
        }
    }

    mutating func truncate(_ b: inout [UInt8]) {
        guard !b.isEmpty else { return }
        var length: Int
        switch rng.below(4) {
        case 0: length = rng.below(b.count) / 512 * 512
        case 1: length = max(0, b.count - 1 - rng.below(min(b.count, 1024)))
        case 2: length = rng.pick([0, 1, 40, 511, 512, 513, 516, 551, 552, 1024, 4095, 4096, 4127]).clamped(to: 0...b.count)
        default: length = rng.below(b.count)
        }
        b.removeSubrange(length..<b.count)
        trace.note("truncate to \(length) bytes")
    }

    mutating func extend(_ b: inout [UInt8]) {
        let n = rng.pick([1, 3, 4, 40, 511, 512, 513, 4096, 1 + rng.below(4096), 1 + rng.below(65_536)])
        guard b.count + n <= maximumSize else { return }
        switch rng.below(5) {
        case 0:
            b += (0..<n).map { _ in rng.byte() }
            trace.note("append \(n) random bytes")
        case 1:
            let fill: UInt8 = rng.chance(1, in: 2) ? 0 : 0xFF
            b += [UInt8](repeating: fill, count: n)
            trace.note("append \(n) bytes of 0x\(String(fill, radix: 16))")
        case 2 where !b.isEmpty:
            let from = rng.below(b.count)
            let length = min(n, b.count - from)
            b += Array(b[from..<from + length])
            trace.note("append a copy of \(length) bytes from \(from)")
        default:
            // A plausible HvLE entry skeleton: signature, size, sequence, hive-bins size, one page.
            let size = (max(n, 4136) + 511) / 512 * 512
            guard b.count + size <= maximumSize else { return }
            let start = b.count
            b += [UInt8](repeating: 0, count: size)
            Bytes.put32(&b, 0x454C_7648, start)  // "HvLE"
            Bytes.put32(&b, UInt32(size), start + 4)
            Bytes.put32(&b, rng.u32() & 1, start + 8)
            Bytes.put32(&b, sequenceValue(current: Bytes.u32(b, 4), context: Context()), start + 12)
            Bytes.put32(&b, rng.pick([0x1000, 0x5000, 0x2_0000, 0xFFFF_F000]), start + 16)
            Bytes.put32(&b, 1, start + 20)
            Bytes.put32(&b, UInt32(rng.below(5)) * 0x1000, start + 40)
            Bytes.put32(&b, 0x1000, start + 44)
            Bytes.put32(&b, 0x6E69_6268, start + 48)  // "hbin" as page data
            trace.note("append an HvLE skeleton of \(size) bytes at \(start)")
        }
    }

    mutating func splice(_ b: inout [UInt8], kind: SeedKind) {
        let sameKind = seeds.indices.filter { seeds[$0].kind == kind && !seeds[$0].bytes.isEmpty }
        let pool = sameKind.isEmpty || rng.chance(1, in: 4) ? Array(seeds.indices) : sameKind
        let other = seeds[rng.pick(pool)]
        guard !other.bytes.isEmpty else { return }
        let aligned = rng.chance(2, in: 3)
        var cutA = rng.below(b.count + 1), cutB = rng.below(other.bytes.count)
        if aligned { cutA = cutA / 512 * 512; cutB = cutB / 512 * 512 }
        let tail = other.bytes[cutB...].prefix(max(0, maximumSize - cutA))
        b = Array(b[..<cutA]) + tail
        trace.note("splice: first \(cutA) bytes, then \(other.path) from \(cutB) (\(tail.count) bytes)")
    }

    // MARK: New-format (HvLE) mutations

    mutating func newLog(_ b: inout [UInt8], context: Context) {
        let entries = Bytes.entryOffsets(b)
        guard let e = entries.isEmpty ? nil : rng.pick(entries) else { return generic(&b, kind: .newLog, context: context) }
        switch rng.below(12) {
        case 0, 1, 2:
            // One header field of an entry.
            let field = rng.pick([4, 8, 12, 16, 20, 16, 20, 4])
            let current = Bytes.u32(b, e + field)
            let size = Bytes.u32(b, e + 4)
            let v: UInt32
            switch field {
            case 4: v = rng.pick([0, 1, 40, 511, 512, 513, 1024, size &- 512, size &+ 512, size &+ 4096,
                                  UInt32(truncatingIfNeeded: b.count - e), UInt32(truncatingIfNeeded: b.count - e + 512),
                                  0xFFFF_FE00, 0xFFFF_FFFF, 0x8000_0000, value(near: current, context: context)])
            case 12: v = sequenceValue(current: current, context: context)
            case 16: v = pageValue(current: current, context: context)
            case 20:
                let maximum = size >= 40 ? (size - 40) / 8 : 0
                v = rng.pick([0, 1, 2, current &- 1, current &+ 1, maximum, maximum &+ 1, 0x1FFF_FFFF, 0x2000_0000,
                              0x2000_0001, 0x8000_0000, 0xFFFF_FFFF, value(near: current, context: context)])
            default: v = value(near: current, context: context)
            }
            Bytes.put32(&b, v, e + field)
            trace.note("entry at \(e): set header field +\(field) to 0x\(String(v, radix: 16))")
        case 3, 4, 5:
            // One page reference (offset or size).
            let size = Int(Bytes.u32(b, e + 4))
            let room = max(0, (min(size, b.count - e) - 40) / 8)
            let count = min(Int(Bytes.u32(b, e + 20)), room, 64)
            guard count > 0 else { return generic(&b, kind: .newLog, context: context) }
            let reference = e + 40 + 8 * rng.below(count)
            let field = rng.chance(1, in: 2) ? 0 : 4
            let v = pageValue(current: Bytes.u32(b, reference + field), context: context)
            Bytes.put32(&b, v, reference + field)
            trace.note("entry at \(e): set page reference at \(reference) \(field == 0 ? "offset" : "size") to 0x\(String(v, radix: 16))")
        case 6:
            // Renumber: the log's base sequence and its chain from it.
            let base = sequenceValue(current: Bytes.u32(b, 4), context: context)
            if b.count >= 512 { Bytes.put32(&b, base, 4); Bytes.put32(&b, base, 8) }
            for (k, entry) in Bytes.chainOffsets(b).enumerated() { Bytes.put32(&b, base &+ UInt32(k), entry + 12) }
            trace.note("renumber the log from sequence \(base)")
        case 7:
            // Grow or shrink the hive bins an entry claims, and maybe point a page past the old end.
            let hb = context.hiveBinsSize
            let v = rng.pick([hb &+ 0x1000, hb &+ 0x2000, hb &+ 0x1_0000, hb &- 0x1000, 0x1000, hb &* 2,
                              0x1000_0000, 0x7FFF_F000, 0xFFFF_F000])
            let targets = rng.chance(1, in: 2) ? [e] : entries.filter { $0 >= e }
            for t in targets { Bytes.put32(&b, v, t + 16) }
            trace.note("entries from \(e): hive-bins size 0x\(String(v, radix: 16))")
            if rng.chance(1, in: 2), Bytes.u32(b, e + 20) > 0, e + 48 <= b.count {
                let page = rng.pick([hb, v &- 0x1000, hb &- 0x1000])
                Bytes.put32(&b, page, e + 40)
                trace.note("entry at \(e): first page offset 0x\(String(page, radix: 16))")
            }
        case 8:
            // Duplicate an entry over another, or append a copy with the next sequence number.
            let size = Int(Bytes.u32(b, e + 4))
            guard size >= 40, e + size <= b.count else { return generic(&b, kind: .newLog, context: context) }
            let copy = Array(b[e..<e + size])
            let chain = Bytes.chainOffsets(b)
            if rng.chance(1, in: 2), let last = chain.last {
                let lastSize = Int(Bytes.u32(b, last + 4))
                let end = lastSize >= 512 && last + lastSize <= b.count ? last + lastSize : b.count
                guard end + size <= maximumSize else { return }
                b = Array(b[..<end]) + copy + b[end...]
                Bytes.put32(&b, Bytes.u32(b, last + 12) &+ 1, end + 12)
                trace.note("insert a copy of entry \(e) (\(size) bytes) at \(end), sequence +1")
            } else {
                let to = rng.pick(entries)
                let n = min(size, b.count - to)
                b.replaceSubrange(to..<to + n, with: copy[0..<n])
                trace.note("copy entry \(e) (\(n) bytes) over entry \(to)")
            }
        case 9:
            // Drop an entry from the chain.
            let size = Int(Bytes.u32(b, e + 4))
            guard size >= 512, e + size <= b.count else { return generic(&b, kind: .newLog, context: context) }
            b.removeSubrange(e..<e + size)
            trace.note("remove entry \(e) (\(size) bytes)")
        case 10:
            // Swap two page references of one entry.
            let count = min(Int(Bytes.u32(b, e + 20)), 64)
            guard count >= 2, e + 40 + 8 * count <= b.count else { return generic(&b, kind: .newLog, context: context) }
            let i = rng.below(count), j = rng.below(count)
            for k in 0..<8 { b.swapAt(e + 40 + 8 * i + k, e + 40 + 8 * j + k) }
            trace.note("entry at \(e): swap page references \(i) and \(j)")
        default:
            baseField(&b, context: context, keepSequencesEqual: true)
        }
    }

    /// Recomputes Hash-1 (Marvin32 over [40, size)) and Hash-2 (over [0, 32)) of every HvLE
    /// header at a 512-byte boundary, so that a mutated entry passes its hash checks.
    mutating func rehash(_ b: inout [UInt8]) {
        var count = 0
        for e in Bytes.entryOffsets(b) {
            let size = Int(Bytes.u32(b, e + 4))
            if size >= 40, size <= b.count - e {
                Bytes.put64(&b, Marvin32.hash(b[(e + 40)..<(e + size)]), e + 24)
            }
            Bytes.put64(&b, Marvin32.hash(b[e..<(e + 32)]), e + 32)
            count += 1
        }
        trace.note("rehash \(count) HvLE entries (Hash-1, Hash-2)")
    }

    // MARK: Old-format (DIRT) mutations

    mutating func oldLog(_ b: inout [UInt8], context: Context) {
        let bitmapBytes = Int(Bytes.u32(b, 40) / 4096)
        switch rng.below(8) {
        case 0, 1:
            guard bitmapBytes > 0, 516 < b.count else { return generic(&b, kind: .oldLog, context: context) }
            let at = 516 + rng.below(min(bitmapBytes, b.count - 516))
            b[at] = rng.chance(3, in: 4) ? rng.pick(Interesting.bytes) : rng.byte()
            trace.note("DIRT bitmap byte \(at - 516) = 0x\(String(b[at], radix: 16))")
        case 2:
            guard bitmapBytes > 0, 516 < b.count else { return generic(&b, kind: .oldLog, context: context) }
            let fill: UInt8 = rng.chance(1, in: 2) ? 0xFF : 0
            for k in 516..<min(b.count, 516 + bitmapBytes) { b[k] = fill }
            trace.note("DIRT bitmap all 0x\(String(fill, radix: 16))")
        case 3:
            let hb = Bytes.u32(b, 40)
            let v = rng.pick([0x1000, hb &- 0x1000, hb &+ 0x1000, hb &* 2, hb &* 8, UInt32(1 + rng.below(1024)) * 0x1000,
                              0x1000_0000, 0xFFFF_F000, 0x8000_0000, 0, hb &+ 512, context.hiveBinsSize])
            Bytes.put32(&b, v, 40)
            trace.note("log hive-bins size 0x\(String(v, radix: 16))")
        case 4:
            let stamp = rng.pick([context.lastWritten, context.lastWritten &+ 1, context.lastWritten &- 1, 0, UInt64.max])
            Bytes.put64(&b, stamp, 12)
            trace.note("log timestamp 0x\(String(stamp, radix: 16))")
        case 5:
            if b.count >= 516 { b[512 + rng.below(4)] = rng.byte() }
            trace.note("corrupt the DIRT signature")
        default:
            baseField(&b, context: context, keepSequencesEqual: true)
        }
    }

    // MARK: Base block and primary mutations

    mutating func baseField(_ b: inout [UInt8], context: Context, keepSequencesEqual: Bool) {
        guard b.count >= 512 else { return generic(&b, kind: .log, context: context) }
        let field = rng.pick([4, 8, 12, 20, 24, 28, 32, 36, 40, 44, 144, 4, 40, 28, 24])
        let current = Bytes.u32(b, field)
        var v: UInt32
        switch field {
        case 4, 8: v = sequenceValue(current: current, context: context)
        case 24: v = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 0xFFFF_FFFF])
        case 28: v = rng.pick([0, 1, 2, 3, 6, 7, 0xFFFF_FFFF])
        case 40: v = pageValue(current: current, context: context)
        default: v = value(near: current, context: context)
        }
        if field == 12 { v = rng.chance(1, in: 2) ? UInt32(truncatingIfNeeded: context.lastWritten) : v }
        Bytes.put32(&b, v, field)
        if (field == 4 || field == 8), keepSequencesEqual, rng.chance(7, in: 8) { Bytes.put32(&b, v, 12 - field) }
        trace.note("base block: field +\(field) = 0x\(String(v, radix: 16))")
    }

    mutating func primary(_ b: inout [UInt8], context: Context) {
        switch rng.below(10) {
        case 0, 1, 2:
            baseField(&b, context: context, keepSequencesEqual: false)
        case 3:
            // Clean, or dirty the other way round.
            guard b.count >= 512 else { return }
            if rng.chance(1, in: 2) { Bytes.put32(&b, Bytes.u32(b, 4), 8); trace.note("make the primary clean") } else {
                Bytes.put32(&b, Bytes.u32(b, 8) &+ 1, 4); trace.note("primary sequence +1")
            }
        case 4, 5, 6:
            let bins = Bytes.binOffsets(b)
            guard !bins.isEmpty else { return generic(&b, kind: .primary, context: context) }
            let bin = rng.pick(bins)
            let field = rng.pick([0, 4, 8, 8, 4])
            if field == 0 { b[bin + rng.below(4)] = rng.byte() } else {
                let v = pageValue(current: Bytes.u32(b, bin + field), context: context)
                Bytes.put32(&b, v, bin + field)
            }
            trace.note("hive bin at \(bin): field +\(field)")
        case 7:
            let v = rng.pick([0, 0x20, 0xFFFF_FFFF, 0xFFFF_FFF8, context.hiveBinsSize &- 8, context.hiveBinsSize &- 4,
                              context.hiveBinsSize, Bytes.u32(b, 36) &+ 8, rng.u32() & 0xFFFF8])
            Bytes.put32(&b, v, 36)
            trace.note("root cell offset 0x\(String(v, radix: 16))")
        case 8:
            let root = 4096 + Int(Bytes.u32(b, 36))
            guard root + 8 <= b.count else { return generic(&b, kind: .primary, context: context) }
            if rng.chance(1, in: 2) { Bytes.put32(&b, rng.pick([0, 0x20, 0xFFFF_FFA0, 0x7FFF_FFFF]), root) } else {
                b[root + 4 + rng.below(2)] = rng.byte()
            }
            trace.note("root cell at \(root) mutated")
        default:
            // Cut below, at or just past the declared end.
            let end = 4096 + Int(Bytes.u32(b, 40))
            let length = rng.pick([end - 1, end - 4096, end - 32, 4096, 4096 + 32, 4095, 512]).clamped(to: 0...b.count)
            b.removeSubrange(length..<b.count)
            trace.note("truncate the primary to \(length) bytes (declared end \(end))")
        }
    }

    // MARK: Driver

    /// Applies 1…8 stacked mutations (fewer when `light`), then usually repairs hashes and the checksum.
    mutating func mutate(_ b: inout [UInt8], kind: SeedKind, context: Context, light: Bool = false) {
        let rounds = light ? rng.geometric(limit: 2) : rng.geometric(limit: 8)
        for _ in 0..<rounds {
            if rng.chance(2, in: 5) {
                generic(&b, kind: kind, context: context)
                continue
            }
            switch kind {
            case .newLog, .log: newLog(&b, context: context)
            case .oldLog: oldLog(&b, context: context)
            case .primary: primary(&b, context: context)
            }
        }
        // Repair, so that the mutations get past the hash and checksum checks to the code behind them.
        if Bytes.has(b, "HvLE", at: 512) || kind == .newLog, rng.chance(4, in: 5) { rehash(&b) }
        if b.count >= 512 {
            if rng.chance(7, in: 8) {
                BaseBlock.updateChecksum(&b)
                trace.note("update the base-block checksum")
            } else if rng.chance(1, in: 2) {
                let v = rng.pick([0, 1, 0xFFFF_FFFE, 0xFFFF_FFFF, BaseBlock.checksum(b[0..<512]) ^ 1])
                Bytes.put32(&b, v, 508)
                trace.note("base-block checksum 0x\(String(v, radix: 16))")
            }
        }
        // Now and then, one more change after the repair (so a hash or checksum is wrong again).
        if rng.chance(1, in: 12) {
            trace.note("after the repair:")
            generic(&b, kind: kind, context: context)
        }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

// MARK: - One input

/// Everything one iteration runs: a primary (maybe mutated) and its logs (one maybe mutated).
struct FuzzCase {
    var target: String
    var primaryPath: String?
    var primary: [UInt8]?
    var primaryMutated = false
    var mutatedLog: (path: String, bytes: [UInt8])?
    /// Unmutated logs (seed indices), and where the mutated one goes among them.
    var otherLogs: [Int] = []
    var mutatedPosition = 0
    var discardUnreconciled = false
    var trace: [String] = []
}

enum Outcome: String {
    case recovered, refused, clean, discarded
    case parsedOnly = "parsed only (no primary)"
}

struct Fuzzer {
    let seeds: [Seed]
    let seed: UInt64
    let logIndices: [Int]
    let primaryIndices: [Int]
    let maximumSize: Int

    init(seeds: [Seed], seed: UInt64) {
        self.seeds = seeds
        maximumSize = max(2 << 20, (seeds.map(\.bytes.count).max() ?? 0) + (1 << 20))
        self.seed = seed
        logIndices = seeds.indices.filter { seeds[$0].isLog }
        primaryIndices = seeds.indices.filter { !seeds[$0].isLog }
    }

    /// Builds input `iteration`: a pure function of (seed, iteration).
    func generate(_ iteration: Int, tracing: Bool) -> FuzzCase {
        var m = Mutator(rng: SplitMix64(seed: seed, iteration: iteration), trace: Trace(enabled: tracing), seeds: seeds,
                        maximumSize: maximumSize)
        var fuzzCase: FuzzCase
        let mutateLog = !logIndices.isEmpty && (primaryIndices.isEmpty || m.rng.chance(3, in: 4))
        if mutateLog {
            var index = m.rng.pick(logIndices)
            if seeds[index].bytes.isEmpty, m.rng.chance(3, in: 4) { index = m.rng.pick(logIndices) }  // empty files: less often
            let log = seeds[index]
            var primaryIndex = log.primary
            if primaryIndex == nil, !primaryIndices.isEmpty, m.rng.chance(1, in: 2) { primaryIndex = m.rng.pick(primaryIndices) }
            let context = primaryIndex.map { Context(primary: seeds[$0].bytes) } ?? Context()
            fuzzCase = FuzzCase(target: log.path)
            m.trace.note("target: \(log.path) (\(log.kind.rawValue), \(log.bytes.count) bytes)")
            var bytes = log.bytes
            m.mutate(&bytes, kind: log.kind, context: context)
            fuzzCase.mutatedLog = (log.path, bytes)
            if let primaryIndex {
                let primary = seeds[primaryIndex]
                fuzzCase.primaryPath = primary.path
                var hive = primary.bytes
                if m.rng.chance(1, in: 8) {
                    m.trace.note("primary \(primary.path), mutated too:")
                    m.mutate(&hive, kind: .primary, context: Context(primary: hive), light: true)
                    fuzzCase.primaryMutated = true
                } else {
                    m.trace.note("primary \(primary.path), unmutated")
                }
                fuzzCase.primary = hive
                fuzzCase.otherLogs = primary.logs.filter { $0 != index && m.rng.chance(7, in: 8) }
            }
        } else {
            let index = m.rng.pick(primaryIndices)
            let primary = seeds[index]
            fuzzCase = FuzzCase(target: primary.path)
            m.trace.note("target: \(primary.path) (primary, \(primary.bytes.count) bytes)")
            var hive = primary.bytes
            m.mutate(&hive, kind: .primary, context: Context(primary: hive))
            fuzzCase.primaryPath = primary.path
            fuzzCase.primary = hive
            fuzzCase.primaryMutated = true
            var logs = primary.logs
            if logs.isEmpty, !logIndices.isEmpty, m.rng.chance(1, in: 4) {
                logs = [m.rng.pick(logIndices)]  // someone else's log
            }
            if !logs.isEmpty, m.rng.chance(1, in: 4) {
                let index = m.rng.pick(logs)
                let log = seeds[index]
                m.trace.note("and its log \(log.path), mutated:")
                var bytes = log.bytes
                m.mutate(&bytes, kind: log.kind, context: Context(primary: primary.bytes), light: true)
                fuzzCase.mutatedLog = (log.path, bytes)
                logs.removeAll { $0 == index }
            }
            fuzzCase.otherLogs = logs.filter { _ in m.rng.chance(7, in: 8) }
        }
        fuzzCase.mutatedPosition = m.rng.below(fuzzCase.otherLogs.count + 1)
        fuzzCase.discardUnreconciled = m.rng.chance(1, in: 4)
        fuzzCase.trace = m.trace.lines
        return fuzzCase
    }

    /// Runs one input through the parser, the replay and the layout checks.
    ///
    /// - Returns: The outcome, a digest of what was computed (keeps the optimizer honest and makes
    ///   runs comparable), and the analysis when there was one.
    func execute(_ fuzzCase: FuzzCase) -> (Outcome, UInt64, RecoveryAnalysis?) {
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        func fold(_ value: Int) { digest = (digest ^ UInt64(bitPattern: Int64(value))) &* 0x100_0000_01B3 }
        var logs = fuzzCase.otherLogs.compactMap { seeds[$0].parsed }
        if let (path, bytes) = fuzzCase.mutatedLog {
            let log = TransactionLog(path: path, bytes: bytes)
            fold(log.entries.count)
            fold(log.entries.reduce(0) { $0 + $1.pages.count })
            fold(log.dirtyPages.count)
            fold(Int(log.highestSequence ?? 0))
            fold(log.isValid ? 1 : 0)
            logs.insert(log, at: min(fuzzCase.mutatedPosition, logs.count))
        }
        guard let hive = fuzzCase.primary, let hivePath = fuzzCase.primaryPath else { return (.parsedOnly, digest, nil) }
        if fuzzCase.primaryMutated {
            do { fold(Int(try HiveLayout.validate(hive, path: hivePath).hiveBinsSize)) } catch { fold(-1) }
        }
        let analysis = HiveRecovery.analyze(hivePath: hivePath, hive: hive, logs: logs,
                                            discardUnreconciled: fuzzCase.discardUnreconciled)
        fold(analysis.applied.count)
        fold(Int(analysis.finalSequence ?? 0))
        if let recovered = analysis.recovered {
            // Replay grows a hive only over pages its logs supply (HiveRecovery.writtenEnd).
            let bound = hive.count + logs.reduce(0) { $0 + $1.size }
            if recovered.count > bound {
                fatalError("the recovered hive has \(recovered.count) bytes, more than the primary and its logs hold together (\(bound))")
            }
            fold(recovered.count)
            do { fold(Int(try HiveLayout.validate(recovered, path: hivePath + " (recovered)").hiveBinsSize)) } catch { fold(-2) }
        }
        let outcome: Outcome = switch analysis.outcome {
        case .recovered: .recovered
        case .refused: .refused
        case .clean: .clean
        case .discarded: .discarded
        }
        for byte in outcome.rawValue.utf8 { fold(Int(byte)) }
        return (outcome, digest, analysis)
    }
}

// MARK: - Command line

struct Options {
    var iterations = 100_000
    var seed: UInt64 = 20_251_125
    var seconds: Double?
    var start = 0
    var replay: Int?
    var dump: String?
    var trace = false
    var files: [String] = []

    static let usage = """
        usage: wuscrub-fuzz [--iterations N] [--seed S] [--seconds T] [--start I]
                            [--trace] [--replay-iteration I [--dump DIR]] SEED-FILE...
          --iterations N        inputs to run (default 100000)
          --seed S              the run's seed (default 20251125); input I depends only on (S, I)
          --seconds T           stop after T seconds of wall time; if fewer than N inputs ran by then,
                                say so and exit 1 (the run did not do what was asked)
          --start I             first iteration index (default 0), to rerun a window of a run
          --trace               print each input's mutations and outcome
          --replay-iteration I  regenerate input I and run only it, verbosely
          --dump DIR            with --replay-iteration: write the input's files into DIR
        """

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var rest = arguments[...]
        func value(_ flag: String) -> String {
            guard let next = rest.popFirst() else { fail("\(flag) needs a value\n" + usage) }
            return next
        }
        func integer(_ flag: String) -> Int {
            let text = value(flag)
            guard let n = Int(text), n >= 0 else { fail("\(flag): '\(text)' is not a non-negative integer") }
            return n
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--iterations": options.iterations = integer(argument)
            case "--seed":
                let text = value(argument)
                guard let s = UInt64(text) ?? (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil) else {
                    fail("--seed: '\(text)' is not an unsigned 64-bit integer")
                }
                options.seed = s
            case "--seconds":
                let text = value(argument)
                guard let t = Double(text), t > 0 else { fail("--seconds: '\(text)' is not a positive number") }
                options.seconds = t
            case "--start": options.start = integer(argument)
            case "--replay-iteration": options.replay = integer(argument)
            case "--dump": options.dump = value(argument)
            case "--trace": options.trace = true
            case "-h", "--help":
                emit(usage)
                exit(0)
            default:
                if argument.hasPrefix("--") { fail("unknown option '\(argument)'\n" + usage) }
                options.files.append(argument)
            }
        }
        guard !options.files.isEmpty else { fail("no seed files given\n" + usage) }
        if options.dump != nil, options.replay == nil { fail("--dump needs --replay-iteration") }
        return options
    }
}

// MARK: - Main

func describe(_ analysis: RecoveryAnalysis?) -> [String] {
    guard let analysis else { return [] }
    var lines = ["outcome: \(analysis.outcome.rawValue), primary \(analysis.primarySequence)/\(analysis.secondarySequence)"]
    for log in analysis.logs {
        lines.append("  log \(log.path): \(log.size) bytes, valid \(log.valid), format \(log.format?.rawValue ?? "-"), base \(log.baseSequence.map(String.init) ?? "-"), entries \(log.entries), highest \(log.highestSequence.map(String.init) ?? "-"), \(log.problem ?? log.chainEnd ?? "")")
    }
    for applied in analysis.applied { lines.append("  applied \(applied.path): sequences \(applied.sequences), \(applied.pages) pages") }
    if let refusal = analysis.refusal { lines.append("  refusal: \(refusal)") }
    if let final = analysis.finalSequence { lines.append("  final sequence \(final), hive bins \(analysis.finalHiveBinsSize ?? 0)") }
    return lines
}

func writeFile(_ bytes: [UInt8], _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { fail("cannot create '\(path)': errno \(errno)", status: 73) }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { fail("cannot write '\(path)': errno \(errno)", status: 74) }
        done += n
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let seeds = SeedSet.load(options.files)
let fuzzer = Fuzzer(seeds: seeds, seed: options.seed)
CrashNote.install(seed: options.seed)

if let iteration = options.replay {
    CrashNote.iteration = iteration
    let fuzzCase = fuzzer.generate(iteration, tracing: true)
    emit("fuzz: replaying iteration \(iteration) (seed \(options.seed))")
    for line in fuzzCase.trace { emit("  " + line) }
    if let dump = options.dump {
        mkdir(dump, 0o755)
        if let hive = fuzzCase.primary, let path = fuzzCase.primaryPath {
            let name = dump + "/" + (path.split(separator: "/").last.map(String.init) ?? "primary")
            writeFile(hive, name)
            emit("  wrote \(name)\(fuzzCase.primaryMutated ? " (mutated)" : "")")
        }
        let logPaths = fuzzCase.otherLogs.map { (seeds[$0].path, seeds[$0].bytes, false) }
            + (fuzzCase.mutatedLog.map { [($0.path, $0.bytes, true)] } ?? [])
        for (path, bytes, mutated) in logPaths {
            let name = dump + "/" + (path.split(separator: "/").last.map(String.init) ?? "log")
            writeFile(bytes, name)
            emit("  wrote \(name)\(mutated ? " (mutated)" : "")")
        }
    }
    let started = monotonicSeconds()
    let (outcome, digest, analysis) = fuzzer.execute(fuzzCase)
    CrashNote.iteration = -1
    for line in describe(analysis) { emit("  " + line) }
    emit("fuzz: iteration \(iteration): \(outcome.rawValue), digest \(hex16(digest)), "
         + "\(fixed(monotonicSeconds() - started, 3)) s, peak RSS \(fixed(peakResidentMiB(), 1)) MiB")
    exit(0)
}

let given = seeds.filter(\.given).count
emit("fuzz: seed \(options.seed), \(seeds.count) seed files (\(given) given, \(seeds.count - given) companions found beside them)")
for seed in seeds {
    let group = seed.isLog ? (seed.primary.map { "for " + seeds[$0].path } ?? "no primary") : "\(seed.logs.count) logs"
    emit("  \(seed.path): \(seed.kind.rawValue), \(seed.bytes.count) bytes, \(group)")
}
if fuzzer.primaryIndices.isEmpty && fuzzer.logIndices.isEmpty { fail("no usable seed") }

let started = monotonicSeconds()
let deadline = options.seconds.map { started + $0 }
var counts: [Outcome: Int] = [:]
var slowest: (iteration: Int, seconds: Double) = (-1, 0)
var runDigest: UInt64 = 0
var done = 0
var timedOut = false
for iteration in options.start..<(options.start + options.iterations) {
    if let deadline, monotonicSeconds() >= deadline {
        timedOut = true
        break
    }
    let inputStarted = monotonicSeconds()
    CrashNote.iteration = iteration
    let fuzzCase = fuzzer.generate(iteration, tracing: options.trace)
    let (outcome, digest, analysis) = fuzzer.execute(fuzzCase)
    CrashNote.iteration = -1
    let inputTime = monotonicSeconds() - inputStarted
    if inputTime > slowest.seconds { slowest = (iteration, inputTime) }
    if options.trace {
        emit("iteration \(iteration): \(outcome.rawValue), digest \(hex16(digest))")
        for line in fuzzCase.trace + describe(analysis) { emit("  " + line) }
    }
    counts[outcome, default: 0] += 1
    runDigest = SplitMix64.mix(runDigest ^ digest)
    done += 1
    if done % 10_000 == 0 {
        emit("fuzz: \(done) inputs (\(counts[.recovered] ?? 0) recovered, \(counts[.refused] ?? 0) refused, "
             + "\(counts[.clean] ?? 0) clean, \(counts[.discarded] ?? 0) discarded), "
             + "\(fixed(monotonicSeconds() - started, 1)) s, peak RSS \(fixed(peakResidentMiB(), 1)) MiB")
    }
}
let elapsed = monotonicSeconds() - started
if timedOut {
    emit("fuzz: stopped early: the --seconds \(options.seconds!) bound was reached after \(done) of \(options.iterations) inputs (iterations \(options.start)..<\(options.start + done))")
}
emit("fuzz: breakdown: \(counts[.recovered] ?? 0) recovered, \(counts[.refused] ?? 0) refused, \(counts[.clean] ?? 0) clean, "
     + "\(counts[.discarded] ?? 0) discarded (--discard-unreconciled), \(counts[.parsedOnly] ?? 0) parsed only; "
     + "\(fixed(elapsed, 1)) s, \(fixed(Double(done) / max(elapsed, 1e-9), 0)) inputs/s, "
     + "peak RSS \(fixed(peakResidentMiB(), 1)) MiB, run digest \(hex16(runDigest))")
if slowest.iteration >= 0 {
    emit("fuzz: slowest input: iteration \(slowest.iteration), \(fixed(slowest.seconds * 1000, 1)) ms")
}
emit("fuzz: \(done) inputs, 0 crashes, \(counts[.recovered] ?? 0) recovered, \(counts[.refused] ?? 0) refused (seed \(options.seed))")
if timedOut {
    emit("wuscrub-fuzz: FAILED: the --seconds \(options.seconds!) bound stopped the run after \(done) of the \(options.iterations) inputs asked for; "
         + "allow more time (make fuzz FUZZ_SECONDS=...) or ask for fewer inputs (FUZZ_ITERATIONS=...)", to: 2)
    exit(1)
}
