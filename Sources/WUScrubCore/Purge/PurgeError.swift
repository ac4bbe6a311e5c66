import SystemPackage

/// Why a purge refused to start.
///
/// Every case is raised before anything is deleted: it means the folder to empty could not be
/// reached safely. Paths are shown as given: the mount root joined with the components walked
/// so far (for example `/mnt/win/Windows/SoftwareDistribution/Download`). Failures met while
/// emptying the folder are not errors; they are listed in `PurgeReport`.
public enum PurgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No folder below the mount root was given, so the whole mount root would be emptied.
    case noFolder(root: String)
    /// A component is not a single plain name (empty, `.`, `..`, or containing `/` or NUL).
    case invalidComponent(String)
    /// The mount root or a component does not exist.
    case missing(String)
    /// The mount root or a component exists but is not a directory.
    case notADirectory(String)
    /// A component is a symbolic link; it is never followed.
    case isSymlink(String)
    /// A component lies on another filesystem or mount than the mount root.
    case otherFilesystem(String)
    /// A component changed between being inspected and being opened.
    case replaced(String)
    /// The mount root or a component could not be opened.
    case cannotOpen(String, Errno)
    /// The mount root or a component could not be inspected (`stat`).
    case cannotStat(String, Errno)

    /// The path the error is about.
    public var path: String {
        switch self {
        case .noFolder(let path), .invalidComponent(let path), .missing(let path),
             .notADirectory(let path), .isSymlink(let path), .otherFilesystem(let path),
             .replaced(let path), .cannotOpen(let path, _), .cannotStat(let path, _):
            return path
        }
    }

    /// A sentence saying what failed, on which path, and what to do next.
    public var description: String {
        switch self {
        case .noFolder(let root):
            return "refusing to purge: no folder below the mount root '\(root)' was given, "
                + "and the mount root itself is never emptied. Name the folder to empty, "
                + "such as Windows/SoftwareDistribution/Download."
        case .invalidComponent(let component):
            return "refusing to purge: '\(component)' is not a single folder name "
                + "(it is empty, '.', '..', or contains '/' or a NUL byte). "
                + "Pass each folder name separately, exactly as it is spelled on disk."
        case .missing(let path):
            return "cannot purge '\(path)': it does not exist. "
                + "Check that the Windows partition is mounted there and that the name is spelled exactly as on disk."
        case .notADirectory(let path):
            return "cannot purge '\(path)': it is not a directory. Nothing was deleted; "
                + "inspect it (ls -l) and make sure the right partition is mounted."
        case .isSymlink(let path):
            return "refusing to purge '\(path)': it is a symbolic link, and links are never followed. "
                + "Nothing was deleted; a genuine Windows installation has a real folder here, "
                + "so inspect the link (ls -l) and replace it by hand if it is unexpected."
        case .otherFilesystem(let path):
            return "refusing to purge '\(path)': it is on another filesystem or mount than the mount root. "
                + "Nothing was deleted; unmount what is mounted there, or give the partition's own mount point as the root."
        case .replaced(let path):
            return "refusing to purge '\(path)': it changed while it was being checked. "
                + "Nothing was deleted; make sure nothing else is modifying the partition and try again."
        case .cannotOpen(let path, let errno):
            return "cannot open '\(path)': \(errno.description). Nothing was deleted; "
                + "run as root and check that the partition is mounted read-write."
        case .cannotStat(let path, let errno):
            return "cannot inspect '\(path)': \(errno.description). Nothing was deleted; "
                + "run as root and check that the partition is mounted and readable."
        }
    }
}
