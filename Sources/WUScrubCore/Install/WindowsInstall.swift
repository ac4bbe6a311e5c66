#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A Windows installation found under a mount root, with every path resolved to its on-disk case.
///
/// Paths are relative to the mount root and use `/`. On Linux, mounted NTFS is case-sensitive,
/// while Windows is not: each component is found by listing its directory case-insensitively.
public struct WindowsInstall: Sendable, Equatable, Encodable {
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
    /// - Throws: `InstallError.notWindows` when there is no `Windows/System32/config/SYSTEM`,
    ///   `.ambiguous` when two names differ only by case, `.symlink` for a link on the way.
    public static func locate(root: String) throws(InstallError) -> WindowsInstall {
        let top: VolumeDirectory
        do {
            top = try VolumeDirectory.openRoot(root)
        } catch {
            switch error {
            case .wrongKind(_, .symbolicLink, _): throw .symlink(path: root)
            case .wrongKind: throw .rootUnusable(path: root, errno: .notDirectory)
            case .io(let failure): throw .rootUnusable(path: root, errno: failure.errno)
            default: throw .rootUnusable(path: root, errno: .ioError)
            }
        }
        let lookedFor = "Windows (or WINDOWS, WINNT)/System32/config/SYSTEM, names matched without regard to case"
        for candidate in windowsFolderNames {
            guard let (windows, windowsFolder) = try descend(candidate, in: top, root: root) else { continue }
            guard let (system32, system32Folder) = try descend("System32", in: windowsFolder, root: root),
                  let (config, configFolder) = try descend("config", in: system32Folder, root: root),
                  let hive = try resolve("SYSTEM", in: configFolder, root: root, kind: .file)
            else { continue }
            _ = (system32, config)
            let logsFound = try descend("Logs", in: windowsFolder, root: root)
            let logs = logsFound?.0 ?? windows + "/Logs"
            let state = try logsFound.flatMap { found throws(InstallError) in try resolve("wuscrub", in: found.1, root: root, kind: .directory) } ?? logs + "/wuscrub"
            var install = WindowsInstall(root: root, windows: windows, systemHive: hive, stateDirectory: state)
            if let (distribution, distributionFolder) = try descend("SoftwareDistribution", in: windowsFolder, root: root) {
                install.softwareDistribution = distribution
                install.dataStore = try resolve("DataStore", in: distributionFolder, root: root, kind: .directory)
                install.download = try resolve("Download", in: distributionFolder, root: root, kind: .directory)
            }
            return install
        }
        throw .notWindows(root: root, lookedFor: lookedFor)
    }

    /// What a resolved component must be.
    enum Kind { case directory, file }

    /// Finds the one entry of `directory` whose name equals `name` without regard to case and
    /// checks that it is what is expected, without opening it.
    ///
    /// - Returns: The root-relative path of the entry, or nil when there is none.
    /// - Throws: `InstallError.ambiguous` for several matches, `.symlink`, `.wrongType`.
    static func resolve(_ name: String, in directory: VolumeDirectory, root: String, kind: Kind) throws(InstallError) -> String? {
        let matches = try entries(of: directory).filter { $0.lowercased() == name.lowercased() }
        guard !matches.isEmpty else { return nil }
        let relativeParent = directory.path.isEmpty ? "" : directory.path + "/"
        let listed = directory.path.isEmpty ? root : (root.hasSuffix("/") ? root : root + "/") + directory.path
        guard matches.count == 1 else {
            throw .ambiguous(directory: listed, names: matches.sorted().map { relativeParent + $0 })
        }
        let relative = relativeParent + matches[0]
        let full = (root.hasSuffix("/") ? root : root + "/") + relative
        let found: FileIdentity?
        do { found = try directory.entry(matches[0]) } catch { throw .cannotList(path: full, errno: .ioError) }
        guard let found else { return nil }
        switch found.kind {
        case .symbolicLink: throw .symlink(path: full)
        case .directory where kind == .directory, .regularFile where kind == .file: return relative
        default: throw .wrongType(path: full, expected: kind == .directory ? "a directory" : "a regular file", found: found.kind.withArticle)
        }
    }

    /// Resolves a folder and opens it through the volume layer (on the root's mount, not a link).
    static func descend(_ name: String, in directory: VolumeDirectory, root: String) throws(InstallError) -> (String, VolumeDirectory)? {
        guard let relative = try resolve(name, in: directory, root: root, kind: .directory) else { return nil }
        let full = (root.hasSuffix("/") ? root : root + "/") + relative
        do {
            guard let opened = try directory.subdirectory(String(relative.split(separator: "/").last!)) else { return nil }
            return (relative, opened)
        } catch {
            switch error {
            case .wrongKind(_, .symbolicLink, _): throw .symlink(path: full)
            case .wrongKind(_, let found, _): throw .wrongType(path: full, expected: "a directory", found: found.withArticle)
            case .otherMount: throw .otherMount(path: full)
            case .io(let failure): throw .cannotList(path: full, errno: failure.errno)
            default: throw .cannotList(path: full, errno: .resourceTemporarilyUnavailable)
            }
        }
    }

    /// The names in an opened directory.
    static func entries(of directory: VolumeDirectory) throws(InstallError) -> [String] {
        do { return try directory.names() } catch {
            if case .io(let failure) = error { throw .cannotList(path: failure.path, errno: failure.errno) }
            if case .tooManyEntries(let path, let limit) = error {
                throw .wrongType(path: path, expected: "a folder of a Windows installation", found: "a folder of more than \(limit) entries")
            }
            throw .cannotList(path: directory.shown, errno: .ioError)
        }
    }
}
