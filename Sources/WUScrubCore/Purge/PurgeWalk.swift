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
        var pass = 1
        /// Entries removed (or counted, in a dry run) during the current pass.
        var removedInPass = 0
        /// `report.failureCount` when the current pass started.
        var failuresAtPassStart: Int
    }

    let dryRun: Bool
    let device: dev_t
    let mountID: Int?
    /// Stop once this many entries were removed; nil for no limit.
    let removalLimit: Int?
    /// Asked before each entry; true stops the walk.
    let shouldStop: (@Sendable () -> Bool)?
    private(set) var report: PurgeReport
    /// The current directory's path relative to the mount root, as raw bytes.
    private var path: [UInt8]
    private var stack: [Frame] = []

    /// Prepares a walk.
    ///
    /// - Parameters:
    ///   - dryRun: Whether to only count what would be removed.
    ///   - device: The mount root's device; directories on another one are not entered.
    ///   - mountID: The mount root's mount id, or nil to rely on `device` alone.
    ///   - folder: The purged folder relative to the mount root, for the report and its paths.
    ///   - removalLimit: Stop once this many entries were removed; nil for no limit.
    init(dryRun: Bool, device: dev_t, mountID: Int?, folder: String, removalLimit: Int? = nil,
         shouldStop: (@Sendable () -> Bool)? = nil) {
        self.dryRun = dryRun
        self.device = device
        self.mountID = mountID
        self.removalLimit = removalLimit
        self.shouldStop = shouldStop
        self.report = PurgeReport(folder: folder, dryRun: dryRun)
        self.path = Array(folder.utf8)
    }

    /// Empties the folder and closes its descriptor.
    ///
    /// - Parameter folderDescriptor: The opened folder; the walk owns it from now on.
    mutating func run(folderDescriptor: CInt) {
        switch Syscall.openStream(folderDescriptor) {
        case .success(let stream):
            stack.append(Frame(
                stream: stream, descriptor: folderDescriptor, name: [], parentPathCount: path.count,
                failuresAtEntry: 0, failuresAtPassStart: 0))
        case .failure(let errno):
            _ = close(folderDescriptor)
            fail("opendir", nil, errno)
            return
        }
        while let top = stack.indices.last {
            if let removalLimit, report.removals >= removalLimit {
                stop()
                return
            }
            if let shouldStop, shouldStop() {
                report.stopped = true
                stop()
                return
            }
            switch Syscall.readEntry(stack[top].stream) {
            case .success(let name?):
                if !Syscall.isDotOrDotDot(name) { visit(name) }
            case .success(nil):
                endPass()
            case .failure(let errno):
                fail("readdir", nil, errno)
                leaveDirectory()
            }
        }
    }

    /// Removes (or counts) one entry of the current directory, or enters it.
    private mutating func visit(_ name: UnsafePointer<CChar>) {
        let current = stack.count - 1
        let info: stat
        switch Syscall.stat(name, in: stack[current].descriptor) {
        case .success(let value): info = value
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return  // removed by someone else
        case .failure(let errno):
            fail("stat", name, errno)
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            enter(name, info)
        case S_IFLNK:
            guard unlink(name, flags: 0) else { return }
            report.links += 1
        default:
            guard unlink(name, flags: 0) else { return }
            report.files += 1
            if info.st_mode & S_IFMT == S_IFREG { report.bytes += UInt64(max(0, info.st_size)) }
        }
    }

    /// Opens a subdirectory after checking it is on the root's mount and is what was inspected.
    private mutating func enter(_ name: UnsafePointer<CChar>, _ info: stat) {
        guard info.st_dev == device else {
            notEntered(name, "not entered (other filesystem)")
            return
        }
        guard stack.count <= Purger.maximumDepth else {
            fail("not entered (deeper than \(Purger.maximumDepth) levels)", name, .fileNameTooLong)
            return
        }
        let parent = stack[stack.count - 1].descriptor
        let child: CInt
        switch Syscall.open(name, in: parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) {
        case .success(let descriptor): child = descriptor
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return  // removed by someone else
        case .failure(let errno):
            fail("open", name, errno)
            return
        }
        switch Syscall.stat(child) {
        case .success(let opened) where opened.st_dev == info.st_dev && opened.st_ino == info.st_ino:
            break
        case .success:
            _ = close(child)
            fail("not entered (replaced while walking)", name, .resourceTemporarilyUnavailable)
            return
        case .failure(let errno):
            _ = close(child)
            fail("stat", name, errno)
            return
        }
        if let mountID {
            switch Syscall.mountID(of: child) {
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
        let stream: OpaquePointer
        switch Syscall.openStream(child) {
        case .success(let value): stream = value
        case .failure(let errno):
            _ = close(child)
            fail("opendir", name, errno)
            return
        }
        let nameBytes = Array(UnsafeBufferPointer(start: name, count: strlen(name) + 1))
        stack.append(Frame(
            stream: stream, descriptor: child, name: nameBytes, parentPathCount: path.count,
            failuresAtEntry: report.failureCount, failuresAtPassStart: report.failureCount))
        appendToPath(name)
    }

    /// Finishes a pass over the current directory: reads it again or leaves it.
    private mutating func endPass() {
        let current = stack.count - 1
        let frame = stack[current]
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
        // Entries kept appearing. A subdirectory's rmdir tells whether it is empty; the folder
        // itself is never removed, so check it here.
        if current == 0, !Syscall.isEmpty(frame.stream) {
            fail("readdir (still not empty after \(Purger.maximumPasses) passes)", nil, .directoryNotEmpty)
        }
        leaveDirectory()
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
    /// the entry's own failure explains why it remains.
    private mutating func leaveDirectory() {
        let frame = stack.removeLast()
        Syscall.closeStream(frame.stream)
        path.removeLast(path.count - frame.parentPathCount)
        guard let parent = stack.indices.last else { return }
        guard report.failureCount == frame.failuresAtEntry else { return }
        let removed = frame.name.withUnsafeBufferPointer { name in
            unlink(name.baseAddress!, flags: AT_REMOVEDIR, in: parent)
        }
        if removed { report.directories += 1 }
    }

    /// Unlinks an entry of a directory on the stack, counting it in that directory's pass.
    ///
    /// - Returns: Whether the entry was removed (or, in a dry run, would be).
    private mutating func unlink(_ name: UnsafePointer<CChar>, flags: CInt, in level: Int? = nil) -> Bool {
        let level = level ?? stack.count - 1
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
