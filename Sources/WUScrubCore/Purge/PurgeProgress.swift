import Synchronization

/// How far a count or a purge has got, for a caller that shows progress (docs/architecture.md
/// §7.4): the walks add one for each entry they remove (or, counting, would remove), at the very
/// place the report counts it, so a finished walk has added exactly its report's `removals`.
///
/// It costs one relaxed atomic add per entry and nothing else: no clock, no lock, no output. The
/// library never reads it; a caller samples it from a thread of its own (`snapshot`) and decides
/// what to show. A resetter without one (`Resetter.progress` nil) pays nothing.
public final class PurgeProgress: Sendable {
    /// What the walks are doing: nothing to show (`idle`); counting what a purge would remove
    /// (`status`, `--dry-run`, the plan before a question); removing (`purging`); or a `step`
    /// that is not a walk (reading the hive, backing it up, looking at a volume), which
    /// `Snapshot.label` names.
    public enum Phase: UInt8, Sendable {
        case idle, counting, purging, step
    }

    /// One reading of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// What the walks are doing.
        public var phase: Phase
        /// Changes with every `begin`, so that a reader can tell a new phase from the one it saw.
        public var generation: Int
        /// Entries removed (or counted) since the phase began.
        public var entries: Int
        /// How many entries the phase is expected to remove, when a count came first; else nil.
        public var total: Int?
        /// What a `step` (or a walk, when given) is about: "Backing up the SYSTEM hive".
        public var label: String?

        /// Creates a snapshot.
        public init(phase: Phase, generation: Int = 0, entries: Int = 0, total: Int? = nil, label: String? = nil) {
            self.phase = phase
            self.generation = generation
            self.entries = entries
            self.total = total
            self.label = label
        }
    }

    private let phase = Atomic<UInt8>(Phase.idle.rawValue)
    private let generation = Atomic<Int>(0)
    private let entries = Atomic<Int>(0)
    /// The expected total, or -1 when unknown.
    private let total = Atomic<Int>(-1)
    /// The current phase's label (set at `begin` and `step` only, never per entry).
    private let label = Mutex<String?>(nil)

    /// Called at each `begin` and `end`, with the counters then (never per entry).
    private let phaseChanged: (@Sendable (Snapshot) -> Void)?

    /// Creates idle counters.
    ///
    /// - Parameter phaseChanged: Called, on the walking thread, at each `begin` and `end` with
    ///   the counters then: a caller that shows progress starts or clears its display there, so
    ///   nothing it shows outlives the phase. Never called per entry.
    public init(phaseChanged: (@Sendable (Snapshot) -> Void)? = nil) {
        self.phaseChanged = phaseChanged
    }

    /// Starts a phase: the entry count goes back to 0.
    ///
    /// - Parameters:
    ///   - phase: Counting or purging.
    ///   - total: How many entries the phase is expected to reach, when known.
    ///   - label: What it is about, when more than the phase ("DataStore of /mnt/win").
    public func begin(_ phase: Phase, total: Int? = nil, label: String? = nil) {
        self.label.withLock { $0 = label }
        entries.store(0, ordering: .relaxed)
        self.total.store(total ?? -1, ordering: .relaxed)
        generation.wrappingAdd(1, ordering: .relaxed)
        self.phase.store(phase.rawValue, ordering: .releasing)
        phaseChanged?(snapshot)
    }

    /// Starts a step that is not a walk, such as "Backing up the SYSTEM hive"; it lasts until the
    /// next `begin`, `step` or `end`.
    public func step(_ label: String) {
        begin(.step, label: label)
    }

    /// Ends the current phase: nothing to show until the next `begin`.
    public func end() {
        phase.store(Phase.idle.rawValue, ordering: .releasing)
        phaseChanged?(snapshot)
    }

    /// One entry removed (or counted): a relaxed add, safe from any number of workers at once.
    @inline(__always)
    func add() {
        entries.wrappingAdd(1, ordering: .relaxed)
    }

    /// The counters now. The fields are read one by one, so a reading taken while a phase begins
    /// may mix the two; the next one is right.
    public var snapshot: Snapshot {
        let current = Phase(rawValue: phase.load(ordering: .acquiring)) ?? .idle
        let expected = total.load(ordering: .relaxed)
        return Snapshot(phase: current, generation: generation.load(ordering: .relaxed),
                        entries: entries.load(ordering: .relaxed), total: expected < 0 ? nil : expected,
                        label: label.withLock { $0 })
    }
}
