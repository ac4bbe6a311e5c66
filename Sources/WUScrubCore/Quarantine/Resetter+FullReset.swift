#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import VolumeAccess

/// What `reset --full` touches beyond DataStore and Download, as the preflight found it
/// (docs/architecture.md §17): every path case-resolved, reached like the purge folders.
public struct FullResetPlan: Sendable, Equatable, Encodable {
    /// System32's `catroot2` (renamed to `catroot2.wuscrub-<run>`, never deleted); nil when absent.
    public var catroot2: String?
    /// `ProgramData/Microsoft/Network/Downloader`; nil when absent (Windows XP keeps no such queue).
    public var bitsQueueFolder: String?
    /// The BITS queue's files found there, which move into the quarantine's `Downloader` folder.
    public var bitsQueueFiles: [String] = []
    /// The services whose start values the run disables and puts back, in order.
    public var services: [String] = []
}

extension Resetter {
    /// Whether a name is one of the BITS queue's files (docs/architecture.md §17), without regard to
    /// case: `qmgr*.dat` (Windows 7/8), `qmgr.db` and its ESE files `qmgr.jfm`, `edb.chk`,
    /// `edb*.log`, `edb*.jrs`, `edbtmp.log` (Windows 10/11).
    static func isBitsQueueFile(_ name: [UInt8]) -> Bool {
        let lower = name.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        func has(_ prefix: String, _ suffix: String) -> Bool {
            lower.count >= prefix.utf8.count + suffix.utf8.count
                && lower.starts(with: Array(prefix.utf8)) && lower.reversed().starts(with: Array(suffix.utf8).reversed())
        }
        if ["qmgr.db", "qmgr.jfm", "edb.chk", "edbtmp.log"].contains(where: { lower == Array($0.utf8) }) { return true }
        return has("qmgr", ".dat") || has("edb", ".log") || has("edb", ".jrs")
    }

    /// The paths `reset --full` works on, resolved without regard to case; a link, a FIFO or any
    /// entry that is not a folder where one is expected is refused (the whole run is).
    ///
    /// - Throws: `InstallError` (`.symlink`, `.wrongType`, `.ambiguous`, `.otherMount`).
    func fullResetPlan(_ volume: InstallVolume) throws -> FullResetPlan {
        var plan = FullResetPlan(services: services)
        // Without SoftwareDistribution there is no quarantine (§16): catroot2 and the queue stay.
        guard install.softwareDistribution != nil else { return plan }
        let system32 = FileIO.parent(of: install.configDirectory)
        if let folder = try volume.root.directory(at: system32) {
            plan.catroot2 = try WindowsInstall.resolve("catroot2", in: folder, root: install.root, kind: .directory)
        }
        var folder = volume.root
        var path: [String] = []
        for name in ["ProgramData", "Microsoft", "Network", "Downloader"] {
            guard let (found, opened) = try WindowsInstall.descend(name, in: folder, root: install.root) else { return plan }
            path = found.split(separator: "/").map(String.init)
            folder = opened
        }
        plan.bitsQueueFolder = path.joined(separator: "/")
        plan.bitsQueueFiles = try folder.names().filter { Resetter.isBitsQueueFile(Array($0.utf8)) }.sorted()
        return plan
    }

    /// The journal's `reset --full` fields, set when it is created.
    func recordFullReset(_ plan: FullResetPlan, in journal: inout Journal, volume: InstallVolume) {
        if let catroot2 = plan.catroot2 {
            journal.catroot2Path = catroot2
            journal.catroot2RenamedPath = catroot2 + ".wuscrub-" + journal.runID.prefix(8)
        }
        journal.bitsQueuePath = plan.bitsQueueFolder
        // The renames change these folders' times too: rollback sets them back (§16.3).
        for path in [plan.catroot2.map(FileIO.parent(of:)), plan.bitsQueueFolder].compactMap({ $0 }) {
            if let folder = try? volume.root.directory(at: path), let modified = try? folder.modified() {
                journal.folderTimes = (journal.folderTimes ?? []) + [Journal.FolderTime(path: path, modified: modified)]
            }
        }
    }

    /// The purge phase's end for `reset --full`: the BITS queue's files move into
    /// `<quarantine>/Downloader`, then catroot2 is renamed. Each step is idempotent (a resumed run
    /// repeats it); the `afterBitsQueue` and `afterCatroot2Rename` checkpoints follow them.
    func fullResetMoves(_ journal: Journal, volume: InstallVolume) throws -> [PurgeReport] {
        var reports: [PurgeReport] = []
        if let folder = journal.bitsQueuePath, let quarantine = journal.quarantinePath {
            let target = quarantine + "/" + Resetter.bitsQueueLeaf
            _ = try volume.root.makeDirectories(target)
            reports.append(try move(from: folder, to: target, shown: folder, first: nil, accepts: Resetter.isBitsQueueFile))
            try reach(.afterBitsQueue)
        }
        // A stop requested meanwhile (§3.4) leaves catroot2 as it is.
        if let original = journal.catroot2Path, let renamed = journal.catroot2RenamedPath, stopRequested() == nil {
            reports.append(try rename(original, to: renamed, volume: volume))
            try reach(.afterCatroot2Rename)
        }
        return reports
    }

    /// The quarantine's subfolder that receives the BITS queue.
    static let bitsQueueLeaf = "Downloader"

    /// Renames a folder to a name beside it, never over anything: done already (only the new
    /// name is there) counts as done; a link, a FIFO or anything but a folder on the volume's
    /// mount with nothing mounted below it is left where it is, as a failure.
    ///
    /// - Returns: A report for the folder `original`: one directory when it was renamed (now or
    ///   before), one failure when it was not.
    func rename(_ original: String, to renamed: String, volume: InstallVolume) throws -> PurgeReport {
        var report = PurgeReport(folder: original)
        let parentPath = FileIO.parent(of: original)
        let name = String(original.split(separator: "/").last ?? "")
        let newName = String(renamed.split(separator: "/").last ?? "")
        func fail(_ operation: String, _ errno: Int32, _ message: String? = nil) -> PurgeReport {
            report.failureCount = 1
            report.failures = [PurgeFailure(path: original, operation: operation, errno: errno, message: message)]
            return report
        }
        guard let parent = try volume.root.directory(at: parentPath) else { return report }
        let found = try parent.entry(name)
        let existing = try parent.entry(newName)
        switch (found, existing) {
        case (nil, nil):
            return report  // nothing there: nothing to rename
        case (nil, .some(let moved)) where moved.kind == .directory:
            report.directories = 1  // renamed before (a resumed run)
            return report
        case (nil, .some):
            return fail("rename", EEXIST, "'\(renamed)' exists and is not a folder: nothing renamed")
        case (.some, .some):
            return fail("rename", EEXIST, "'\(renamed)' exists: nothing is ever replaced, '\(original)' left")
        case (.some(let entry), nil):
            guard entry.kind == .directory else {
                return fail("rename", 0, "'\(original)' is \(entry.kind.withArticle), not a folder: left alone")
            }
            guard entry.isOn(device: parent.anchor.device, mountID: parent.anchor.mountID), !mountsBelow(parentPath).contains(Array(name.utf8)) else {
                return fail("rename", EXDEV, "'\(original)' is on another file system or has one mounted below it: left alone")
            }
            // ntfs-3g sets ARCHIVE on a rename: the folder's NTFS attribute flags are set back (§16.2).
            let attributes = try? Syscall.attribute(QuarantineMove.attributeName, of: Array(name.utf8), in: parent.descriptor, size: 4).get()
            do {
                try parent.renameNoReplace(name, to: newName)
                if let attributes, case .success(let now) = Syscall.attribute(QuarantineMove.attributeName, of: Array(newName.utf8), in: parent.descriptor, size: 4),
                   now != attributes {
                    _ = Syscall.setAttribute(QuarantineMove.attributeName, of: Array(newName.utf8), in: parent.descriptor, to: attributes)
                }
                try parent.sync()
            } catch {
                var code: Int32 = 0
                if case .io(let failure) = error { code = failure.errno.rawValue }
                return fail("rename", code, "\(error)")
            }
            report.directories = 1
            return report
        }
    }

    /// Rollback's part for `reset --full`: catroot2 gets its name back when nothing holds that
    /// name again (then it stays renamed, as a failure).
    func putBackCatroot2(_ journal: Journal, volume: InstallVolume) throws -> PurgeReport? {
        guard let original = journal.catroot2Path, let renamed = journal.catroot2RenamedPath,
              let parent = try volume.root.directory(at: FileIO.parent(of: original)),
              try parent.entry(String(renamed.split(separator: "/").last ?? "")) != nil else { return nil }
        var report = try rename(renamed, to: original, volume: volume)
        report.folder = original
        return report
    }

    /// Whether a run's renamed catroot2 is still there for rollback to rename back.
    func hasCatroot2ToPutBack(_ journal: Journal, volume: InstallVolume) -> Bool {
        guard let original = journal.catroot2Path, let renamed = journal.catroot2RenamedPath,
              let parent = try? volume.root.directory(at: FileIO.parent(of: original)) else { return false }
        return (try? parent.entry(String(renamed.split(separator: "/").last ?? ""))) != nil
    }
}
