

/// `reset --device`: mounts the device in a private folder, runs the reset there, and always tries
/// to unmount, even after a failure or a signal (docs/architecture.md §3.5).
///
/// What an interrupted run left, and how to resume it, is written into the `Interrupted` error
/// once the unmount has been tried, because the advice depends on whether it worked.
public struct DeviceSession {
    /// The partition or image file.
    public let device: String
    /// The signal watch of the run; a signal caught while mounting names the device.
    public let interruption: Interruption

    public init(device: String, interruption: Interruption) {
        self.device = device
        self.interruption = interruption
    }

    /// Mounts, runs `body` on the mount point, unmounts.
    ///
    /// - Parameters:
    ///   - mounted: Called with the mount point once the device is mounted.
    ///   - install: The installation `body` found, if it got that far (to read the journal an
    ///     interrupted run left, while still mounted).
    ///   - unmounted: Called with whether the unmount worked.
    ///   - body: The reset, given the mount point.
    /// - Returns: What `body` returned.
    /// - Throws: `InstallError` when the mount (or only the unmount) fails; `Interrupted` with what
    ///   was left and what to do next; `DeviceRunFailure` when both the run and the unmount failed;
    ///   otherwise what `body` threw.
    public func run<Result>(mounted: (String) -> Void, install: () -> WindowsInstall?, unmounted: (Bool) -> Void,
                            _ body: (String) throws -> Result) throws -> Result {
        let mount: DeviceMount
        do {
            mount = try DeviceMount(device: device)
        } catch {
            if let number = interruption.caughtSignal {
                throw Interrupted(signal: number, outcome: " while mounting '\(device)'; nothing was changed. \(error)")
            }
            throw error
        }
        mounted(mount.mountPoint)
        let result: Swift.Result<Result, any Error>
        do {
            try interruption.check()
            result = .success(try body(mount.mountPoint))
        } catch {
            result = .failure(error)
        }
        // An interrupted run may have an open journal to resume from: read it while still mounted.
        var openJournal: Journal?
        if case .failure(let error) = result, Self.cause(of: error) is Interrupted || Self.cause(of: error) is ResetError,
           let found = install() {
            openJournal = try? Resetter(install: found, toolVersion: "").openJournal()
        }
        var unmountError: InstallError?
        do { try mount.unmount() } catch { unmountError = error }
        unmounted(unmountError == nil)
        let failure: any Error
        switch result {
        case .success(let value):
            if let unmountError { throw unmountError }
            return value
        case .failure(let error):
            failure = error
        }
        switch Self.cause(of: failure) {
        case var interrupted as Interrupted:
            let journal = install().map { $0.stateDirectory + "/journal.json" } ?? "journal.json"
            if interrupted.outcome.isEmpty || openJournal != nil {
                interrupted.outcome = Self.interruptedOutcome(device: device, mountPoint: mount.mountPoint, phase: openJournal?.phase,
                                                              journal: journal, unmountError: unmountError)
            } else {
                interrupted.outcome += Self.unmountOutcome(device: device, mountPoint: mount.mountPoint, unmountError: unmountError)
            }
            throw interrupted
        case ResetError.interrupted(let signal, _):
            throw Interrupted(signal: signal, outcome: " before the service was disabled: the Windows installation on '\(device)' was not changed (the run's journal is closed as interrupted)." +
                              Self.unmountOutcome(device: device, mountPoint: mount.mountPoint, unmountError: unmountError))
        default:
            if let unmountError { throw DeviceRunFailure(failure: failure, unmount: unmountError) }
            throw failure
        }
    }

    /// The layer's own error inside a `WUScrubError`, or the error itself.
    static func cause(of error: any Error) -> any Error {
        (error as? WUScrubError)?.cause ?? error
    }

    /// Whether the device was unmounted after an interruption, in a sentence.
    static func unmountOutcome(device: String, mountPoint: String, unmountError: InstallError?) -> String {
        if let unmountError { return " " + unmountError.description }
        return " '\(device)' was unmounted from '\(mountPoint)' and that folder removed."
    }

    /// What an interrupted `--device` run left, and what to do next.
    static func interruptedOutcome(device: String, mountPoint: String, phase: Journal.Phase?, journal: String,
                                   unmountError: InstallError?) -> String {
        var text = phase.map {
            " during the reset, in phase '\($0.rawValue)': the run stopped at a safe point and its journal (\(journal) on '\(device)') records where, so it can be resumed."
        } ?? " before the reset started: the Windows installation on '\(device)' was not changed."
        if let unmountError {
            text += " " + unmountError.description
            if phase != nil {
                text += " To finish the run, run 'wuscrub resume \(mountPoint)' while it is still mounted there ('wuscrub rollback \(mountPoint)' undoes it instead)."
            }
        } else {
            text += " '\(device)' was unmounted from '\(mountPoint)' and that folder removed."
            if phase != nil {
                text += " To finish the run, mount the device (for example 'mkdir -p /mnt/windows && ntfs-3g \(device) /mnt/windows') and run 'wuscrub resume /mnt/windows' ('wuscrub rollback /mnt/windows' undoes it instead), then unmount it."
            }
        }
        return text
    }
}
