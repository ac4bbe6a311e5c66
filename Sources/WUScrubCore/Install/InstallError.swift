import SystemPackage

/// A failure while locating or checking a Windows installation under a mount root.
public enum InstallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mount root itself cannot be used.
    case rootUnusable(path: String, errno: Errno)
    /// No Windows installation was found.
    case notWindows(root: String, lookedFor: String)
    /// Two entries differ only by case.
    case ambiguous(directory: String, names: [String])
    /// A path component is a symbolic link (never followed).
    case symlink(path: String)
    /// A path component has the wrong type (what was found, as in "a FIFO").
    case wrongType(path: String, expected: String, found: String = "something else")
    /// A folder on the way is on another file system or mount than ROOT (something is mounted over it).
    case otherMount(path: String)
    /// A directory could not be listed.
    case cannotList(path: String, errno: Errno)
    /// The file system is mounted read-only.
    case readOnly(root: String)
    /// Windows is hibernated (or shut down with Fast Startup) on this volume.
    case hibernated(path: String, reason: String)
    /// Another wuscrub is working on this installation.
    case locked(path: String)
    /// `--device` names something without an NTFS boot sector.
    case notNTFS(device: String, found: String)
    /// `--device` names a BitLocker-encrypted volume.
    case bitLocker(device: String)
    /// ntfs-3g could not mount the device.
    case mountFailed(device: String, reason: String)
    /// ntfs-3g mounted the device read-only (its fallback for hibernated or unclean volumes); it was unmounted again.
    case deviceReadOnly(device: String, hibernated: Bool)
    /// The device wuscrub mounted could not be unmounted; it is still mounted at `mountPoint`.
    case unmountFailed(device: String, mountPoint: String, reason: String)

    public var description: String {
        switch self {
        case let .rootUnusable(path, errno):
            return "cannot use '\(path)' as the Windows partition's mount root: \(errno.description). Mount the partition and pass its mount point."
        case let .notWindows(root, lookedFor):
            return "no Windows installation under '\(root)': looked for \(lookedFor). Pass the mount point of the Windows system partition (the one holding the Windows folder)."
        case let .ambiguous(directory, names):
            return "'\(directory)' holds entries that differ only by case: \(names.map { "'\($0)'" }.joined(separator: " and ")). Windows cannot tell them apart; remove or rename the stray one by hand, then run again."
        case let .symlink(path):
            return "'\(path)' is a symbolic link or junction; wuscrub never follows links. Check the installation by hand."
        case let .wrongType(path, expected, found):
            return "'\(path)' is \(found), not \(expected). wuscrub opens only regular files and folders on the Windows volume; check the installation by hand."
        case let .otherMount(path):
            return "'\(path)' is on another file system or mount than the Windows partition's root (something is mounted over it); wuscrub never crosses into another file system. Unmount it, then run again."
        case let .cannotList(path, errno):
            return "cannot list '\(path)': \(errno.description)."
        case let .readOnly(root):
            return "'\(root)' is mounted read-only (or refused a write); nothing was changed. ntfs-3g falls back to read-only when Windows is hibernated or its NTFS journal is dirty: boot Windows and shut it down fully (shutdown /s /t 0), then mount it read-write again (ntfs-3g cannot remount: umount \(root), then ntfs-3g DEVICE \(root); with the ntfs3 driver, mount -o remount,rw \(root))."
        case let .hibernated(path, reason):
            return "'\(path)' shows that Windows is hibernated: \(reason). Changes made offline are lost or corrupt the volume when Windows resumes; nothing was changed. Boot Windows and choose Restart (or run shutdown /s /t 0), or turn Fast Startup off (powercfg /h off), then run wuscrub again."
        case let .notNTFS(device, found):
            return "'\(device)' is not an NTFS volume (its boot sector names '\(found)', not 'NTFS'). Pass the Windows partition, for example /dev/sdb3, not the whole disk."
        case let .bitLocker(device):
            return "'\(device)' is encrypted with BitLocker; nothing was changed. Unlock it first (for example with dislocker, using the recovery key), then run wuscrub on the unlocked volume."
        case let .mountFailed(device, reason):
            return "cannot mount '\(device)': \(reason). Nothing was changed."
        case let .deviceReadOnly(device, hibernated):
            let cause = hibernated
                ? "its hiberfil.sys shows that Windows is hibernated (or was shut down with Fast Startup)"
                : "Windows is hibernated on it, or its NTFS journal is dirty (Windows was not shut down cleanly)"
            return "ntfs-3g would mount '\(device)' only read-only: \(cause). Nothing was changed and it was unmounted again. " +
                "Boot Windows and shut it down fully (shutdown /s /t 0, or turn Fast Startup off with powercfg /h off), then run wuscrub again. " +
                "If Windows cannot be booted: for a dirty journal without hibernation, 'ntfsfix \(device)' resets it; " +
                "'ntfs-3g -o remove_hiberfile \(device) DIR' then 'wuscrub reset DIR' works only by deleting the hibernated Windows session, with any unsaved work in it."
        case let .unmountFailed(device, mountPoint, reason):
            return "could not unmount '\(device)' from '\(mountPoint)': \(reason). It is still mounted there; close what uses it, then run 'umount \(mountPoint)' and 'rmdir \(mountPoint)'."
        case let .locked(path):
            return "another wuscrub is working on this installation (lock '\(path)' is held); nothing was changed. Wait for it to finish, then run again."
        }
    }
}
