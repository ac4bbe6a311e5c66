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
/// logs (replay may grow a hive only over pages the logs supply). A signal handler prints the
/// iteration before the runtime's own crash report, so the reproduction is
/// `--seed S --replay-iteration I`.
///
/// Seed files are primaries and logs. A log (`*.LOG`, `*.LOG1`, `*.LOG2`) is matched to the primary
/// beside it, and a primary's logs are found with `HiveRecovery.logNames`; those companions are
/// loaded even when not named. Nothing is kept from one input to the next (memory is bounded by the
/// seeds, one mutated input and its replay, which that growth check bounds).
///
/// Exit statuses: 0 every input ran; 1 the `--seconds` bound stopped the run first; 64 bad usage
/// (or no usable seed); 66 a seed file cannot be read; 73/74 a `--dump` file cannot be created or
/// written; a crash dies of its signal, after the crash note (CrashNote).
import ArgumentParser

@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wuscrub-fuzz",
        abstract: "Seeded mutation fuzzing of TransactionLog, HiveRecovery.analyze and HiveLayout.validate.",
        discussion: """
            Input I depends only on (--seed, I): rerun one alone with --seed S --replay-iteration I \
            and the same seed files. A log's primary and a primary's logs are loaded beside the \
            files named.

            Exit statuses: 0 every input ran; 1 the --seconds bound stopped the run first; \
            64 bad usage; 66 a seed file cannot be read; a crash dies of its signal after \
            printing its iteration.
            """
    )

    // Every option takes the next word as its value, whatever it looks like (`--start -2` is a bad
    // value, not a missing one), as the hand-written parser before ArgumentParser did.

    @Option(parsing: .unconditional, help: ArgumentHelp("Inputs to run.", valueName: "N"))
    var iterations = 100_000

    @Option(parsing: .unconditional,
            help: ArgumentHelp("The run's seed, decimal or 0x-hexadecimal (default: 20251125); input I depends only on (S, I).",
                               valueName: "S"),
            transform: FuzzCommand.seed(from:))
    var seed: UInt64 = 20_251_125

    @Option(parsing: .unconditional, help: ArgumentHelp("""
        Stop after T seconds of wall time; if fewer than N inputs ran by then, say so and exit 1 \
        (the run did not do what was asked).
        """, valueName: "T"))
    var seconds: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("First iteration index, to rerun a window of a run.", valueName: "I"))
    var start = 0

    @Flag(help: "Print each input's mutations and outcome.")
    var trace = false

    @Option(name: .customLong("replay-iteration"), parsing: .unconditional,
            help: ArgumentHelp("Regenerate input I and run only it, verbosely.", valueName: "I"))
    var replay: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --replay-iteration: write the input's files into DIR.", valueName: "DIR"))
    var dump: String?

    @Argument(help: ArgumentHelp("Primaries and logs to mutate.", valueName: "seed-file"))
    var files: [String]

    /// `--seed`: an unsigned 64-bit integer, decimal or `0x` hexadecimal.
    static func seed(from text: String) throws -> UInt64 {
        guard let value = UInt64(text) ?? (text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil) else {
            throw ValidationError("not an unsigned 64-bit integer")
        }
        return value
    }

    func validate() throws {
        for (flag, value) in [("--iterations", iterations), ("--start", start), ("--replay-iteration", replay ?? 0)] where value < 0 {
            throw ValidationError("\(flag): '\(value)' is not a non-negative integer")
        }
        if let seconds, !(seconds > 0) { throw ValidationError("--seconds: '\(seconds)' is not a positive number") }
        if dump != nil, replay == nil { throw ValidationError("--dump needs --replay-iteration") }
    }

    func run() throws {
        let seeds = SeedSet.load(files)
        let fuzzer = Fuzzer(seeds: seeds, seed: seed)
        CrashNote.install(seed: seed)
        if let replay {
            fuzzer.replay(replay, dump: dump)
            return
        }
        guard fuzzer.run(start: start, iterations: iterations, seconds: seconds, tracing: trace) else {
            throw ExitCode.failure
        }
    }
}
