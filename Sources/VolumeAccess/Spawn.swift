#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Runs external programs (ntfs-3g, umount) with /dev/null as their standard streams.
///
/// `posix_spawn` and `waitpid` directly: a FUSE daemon forks away from the process started, and
/// the parent must be reaped as soon as it exits.
public enum Spawn {
    /// Runs a program and waits for it.
    ///
    /// - Parameter arguments: The program's path, then its arguments.
    /// - Returns: Its exit status (128 + signal when killed).
    public static func run(_ arguments: [String]) -> Result<Int32, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        defaultSignalAttributes(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else { return .failure(Errno(rawValue: spawned)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return .success((status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
    }

    /// Initializes spawn attributes so that the child starts with the default action for the
    /// signals a caller may catch or ignore (wuscrub does for SIGINT, SIGTERM, SIGHUP with
    /// `--device`) and with none blocked: an ignored signal would otherwise stay ignored in the
    /// ntfs-3g daemon. The caller destroys them with `posix_spawnattr_destroy`.
    public static func defaultSignalAttributes(_ attributes: inout posix_spawnattr_t) {
        posix_spawnattr_init(&attributes)
        var defaults = sigset_t(), none = sigset_t()
        sigemptyset(&defaults)
        sigemptyset(&none)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    }

    /// The first of `candidates` that is an executable file.
    public static func find(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }
}
