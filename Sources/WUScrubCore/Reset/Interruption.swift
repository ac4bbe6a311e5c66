import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import SystemPackage

/// SIGINT, SIGTERM and SIGHUP caught instead of ending the process, for `reset`, `resume` and
/// `rollback`: the run stops at its next safe point — before the service is disabled, with nothing
/// changed; after, once the purge has stopped and the start mode is restored — and with
/// `--device` the device is unmounted before wuscrub exits.
///
/// Their default action is ignored and dispatch signal sources record them; `check()` turns a
/// recorded signal into `Interrupted`, and `wakeDescriptor` becomes readable so that a wait for
/// the user's answer ends at once.
public final class Interruption: @unchecked Sendable {
    /// The signals handled.
    public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private let lock = Mutex(())
    private var caught: Int32?
    private var stopped = false
    private var sources: [any DispatchSourceSignal] = []
    private let wake: (read: Int32, write: Int32)
    /// The device being worked on (`--device`), named in the notice; nil for a plain ROOT.
    private let device: String?
    /// Called before the notice is written, so that the caller can clear what it shows.
    private let beforeNotice: (@Sendable () -> Void)?

    /// Starts catching the signals.
    ///
    /// - Parameters:
    ///   - device: The device being worked on (`--device`), named in the notice printed when a
    ///     signal arrives; nil for a plain ROOT.
    ///   - beforeNotice: Called (on a dispatch queue) before each notice is written: the command
    ///     erases its progress line there, so that the notice starts on a clean line.
    public init(device: String?, beforeNotice: (@Sendable () -> Void)? = nil) {
        self.device = device
        self.beforeNotice = beforeNotice
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
    public func stop() {
        let sources: [any DispatchSourceSignal] = lock.withLock { _ in
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
    public var caughtSignal: Int32? { lock.withLock { _ in caught } }

    /// Readable once a signal has been received.
    public var wakeDescriptor: Int32 { wake.read }

    /// Throws `Interrupted` once a signal has been received.
    public func check() throws(Interrupted) {
        if let number = caughtSignal { throw Interrupted(signal: number) }
    }

    /// Waits (up to `seconds`) until a signal has been received; for the test-only fault hook.
    public func waitForSignal(seconds: Double) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(seconds))
        while caughtSignal == nil && clock.now < deadline { usleep(5_000) }
    }

    private func received(_ number: Int32) {
        let first = lock.withLock { _ in
            if caught != nil { return false }
            caught = number
            return true
        }
        let name = Interrupted.name(of: number)
        let unmounting = device.map { ", then unmounting '\($0)'" } ?? ""
        let notice = first
            ? "\nwuscrub: \(name) received: stopping at the next safe point (once the service is disabled, only after its start mode is restored)\(unmounting).\n"
            : "wuscrub: \(name) received: already stopping; wait" + (device.map { " for the unmount (SIGKILL would leave '\($0)' mounted)" } ?? " (SIGKILL could leave Windows Update disabled until 'wuscrub resume')") + ".\n"
        beforeNotice?()
        _ = try? FileDescriptor.standardError.writeAll(Array(notice.utf8))
        // Under the lock: `stop()` closes the pipe under it, so this never writes to a reused descriptor.
        lock.withLock { _ in
            guard !stopped else { return }
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }
}
