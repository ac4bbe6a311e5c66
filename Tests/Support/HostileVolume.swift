#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WUScrubCore

// Helpers for the `hostile volume` suite: the Windows volume is attacker-controlled, and these
// build what an attacker can put on it (device nodes, FIFOs, sockets, links out of the volume,
// sparse giants) and the victims outside it whose bytes must never change.

// MARK: - Running the binary, bounded

/// Runs the built `wuscrub` under `timeout` (exit 124: it hung) and `prlimit --as` (a runaway
/// read cannot take the machine's memory), with its output in files (no pipe can fill up).
public enum HostileRunner {
    /// Seconds before `timeout` stops a run (124). `WUSCRUB_HOSTILE_TIMEOUT` overrides the 60 s.
    public static var timeoutSeconds: Int {
        ProcessInfo.processInfo.environment["WUSCRUB_HOSTILE_TIMEOUT"].flatMap(Int.init) ?? 60
    }

    /// The address-space limit every hostile run gets (bytes). A normal debug-build reset passes
    /// with 128 MiB and fails to start with 64 MiB (measured on the 2-core development machine);
    /// 1 GiB leaves a wide margin (`HostileVolumeTests.normalRunUnderTheLimit` checks it), and a
    /// tool that reads a 5 GiB or 100 GiB file (or /dev/zero) into memory cannot pass it.
    public static let addressSpaceLimit: UInt64 = 1 << 30

    public struct Result: Sendable {
        public let arguments: [String]
        /// The exit status, 128 + the signal when a signal ended it; 124 when `timeout` stopped it.
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// `timeout` stopped it: 124 after SIGTERM, 137 when it had to SIGKILL it 5 s later.
        public var hung: Bool { status == 124 || status == 137 }
    }

    /// Runs `wuscrub arguments` with `environment` added, standard input /dev/null (never a terminal).
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           addressSpace: UInt64? = addressSpaceLimit, timeout: Int? = nil) throws -> Result {
        var command = ["/usr/bin/timeout", "-k", "5", String(timeout ?? timeoutSeconds)]
        if let addressSpace { command += ["/usr/bin/prlimit", "--as=\(addressSpace)", "--"] }
        command += [Repository.binary] + arguments
        let files = NSTemporaryDirectory() + "wuscrub-hostile-out-\(UUID().uuidString.prefix(8))"
        defer {
            unlink(files + ".out")
            unlink(files + ".err")
        }
        // posix_spawn with default signal dispositions and an empty mask: the test runner blocks or
        // ignores some signals, and a child would inherit that (a SIGTERM would then do nothing).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, files + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, files + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        Spawn.defaultSignalAttributes(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        var envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer {
            envp.forEach { free($0) }
            argv.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, &argv, &envp)
        guard spawned == 0 else { throw Shell.Failed(command: command.joined(separator: " "), status: spawned, output: "posix_spawn failed") }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        func text(_ path: String) -> String {
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data(), as: UTF8.self)
        }
        return Result(arguments: arguments, status: status, stdout: text(files + ".out"), stderr: text(files + ".err"))
    }
}

// MARK: - What a tree holds, safely

/// A snapshot of a tree that never opens anything but small regular files: type, size, content
/// hash (regular files up to 64 MiB), allocated blocks and mtime (larger files: sparse giants are
/// not read), device numbers, link targets. Directory mtimes are left out (a write probe that
/// creates and removes a file changes them without changing anything).
public struct HostileSnapshot: Equatable, CustomStringConvertible, Sendable {
    public var entries: [String: String]

    public static let hashLimit: Int64 = 64 << 20

    public init(_ root: String) {
        entries = [:]
        walk(root, relative: "")
    }

    /// Chosen entries of a snapshot (to compare all but some).
    public init(entries: [String: String]) { self.entries = entries }

    private mutating func walk(_ path: String, relative: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let key = relative.isEmpty ? "." : relative
        let mode = String(info.st_mode & 0o7777, radix: 8)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            entries[key] = "dir \(mode)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                walk(path + "/" + name, relative: relative.isEmpty ? name : relative + "/" + name)
            }
        case S_IFLNK:
            entries[key] = "link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFREG:
            if info.st_size <= Self.hashLimit {
                entries[key] = "file \(mode) \(info.st_size) " + ((try? FileIO.sha256(ofFile: path)) ?? "unreadable")
            } else {
                entries[key] = "file \(mode) \(info.st_size) blocks \(info.st_blocks) mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            }
        case S_IFBLK: entries[key] = "block \(mode) \(info.st_rdev)"
        case S_IFCHR: entries[key] = "char \(mode) \(info.st_rdev)"
        case S_IFIFO: entries[key] = "fifo \(mode)"
        case S_IFSOCK: entries[key] = "socket \(mode)"
        default: entries[key] = "other"
        }
    }

    /// The entries that differ between two snapshots, for a readable failure message.
    public func difference(from other: HostileSnapshot) -> String {
        let keys = Set(entries.keys).union(other.entries.keys).sorted()
        return keys.compactMap { key in
            let before = other.entries[key], after = entries[key]
            guard before != after else { return nil }
            return "\(key): \(before ?? "absent") → \(after ?? "absent")"
        }.joined(separator: "\n")
    }

    public var description: String { entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") }
}

// MARK: - Victims outside the volume

/// Files, a folder and a loop-attached image outside the volume: what a tool that followed a
/// planted link or opened a planted device node would read or destroy.
///
/// Call `close()` in a `defer`: it detaches the loop device whatever happens.
public final class Victims: @unchecked Sendable {
    /// The folder holding every victim (outside any ROOT).
    public let directory: String
    /// A file of pattern bytes.
    public let file: String
    /// A folder with files in it.
    public let folder: String
    /// A copy of a valid SYSTEM hive (tempting to a tool that follows a link to it).
    public let hiveCopy: String
    /// The image file behind the loop device.
    public let image: String
    /// `/dev/loopN`, once `attachLoop()` ran.
    public private(set) var loopDevice: String?

    /// Creates the victims in `directory` (which must not be inside a ROOT); `hive` is copied as `hiveCopy`.
    public init(in directory: String, hive: String? = nil) throws {
        self.directory = directory
        file = directory + "/precious.bin"
        folder = directory + "/folder"
        hiveCopy = directory + "/SYSTEM-victim"
        image = directory + "/victim.img"
        try FileManager.default.createDirectory(atPath: folder + "/nested", withIntermediateDirectories: true)
        try Data(Self.pattern(5000, seed: 1)).write(to: URL(fileURLWithPath: file))
        try Data(Self.pattern(700, seed: 2)).write(to: URL(fileURLWithPath: folder + "/a.bin"))
        try Data(Self.pattern(300, seed: 3)).write(to: URL(fileURLWithPath: folder + "/nested/b.bin"))
        try Data(Self.pattern(1 << 20, seed: 4)).write(to: URL(fileURLWithPath: image))
        if let hive {
            try FileManager.default.copyItem(atPath: hive, toPath: hiveCopy)
        } else {
            try Data(Self.pattern(8192, seed: 5)).write(to: URL(fileURLWithPath: hiveCopy))
        }
    }

    /// Deterministic non-zero bytes.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = 0x9E37_79B9_7F4A_7C15 &* (seed + 1)
        return (0..<count).map { _ in
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56) | 1
        }
    }

    /// Attaches the image to a free loop device (`losetup -f --show`).
    @discardableResult
    public func attachLoop() throws -> String {
        if let loopDevice { return loopDevice }
        let device = try Shell.run("/usr/sbin/losetup", ["-f", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard device.hasPrefix("/dev/loop") else { throw Shell.Failed(command: "losetup -f --show", status: -1, output: device) }
        loopDevice = device
        return device
    }

    /// Detaches the loop device; safe to call more than once.
    public func close() {
        if let loopDevice { _ = try? Shell.capture("/usr/sbin/losetup", ["-d", loopDevice]) }
        loopDevice = nil
    }

    deinit { close() }

    /// The loop device's device number (for `mknod`).
    public var loopDeviceNumber: dev_t? {
        guard let loopDevice else { return nil }
        var info = stat()
        guard stat(loopDevice, &info) == 0 else { return nil }
        return info.st_rdev
    }

    /// Flushes the loop device's buffers to the image (and drops its cache, so later reads count).
    public func flushLoop() {
        guard let loopDevice else { return }
        _ = try? Shell.capture("/usr/sbin/blockdev", ["--flushbufs", loopDevice])
    }

    /// Read requests the loop device has completed (`/sys/block/loopN/stat`, first field).
    public func loopReads() -> Int? {
        guard let loopDevice else { return nil }
        let name = (loopDevice as NSString).lastPathComponent
        guard let text = try? String(contentsOfFile: "/sys/block/\(name)/stat", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Int($0) }
    }

    /// Every victim's bytes (files hashed, the image and, if attached, the device read in full).
    public func fingerprint() -> [String: String] {
        flushLoop()
        var result = HostileSnapshot(directory).entries
        if let loopDevice {
            result["<\(loopDevice)>"] = (try? Self.sha256(ofDevice: loopDevice)) ?? "unreadable"
            flushLoop()
        }
        return result
    }

    static func sha256(ofDevice path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        return FileIO.sha256(try handle.readToEnd() ?? Data())
    }

    // A read of a victim file updates its atime once it is older than a day (relatime): set every
    // victim's atime far in the past, then any read shows.

    /// Puts every victim file's access time in 2001.
    public func armReadDetector() {
        for path in victimFiles() {
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2 /* UTIME_OMIT */)]
            _ = utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// The victim files read since `armReadDetector()` (their access time moved).
    public func filesRead() -> [String] {
        victimFiles().filter { path in
            var info = stat()
            return lstat(path, &info) == 0 && info.st_atim.tv_sec != 1_000_000_000
        }
    }

    /// The regular files below `directory`, found with lstat only (listing reads no file).
    private func victimFiles() -> [String] {
        var files: [String] = []
        func walk(_ path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { walk(path + "/" + name) }
            case S_IFREG:
                files.append(path)
            default:
                break
            }
        }
        walk(directory)
        return files
    }
}

// MARK: - Planting hostile entries

/// What can be put at a path on the volume.
public enum Plant: String, CaseIterable, Sendable, CustomStringConvertible {
    case blockDevice = "block device"
    case nullDevice = "character device (1,3)"
    case zeroDevice = "character device (1,5)"
    case fifo = "FIFO"
    case socket = "socket"
    case directory = "directory"
    case regularFile = "regular file"
    case relativeLink = "relative symbolic link"
    case absoluteLink = "absolute symbolic link"

    public var description: String { rawValue }

    /// The words wuscrub's refusal must use for this type.
    public var refusalWords: String {
        switch self {
        case .blockDevice: "is a block device"
        case .nullDevice, .zeroDevice: "is a character device"
        case .fifo: "is a FIFO"
        case .socket: "is a socket"
        case .directory: "is a directory"
        case .regularFile: "is not a directory"
        case .relativeLink, .absoluteLink: "is a symbolic link"
        }
    }

    public var isLink: Bool { self == .relativeLink || self == .absoluteLink }

    /// The kinds that are wrong where a regular file is expected.
    public static let insteadOfFile: [Plant] = [.blockDevice, .nullDevice, .zeroDevice, .fifo, .socket, .directory, .relativeLink, .absoluteLink]
    /// The kinds that are wrong where a directory is expected.
    public static let insteadOfDirectory: [Plant] = [.regularFile, .blockDevice, .nullDevice, .fifo, .socket, .relativeLink, .absoluteLink]

    /// Replaces whatever is at `path` (never following a link) with this kind of entry.
    ///
    /// - Parameters:
    ///   - victims: Where links point and which loop device a block node names.
    ///   - linkTarget: The victim (absolute path) a link points to; relative links reach it with `..`.
    public func put(at path: String, victims: Victims, linkTarget: String? = nil) throws {
        try HostilePaths.remove(path)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        switch self {
        case .blockDevice:
            try victims.attachLoop()
            guard let number = victims.loopDeviceNumber else { throw HostilePaths.Failure("no loop device number") }
            try HostilePaths.check(mknod(path, S_IFBLK | 0o644, number), "mknod b \(path)")
        case .nullDevice: try HostilePaths.check(mknod(path, S_IFCHR | 0o666, try HostilePaths.deviceNumber("/dev/null")), "mknod c \(path)")
        case .zeroDevice: try HostilePaths.check(mknod(path, S_IFCHR | 0o666, try HostilePaths.deviceNumber("/dev/zero")), "mknod c \(path)")
        case .fifo: try HostilePaths.check(mkfifo(path, 0o644), "mkfifo \(path)")
        case .socket: try HostilePaths.makeSocket(at: path)
        case .directory:
            try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        case .regularFile:
            try Data(Victims.pattern(512, seed: 9)).write(to: URL(fileURLWithPath: path))
        case .relativeLink, .absoluteLink:
            let target = linkTarget ?? victims.file
            let text = self == .absoluteLink ? target : HostilePaths.relative(from: (path as NSString).deletingLastPathComponent, to: target)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: text)
        }
    }
}

/// Path and file-system helpers for the hostile suite.
public enum HostilePaths {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw Failure("\(what): \(String(cString: strerror(errno)))") }
    }

    /// The device number of an existing node.
    public static func deviceNumber(_ path: String) throws -> dev_t {
        var info = stat()
        try check(stat(path, &info), "stat \(path)")
        return info.st_rdev
    }

    /// Removes a file, node, link or whole folder (never following links); nothing if absent.
    public static func remove(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try FileManager.default.removeItem(atPath: path)
        } else {
            try check(unlink(path), "unlink \(path)")
        }
    }

    /// `target` (absolute) as seen from the folder `directory` (absolute): `../../x/y`.
    public static func relative(from directory: String, to target: String) -> String {
        let from = directory.split(separator: "/").map(String.init)
        let to = target.split(separator: "/").map(String.init)
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        return (Array(repeating: "..", count: from.count - common) + to[common...]).joined(separator: "/")
    }

    /// Binds a Unix socket at a short path, closes it, and moves the socket file to `path`
    /// (`sun_path` holds 108 bytes; test paths are longer). Across file systems: `mknod S_IFSOCK`.
    public static func makeSocket(at path: String) throws {
        let short = "/tmp/whs-\(UUID().uuidString.prefix(8))"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(short.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try check(bound, "bind \(short)")
        if rename(short, path) != 0 {
            let saved = errno
            unlink(short)
            guard saved == EXDEV else { throw Failure("rename socket to \(path): \(String(cString: strerror(saved)))") }
            try check(mknod(path, S_IFSOCK | 0o755, 0), "mknod s \(path)")
        }
    }

    /// Makes (or extends) a sparse file of `size` bytes.
    public static func makeSparse(_ path: String, size: Int64) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        try check(truncate(path, off_t(size)), "truncate \(path)")
    }

    /// The `lstat` type of a path, in words ("absent" when there is nothing).
    public static func type(of path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "absent" }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return "file"
        case S_IFDIR: return "directory"
        case S_IFLNK: return "link"
        case S_IFBLK: return "block device"
        case S_IFCHR: return "character device"
        case S_IFIFO: return "FIFO"
        case S_IFSOCK: return "socket"
        default: return "other"
        }
    }

    /// Size of a regular file (lstat), nil otherwise.
    public static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
