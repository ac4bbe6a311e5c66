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
    private var mounted = true

    /// Checks the boot sector, mounts read-write with ntfs-3g, and refuses a read-only fallback.
    ///
    /// - Parameter device: A block device such as `/dev/sdb3`, or an image file.
    /// - Throws: `ImageError.notNTFS`, `.bitLocker`, `.mountFailed`, `.readOnly`.
    public init(device: String) throws(ImageError) {
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
        switch Spawn.run([ntfs3g, device, mountPoint]) {
        case .success(0): break
        case .success(let status):
            rmdir(mountPoint)
            throw .mountFailed(device: device, reason: "ntfs-3g exited with status \(status) (is it hibernated, or its NTFS journal dirty? try ntfs-3g \(device) DIR by hand to see why)")
        case .failure(let errno):
            rmdir(mountPoint)
            throw .mountFailed(device: device, reason: "cannot run ntfs-3g: \(errno.description)")
        }
        do {
            try VolumeCheck.checkWritable(root: mountPoint, probeDirectory: mountPoint)
        } catch {
            unmount()
            throw .readOnly(root: device)
        }
    }

    /// Refuses anything but an unlocked NTFS boot sector: `NTFS    ` at offset 3; `-FVE-FS-` is BitLocker.
    ///
    /// - Throws: `ImageError.bitLocker`, `.notNTFS`, `.rootUnusable`.
    public static func checkBootSector(_ device: String) throws(ImageError) {
        let fd = open(device, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .rootUnusable(path: device, errno: Errno(rawValue: errno)) }
        defer { close(fd) }
        var sector = [UInt8](repeating: 0, count: 11)
        let count = sector.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 11, 0) }
        let oem = count == 11 ? String(decoding: sector[3..<11].map { (32...126).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self) : ""
        if oem == "-FVE-FS-" { throw .bitLocker(device: device) }
        guard oem == "NTFS    " else { throw .notNTFS(device: device, found: oem) }
    }

    /// Unmounts and removes the mount point; safe to call more than once.
    public func unmount() {
        guard mounted else { return }
        for _ in 0..<20 {
            if case .success(0) = Spawn.run(["/bin/umount", mountPoint]) { break }
            usleep(200_000)
        }
        rmdir(mountPoint)
        mounted = false
    }

    deinit { unmount() }
}
