#if canImport(Glibc)
import Glibc
#endif

/// Where `scan` reads the machine's state: the real `/proc`, `/sys` and `/dev`, or the same three
/// under another folder (the fake trees of the tests, through a hidden option).
public struct ScanSources: Sendable {
    /// The mount table.
    public var mountInfo: String
    /// The folder listing the block devices.
    public var blockDevices: String
    /// The folder holding the device nodes.
    public var deviceNodes: String
    /// Whether this is a fake tree: its "devices" may be regular files, and a mount table's
    /// sources are compared by name, not resolved.
    public var isFake: Bool

    /// This machine's.
    public static let host = ScanSources(mountInfo: "/proc/self/mountinfo", blockDevices: "/sys/class/block", deviceNodes: "/dev", isFake: false)

    /// The same files under `root` (`root/proc/self/mountinfo`, `root/sys/class/block`, `root/dev`).
    public init(systemRoot root: String) {
        self.init(mountInfo: root + "/proc/self/mountinfo", blockDevices: root + "/sys/class/block", deviceNodes: root + "/dev", isFake: true)
    }

    init(mountInfo: String, blockDevices: String, deviceNodes: String, isFake: Bool) {
        self.mountInfo = mountInfo
        self.blockDevices = blockDevices
        self.deviceNodes = deviceNodes
        self.isFake = isFake
    }
}

/// Finds the Windows installations this machine can see, changing nothing (docs/architecture.md §12):
/// mounted file systems that are NTFS or hold a `Windows` folder, each looked at as `status`
/// does, and partitions that are not mounted whose first sector says NTFS or BitLocker.
public enum Scanner {
    /// File-system types that are NTFS (or ntfs-3g, which the table shows as FUSE): listed even
    /// without Windows on them.
    static let ntfsTypes: Set<String> = ["ntfs", "ntfs3", "fuseblk", "fuse", "fuse.ntfs-3g"]
    /// Other file-system types looked into for a Windows folder: local disk file systems only.
    /// Anything else is never entered: kernel pseudo file systems, automounters (a look would
    /// mount), network and cluster file systems and overlays that may sit on one (a look could
    /// hang on a dead server), FUSE file systems other than ntfs-3g.
    static let localTypes: Set<String> = [
        "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "bcachefs", "zfs",
        "vfat", "msdos", "exfat", "hfsplus", "udf", "iso9660", "squashfs", "tmpfs",
    ]

    /// Scans the machine.
    ///
    /// - Parameters:
    ///   - sources: Where the mount table, block devices and device nodes are.
    ///   - progress: Told of each step and of the folders' counts (nil: nothing).
    /// - Returns: What was found; problems are in the report, never thrown.
    public static func scan(_ sources: ScanSources = .host, progress: PurgeProgress? = nil) -> ScanReport {
        var report = ScanReport()
        progress?.step("Reading the mount table")
        let mounts = MountTable.read(sources.mountInfo)
        if mounts == nil { report.notes.append("cannot read the mount table \(sources.mountInfo): mounted file systems are not listed") }
        // A file system mounted more than once is shown once: at a mount of its whole root,
        // read-write if there is one, else at its first mount point.
        var chosen: [String: MountEntry] = [:]
        func rank(_ entry: MountEntry) -> Int { (entry.rootInFileSystem == "/" ? 0 : 2) + (entry.isReadOnly ? 1 : 0) }
        for entry in (mounts ?? []).sorted(by: { $0.mountPoint < $1.mountPoint }) where isCandidate(entry) {
            if let kept = chosen[entry.device], rank(kept) <= rank(entry) { continue }
            chosen[entry.device] = entry
        }
        for entry in chosen.values.sorted(by: { $0.mountPoint < $1.mountPoint }) {
            if let volume = look(at: entry, progress: progress) { report.volumes.append(volume) }
        }
        progress?.step("Reading the partitions' first sectors")
        if mounts == nil {
            // Without the mount table, a mounted partition would look unmounted.
            report.notes.append("partitions that are not mounted are not listed either: without the mount table, wuscrub cannot tell them from mounted ones")
        } else if let devices = BlockDevice.list(in: sources.blockDevices) {
            let mounted = Set((mounts ?? []).map(\.device))
            let mountedNames = Set((mounts ?? []).compactMap { deviceName(of: $0.source, sources: sources) })
            var denied: [String] = []
            defer {
                if !denied.isEmpty {
                    report.notes.append("not allowed to read \(denied.joined(separator: ", ")): run wuscrub scan as root to see partitions that are not mounted")
                }
            }
            for device in devices where !mounted.contains(device.device) && !mountedNames.contains(device.name) {
                let node = sources.deviceNodes + "/" + device.name
                let sector: [UInt8]
                do {
                    sector = try FileIO.readHead(ofDevice: node, count: 512, allowRegularFile: sources.isFake)
                } catch {
                    if error.errno == .permissionDenied { denied.append("/dev/" + device.name); continue }
                    report.notes.append("cannot read the first sector of /dev/\(device.name): \(error.errno)")
                    continue
                }
                let kind = BootSectorKind(sector: sector)
                guard kind != .other else { continue }
                report.partitions.append(ScannedPartition(device: "/dev/" + device.name, size: device.size, kind: kind,
                                                          holders: device.holders, next: nextStep(kind: kind, device: device)))
            }
        } else {
            report.notes.append("cannot list \(sources.blockDevices): partitions that are not mounted are not listed")
        }
        progress?.end()
        return report
    }

    /// Whether a mount may be looked into.
    static func isCandidate(_ entry: MountEntry) -> Bool {
        ntfsTypes.contains(entry.fileSystem) || localTypes.contains(entry.fileSystem)
    }

    /// The kernel name (`sdb3`) of a mount's source when it is a device node, else nil.
    static func deviceName(of source: String, sources: ScanSources) -> String? {
        guard source.hasPrefix("/dev/"), !source.split(separator: "/").contains("..") else { return nil }
        var path = source
        // /dev/disk/by-uuid/… and /dev/mapper/… are links to the node: resolve those (and only those).
        let linked = source.hasPrefix("/dev/disk/") || source.hasPrefix("/dev/mapper/")
        if !sources.isFake, linked, let resolved = realpath(source, nil) {
            path = String(cString: resolved)
            free(resolved)
        }
        return path.split(separator: "/").last.map(String.init)
    }

    /// A mounted file system: NTFS ones always, others only when they hold Windows.
    static func look(at entry: MountEntry, progress: PurgeProgress?) -> ScannedVolume? {
        var volume = ScannedVolume(mountPoint: entry.mountPoint, source: entry.source, fileSystem: entry.fileSystem,
                                   kind: Volume.kind(of: entry.fileSystem), readOnly: entry.isReadOnly)
        let install: WindowsInstall
        do {
            install = try WindowsInstall.locate(root: entry.mountPoint)
        } catch {
            guard ntfsTypes.contains(entry.fileSystem) else { return nil }
            if case .notWindows = error {
                volume.problem = "no Windows installation (no Windows\\System32\\config\\SYSTEM)"
            } else {
                volume.problem = error.description
            }
            return volume
        }
        progress?.step("Looking at \(PurgeFailure.displayPath(Array(entry.mountPoint.utf8)))")
        volume.installation = inspect(install, readOnly: entry.isReadOnly, source: entry.source, progress: progress)
        return volume
    }

    /// `status`'s facts about an installation, its version, and what to do next.
    static func inspect(_ install: WindowsInstall, readOnly: Bool, source: String, progress: PurgeProgress?) -> ScannedInstallation {
        let status = StatusReport(install: install, progress: progress, countingBytes: true)
        var hibernated: Bool?
        var hibernationError: String?
        do {
            try VolumeCheck.checkNotHibernated(root: install.root)
            hibernated = false
        } catch {
            // What reset refuses as hibernated (a "hibr" file, or one too short or unreadable to
            // rule it out) is shown as hibernated, with the reason.
            if case .hibernated = error { hibernated = true }
            hibernationError = error.description
        }
        progress?.step("Reading the Windows version of \(PurgeFailure.displayPath(Array(install.root.utf8)))")
        var version: WindowsVersion?
        var versionError: String?
        do { version = try readVersion(install) } catch { versionError = "\(error)" }
        progress?.end()
        let folders = status.folders.map { ScannedFolder(folder: $0.folder, entries: $0.removals, bytes: $0.bytes) }
        var found = ScannedInstallation(
            windowsFolder: install.windows, version: version, versionError: versionError,
            hibernated: hibernated, hibernationError: hibernationError,
            fastStartupEnabled: status.hiberbootEnabled.map { $0 != 0 },
            hiveState: status.hiveState, hiveError: status.hiveError ?? status.startsError, starts: status.starts,
            unfinishedRun: status.hasUnfinishedRun ? status.journal?.phase.rawValue : nil,
            folders: folders, volumeProblem: status.volumeProblem,
            next: NextStep(command: nil, advice: "")
        )
        found.next = nextStep(found, install: install, readOnly: readOnly, source: source)
        return found
    }

    /// The SOFTWARE hive's version values, read in the hivex sandbox (a dirty hive as its logs leave it, in memory).
    static func readVersion(_ install: WindowsInstall) throws -> WindowsVersion {
        let software = try InstallVolume(install).readSoftwareHive()
        let values = try HiveSandbox.readValues(hive: software.image, path: software.path, key: WindowsVersion.key, names: WindowsVersion.valueNames)
        return WindowsVersion(values: values)
    }

    /// What to do with a mounted installation, most urgent first.
    static func nextStep(_ found: ScannedInstallation, install: WindowsInstall, readOnly: Bool, source: String) -> NextStep {
        // A path with a control character is not offered as a command to copy, and is shown escaped.
        let printable = PurgeFailure.displayPath(Array(install.root.utf8)) == install.root
        let quoted = shownWord(install.root)
        let unfinished = found.unfinishedRun.map { " An earlier wuscrub run stopped in its \($0) phase: once that is done, wuscrub resume \(quoted) finishes it." } ?? ""
        if found.hibernated == true {
            return NextStep(command: nil, advice: "Windows is hibernated or was shut down with Fast Startup: boot it and shut it down fully (shutdown /s /t 0), or turn Fast Startup off (powercfg /h off), then scan again. wuscrub refuses to change it until then." + unfinished)
        }
        if readOnly {
            return NextStep(command: nil, advice: "Mounted read-only: mount it read-write (umount \(quoted), then ntfs-3g \(shownWord(source)) \(quoted)) and run wuscrub " + (found.unfinishedRun == nil ? "reset" : "resume") + " \(quoted). A dirty NTFS journal needs a clean Windows shutdown (or ntfsfix).")
        }
        if !printable {
            return NextStep(command: nil, advice: "The mount point's name holds control characters: mount the partition at a plain path such as /mnt/win and scan again.")
        }
        if let phase = found.unfinishedRun {
            return NextStep(command: "wuscrub resume \(quoted)",
                            advice: "An earlier wuscrub run stopped in its \(phase) phase: resume finishes it (wuscrub rollback \(quoted) puts the start values back instead).")
        }
        if let hibernationError = found.hibernationError {
            return NextStep(command: "wuscrub status \(quoted)", advice: "hiberfil.sys cannot be checked: \(hibernationError)")
        }
        if found.hiveState == "dirty-refused" {
            return NextStep(command: "wuscrub hive check \(shellQuoted(install.path(install.systemHive)))",
                            advice: "The SYSTEM hive is dirty and its logs cannot be replayed safely: boot Windows once and shut it down cleanly, then scan again. hive check says why.")
        }
        if found.hiveError != nil || found.volumeProblem != nil {
            return NextStep(command: "wuscrub status \(quoted)",
                            advice: "wuscrub cannot reset this installation as it is: \(found.volumeProblem ?? found.hiveError ?? ""). status shows the details.")
        }
        let entries = found.folders.reduce(0) { $0 + $1.entries }
        let dirty = found.hiveState?.hasPrefix("dirty") == true ? " The SYSTEM hive's logs are replayed first." : ""
        return NextStep(command: "wuscrub reset \(quoted)",
                        advice: "Ready: the reset disables Windows Update, empties DataStore and Download (\(entries) entries) and puts the start mode back; it shows its plan and asks first.\(dirty)")
    }

    /// What to do with a partition that is not mounted.
    static func nextStep(kind: BootSectorKind, device: BlockDevice) -> NextStep {
        let node = "/dev/" + device.name
        switch kind {
        case .bitlocker where !device.holders.isEmpty:
            return NextStep(command: nil, advice: "BitLocker, unlocked as /dev/\(device.holders[0]): mount that device and scan again.")
        case .bitlocker:
            return NextStep(command: nil, advice: "BitLocker-encrypted and locked: unlock it with its recovery key (cryptsetup open --type bitlk \(node) win, or dislocker), mount the unlocked volume, then scan again.")
        case .ntfs where !device.holders.isEmpty:
            return NextStep(command: nil, advice: "NTFS, in use by /dev/\(device.holders.joined(separator: ", /dev/")): not touched.")
        default:
            return NextStep(command: "wuscrub reset --device \(node)",
                            advice: "NTFS, not mounted: the reset mounts it in a private folder, checks that it holds Windows, shows its plan and asks first (or mount it and scan again to see it in detail).")
        }
    }

    /// A word for a message: quoted for a shell, or escaped when it holds a control character.
    public static func shownWord(_ word: String) -> String {
        let escaped = PurgeFailure.displayPath(Array(word.utf8))
        return escaped == word ? shellQuoted(word) : escaped
    }

    /// A word for a POSIX shell: as it is when it is made of safe characters, else in single quotes.
    static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%,=")
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
