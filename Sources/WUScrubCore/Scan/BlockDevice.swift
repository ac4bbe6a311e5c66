/// A block device as the kernel lists it in `/sys/class/block` (docs/architecture.md §12).
public struct BlockDevice: Sendable, Equatable {
    /// The kernel's name, such as `sdb3`; its node is `/dev/<name>`.
    public var name: String
    /// `MAJOR:MINOR`.
    public var device: String
    /// Its size in bytes.
    public var size: UInt64
    /// The devices built on it (device-mapper, RAID), from `holders/`.
    public var holders: [String]

    /// Names of devices never read: optical and floppy drives (a read may wait for a medium or
    /// spin a motor), RAM disks, and network block devices (a read may wait for a dead server).
    static let skippedPrefixes = ["sr", "fd", "ram", "zram", "nbd", "rbd", "drbd"]

    /// The block devices listed in `folder`, sorted by name: those of size 0 (an unused loop
    /// device, an empty card reader) and `skippedPrefixes` left out.
    ///
    /// - Parameter folder: `/sys/class/block`, or the same folder under a fake root.
    /// - Returns: nil when the folder cannot be listed.
    static func list(in folder: String) -> [BlockDevice]? {
        guard let names = try? FileIO.names(in: folder) else { return nil }
        var devices: [BlockDevice] = []
        for name in names.sorted() where !skippedPrefixes.contains(where: { name.hasPrefix($0) }) {
            let base = folder + "/" + name
            guard let device = line(base + "/dev"), let sectors = line(base + "/size").flatMap({ UInt64($0) }), sectors > 0 else { continue }
            // A multipath map queues reads while it has no path left: never read one.
            if name.hasPrefix("dm-"), line(base + "/dm/uuid")?.hasPrefix("mpath-") == true { continue }
            let holders = (try? FileIO.names(in: base + "/holders"))?.sorted() ?? []
            devices.append(BlockDevice(name: name, device: device, size: sectors.multipliedReportingOverflow(by: 512).partialValue, holders: holders))
        }
        return devices
    }

    /// The first line of a small sysfs file.
    private static func line(_ path: String) -> String? {
        guard let bytes = try? FileIO.read(path), bytes.count < 4096 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init)
        return text?.isEmpty == false ? text : nil
    }
}

/// What the first sector of a partition says it holds.
public enum BootSectorKind: String, Sendable, Encodable {
    /// An NTFS boot sector (OEM ID `NTFS    `).
    case ntfs
    /// A BitLocker-encrypted volume (OEM ID `-FVE-FS-`): locked until unlocked with its key.
    case bitlocker
    /// Anything else.
    case other

    /// Reads the OEM ID, bytes 3 to 10 of the first sector (NTFS also needs the boot signature
    /// 55 AA at 510, without which Windows would not mount it either).
    public init(sector: [UInt8]) {
        guard sector.count >= 512 else { self = .other; return }
        switch Array(sector[3..<11]) {
        case Array("NTFS    ".utf8) where sector[510] == 0x55 && sector[511] == 0xAA: self = .ntfs
        case Array("-FVE-FS-".utf8): self = .bitlocker
        default: self = .other
        }
    }
}
