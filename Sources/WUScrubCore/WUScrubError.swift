/// Every failure a WUScrubCore entry point reports (`Resetter`, `JournalStore.load`,
/// `HiveRecovery.analyze(hiveAt:)`), by the layer that found it; the layer's own error is kept as
/// the cause and gives the message.
///
/// Callers switch over it exhaustively (the executable's exit-code mapping does), so a new case
/// here, or in a layer's error, is a compile error there rather than a silent "internal error".
public enum WUScrubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Locating the installation, checking or mounting its volume.
    case install(InstallError)
    /// An entry on the volume that is not what it should be, or a failed read or write there.
    case volume(VolumeError)
    /// The SYSTEM hive: invalid, lacking the service, or hivex failed.
    case hive(HiveError)
    /// The hive is dirty and its logs cannot be replayed safely, or its log names are ambiguous.
    case recovery(RecoveryError)
    /// The run's state: journal, backups, verification, a stop requested by a signal.
    case reset(ResetError)
    /// A file of the host (not the volume) could not be read or written.
    case file(FileIOError)
    /// A signal stopped the run; what was left is in its outcome.
    case interrupted(Interrupted)
    /// The checkpoint hook stopped the run at this point (tests simulate a crash there; the
    /// binary's fault hook exits instead, and a release build has none).
    case checkpoint(Resetter.Checkpoint)
    /// A failure none of the layers describes (a bug): its text.
    case unexpected(String)

    /// Classifies an error thrown by a lower layer.
    public init(_ error: any Error) {
        if let error = error as? WUScrubError { self = error }
        else if let error = error as? InstallError { self = .install(error) }
        else if let error = error as? VolumeError { self = .volume(error) }
        else if let error = error as? HiveError { self = .hive(error) }
        else if let error = error as? HiveFormatError { self = .hive(HiveError(error)) }
        else if let error = error as? RecoveryError { self = .recovery(error) }
        else if let error = error as? ResetError { self = .reset(error) }
        else if let error = error as? FileIOError { self = .file(error) }
        else if let error = error as? Interrupted { self = .interrupted(error) }
        else { self = .unexpected(String(describing: error)) }
    }

    /// Runs `body`, reporting what it throws as a `WUScrubError`.
    static func wrap<Result>(_ body: () throws -> Result) throws(WUScrubError) -> Result {
        do { return try body() } catch { throw WUScrubError(error) }
    }

    /// The cause: the layer's own error.
    public var cause: any Error {
        switch self {
        case .install(let error): error
        case .volume(let error): error
        case .hive(let error): error
        case .recovery(let error): error
        case .reset(let error): error
        case .file(let error): error
        case .interrupted(let error): error
        case .checkpoint, .unexpected: self
        }
    }

    public var description: String {
        switch self {
        case .checkpoint(let point): "stopped at the checkpoint '\(point)'"
        case .unexpected(let text): "internal error: \(text)"
        default: String(describing: cause)
        }
    }
}
