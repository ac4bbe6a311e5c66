#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage
import VolumeAccess

/// The opened folder to empty, with the identity of the mount root it must stay on.
struct PurgeFolder {
    /// The folder's descriptor; the walk takes ownership.
    let descriptor: CInt
    /// The mount root's device, as `statx` reports it (`FileIdentity.device`).
    let device: UInt64
    /// The mount root's mount id, or nil when `/proc/self/fdinfo` cannot tell.
    let mountID: Int?

    /// Opens the mount root, then each component below it, checking each step.
    ///
    /// - Parameters:
    ///   - root: The mount root.
    ///   - components: The folder names to descend, at least one.
    /// - Returns: The last component, opened.
    /// - Throws: `PurgeError` for the first step that is missing, not a real directory, or off the root's mount.
    static func open(root: String, components: [String]) throws(PurgeError) -> PurgeFolder {
        guard !components.isEmpty else { throw .noFolder(root: root) }
        for component in components where !isPlainName(component) {
            throw .invalidComponent(component)
        }

        var current: CInt
        switch Syscall.open(root, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC) {
        case .success(let descriptor): current = descriptor
        case .failure(let errno) where errno == .noSuchFileOrDirectory: throw .missing(root)
        case .failure(let errno) where errno == .notDirectory: throw .notADirectory(root)
        case .failure(let errno): throw .cannotOpen(root, errno)
        }
        let rootIdentity: FileIdentity
        switch FileIdentity.of(descriptor: current) {
        case .success(let identity): rootIdentity = identity
        case .failure(let errno):
            _ = close(current)
            throw .cannotStat(root, errno)
        }
        let mountID = try? Syscall.mountID(of: current, identity: rootIdentity).get()

        var shown = root
        for component in components {
            shown = shown.hasSuffix("/") ? shown + component : shown + "/" + component
            let parent = current
            defer { _ = close(parent) }
            // `withCString` only rethrows untyped errors, so carry the outcome out as a `Result`.
            current = try component.withCString { name in
                Result { () throws(PurgeError) in
                    try descend(from: parent, into: name, shown: shown, device: rootIdentity.device, mountID: mountID)
                }
            }.get()
        }
        return PurgeFolder(descriptor: current, device: rootIdentity.device, mountID: mountID)
    }

    /// Opens one component below `parent` after checking it is a real directory on the root's mount.
    private static func descend(
        from parent: CInt, into name: UnsafePointer<CChar>, shown: String, device: UInt64, mountID: Int?
    ) throws(PurgeError) -> CInt {
        let info: FileIdentity
        switch FileIdentity.of(name: name, in: parent) {
        case .success(let value): info = value
        case .failure(let errno) where errno == .noSuchFileOrDirectory: throw .missing(shown)
        case .failure(let errno): throw .cannotStat(shown, errno)
        }
        switch info.kind {
        case .directory: break
        case .symbolicLink: throw .isSymlink(shown)
        default: throw .notADirectory(shown)
        }
        guard info.device == device else { throw .otherFilesystem(shown) }

        let child: CInt
        switch Syscall.open(name, in: parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) {
        case .success(let descriptor): child = descriptor
        case .failure(let errno) where errno == .noSuchFileOrDirectory: throw .missing(shown)
        // Linux reports a symlink opened with O_DIRECTORY | O_NOFOLLOW as ENOTDIR: it was replaced.
        case .failure(let errno) where errno == .notDirectory || errno == .tooManySymbolicLinkLevels:
            throw .replaced(shown)
        case .failure(let errno): throw .cannotOpen(shown, errno)
        }
        let opened: FileIdentity
        switch FileIdentity.of(descriptor: child) {
        case .success(let value): opened = value
        case .failure(let errno):
            _ = close(child)
            throw .cannotStat(shown, errno)
        }
        guard opened.isSameFile(as: info) else {
            _ = close(child)
            throw .replaced(shown)
        }
        if let mountID, (try? Syscall.mountID(of: child, identity: opened).get()) != mountID {
            _ = close(child)
            throw .otherFilesystem(shown)
        }
        return child
    }

    /// Whether a component is one name that `openat` resolves within its parent.
    private static func isPlainName(_ component: String) -> Bool {
        !component.isEmpty && component != "." && component != ".."
            && !component.utf8.contains(UInt8(ascii: "/")) && !component.utf8.contains(0)
    }
}

// MARK: - Emptying the folder
