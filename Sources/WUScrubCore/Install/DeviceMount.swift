#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A Windows partition (block device or image file) that wuscrub mounts itself with ntfs-3g in a
/// private temporary directory, for `reset --device`.
public final class DeviceMount: @unchecked Sendable {
    /// The device or image.
    public let device: String
    /// Where it is mounted (a fresh directory under /tmp).
    public let mountPoint: String
    /// Whether the volume is still mounted at `mountPoint` as far as this object knows.
    public private(set) var isMounted = true
    /// Set once `unmount()` has given up, so that `deinit` does not try again.
    private var unmountGaveUp = false

    /// How many times `unmount()` tries `umount`, and how long it waits between tries.
    static let unmountAttempts = 20
    static let unmountPause: useconds_t = 200_000

    /// Checks the boot sector, mounts read-write with ntfs-3g (`nodev,nosuid,noexec`), and refuses a read-only fallback.
    ///
    /// - Parameter device: A block device such as `/dev/sdb3`, or an image file.
    /// - Throws: `InstallError.notNTFS`, `.bitLocker`, `.mountFailed`, `.deviceReadOnly`, or
    ///   `.unmountFailed` when a refused mount cannot be taken down again.
    public init(device: String) throws(InstallError) {
        self.device = device
        try DeviceMount.checkBootSector(device)
        guard let ntfs3g = Spawn.find(["/usr/bin/ntfs-3g", "/bin/ntfs-3g"]) else {
            throw .mountFailed(device: device, reason: "ntfs-3g is not installed (apt-get install ntfs-3g)")
        }
        var template = Array("/tmp/wuscrub-mount-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw .mountFailed(device: device, reason: "cannot create a mount point: \(Errno(rawValue: errno).description)")
        }
        mountPoint = String(cString: created)
        // nodev, nosuid, noexec: a device node, set-id program or executable on the volume stays inert.
        let status = Spawn.run([ntfs3g, "-o", "nodev,nosuid,noexec", device, mountPoint])
        guard case .success(0) = status else {
            // ntfs-3g may have died after mounting (a signal during its start): take that down too.
            if Volume.isMountPoint(mountPoint) == true { try unmount() } else { rmdir(mountPoint) }
            isMounted = false
            switch status {
            case .success(let code): throw .mountFailed(device: device, reason: DeviceMount.explain(ntfs3gStatus: code, device: device))
            case .failure(let errno): throw .mountFailed(device: device, reason: "cannot run ntfs-3g: \(errno.description)")
            }
        }
        do {
            try VolumeCheck.checkWritable(root: mountPoint, probeDirectory: try? VolumeDirectory.openRoot(mountPoint))
        } catch {
            // Say why when the volume itself shows it: ntfs-3g falls back to read-only on hibernation.
            var hibernated = false
            do { try VolumeCheck.checkNotHibernated(root: mountPoint) } catch { hibernated = true }
            try unmount()
            throw .deviceReadOnly(device: device, hibernated: hibernated)
        }
    }

    /// What an ntfs-3g exit status means, for the user (its documented codes for the volume's state).
    static func explain(ntfs3gStatus status: Int32, device: String) -> String {
        switch status {
        case 14:
            return "ntfs-3g refused it because Windows is hibernated on it (exit status 14). Boot Windows and shut it down fully (shutdown /s /t 0, or turn Fast Startup off with powercfg /h off)"
        case 15:
            return "ntfs-3g refused it because its NTFS journal is dirty: Windows was not shut down cleanly (exit status 15). Boot Windows and shut it down fully; if that is impossible, 'ntfsfix \(device)' resets the journal"
        case 16:
            return "it is already mounted, or opened by another program (ntfs-3g exit status 16). Find where with 'findmnt \(device)' (or 'fuser -vm \(device)'), then run 'wuscrub reset MOUNTPOINT' on that mount, or unmount it and run wuscrub again"
        default:
            return "ntfs-3g exited with status \(status); run 'ntfs-3g \(device) DIR' by hand to see its message"
        }
    }

    /// Refuses anything but an unlocked NTFS boot sector: `NTFS    ` at offset 3; `-FVE-FS-` is BitLocker.
    ///
    /// - Throws: `InstallError.bitLocker`, `.notNTFS`, `.rootUnusable`.
    public static func checkBootSector(_ device: String) throws(InstallError) {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .rootUnusable(path: device, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        var sector = [UInt8](repeating: 0, count: 11)
        let count = sector.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 11, 0) }
        let oem = count == 11 ? String(decoding: sector[3..<11].map { (32...126).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self) : ""
        if oem == "-FVE-FS-" { throw .bitLocker(device: device) }
        guard oem == "NTFS    " else { throw .notNTFS(device: device, found: oem) }
    }

    /// Unmounts the volume and removes the mount point; does nothing once that has worked.
    ///
    /// Tries `umount` several times (a FUSE mount can stay busy for a moment after its last file
    /// is closed) and checks /proc/self/mountinfo, not only umount's status.
    ///
    /// - Throws: `InstallError.unmountFailed` when the volume is still mounted after the last try;
    ///   the mount point is then left as it is.
    public func unmount() throws(InstallError) {
        guard isMounted else { return }
        guard let umount = Spawn.find(["/bin/umount", "/usr/bin/umount"]) else {
            unmountGaveUp = true
            throw .unmountFailed(device: device, mountPoint: mountPoint, reason: "umount is not installed")
        }
        var lastStatus: Result<Int32, Errno> = .success(0)
        // The mount table decides; without a readable /proc/self/mountinfo, umount's own status does.
        func stillMounted() -> Bool {
            Volume.isMountPoint(mountPoint) ?? (lastStatus != .success(0))
        }
        for attempt in 0..<DeviceMount.unmountAttempts {
            if attempt > 0 { usleep(DeviceMount.unmountPause) }
            lastStatus = Spawn.run([umount, mountPoint])
            if !stillMounted() { break }
        }
        guard !stillMounted() else {
            let reason: String
            switch lastStatus {
            case .success(0): reason = "umount reported success, but it is still in the mount table"
            case .success(32): reason = "it is busy (umount exit status 32): a program has a file open or its working directory there (see 'fuser -vm \(mountPoint)')"
            case .success(let code): reason = "umount exited with status \(code)"
            case .failure(let errno): reason = "cannot run umount: \(errno.description)"
            }
            unmountGaveUp = true
            throw .unmountFailed(device: device, mountPoint: mountPoint, reason: reason)
        }
        isMounted = false
        rmdir(mountPoint)
    }

    deinit {
        if !unmountGaveUp { try? unmount() }
    }
}
