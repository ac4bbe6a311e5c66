import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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

    /// What the code means; README.md's exit-code table says the same, with what to do next.
    var meaning: String {
        switch self {
        case .success: "success: the reset finished (or status / --dry-run completed)"
        case .cancelled: "cancelled: confirmation declined, or no terminal to ask and no --yes"
        case .notWindows: "ROOT is not a Windows installation or cannot be used; --device is not an NTFS volume"
        case .unsafeState: "unsafe state refused: an entry on the volume that is not what it should be (a link, a device node, a FIFO, a socket, a hard link, a folder on another mount, two names that differ only by case — the message names it), hibernated / Fast Startup volume, read-only mount (or a --device mount that fell back to read-only), BitLocker, a device ntfs-3g cannot mount, hive changed outside wuscrub"
        case .dirtyHive: "the SYSTEM hive is dirty and its transaction logs cannot be replayed safely: refused (hive check: the same for FILE)"
        case .hiveError: "the SYSTEM hive is invalid, truncated, too large, or lacks what wuscrub needs"
        case .purgeIncomplete: "the purge left some entries (listed); the service start mode was restored. rollback: some quarantined entries could not be put back (listed)"
        case .unfinishedJournal: "an earlier run is unfinished: use resume or rollback"
        case .ioError: "a file could not be read or written (journal, backup, hive), or the journal is damaged (the message says which field), or reset --device could not unmount the device (the message says where it is still mounted; if the reset itself failed, its code is kept)"
        case .locked: "another wuscrub is working on this installation (its lock is held)"
        case .usage: "usage error: bad arguments, nothing to resume / roll back, or hive recover on a clean hive"
        case .internalError: "internal error"
        case .hangUp: "stopped by SIGHUP (see 130)"
        case .interrupted: "stopped by SIGINT (Ctrl-C) at a safe point: before the service was disabled, nothing was changed; after, the purge stopped and the original start mode was restored and read back first. The journal is closed as interrupted. With --device the device is unmounted (the message says so)"
        case .terminated: "stopped by SIGTERM (see 130)"
        }
    }

    static var table: String {
        allCases.map { "  \($0.rawValue)\t\($0.meaning)" }.joined(separator: "\n")
    }

    /// Maps an error a command threw to its exit status: the executable's own errors (usage,
    /// cancelled, interrupted at a prompt, a `--device` run whose unmount failed too), then every
    /// library error through `WUScrubError`.
    init(_ error: any Error) {
        if error is ValidationError { self = .usage }
        else if error is Cancelled { self = .cancelled }
        else if let error = error as? DeviceRunFailure { self = ExitStatus(error.failure) }
        else { self = ExitStatus(WUScrubError(error)) }
    }

    /// Maps a library error to its exit status. Exhaustive, with no `default`: a new error case
    /// in any layer does not compile until it is given a status here.
    init(_ error: WUScrubError) {
        switch error {
        case .install(let error):
            switch error {
            case .notWindows, .rootUnusable, .notNTFS: self = .notWindows
            case .ambiguous, .symlink, .wrongType, .otherMount, .readOnly, .hibernated, .bitLocker, .mountFailed, .deviceReadOnly: self = .unsafeState
            case .locked: self = .locked
            case .cannotList, .unmountFailed: self = .ioError
            }
        case .reset(let error):
            switch error {
            case .unfinishedJournal: self = .unfinishedJournal
            case .nothingToResume: self = .usage
            case .hiveChanged: self = .unsafeState
            case .journalUnreadable, .journalDamaged, .startsUnconfirmed, .backupMismatch: self = .ioError
            case .verificationFailed: self = .hiveError
            case .interrupted(let signal, _): self = ExitStatus(signal: signal)
            }
        case .volume(let error):
            switch error {
            case .wrongKind, .otherMount, .hardLinked, .replaced, .tooManyEntries, .invalidName: self = .unsafeState
            case .tooLarge, .io: self = .ioError
            }
        case .recovery(let error):
            switch error {
            case .refused: self = .dirtyHive
            case .ambiguousLog: self = .unsafeState
            }
        case .hive(let error):
            switch error {
            case .io: self = .ioError
            case .cannotOpen, .operationFailed, .invalidBaseBlock, .truncated, .brokenBinChain, .tooLarge, .keyNotFound,
                 .valueNotFound, .unexpectedType, .bigValueOnKey, .verificationFailed, .parserFailed:
                self = .hiveError
            }
        case .file: self = .ioError
        case .interrupted(let interrupted): self = ExitStatus(signal: interrupted.signal)
        case .checkpoint, .unexpected: self = .internalError
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
