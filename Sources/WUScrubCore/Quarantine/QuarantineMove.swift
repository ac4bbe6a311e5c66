#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage
import VolumeAccess

/// Moves the entries of one folder into another folder of the same volume by renames only: what
/// `reset --quarantine` does to DataStore and Download, and `rollback` does back
/// (docs/architecture.md §16.2).
///
/// Only the folder's own entries are renamed; nothing is opened, read or copied, so a link is moved
/// as the link and a device node or FIFO as the node. An entry is left where it is, and counted as
/// a failure, when it is a directory on another file system or mount, when a mount point lies
/// below it (`mountsBelow`), or when the target already holds its name (never replaced).
struct QuarantineMove {
    /// The mount root.
    let root: String
    /// The folder whose entries move, as names from the root.
    let source: [String]
    /// The folder they move into, as names from the root; it must exist.
    let target: [String]
    /// Names of `source`'s entries under which something is mounted (from the mount table).
    var mountsBelow: Set<[UInt8]> = []
    /// Stop once this many entries were moved; nil for no limit.
    var limit: Int?
    /// Asked before each entry; true stops the move there (`PurgeReport.stopped`).
    var shouldStop: (@Sendable () -> Bool)?
    /// Which entries move, by name; nil moves them all (`reset --full` moves only the BITS queue's
    /// files out of its folder, docs/architecture.md §17).
    var accepts: (@Sendable ([UInt8]) -> Bool)?

    /// Moves the entries; the report counts what moved (by kind, as the purge counts what it
    /// removes) and what did not.
    ///
    /// - Throws: `PurgeError` when either folder cannot be reached safely, or when the two are not
    ///   on the same file system and mount: nothing is moved then.
    func run() throws(PurgeError) -> PurgeReport {
        let from = try PurgeFolder.open(root: root, components: source)
        let into: PurgeFolder
        do {
            into = try PurgeFolder.open(root: root, components: target)
        } catch {
            _ = close(from.descriptor)
            throw error
        }
        defer { _ = close(into.descriptor) }
        let shown = source.joined(separator: "/")
        guard from.device == into.device, from.mountID == into.mountID else {
            _ = close(from.descriptor)
            throw .otherFilesystem(target.joined(separator: "/"))
        }
        var report = PurgeReport(folder: shown)
        let stream: OpaquePointer
        switch Syscall.openStream(from.descriptor) {
        case .success(let opened): stream = opened
        case .failure(let errno):
            _ = close(from.descriptor)
            throw .cannotOpen(shown, errno)
        }
        defer { Syscall.closeStream(stream) }
        // The renames are made durable in both folders before the journal records them.
        defer {
            _ = fsync(from.descriptor)
            _ = fsync(into.descriptor)
        }
        let path = Array(shown.utf8) + [UInt8(ascii: "/")]
        // Each pass meets the entries a previous one could not move: each is counted once.
        var failed = Set<[UInt8]>()
        func fail(_ operation: String, _ name: [UInt8], _ errno: Errno) {
            guard failed.insert(name).inserted else { return }
            report.failureCount += 1
            if report.failures.count < PurgeReport.listLimit {
                report.failures.append(PurgeFailure(path: PurgeFailure.displayPath(path + name), operation: operation, errno: errno.rawValue))
            }
        }
        func leave(_ name: [UInt8], _ operation: String) {
            if !failed.contains(name), report.otherFilesystems.count < PurgeReport.listLimit {
                report.otherFilesystems.append(PurgeFailure.displayPath(path + name))
            }
            fail(operation, name, .improperLink)
        }
        // ntfs-3g sets an entry's ARCHIVE flag when it is renamed: each entry's NTFS attribute
        // flags are read before the move and set back after it, where the file system has them.
        var keepsAttributes = true
        func ntfsAttributes(of name: [UInt8], in directory: CInt) -> [UInt8]? {
            switch Syscall.attribute(Self.attributeName, of: name, in: directory, size: 4) {
            case .success(let value): return value
            case .failure(let errno):
                // No such attribute here (not ntfs-3g): asked once per folder, not per entry.
                if errno == .noData || errno == .notSupported { keepsAttributes = false }
                return nil
            }
        }
        func restore(_ value: [UInt8], of name: [UInt8], in directory: CInt) {
            guard case .success(let now) = Syscall.attribute(Self.attributeName, of: name, in: directory, size: 4), now != value else { return }
            _ = Syscall.setAttribute(Self.attributeName, of: name, in: directory, to: value)
        }
        // Renaming entries out of a directory while reading it may skip some: read it again while
        // a pass moves anything, at most `Purger.maximumPasses` times.
        for pass in 1...Purger.maximumPasses {
            if pass > 1 { Syscall.rewind(stream) }
            let movedBefore = report.removals
            reading: while true {
                if let limit, report.removals >= limit { return report }
                if let shouldStop, shouldStop() {
                    report.stopped = true
                    return report
                }
                switch Syscall.readEntry(stream) {
                case .success(nil):
                    break reading
                case .failure(let errno):
                    fail("readdir", [], errno)
                    return report
                case .success(let entry?):
                    if Syscall.isDotOrDotDot(entry.name) { continue }
                    let name = Array(UnsafeRawBufferPointer(start: entry.name, count: strlen(entry.name)))
                    if let accepts, !accepts(name) { continue }
                    let info: FileIdentity
                    switch FileIdentity.of(name: entry.name, in: from.descriptor) {
                    case .success(let value): info = value
                    case .failure(let errno) where errno == .noSuchFileOrDirectory: continue
                    case .failure(let errno):
                        fail("stat", name, errno)
                        continue
                    }
                    if info.kind == .directory, !info.isOn(device: from.device, mountID: from.mountID.map(UInt64.init)) {
                        leave(name, "not moved (other filesystem)")
                        continue
                    }
                    if mountsBelow.contains(name) {
                        leave(name, "not moved (a file system is mounted below it)")
                        continue
                    }
                    let attributes = keepsAttributes ? ntfsAttributes(of: name, in: from.descriptor) : nil
                    switch Syscall.move(entry.name, from: from.descriptor, to: into.descriptor) {
                    case .success:
                        if let attributes { restore(attributes, of: name, in: into.descriptor) }
                        switch info.kind {
                        case .directory:
                            report.directories += 1
                            report.bytes = nil
                        case .symbolicLink: report.links += 1
                        default:
                            report.files += 1
                            if info.kind == .regularFile { report.bytes = report.bytes.map { $0 + info.size } }
                        }
                    case .failure(let errno) where errno == .noSuchFileOrDirectory: continue
                    case .failure(let errno) where errno == .fileExists: fail("move (the name exists in '\(target.joined(separator: "/"))')", name, errno)
                    case .failure(let errno): fail("move", name, errno)
                    }
                }
            }
            if report.removals == movedBefore || Syscall.isEmpty(stream) { break }
        }
        return report
    }

    /// The attribute that holds an entry's NTFS attribute flags on ntfs-3g (docs/architecture.md §16.2).
    static let attributeName = "system.ntfs_attrib"
}
