#if canImport(Glibc)
import Glibc
#endif

/// What a directory entry is, by the type bits of its mode.
///
/// The Windows volume is untrusted: ntfs-3g stores symbolic links, FIFOs, sockets and device
/// nodes as well as files and folders, so every entry wuscrub opens is checked against the kind
/// it expects there (docs/architecture.md §7.1).
public enum EntryKind: String, Sendable, Equatable, Codable {
    case regularFile = "regular file"
    case directory
    case symbolicLink = "symbolic link"
    case blockDevice = "block device"
    case characterDevice = "character device"
    case fifo = "FIFO"
    case socket
    case unknown = "file of unknown type"

    /// The kind encoded in a `st_mode` / `stx_mode`.
    public init(mode: UInt32) {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): self = .regularFile
        case UInt32(S_IFDIR): self = .directory
        case UInt32(S_IFLNK): self = .symbolicLink
        case UInt32(S_IFBLK): self = .blockDevice
        case UInt32(S_IFCHR): self = .characterDevice
        case UInt32(S_IFIFO): self = .fifo
        case UInt32(S_IFSOCK): self = .socket
        default: self = .unknown
        }
    }

    /// The kind with its article, for sentences: "a block device", "an unknown …".
    public var withArticle: String {
        switch self {
        case .unknown: "a file of unknown type"
        default: "a " + rawValue
        }
    }
}
