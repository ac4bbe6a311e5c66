import WUScrubCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

/// What `HiveRecovery.analyze` made of an input (or that it only parsed a log).
enum Outcome: String {
    case recovered, refused, clean, discarded
    case parsedOnly = "parsed only (no primary)"
}

/// Builds and runs inputs: each a pure function of (seed, iteration).
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

// MARK: - Running

extension Fuzzer {
    /// `--replay-iteration`: regenerates input `iteration`, prints its mutations, writes its files
    /// into `dump` when one is given, then runs it and prints what the analysis did.
    func replay(_ iteration: Int, dump: String?) {
        CrashNote.iteration = iteration
        let fuzzCase = generate(iteration, tracing: true)
        emit("fuzz: replaying iteration \(iteration) (seed \(seed))")
        for line in fuzzCase.trace { emit("  " + line) }
        if let dump {
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
        let (outcome, digest, analysis) = execute(fuzzCase)
        CrashNote.iteration = -1
        for line in describe(analysis) { emit("  " + line) }
        emit("fuzz: iteration \(iteration): \(outcome.rawValue), digest \(hex16(digest)), "
             + "\(fixed(monotonicSeconds() - started, 3)) s, peak RSS \(fixed(peakResidentMiB(), 1)) MiB")
    }

    /// The run: lists the seeds, then runs inputs `start..<start + iterations` (with their
    /// mutations and outcomes when `tracing`), with progress every 10,000 inputs and a summary.
    /// Exits 64 when no seed is usable.
    ///
    /// - Returns: false when the `seconds` bound stopped the run before every input had run.
    func run(start: Int, iterations: Int, seconds: Double?, tracing: Bool) -> Bool {
        let given = seeds.filter(\.given).count
        emit("fuzz: seed \(seed), \(seeds.count) seed files (\(given) given, \(seeds.count - given) companions found beside them)")
        for file in seeds {
            let group = file.isLog ? (file.primary.map { "for " + seeds[$0].path } ?? "no primary") : "\(file.logs.count) logs"
            emit("  \(file.path): \(file.kind.rawValue), \(file.bytes.count) bytes, \(group)")
        }
        if primaryIndices.isEmpty && logIndices.isEmpty { fail("no usable seed") }

        let started = monotonicSeconds()
        let deadline = seconds.map { started + $0 }
        var counts: [Outcome: Int] = [:]
        var slowest: (iteration: Int, seconds: Double) = (-1, 0)
        var runDigest: UInt64 = 0
        var done = 0
        var timedOut = false
        for iteration in start..<(start + iterations) {
            if let deadline, monotonicSeconds() >= deadline {
                timedOut = true
                break
            }
            let inputStarted = monotonicSeconds()
            CrashNote.iteration = iteration
            let fuzzCase = generate(iteration, tracing: tracing)
            let (outcome, digest, analysis) = execute(fuzzCase)
            CrashNote.iteration = -1
            let inputTime = monotonicSeconds() - inputStarted
            if inputTime > slowest.seconds { slowest = (iteration, inputTime) }
            if tracing {
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
        if timedOut, let seconds {
            emit("fuzz: stopped early: the --seconds \(seconds) bound was reached after \(done) of \(iterations) inputs (iterations \(start)..<\(start + done))")
        }
        emit("fuzz: breakdown: \(counts[.recovered] ?? 0) recovered, \(counts[.refused] ?? 0) refused, \(counts[.clean] ?? 0) clean, "
             + "\(counts[.discarded] ?? 0) discarded (--discard-unreconciled), \(counts[.parsedOnly] ?? 0) parsed only; "
             + "\(fixed(elapsed, 1)) s, \(fixed(Double(done) / max(elapsed, 1e-9), 0)) inputs/s, "
             + "peak RSS \(fixed(peakResidentMiB(), 1)) MiB, run digest \(hex16(runDigest))")
        if slowest.iteration >= 0 {
            emit("fuzz: slowest input: iteration \(slowest.iteration), \(fixed(slowest.seconds * 1000, 1)) ms")
        }
        emit("fuzz: \(done) inputs, 0 crashes, \(counts[.recovered] ?? 0) recovered, \(counts[.refused] ?? 0) refused (seed \(seed))")
        if timedOut, let seconds {
            emit("wuscrub-fuzz: FAILED: the --seconds \(seconds) bound stopped the run after \(done) of the \(iterations) inputs asked for; "
                 + "allow more time (make fuzz FUZZ_SECONDS=...) or ask for fewer inputs (FUZZ_ITERATIONS=...)", to: 2)
            return false
        }
        return true
    }
}
