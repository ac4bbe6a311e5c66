#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import VolumeAccess

/// The workers of a parallel purge (docs/architecture.md §7.4): each empties one subdirectory of
/// the purged folder, which the folder's own walk opened and checked, with a walk of its own.
///
/// At most `width` subtrees are worked on at once (the walk that submits waits for a free
/// worker), so the descriptors held and the memory used are bounded by the width, not by the
/// tree. A worker holds only descriptors it opened by single names below its subdirectory. A
/// requested stop (`shouldStop`) ends every worker at its next entry.
final class PurgePool: Sendable {
    /// What one worker did: the subdirectory's NUL-terminated name in the folder, and its report.
    struct Finished: Sendable {
        let name: [CChar]
        let report: PurgeReport
    }

    let width: Int
    private let settings: PurgeSettings
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let finished = Mutex<[Finished]>([])

    init(width: Int, settings: PurgeSettings) {
        self.width = width
        self.settings = settings
        slots = DispatchSemaphore(value: width)
    }

    /// Hands a checked, opened subdirectory to a worker, waiting for one to be free.
    ///
    /// - Parameters:
    ///   - descriptor: The subdirectory, opened; the worker owns it from now on.
    ///   - name: Its NUL-terminated name in the folder.
    ///   - path: Its path relative to the mount root, as raw bytes, for the report.
    func submit(_ descriptor: CInt, name: [CChar], path: [UInt8]) {
        slots.wait()
        group.enter()
        let settings = settings
        DispatchQueue.global().async { [self] in
            var walk = PurgeWalk(settings, subtree: path)
            walk.run(folderDescriptor: descriptor)
            let done = Finished(name: name, report: walk.report)
            finished.withLock { $0.append(done) }
            slots.signal()
            group.leave()
        }
    }

    /// Waits until every submitted subtree is done and returns what each did, ordered by name,
    /// so that the report does not depend on which worker finished first.
    func drain() -> [Finished] {
        group.wait()
        return finished.withLock { done in
            defer { done.removeAll() }
            return done.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        }
    }

    /// How many workers suit the file system of `descriptor`: on FUSE (ntfs-3g), whose cost is
    /// the latency of each call, more than the cores; elsewhere about the core count.
    static func width(for descriptor: CInt) -> Int {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        if case .success(Syscall.fuseMagic) = Syscall.fileSystemType(of: descriptor) {
            return max(8, 2 * cores)
        }
        return cores
    }

    /// Lets a parallel walk hold as many descriptors as the hard limit allows (each worker holds
    /// one per directory level it is in): the soft limit is raised to the hard one, at most 65,536.
    static func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
