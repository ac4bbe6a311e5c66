#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An exclusive lock on an installation (`flock` on `<Windows>/Logs/wuscrub/lock`), held until
/// released or until the process ends, so two wuscrub runs never work on one install at once.
///
/// The lock file is reached through the volume layer: it must be a regular file on the
/// installation's mount (a device node or FIFO planted there is refused, never opened).
public final class InstallLock: @unchecked Sendable {
    private var file: VolumeFile?
    /// How many times taking the lock is tried, 20 ms apart.
    static let attempts = 25

    /// Takes the lock without waiting, creating wuscrub's folder and the lock file when missing.
    ///
    /// - Throws: `InstallError.locked` when another process holds it; `VolumeError` when the lock
    ///   file cannot be created or is not a regular file.
    init(volume: InstallVolume) throws {
        let state = try volume.makeStateDirectory()
        let opened = try InstallLock.openOrCreate(in: state)
        // A dry run's `checkNotHeld` holds a shared lock for an instant: try a few times before
        // concluding that another run holds it.
        var attempt = 0
        while case .failure(let errno) = nothingOrErrno({ flock(opened.descriptor, LOCK_EX | LOCK_NB) }) {
            attempt += 1
            if errno == .wouldBlock, attempt < InstallLock.attempts {
                usleep(20_000)
                continue
            }
            if errno == .wouldBlock { throw InstallError.locked(path: volume.install.stateDirectory + "/lock") }
            throw VolumeError.io(FileIOError(operation: "lock", path: opened.path, errno: errno))
        }
        file = opened
    }

    /// The lock file, opened for reading and writing, created when missing.
    private static func openOrCreate(in state: VolumeDirectory) throws(VolumeError) -> VolumeFile {
        if let existing = try state.file(InstallVolume.lockName, access: .readWrite) { return existing }
        do {
            let created = try state.createFile(InstallVolume.lockName)
            try state.sync()
            return created
        } catch {
            guard case .io(let failure) = error, failure.errno == .fileExists,
                  let existing = try state.file(InstallVolume.lockName, access: .readWrite) else { throw error }
            return existing
        }
    }

    /// Refuses when another process holds the lock, without creating or writing anything (a dry
    /// run and the checks before a run use it; the run itself takes the lock).
    ///
    /// - Throws: `InstallError.locked` when another process holds the lock; `VolumeError` when the
    ///   lock file is not a regular file.
    static func checkNotHeld(_ volume: InstallVolume) throws {
        guard let state = try volume.stateDirectory(), let file = try state.file(InstallVolume.lockName) else { return }
        if flock(file.descriptor, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK {
            throw InstallError.locked(path: volume.install.stateDirectory + "/lock")
        }
    }

    /// Releases the lock (also done when the object goes away).
    public func release() {
        file = nil
    }

    deinit { release() }
}
