#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage
import VolumeAccess

/// The depth-first walk over the folder's contents, one open directory stream per level.
struct PurgeWalk {
    /// One directory being emptied.
    private struct Frame {
        /// The directory's stream; it owns `descriptor`.
        let stream: OpaquePointer
        /// The directory's descriptor, for the `*at` calls on its entries.
        let descriptor: CInt
        /// The directory's NUL-terminated name in its parent; empty for the purged folder.
        let name: [CChar]
        /// The length of `path` before this directory's name was appended.
        let parentPathCount: Int
        /// `report.failureCount` when the directory was entered.
        let failuresAtEntry: Int
        /// The current pass over the directory, from 1.
        var pass: Int
        /// Entries removed (or counted, in a dry run) during the current pass.
        var removedInPass = 0
        /// `report.failureCount` when the current pass started.
        var failuresAtPassStart: Int
    }

    /// What every walk of this purge shares.
    let settings: PurgeSettings
    /// Stop once this many entries were removed; nil for no limit.
    let removalLimit: Int?
    /// Set for a worker's walk: it empties this subdirectory of the folder (its path relative to
    /// the mount root), and leaves removing it to the folder's walk.
    let subtree: [UInt8]?
    /// Set for the folder's walk in a parallel purge: its subdirectories go to these workers.
    var pool: PurgePool?
    private(set) var report: PurgeReport
    /// The current directory's path relative to the mount root, as raw bytes.
    private var path: [UInt8]
    private var stack: [Frame] = []

    /// Prepares a walk.
    ///
    /// - Parameters:
    ///   - settings: What every walk of the purge shares.
    ///   - removalLimit: Stop once this many entries were removed; nil for no limit.
    ///   - subtree: For a worker: the subdirectory it empties, relative to the mount root.
    init(_ settings: PurgeSettings, removalLimit: Int? = nil, subtree: [UInt8]? = nil) {
        self.settings = settings
        self.removalLimit = removalLimit
        self.subtree = subtree
        report = PurgeReport(folder: settings.folder, dryRun: settings.dryRun)
        path = subtree ?? Array(settings.folder.utf8)
    }

    private var dryRun: Bool { settings.dryRun }
    private var device: UInt64 { settings.device }
    private var mountID: Int? { settings.mountID }

    /// Empties the folder and closes its descriptor.
    ///
    /// - Parameter folderDescriptor: The opened folder; the walk owns it from now on.
    mutating func run(folderDescriptor: CInt) {
        switch Syscall.openStream(folderDescriptor) {
        case .success(let stream):
            stack.append(Frame(
                stream: stream, descriptor: folderDescriptor, name: [], parentPathCount: path.count,
                failuresAtEntry: 0, pass: 1, failuresAtPassStart: 0))
        case .failure(let errno):
            _ = close(folderDescriptor)
            fail("opendir", nil, errno)
            return
        }
        defer {
            // Subtrees still with the workers (the walk stopped, or the folder could not be read
            // to its end): their reports count, their directories stay.
            if let pool { for done in pool.drain() { report.merge(done.report) } }
        }
        while let top = stack.indices.last {
            if let removalLimit, report.removals >= removalLimit {
                stop()
                return
            }
            if let shouldStop = settings.shouldStop, shouldStop() {
                report.stopped = true
                stop()
                return
            }
            switch Syscall.readEntry(stack[top].stream) {
            case .success(let entry?):
                if !Syscall.isDotOrDotDot(entry.name) { visit(entry.name, announced: entry.type) }
            case .success(nil):
                endPass()
            case .failure(let errno):
                fail("readdir", nil, errno)
                leaveDirectory()
            }
        }
    }

    /// Removes (or counts) one entry of the current directory, or enters it.
    ///
    /// The type the directory announces is a hint that saves a system call per entry, never
    /// proof (docs/architecture.md §7.4): a file, link or special file is unlinked at once —
    /// `unlinkat` without `AT_REMOVEDIR` never follows a link and fails on a directory, which is
    /// then inspected; a directory is opened with `O_DIRECTORY | O_NOFOLLOW` and checked on its
    /// descriptor before it is entered; an unknown type is inspected first.
    private mutating func visit(_ name: UnsafePointer<CChar>, announced type: UInt8) {
        switch settings.usesAnnouncedTypes ? CInt(type) : CInt(DT_UNKNOWN) {
        case CInt(DT_DIR): enter(name, inspected: nil)
        case CInt(DT_UNKNOWN): inspect(name)
        default: removeAnnounced(name, link: CInt(type) == CInt(DT_LNK))
        }
    }

    /// Removes an entry the directory announced as a file, link or special file, without a stat:
    /// its size is then unknown (`PurgeReport.bytes` becomes nil).
    private mutating func removeAnnounced(_ name: UnsafePointer<CChar>, link: Bool) {
        let current = stack.count - 1
        if !dryRun {
            switch Syscall.unlink(name, in: stack[current].descriptor, flags: 0) {
            case .success: break
            case .failure(let errno) where errno == .noSuchFileOrDirectory: return  // removed by someone else
            case .failure(let errno) where errno == .isDirectory:
                inspect(name)  // announced as something else, it is a directory
                return
            case .failure(let errno):
                fail("unlink", name, errno)
                return
            }
        }
        stack[current].removedInPass += 1
        if link {
            count(.link)
        } else {
            count(.file)
            report.bytes = nil
        }
    }

    /// Removes (or counts) an entry after one `statx` of it, or enters it.
    private mutating func inspect(_ name: UnsafePointer<CChar>) {
        let current = stack.count - 1
        let info: FileIdentity
        switch FileIdentity.of(name: name, in: stack[current].descriptor) {
        case .success(let value): info = value
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return  // removed by someone else
        case .failure(let errno):
            fail("stat", name, errno)
            return
        }
        switch info.kind {
        case .directory:
            enter(name, inspected: info)
        case .symbolicLink:
            guard unlink(name, flags: 0) else { return }
            count(.link)
        default:
            guard unlink(name, flags: 0) else { return }
            count(.file)
            if info.kind == .regularFile { report.bytes = report.bytes.map { $0 + info.size } }
        }
    }

    /// Opens a subdirectory and enters it once its descriptor shows it is on the root's device
    /// and mount (and, when it was inspected first, that it is the directory inspected).
    ///
    /// - Parameters:
    ///   - inspected: What a `statx` of the name showed, or nil when the directory announced it.
    ///   - pass: The pass over it that starts (more than 1 when a pass left it not empty).
    ///   - nameBytes: The name with its NUL, when re-entering a directory left earlier.
    private mutating func enter(_ name: UnsafePointer<CChar>, inspected: FileIdentity?, pass: Int = 1) {
        if let inspected, inspected.device != device {
            notEntered(name, "not entered (other filesystem)")
            return
        }
        // A worker's walk starts one level below the folder.
        guard stack.count + (subtree == nil ? 0 : 1) <= Purger.maximumDepth else {
            fail("not entered (deeper than \(Purger.maximumDepth) levels)", name, .fileNameTooLong)
            return
        }
        let parent = stack[stack.count - 1].descriptor
        let child: CInt
        switch Syscall.open(name, in: parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) {
        case .success(let descriptor): child = descriptor
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return  // removed by someone else
        // Announced as a directory, it is not one (a link opened with O_NOFOLLOW fails so too).
        case .failure(let errno) where inspected == nil && (errno == .notDirectory || errno == .tooManySymbolicLinkLevels):
            inspect(name)
            return
        case .failure(let errno):
            fail("open", name, errno)
            return
        }
        let opened: FileIdentity
        switch FileIdentity.of(descriptor: child) {
        case .success(let value): opened = value
        case .failure(let errno):
            _ = close(child)
            fail("stat", name, errno)
            return
        }
        if let inspected, !opened.isSameFile(as: inspected) {
            _ = close(child)
            fail("not entered (replaced while walking)", name, .resourceTemporarilyUnavailable)
            return
        }
        guard opened.device == device else {
            _ = close(child)
            notEntered(name, "not entered (other filesystem)")
            return
        }
        if let mountID {
            // The mount id comes with the same statx on Linux 5.8 and later; older kernels show it in /proc.
            switch Syscall.mountID(of: child, identity: opened) {
            case .success(mountID): break
            case .success:
                _ = close(child)
                notEntered(name, "not entered (other mount)")
                return
            case .failure(let errno):
                _ = close(child)
                fail("not entered (mount unknown)", name, errno)
                return
            }
        }
        let nameBytes = Array(UnsafeBufferPointer(start: name, count: strlen(name) + 1))
        if let pool, stack.count == 1 {
            pool.submit(child, name: nameBytes, path: path + [UInt8(ascii: "/")] + nameBytes.dropLast().map { UInt8(bitPattern: $0) })
            return
        }
        let stream: OpaquePointer
        switch Syscall.openStream(child) {
        case .success(let value): stream = value
        case .failure(let errno):
            _ = close(child)
            fail("opendir", name, errno)
            return
        }
        stack.append(Frame(
            stream: stream, descriptor: child, name: nameBytes, parentPathCount: path.count,
            failuresAtEntry: report.failureCount, pass: pass, failuresAtPassStart: report.failureCount))
        appendToPath(name)
    }

    /// Finishes a pass over the current directory: reads it again or leaves it.
    ///
    /// A subdirectory is left at once: its `rmdir` tells whether a pass missed something (some
    /// file systems skip entries of a directory modified while it is read), and only then is it
    /// entered again (`leaveDirectory`). The folder itself is never removed, so after a pass that
    /// removed something it is read again, at most `maximumPasses` times in all.
    private mutating func endPass() {
        let current = stack.count - 1
        let frame = stack[current]
        guard current == 0, subtree == nil else {
            leaveDirectory()
            return
        }
        if let pool { collect(pool.drain()) }
        let cleanPass = report.failureCount == frame.failuresAtPassStart
        guard !dryRun, frame.removedInPass > 0, cleanPass else {
            leaveDirectory()
            return
        }
        if frame.pass < Purger.maximumPasses {
            Syscall.rewind(frame.stream)
            stack[current].pass += 1
            stack[current].removedInPass = 0
            stack[current].failuresAtPassStart = report.failureCount
            return
        }
        if !Syscall.isEmpty(frame.stream) {
            fail("readdir (still not empty after \(Purger.maximumPasses) passes)", nil, .directoryNotEmpty)
        }
        leaveDirectory()
    }

    /// Adds what the workers did to the folder's report and removes the subdirectories they
    /// emptied without a failure; one found not empty makes the folder be read again.
    private mutating func collect(_ finished: [PurgePool.Finished]) {
        for done in finished {
            report.merge(done.report)
            guard done.report.failureCount == 0, done.report.stopped != true else { continue }
            if dryRun {
                count(.directory)
                continue
            }
            let result = done.name.withUnsafeBufferPointer { name in
                Syscall.unlink(name.baseAddress!, in: stack[0].descriptor, flags: AT_REMOVEDIR)
            }
            switch result {
            case .success:
                count(.directory)
                stack[0].removedInPass += 1
            case .failure(let errno) where errno == .noSuchFileOrDirectory:
                break  // removed by someone else
            case .failure(let errno) where errno == .directoryNotEmpty && stack[0].pass < Purger.maximumPasses:
                stack[0].removedInPass += 1  // the next pass over the folder enters it again
            case .failure(let errno):
                let operation = errno == .directoryNotEmpty ? "rmdir (still not empty after \(Purger.maximumPasses) passes)" : "rmdir"
                done.name.withUnsafeBufferPointer { fail(operation, $0.baseAddress!, errno) }
            }
        }
    }

    /// Closes every open directory without removing any: the walk ends where it is.
    private mutating func stop() {
        while let frame = stack.popLast() {
            Syscall.closeStream(frame.stream)
        }
    }

    /// Closes the current directory and removes it unless a failure inside it keeps it.
    ///
    /// A directory that holds an entry which failed is not removed and not reported again:
    /// the entry's own failure explains why it remains. One that is not empty although its pass
    /// found nothing left failing (entries skipped by the read, or added meanwhile) is entered
    /// again, up to `maximumPasses` passes in all.
    private mutating func leaveDirectory() {
        let frame = stack.removeLast()
        Syscall.closeStream(frame.stream)
        path.removeLast(path.count - frame.parentPathCount)
        guard let parent = stack.indices.last else { return }
        guard report.failureCount == frame.failuresAtEntry else { return }
        if dryRun {
            stack[parent].removedInPass += 1
            count(.directory)
            return
        }
        let result = frame.name.withUnsafeBufferPointer { name in
            Syscall.unlink(name.baseAddress!, in: stack[parent].descriptor, flags: AT_REMOVEDIR)
        }
        switch result {
        case .success:
            stack[parent].removedInPass += 1
            count(.directory)
        case .failure(let errno) where errno == .noSuchFileOrDirectory:
            break  // removed by someone else
        case .failure(let errno) where errno == .directoryNotEmpty && frame.pass < Purger.maximumPasses:
            frame.name.withUnsafeBufferPointer { enter($0.baseAddress!, inspected: nil, pass: frame.pass + 1) }
        case .failure(let errno):
            let operation = errno == .directoryNotEmpty ? "rmdir (still not empty after \(Purger.maximumPasses) passes)" : "rmdir"
            frame.name.withUnsafeBufferPointer { fail(operation, $0.baseAddress!, errno) }
        }
    }

    /// What `count` adds one to.
    private enum Removed { case file, directory, link }

    /// Counts one entry removed (or, in a dry run, that would be) in the report, and tells the
    /// progress (one relaxed atomic add; nothing without one).
    private mutating func count(_ kind: Removed) {
        switch kind {
        case .file: report.files += 1
        case .directory: report.directories += 1
        case .link: report.links += 1
        }
        settings.progress?.add()
    }

    /// Unlinks an entry of a directory on the stack, counting it in that directory's pass.
    ///
    /// - Returns: Whether the entry was removed (or, in a dry run, would be).
    private mutating func unlink(_ name: UnsafePointer<CChar>, flags: CInt) -> Bool {
        let level = stack.count - 1
        if !dryRun {
            switch Syscall.unlink(name, in: stack[level].descriptor, flags: flags) {
            case .success: break
            case .failure(let errno) where errno == .noSuchFileOrDirectory: return false  // removed by someone else
            case .failure(let errno):
                fail(flags & AT_REMOVEDIR != 0 ? "rmdir" : "unlink", name, errno)
                return false
            }
        }
        stack[level].removedInPass += 1
        return true
    }

    /// Records a directory that was not entered because it is on another filesystem or mount.
    private mutating func notEntered(_ name: UnsafePointer<CChar>, _ operation: String) {
        if report.otherFilesystems.count < PurgeReport.listLimit {
            report.otherFilesystems.append(displayPath(name))
        }
        fail(operation, name, .improperLink)
    }

    /// Counts a failure on `name` in the current directory (or the directory itself) and lists the first ones.
    private mutating func fail(_ operation: String, _ name: UnsafePointer<CChar>?, _ errno: Errno) {
        report.failureCount += 1
        guard report.failures.count < PurgeReport.listLimit else { return }
        report.failures.append(PurgeFailure(path: displayPath(name), operation: operation, errno: errno.rawValue))
    }

    /// The current directory's path, or that of `name` inside it, for a report.
    private func displayPath(_ name: UnsafePointer<CChar>?) -> String {
        guard let name else { return PurgeFailure.displayPath(path) }
        let bytes = UnsafeRawBufferPointer(start: name, count: strlen(name))
        return PurgeFailure.displayPath(path + [UInt8(ascii: "/")] + bytes)
    }

    private mutating func appendToPath(_ name: UnsafePointer<CChar>) {
        path.append(UInt8(ascii: "/"))
        path.append(contentsOf: UnsafeRawBufferPointer(start: name, count: strlen(name)))
    }
}
