#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Checks that refuse a volume Windows may still own.
public enum VolumeCheck {
    /// Refuses a hibernated or Fast Startup volume: `hiberfil.sys` at the root (any case) whose
    /// first four bytes read `hibr` (any case), or that is too short (under 4096 bytes) to tell.
    /// A `hiberfil.sys` that is not a regular file (a FIFO, a device node, a link) is refused
    /// without being opened.
    ///
    /// ntfs3, or ntfs-3g with `remove_hiberfile`, mount such volumes without complaint, so this is
    /// checked whatever the mount said.
    /// - Throws: `InstallError.hibernated`, `.wrongType`, `.symlink`.
    public static func checkNotHibernated(root: String) throws(InstallError) {
        let top: VolumeDirectory
        do { top = try VolumeDirectory.openRoot(root) } catch { throw .rootUnusable(path: root, errno: .notDirectory) }
        try checkNotHibernated(in: top)
    }

    /// Refuses a hibernated volume, its root already open (see `checkNotHibernated(root:)`).
    public static func checkNotHibernated(in root: VolumeDirectory) throws(InstallError) {
        // NTFS mounted on Linux can hold `hiberfil.sys` and `HIBERFIL.SYS` side by side: check every one.
        for name in try WindowsInstall.entries(of: root) where name.lowercased() == "hiberfil.sys" {
            try checkHibernationFile(name, in: root)
        }
    }

    /// Refuses one hibernation file that says Windows is hibernated or is too short to tell.
    private static func checkHibernationFile(_ name: String, in root: VolumeDirectory) throws(InstallError) {
        let path = (root.rootPath.hasSuffix("/") ? root.rootPath : root.rootPath + "/") + name
        let file: VolumeFile
        do {
            guard let opened = try root.file(name) else { return }
            file = opened
        } catch {
            switch error {
            case .wrongKind(_, .symbolicLink, _): throw .symlink(path: path)
            case .wrongKind(_, let found, _): throw .wrongType(path: path, expected: "a regular file", found: found.withArticle)
            default: throw .hibernated(path: path, reason: "it cannot be read (\(error)) to rule hibernation out")
            }
        }
        let header: [UInt8]
        do { header = try file.read(count: 4) } catch {
            throw .hibernated(path: path, reason: "it cannot be read (\(error)) to rule hibernation out")
        }
        if file.size < 4096 || header.count < 4 {
            throw .hibernated(path: path, reason: "it is only \(file.size) bytes, too short to tell whether Windows is hibernated")
        }
        if String(decoding: header, as: UTF8.self).lowercased() == "hibr" {
            throw .hibernated(path: path, reason: "it starts with '\(String(decoding: header, as: UTF8.self))': Windows is hibernated or shut down with Fast Startup")
        }
    }

    /// Refuses a read-only file system: `statvfs` first, then (when `probeDirectory` is given) a
    /// write probe there — ntfs-3g silently falls back to read-only.
    ///
    /// - Parameters:
    ///   - root: The mount root.
    ///   - probeDirectory: A folder to create and remove a probe file in (wuscrub's own folder).
    /// - Throws: `InstallError.readOnly`.
    public static func checkWritable(root: String, probeDirectory: VolumeDirectory? = nil) throws(InstallError) {
        var info = statvfs()
        if statvfs(root, &info) == 0, info.f_flag & UInt(ST_RDONLY) != 0 { throw .readOnly(root: root) }
        guard let probeDirectory else { return }
        let probe = ".wuscrub-write-probe-\(getpid())"
        do {
            _ = try probeDirectory.createFile(probe, mode: 0o600)
            try? probeDirectory.remove(probe)
        } catch {
            if case .io(let failure) = error,
               [.readOnlyFileSystem, .permissionDenied, .notPermitted].contains(failure.errno) {
                throw .readOnly(root: root)
            }
        }
    }
}
