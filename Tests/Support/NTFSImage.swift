import Foundation
import Testing
import WUScrubCore

/// A real NTFS file system for tests: an image file made by `mkntfs -F -Q` and mounted with
/// `ntfs-3g` (FUSE, needs root). Call `unmount()` in a `defer`: it detaches whatever happens.
///
/// Suites use `.enabled(if: NTFSImage.enabled, NTFSImage.skipReason)`: skipped with that reason
/// where root or FUSE is missing, unless `WUSCRUB_REQUIRE_NTFS=1`, which makes them run and fail.
public final class NTFSImage: @unchecked Sendable {
    public let image: String
    public let mountPoint: String
    private var mounted = false
    private var innerMounts: [String] = []

    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/fuse")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkntfs")
            && ["/usr/bin/ntfs-3g", "/bin/ntfs-3g"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["WUSCRUB_REQUIRE_NTFS"] == "1" }
    public static var enabled: Bool { isAvailable || isRequired }
    public static let skipReason: Comment = "needs root, /dev/fuse, mkntfs and ntfs-3g (real NTFS image): skipped (WUSCRUB_REQUIRE_NTFS=1 makes it fail instead)"

    /// Makes a fresh NTFS image of `megabytes` in `scratch` and mounts it.
    public init(in scratch: Scratch, megabytes: Int = 64, readOnly: Bool = false) throws {
        image = scratch.sub("ntfs.img")
        mountPoint = scratch.sub("volume")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: image, contents: nil),
              truncate(image, off_t(megabytes) << 20) == 0 else {
            throw Shell.Failed(command: "truncate \(image)", status: errno, output: "")
        }
        try Shell.run("/usr/sbin/mkntfs", ["-F", "-Q", "-q", image])
        try mount(readOnly: readOnly)
    }

    /// Mounts (again) with ntfs-3g.
    public func mount(readOnly: Bool = false) throws {
        // The FUSE daemon forks away from the process we start; Foundation's Process does not
        // always notice the parent's exit then, so spawn and reap it directly.
        let arguments = [ntfs3g] + (readOnly ? ["-o", "ro"] : []) + [image, mountPoint]
        let status = Spawn.run(arguments)
        guard case .success(0) = status else {
            throw Shell.Failed(command: arguments.joined(separator: " "), status: (try? status.get()) ?? -1, output: "\(status)")
        }
        mounted = true
    }

    private var ntfs3g: String {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/ntfs-3g") ? "/usr/bin/ntfs-3g" : "/bin/ntfs-3g"
    }

    /// Mounts a small tmpfs at `path` (inside the volume); it is detached by `unmount()`.
    public func mountTmpfs(at path: String) throws {
        try Shell.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "none", path])
        innerMounts.append(path)
    }

    /// Detaches inner mounts and the volume; safe to call more than once.
    public func unmount() {
        for path in innerMounts.reversed() { _ = try? Shell.capture("/bin/umount", [path]) }
        innerMounts = []
        guard mounted else { return }
        for _ in 0..<20 {
            if (try? Shell.capture("/bin/umount", [mountPoint]))?.status == 0 { break }
            _ = try? Shell.capture("/bin/fusermount", ["-u", "-z", mountPoint])
            usleep(100_000)
        }
        mounted = false
    }

    deinit { unmount() }

    public func sub(_ relative: String) -> String { mountPoint + "/" + relative }
}
