import SystemPackage

/// A failure while locating or checking a Windows installation under a mount root.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mount root itself cannot be used.
    case rootUnusable(path: String, errno: Errno)
    /// No Windows installation was found.
    case notWindows(root: String, lookedFor: String)
    /// Two entries differ only by case.
    case ambiguous(directory: String, names: [String])
    /// A path component is a symbolic link (never followed).
    case symlink(path: String)
    /// A path component has the wrong type.
    case wrongType(path: String, expected: String)
    /// A directory could not be listed.
    case cannotList(path: String, errno: Errno)
    /// The file system is mounted read-only.
    case readOnly(root: String)

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
        case let .wrongType(path, expected):
            return "'\(path)' is not \(expected). Check the installation by hand."
        case let .cannotList(path, errno):
            return "cannot list '\(path)': \(errno.description)."
        case let .readOnly(root):
            return "'\(root)' is mounted read-only; nothing was changed. If Windows was hibernated or its NTFS journal is dirty, boot Windows and shut it down fully (shutdown /s /t 0), or remount read-write: mount -o remount,rw \(root)"
        }
    }
}
