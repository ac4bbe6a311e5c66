import SystemPackage

/// A refusal or failure while reaching a file or folder on the Windows volume.
///
/// Paths are relative to the mount root (the root itself is shown as given).
public enum VolumeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An entry is not of the kind wuscrub expects there (a device node where a file should be).
    case wrongKind(path: String, found: EntryKind, expected: EntryKind)
    /// An entry belongs to another file system or mount than the mount root.
    case otherMount(path: String)
    /// A file has other names (hard links) elsewhere on its file system, which could be outside ROOT.
    case hardLinked(path: String, links: UInt64)
    /// An entry changed between the moment it was inspected and the moment it was opened.
    case replaced(path: String)
    /// A file is larger than wuscrub reads for what it is.
    case tooLarge(path: String, size: UInt64, limit: Int, what: String)
    /// A folder wuscrub lists holds more entries than any real one.
    case tooManyEntries(path: String, limit: Int)
    /// A name that is not one plain path component.
    case invalidName(path: String)
    /// A system call failed.
    case io(FileIOError)

    public var description: String {
        switch self {
        case let .wrongKind(path, .symbolicLink, expected):
            return "'\(path)' is a symbolic link (or junction), where \(expected.withArticle) was expected. wuscrub never follows links on the Windows volume; check the installation by hand."
        case let .wrongKind(path, found, .directory):
            return "'\(path)' is not a directory: it is \(found.withArticle). wuscrub reads and writes only regular files and folders on the Windows volume; inspect it and remove it by hand, then run again."
        case let .wrongKind(path, found, expected):
            return "'\(path)' is \(found.withArticle), not \(expected.withArticle). wuscrub reads and writes only regular files and folders on the Windows volume (a device node or FIFO there could reach this machine's disks or hang the run); inspect it and remove it by hand (rm removes the entry, not what it points to), then run again."
        case let .otherMount(path):
            return "'\(path)' is on another file system or mount than the Windows partition (something is mounted over it); wuscrub never crosses into another file system. Unmount it, then run again."
        case let .hardLinked(path, links):
            return "'\(path)' has \(links) hard links: the same file has other names, perhaps outside the Windows partition's root, and wuscrub reads and writes only files whose one name it knows. Inspect it by hand (a copy made with cp has one name), then run again."
        case let .replaced(path):
            return "'\(path)' changed while wuscrub was opening it (another program is modifying the volume). Stop it, then run again."
        case let .tooLarge(path, size, limit, what):
            return "'\(path)' is too large: it has \(size) bytes, more than the \(limit) bytes wuscrub reads for \(what); it is not what it should be. Inspect it by hand."
        case let .tooManyEntries(path, limit):
            return "'\(path)' holds more than \(limit) entries, far more than this folder holds on a real installation; wuscrub does not list it. Inspect it by hand."
        case let .invalidName(path):
            return "'\(path)' is not a plain file name."
        case let .io(error):
            return error.description
        }
    }

    /// Whether this refusal is about an unsafe volume (a wrong kind, another mount, a change
    /// during the run) rather than a failed read or write.
    public var isUnsafeVolume: Bool {
        switch self {
        case .wrongKind, .otherMount, .hardLinked, .replaced, .invalidName, .tooManyEntries: true
        case .tooLarge, .io: false
        }
    }
}
