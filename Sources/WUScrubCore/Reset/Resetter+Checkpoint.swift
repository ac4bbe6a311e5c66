extension Resetter {
    /// The points where a run can be interrupted on purpose (fault injection for tests).
    public enum Checkpoint: Hashable, Sendable, CustomStringConvertible {
        /// Just after the journal recorded that this phase starts.
        case phaseStarted(Journal.Phase)
        /// The recovered hive is written and fsynced, the journal knows its hash, the rename has not happened.
        case beforeRecoveredHiveRename
        /// The disabled hive is written and fsynced, the journal knows its hash, the rename has not happened.
        case beforeHiveRename
        /// The disabled hive replaced the original; the journal has not moved on yet.
        case afterHiveRename
        /// The purge has removed its first entry and no other: a folder is partly emptied.
        case midPurge
        /// The original bytes are back; the journal has not moved on yet.
        case afterRestore
        /// `rollback` has moved its first quarantined entry back and no other.
        case midPutBack
        /// `reset --full`: the BITS queue's files are in the quarantine; catroot2 is not renamed yet.
        case afterBitsQueue
        /// `reset --full`: catroot2 is renamed; the journal does not record it yet.
        case afterCatroot2Rename

        public var description: String {
            switch self {
            case .phaseStarted(let phase): "after-journal-\(phase.rawValue)"
            case .beforeRecoveredHiveRename: "before-recovered-hive-rename"
            case .beforeHiveRename: "before-hive-rename"
            case .afterHiveRename: "after-hive-rename"
            case .midPurge: "mid-purge"
            case .afterRestore: "after-restore"
            case .midPutBack: "mid-put-back"
            case .afterBitsQueue: "after-bits-queue"
            case .afterCatroot2Rename: "after-catroot2-rename"
            }
        }

        /// The points only a `reset --full` run passes, in its purge phase after `midPurge`, in order.
        public static let fullReset: [Checkpoint] = [.afterBitsQueue, .afterCatroot2Rename]

        /// Every point, in the order a run passes them (a rollback's points and `fullReset`'s are not among them).
        public static var all: [Checkpoint] {
            var points: [Checkpoint] = []
            for phase in Journal.Phase.runPhases {
                points.append(.phaseStarted(phase))
                if phase == .recover { points.append(.beforeRecoveredHiveRename) }
                if phase == .disable { points += [.beforeHiveRename, .afterHiveRename] }
                if phase == .purge { points.append(.midPurge) }
                if phase == .restore { points.append(.afterRestore) }
            }
            return points
        }
    }

    /// Passes a checkpoint: calls the hook, and reports whatever it throws as
    /// `WUScrubError.checkpoint(point)` (a test's simulated crash there).
    func reach(_ point: Checkpoint) throws {
        do { try checkpoint(point) } catch { throw WUScrubError.checkpoint(point) }
    }
}
