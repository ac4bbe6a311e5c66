import Dispatch
import Foundation
import SystemPackage
import WUScrubCore

/// SIGINT, SIGTERM and SIGHUP caught instead of ending the process, for `reset`, `resume` and
/// `rollback`: the run stops at its next safe point — before the service is disabled, with nothing
/// changed; after, once the purge has stopped and the start mode is restored — and with
/// `--device` the device is unmounted before wuscrub exits.
///
/// Their default action is ignored and dispatch signal sources record them; `check()` turns a
/// recorded signal into `Interrupted`, and `wakeDescriptor` becomes readable so that a wait for
/// the user's answer ends at once.
final class Interruption: @unchecked Sendable {
    /// The signals handled.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private let lock = NSLock()
    private var caught: Int32?
    private var stopped = false
    private var sources: [any DispatchSourceSignal] = []
    private let wake: (read: Int32, write: Int32)
    /// The device being worked on (`--device`), named in the notice; nil for a plain ROOT.
    private let device: String?

    /// Starts catching the signals.
    ///
    /// - Parameter device: The device being worked on (`--device`), named in the notice printed
    ///   when a signal arrives; nil for a plain ROOT.
    init(device: String?) {
        self.device = device
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) == 0 {
            for descriptor in descriptors {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
            }
        } else {
            descriptors = [-1, -1]
        }
        wake = (descriptors[0], descriptors[1])
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops catching: cancels the signal sources, gives the signals their default action back
    /// and closes the wake pipe. Later calls do nothing.
    func stop() {
        let sources: [any DispatchSourceSignal] = lock.withLock {
            guard !stopped else { return [] }
            stopped = true
            for descriptor in [wake.read, wake.write] where descriptor >= 0 { close(descriptor) }
            return self.sources
        }
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    deinit { stop() }

    /// The first signal received, if any.
    var caughtSignal: Int32? { lock.withLock { caught } }

    /// Readable once a signal has been received.
    var wakeDescriptor: Int32 { wake.read }

    /// Throws `Interrupted` once a signal has been received.
    func check() throws(Interrupted) {
        if let number = caughtSignal { throw Interrupted(signal: number) }
    }

    /// Waits (up to `seconds`) until a signal has been received; for the test-only fault hook.
    func waitForSignal(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while caughtSignal == nil && Date() < deadline { usleep(5_000) }
    }

    private func received(_ number: Int32) {
        let first = lock.withLock {
            if caught != nil { return false }
            caught = number
            return true
        }
        let name = Interrupted.name(of: number)
        let unmounting = device.map { ", then unmounting '\($0)'" } ?? ""
        let notice = first
            ? "\nwuscrub: \(name) received: stopping at the next safe point (once the service is disabled, only after its start mode is restored)\(unmounting).\n"
            : "wuscrub: \(name) received: already stopping; wait" + (device.map { " for the unmount (SIGKILL would leave '\($0)' mounted)" } ?? " (SIGKILL could leave Windows Update disabled until 'wuscrub resume')") + ".\n"
        _ = try? FileDescriptor.standardError.writeAll(Array(notice.utf8))
        // Under the lock: `stop()` closes the pipe under it, so this never writes to a reused descriptor.
        lock.withLock {
            guard !stopped else { return }
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }
}

/// A run stopped because of SIGINT, SIGTERM or SIGHUP (exit status 128 + the signal's number).
struct Interrupted: Error, CustomStringConvertible {
    var signal: Int32
    /// What was left behind and what to do next; filled in once the device is unmounted.
    var outcome = ""

    var description: String { "interrupted by \(Interrupted.name(of: signal))" + (outcome.isEmpty ? "." : outcome) }

    /// What a run stopped after the disable step left, and what to do next.
    static func afterDisable(_ outcome: ResetOutcome, root: String) -> String {
        let purge = outcome.journal.purge ?? []
        let removed = purge.reduce(0) { $0 + $1.removals }
        let starts = outcome.finalStarts.map { "\($0.controlSet) Start=\($0.start)" }.joined(separator: ", ")
        let state = outcome.journal.phase == .done
            ? "the purge had finished and the run is complete"
            : "the purge stopped after removing \(removed) entries, so DataStore and Download are not empty yet; the run's journal is closed as interrupted. Run 'wuscrub reset \(root)' again to finish the purge"
        return " after the service was disabled: the service's original start mode was restored and read back (\(starts)); " + state + "."
    }

    static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
