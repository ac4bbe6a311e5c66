#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An exclusive lock on an installation (`flock` on `<Windows>/Logs/wuscrub/lock`), held until
/// released or until the process ends, so two wuscrub runs never work on one install at once.
public final class InstallLock: @unchecked Sendable {
    private var descriptor: Int32
    /// How many times taking the lock is tried, 20 ms apart.
    static let attempts = 5

    /// Takes the lock without waiting.
    ///
    /// - Parameters:
    ///   - install: The installation.
    /// - Throws: `ImageError.locked` when another process holds it; `FileIOError` when the lock
    ///   file cannot be created.
    public init(install: WindowsInstall) throws {
        try FileIO.makeDirectories(install.stateDirectory, under: install.root)
        let path = install.path(install.stateDirectory + "/lock")
        descriptor = try FileIO.open(path, flags: O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode: 0o644, operation: "open lock file")
        // A dry run's `checkNotHeld` holds a shared lock for an instant: try a few times before
        // concluding that another run holds it.
        var attempt = 0
        while case .failure(let errno) = nothingOrErrno({ flock(descriptor, LOCK_EX | LOCK_NB) }) {
            attempt += 1
            if errno == .wouldBlock, attempt < InstallLock.attempts {
                usleep(20_000)
                continue
            }
            close(descriptor)
            if errno == .wouldBlock { throw ImageError.locked(path: install.stateDirectory + "/lock") }
            throw FileIOError(operation: "lock", path: path, errno: errno)
        }
    }

    /// Refuses when another process holds the lock, without creating or writing anything (a dry
    /// run and the checks before a run use it; the run itself takes the lock).
    ///
    /// - Parameter install: The installation.
    /// - Throws: `ImageError.locked` when another process holds the lock.
    public static func checkNotHeld(install: WindowsInstall) throws(ImageError) {
        let fd = open(install.path(install.stateDirectory + "/lock"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }  // no lock file: nobody has ever locked this install
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK {
            throw .locked(path: install.stateDirectory + "/lock")
        }
    }

    /// Releases the lock (also done when the object goes away).
    public func release() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}
