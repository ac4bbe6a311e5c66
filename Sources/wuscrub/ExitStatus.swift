import ArgumentParser
import Foundation
import WUScrubCore

/// wuscrub's exit codes: the one place where errors become numbers.
enum ExitStatus: Int32, CaseIterable {
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

    var meaning: String {
        switch self {
        case .success: "success: the reset finished (or status/dry-run completed)"
        case .cancelled: "cancelled: confirmation declined, or no terminal to ask and no --yes"
        case .notWindows: "ROOT is not a Windows installation"
        case .unsafeState: "unsafe state refused (an entry on the volume that is not what it should be: link, device node, FIFO, socket, hard link, another mount; hibernated / Fast Startup volume, read-only mount, case-ambiguous name, hive changed outside wuscrub)"
        case .dirtyHive: "the SYSTEM hive is dirty and its transaction logs cannot be replayed safely: refused"
        case .hiveError: "the SYSTEM hive is invalid, truncated, or lacks what wuscrub needs"
        case .purgeIncomplete: "the purge left some entries (listed); the service start mode was restored"
        case .unfinishedJournal: "an earlier run is unfinished: use resume or rollback"
        case .ioError: "a file could not be read or written (journal, backup, hive), the journal is damaged, or reset --device could not unmount the device (it says where it is still mounted)"
        case .locked: "another wuscrub is working on this installation (nothing was changed)"
        case .usage: "usage error (bad arguments, or nothing to resume/roll back)"
        case .internalError: "internal error"
        case .hangUp: "stopped by SIGHUP (see 130)"
        case .interrupted: "reset or resume stopped by SIGINT (Ctrl-C) at a safe point: before the service was disabled, nothing changed; after, the purge stopped and the start mode was restored first; the journal is closed as interrupted (run reset again to finish); --device unmounts"
        case .terminated: "stopped by SIGTERM (see 130)"
        }
    }

    static var table: String {
        allCases.map { "  \($0.rawValue)\t\($0.meaning)" }.joined(separator: "\n")
    }

    /// Maps a library error to its exit status.
    init(_ error: any Error) {
        switch error {
        case let error as ImageError:
            switch error {
            case .notWindows, .rootUnusable: self = .notWindows
            case .ambiguous, .symlink, .wrongType, .otherMount, .readOnly, .hibernated, .bitLocker, .mountFailed, .deviceReadOnly: self = .unsafeState
            case .notNTFS: self = .notWindows
            case .locked: self = .locked
            case .cannotList, .unmountFailed: self = .ioError
            }
        case let error as ResetError:
            switch error {
            case .unfinishedJournal: self = .unfinishedJournal
            case .nothingToResume: self = .usage
            case .hiveChanged: self = .unsafeState
            case .journalUnreadable, .journalDamaged, .startsUnconfirmed, .backupMismatch: self = .ioError
            case .verificationFailed: self = .hiveError
            case .interrupted(let signal, _): self = ExitStatus(signal: signal)
            }
        case let error as VolumeError:
            self = error.isUnsafeVolume ? .unsafeState : .ioError
        case let error as RecoveryError:
            switch error {
            case .refused: self = .dirtyHive
            case .ambiguousLog: self = .unsafeState
            }
        case let error as HiveError:
            if case .io = error { self = .ioError } else { self = .hiveError }
        case is FileIOError: self = .ioError
        case is Cancelled: self = .cancelled
        case let error as Interrupted: self = ExitStatus(signal: error.signal)
        case let error as DeviceRunFailure: self = ExitStatus(error.failure)
        case is ValidationError: self = .usage
        default: self = .internalError
        }
    }

    /// The status of a run stopped by a signal.
    init(signal: Int32) {
        switch signal {
        case SIGHUP: self = .hangUp
        case SIGTERM: self = .terminated
        default: self = .interrupted
        }
    }

    /// The short name used in JSON output.
    var kind: String {
        switch self {
        case .success: "success"
        case .cancelled: "cancelled"
        case .notWindows: "not-windows"
        case .unsafeState: "unsafe-state"
        case .dirtyHive: "dirty-hive"
        case .hiveError: "hive-error"
        case .purgeIncomplete: "purge-incomplete"
        case .unfinishedJournal: "unfinished-journal"
        case .ioError: "io-error"
        case .locked: "locked"
        case .usage: "usage"
        case .internalError: "internal-error"
        case .hangUp, .interrupted, .terminated: "interrupted"
        }
    }
}
