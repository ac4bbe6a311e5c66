#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A Windows installation found under a mount root, with every path resolved to its on-disk case.
///
/// Paths are relative to the mount root and use `/`. On Linux, mounted NTFS is case-sensitive,
/// while Windows is not: each component is found by listing its directory case-insensitively.
public struct WindowsInstall: Sendable, Equatable, Codable {
    /// The mount root as given.
    public var root: String
    /// The Windows folder, for example `Windows` or `WINDOWS`.
    public var windows: String
    /// The SYSTEM hive, for example `Windows/System32/config/SYSTEM`.
    public var systemHive: String
    /// `Windows/SoftwareDistribution`, if present.
    public var softwareDistribution: String?
    /// `…/SoftwareDistribution/DataStore`, if present.
    public var dataStore: String?
    /// `…/SoftwareDistribution/Download`, if present.
    public var download: String?

    /// Names accepted for the Windows folder, in order of preference.
    public static let windowsFolderNames = ["Windows", "WINNT"]

    /// The absolute (or root-relative as given) path of a path relative to the root.
    public func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// The folder that holds wuscrub's journal, log and backups: `<Windows>/Logs/wuscrub`, with
    /// `Logs` and `wuscrub` in the case they already have on disk.
    public var stateDirectory: String

    /// The directory holding the SYSTEM hive and its logs.
    public var configDirectory: String { FileIO.parent(of: systemHive) }

    /// Finds the Windows installation under a mount root.
    ///
    /// - Parameter root: The mount point of the Windows partition (or a fixture tree).
    /// - Returns: The installation with resolved names.
    /// - Throws: `ImageError.notWindows` when there is no `Windows/System32/config/SYSTEM`,
    ///   `.ambiguous` when two names differ only by case, `.symlink` for a link on the way.
    public static func locate(root: String) throws(ImageError) -> WindowsInstall {
        var info = stat()
        guard lstat(root, &info) == 0 else { throw .rootUnusable(path: root, errno: Errno(rawValue: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            if (info.st_mode & S_IFMT) == S_IFLNK { throw .symlink(path: root) }
            throw .rootUnusable(path: root, errno: .notDirectory)
        }
        let lookedFor = "Windows (or WINDOWS, WINNT)/System32/config/SYSTEM, names matched without regard to case"
        for candidate in windowsFolderNames {
            guard let windows = try resolve(candidate, in: "", root: root, kind: .directory) else { continue }
            guard let system32 = try resolve("System32", in: windows, root: root, kind: .directory),
                  let config = try resolve("config", in: system32, root: root, kind: .directory),
                  let hive = try resolve("SYSTEM", in: config, root: root, kind: .file)
            else { continue }
            let logs = try resolve("Logs", in: windows, root: root, kind: .directory) ?? windows + "/Logs"
            let state = try resolve("wuscrub", in: logs, root: root, kind: .directory, mayBeMissing: true) ?? logs + "/wuscrub"
            var install = WindowsInstall(root: root, windows: windows, systemHive: hive, stateDirectory: state)
            if let distribution = try resolve("SoftwareDistribution", in: windows, root: root, kind: .directory) {
                install.softwareDistribution = distribution
                install.dataStore = try resolve("DataStore", in: distribution, root: root, kind: .directory)
                install.download = try resolve("Download", in: distribution, root: root, kind: .directory)
            }
            return install
        }
        throw .notWindows(root: root, lookedFor: lookedFor)
    }

    /// What a resolved component must be.
    enum Kind { case directory, file }

    /// Finds the one entry of `directory` whose name equals `name` without regard to case.
    ///
    /// - Returns: The root-relative path of the entry, or nil when there is none.
    /// - Throws: `ImageError.ambiguous` for several matches, `.symlink`, `.wrongType`.
    static func resolve(_ name: String, in directory: String, root: String, kind: Kind, mayBeMissing: Bool = false) throws(ImageError) -> String? {
        let listed = directory.isEmpty ? root : (root.hasSuffix("/") ? root : root + "/") + directory
        if mayBeMissing, !FileIO.exists(listed) { return nil }
        let matches = try entries(of: listed).filter { $0.lowercased() == name.lowercased() }
        guard !matches.isEmpty else { return nil }
        let relativeParent = directory.isEmpty ? "" : directory + "/"
        guard matches.count == 1 else {
            throw .ambiguous(directory: listed, names: matches.sorted().map { relativeParent + $0 })
        }
        let relative = relativeParent + matches[0]
        let full = (root.hasSuffix("/") ? root : root + "/") + relative
        var info = stat()
        guard lstat(full, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: throw .symlink(path: full)
        case S_IFDIR where kind == .directory, S_IFREG where kind == .file: return relative
        default: throw .wrongType(path: full, expected: kind == .directory ? "a directory" : "a regular file")
        }
    }

    /// The names in a directory.
    static func entries(of directory: String) throws(ImageError) -> [String] {
        do { return try FileIO.names(in: directory) } catch { throw .cannotList(path: directory, errno: error.errno) }
    }
}
