#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPosixShims
import SystemPackage

/// Runs a system call until it stops failing with `EINTR`.
///
/// - Parameter body: The call; it returns -1 and sets `errno` on failure.
/// - Returns: The call's result, or the `Errno` it failed with.
@inline(__always)
package func valueOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<I, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let code = Errno(rawValue: errno)
        if retryOnInterrupt && code == .interrupted { continue }
        return .failure(code)
    }
}

/// Runs a system call that returns 0 on success until it stops failing with `EINTR`.
@inline(__always)
package func nothingOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
}

/// Thin wrappers over the descriptor-relative calls the purge needs, in the style of swift-system:
/// each returns `Result<_, Errno>` and retries `EINTR` through `valueOrErrno`.
package enum Syscall {
    /// Opens a path relative to the working directory.
    ///
    /// - Parameters:
    ///   - path: The path to open.
    ///   - flags: `O_*` flags.
    /// - Returns: The new descriptor, or the `Errno` it failed with.
    ///
    /// The corresponding C function is `open`.
    package static func open(_ path: String, _ flags: CInt) -> Result<CInt, Errno> {
        valueOrErrno { Glibc.open(path, flags) }
    }

    /// Opens a name relative to a directory descriptor.
    ///
    /// - Parameters:
    ///   - name: One name inside the directory.
    ///   - directory: The directory's descriptor.
    ///   - flags: `O_*` flags.
    /// - Returns: The new descriptor, or the `Errno` it failed with.
    ///
    /// The corresponding C function is `openat`.
    package static func open(_ name: UnsafePointer<CChar>, in directory: CInt, _ flags: CInt) -> Result<CInt, Errno> {
        valueOrErrno { openat(directory, name, flags) }
    }

    /// Removes a name from a directory; a symbolic link is removed, never followed.
    ///
    /// - Parameters:
    ///   - name: One name inside the directory.
    ///   - directory: The directory's descriptor.
    ///   - flags: 0, or `AT_REMOVEDIR` for an empty directory.
    /// - Returns: Nothing, or the `Errno` it failed with.
    ///
    /// The corresponding C function is `unlinkat`.
    package static func unlink(_ name: UnsafePointer<CChar>, in directory: CInt, flags: CInt) -> Result<Void, Errno> {
        nothingOrErrno { unlinkat(directory, name, flags) }
    }

    /// Moves an entry to another directory of the same file system, never replacing an entry there
    /// and never following a link (a link is moved as the link).
    ///
    /// - Returns: Nothing, or the `Errno` it failed with (`EEXIST` when the target name exists,
    ///   `EXDEV` across file systems).
    ///
    /// The corresponding C function is `renameat2` with `RENAME_NOREPLACE` (`wuscrub_move_noreplace`).
    package static func move(_ name: UnsafePointer<CChar>, from source: CInt, to target: CInt) -> Result<Void, Errno> {
        nothingOrErrno { wuscrub_move_noreplace(source, name, target, name) }
    }

    /// An entry's extended attribute, read without following a link: at most `size` bytes.
    ///
    /// The entry is reached as `/proc/self/fd/<directory>/<name>` — through the folder's own
    /// descriptor, never a path from the volume — since there is no `lgetxattr` relative to a
    /// descriptor before Linux 6.13.
    /// - Returns: The value, or the `Errno` it failed with (`ENODATA`: no such attribute).
    package static func attribute(_ attribute: String, of name: [UInt8], in directory: CInt, size: Int) -> Result<[UInt8], Errno> {
        var value = [UInt8](repeating: 0, count: size)
        let read = entryPath(name, in: directory).withUnsafeBufferPointer { path in
            value.withUnsafeMutableBytes { lgetxattr(path.baseAddress, attribute, $0.baseAddress, $0.count) }
        }
        guard read >= 0 else { return .failure(Errno(rawValue: Glibc.errno)) }
        return .success(Array(value[..<read]))
    }

    /// Sets an entry's extended attribute without following a link (reached as `attribute` reads it).
    package static func setAttribute(_ attribute: String, of name: [UInt8], in directory: CInt, to value: [UInt8]) -> Result<Void, Errno> {
        entryPath(name, in: directory).withUnsafeBufferPointer { path in
            value.withUnsafeBytes { bytes in nothingOrErrno { lsetxattr(path.baseAddress, attribute, bytes.baseAddress, bytes.count, 0) } }
        }
    }

    private static func entryPath(_ name: [UInt8], in directory: CInt) -> [CChar] {
        (Array("/proc/self/fd/\(directory)/".utf8) + name + [0]).map { CChar(bitPattern: $0) }
    }

    /// Turns a directory descriptor into a stream; on success the stream owns the descriptor.
    ///
    /// - Parameter descriptor: An open directory descriptor.
    /// - Returns: The stream, or the `Errno` it failed with (the descriptor is then still open).
    ///
    /// The corresponding C function is `fdopendir`.
    package static func openStream(_ descriptor: CInt) -> Result<OpaquePointer, Errno> {
        guard let stream = fdopendir(descriptor) else { return .failure(Errno(rawValue: Glibc.errno)) }
        return .success(stream)
    }

    /// One entry read from a directory stream.
    package struct DirectoryEntry {
        /// The NUL-terminated name, valid until the next read on the stream.
        package let name: UnsafePointer<CChar>
        /// The type the directory announces (`DT_REG`, `DT_DIR`, `DT_LNK`..., or `DT_UNKNOWN`):
        /// a hint, never proof — the entry may have been replaced since, and a file system may lie.
        package let type: UInt8
    }

    /// Reads the next entry: its name and announced type.
    ///
    /// - Parameter stream: An open directory stream.
    /// - Returns: The entry; nil at the end; or the `Errno` reading failed with.
    ///
    /// The corresponding C function is `readdir`.
    package static func readEntry(_ stream: OpaquePointer) -> Result<DirectoryEntry?, Errno> {
        Glibc.errno = 0
        guard let entry = readdir(stream) else {
            let code = Glibc.errno
            return code == 0 ? .success(nil) : .failure(Errno(rawValue: code))
        }
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let name = UnsafeRawPointer(entry).advanced(by: offset).assumingMemoryBound(to: CChar.self)
        return .success(DirectoryEntry(name: name, type: entry.pointee.d_type))
    }

    /// Starts reading a directory stream from its beginning again.
    ///
    /// - Parameter stream: An open directory stream.
    ///
    /// The corresponding C function is `rewinddir`.
    package static func rewind(_ stream: OpaquePointer) {
        rewinddir(stream)
    }

    /// Whether a directory stream holds nothing but `.` and `..`, reading it from the beginning.
    ///
    /// - Parameter stream: An open directory stream.
    /// - Returns: false also when reading fails.
    package static func isEmpty(_ stream: OpaquePointer) -> Bool {
        rewinddir(stream)
        while true {
            switch readEntry(stream) {
            case .success(nil): return true
            case .success(let entry?):
                if isDotOrDotDot(entry.name) { continue }
                return false
            case .failure: return false
            }
        }
    }

    /// Whether a directory entry's name is `.` or `..`.
    ///
    /// - Parameter name: A NUL-terminated name from `readEntry(_:)`.
    /// - Returns: true for the two entries that are never removed.
    package static func isDotOrDotDot(_ name: UnsafePointer<CChar>) -> Bool {
        name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0))
    }

    /// Closes a directory stream and its descriptor.
    ///
    /// - Parameter stream: An open directory stream.
    ///
    /// The corresponding C function is `closedir`.
    package static func closeStream(_ stream: OpaquePointer) {
        _ = closedir(stream)
    }

    /// The mount id `identity` (one `statx` of `descriptor`) carries, or, on kernels before 5.8
    /// whose `statx` has none, the one `/proc/self/fdinfo` shows: no second call where one did.
    package static func mountID(of descriptor: CInt, identity: FileIdentity) -> Result<Int, Errno> {
        if let id = identity.mountID { return .success(Int(truncatingIfNeeded: id)) }
        return mountID(of: descriptor)
    }

    /// The id of the mount an open descriptor belongs to: from `statx(STATX_MNT_ID)`, or as the
    /// kernel shows it in `/proc/self/fdinfo` where statx does not report it.
    ///
    /// Unlike `st_dev`, the mount id tells a bind mount of the same filesystem from the filesystem itself.
    /// - Parameter descriptor: An open descriptor.
    /// - Returns: The `mnt_id`, or the `Errno` reading it failed with (`ENODATA` when the line is missing).
    package static func mountID(of descriptor: CInt) -> Result<Int, Errno> {
        // One statx call where the kernel reports the mount id (Linux 5.8 and later); else /proc.
        if case .success(let identity) = FileIdentity.of(descriptor: descriptor), let id = identity.mountID,
           let value = Int(exactly: id) {
            return .success(value)
        }
        let info: CInt
        switch open("/proc/self/fdinfo/\(descriptor)", O_RDONLY | O_CLOEXEC) {
        case .success(let value): info = value
        case .failure(let errno): return .failure(errno)
        }
        defer { _ = close(info) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var count = 0
        reading: while count < buffer.count {
            let read = buffer.withUnsafeMutableBytes { bytes in
                valueOrErrno { Glibc.read(info, bytes.baseAddress! + count, bytes.count - count) }
            }
            switch read {
            case .success(0): break reading
            case .success(let n): count += n
            case .failure(let errno): return .failure(errno)
            }
        }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("mnt_id:") {
            if let value = Int(line.dropFirst("mnt_id:".count).drop(while: { $0 == " " || $0 == "\t" })) {
                return .success(value)
            }
        }
        return .failure(.noData)
    }

    /// The type of the file system an open descriptor is on (`f_type`: `FUSE_SUPER_MAGIC`,
    /// `EXT4_SUPER_MAGIC`...).
    ///
    /// The corresponding C function is `fstatfs`.
    package static func fileSystemType(of descriptor: CInt) -> Result<UInt, Errno> {
        var info = statfs()
        return nothingOrErrno { fstatfs(descriptor, &info) }.map { UInt(bitPattern: Int(info.f_type)) }
    }

    /// `FUSE_SUPER_MAGIC`: ntfs-3g and every other FUSE file system.
    package static let fuseMagic: UInt = 0x6573_5546
}
