#if canImport(Glibc)
import Glibc
#endif

/// What `wuscrub updates` shows: the installed updates of an installation, read-only, from its
/// SOFTWARE hive in the hivex sandbox, and the servicing operations still pending
/// (docs/architecture.md §15).
public struct UpdatesReport: Sendable, Equatable, Encodable {
    /// The SOFTWARE hive, relative to the mount root.
    public var softwareHive: String
    /// `clean`, `dirty-recoverable (N log entries)` (read as its logs leave it, in memory), or
    /// `dirty-refused` (read as the file is, without its last changes: see `notes`).
    public var hiveState: String
    /// The updates, newest first (only those the filters keep).
    public var updates: [InstalledUpdate]
    /// How many updates were found before the filters.
    public var totalUpdates: Int
    /// The subkeys of `Component Based Servicing\Packages`.
    public var packageCount: Int
    /// Of those, the ones that are no update (features, language packs).
    public var otherPackages: Int
    /// Pending servicing operations (`RebootPending`, `PackagesPending`,
    /// `PendingFileRenameOperations`): a reset does not clear them.
    public var pending: [String]
    /// What could not be read, and listings cut at a bound.
    public var notes: [String]
    /// The filters applied (`--state`, `--kb`), when any.
    public var stateFilter: [String]?
    public var kbFilter: [String]?

    /// Keeps the updates in one of `states` (when given) and with one of `kbs` (when given;
    /// `KB123`, `kb123` and `123` name the same).
    public mutating func filter(states: [String], kbs: [String]) {
        let wantedKBs = Set(kbs.map(UpdatesReport.normalizedKB))
        if !states.isEmpty { stateFilter = states }
        if !kbs.isEmpty { kbFilter = wantedKBs.sorted() }
        updates = updates.filter { update in
            (states.isEmpty || states.contains(update.state)) && (kbs.isEmpty || update.kb.map(wantedKBs.contains) == true)
        }
    }

    /// `KB5005565` for `kb5005565`, `KB5005565` or `5005565`.
    public static func normalizedKB(_ text: String) -> String {
        let upper = text.uppercased()
        return upper.hasPrefix("KB") ? upper : "KB" + upper
    }

    /// Whether `text` names a KB (`KB` optional, then 4 to 8 digits).
    public static func isKB(_ text: String) -> Bool {
        let digits = normalizedKB(text).dropFirst(2)
        return (4...8).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension UpdatesReport {
    /// The keys read in the SOFTWARE hive.
    static let packagesKey = "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages"
    static let servicingKey = "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing"
    static let hotfixKey = "Microsoft\\Windows NT\\CurrentVersion\\Hotfix"
    static let uninstallKey = "Microsoft\\Windows\\CurrentVersion\\Uninstall"
    static let updatesKey = "Microsoft\\Updates"
    /// The servicing stack's markers of an operation waiting for a restart.
    static let servicingMarkers = ["RebootPending", "PackagesPending"]
    /// The SYSTEM hive's value of renames and deletions waiting for the next start.
    static let renameValues = ["PendingFileRenameOperations", "PendingFileRenameOperations2"]

    /// The one line `status` and the text output add after the markers.
    public static let pendingAdvice = "a reset does not clear a pending servicing operation: if Windows Update still fails after the reset, start Windows once so that it finishes (or, from WinRE, undo it with DISM /Image:C:\\ /Cleanup-Image /RevertPendingActions)."

    /// Reads the installed updates of an installation; nothing is written (docs/architecture.md §15.2).
    ///
    /// - Throws: `WUScrubError`: no SOFTWARE hive or one that cannot be read (its path and what
    ///   to do are in the message), a hive its parser cannot handle.
    public static func read(_ install: WindowsInstall) throws(WUScrubError) -> UpdatesReport {
        try WUScrubError.wrap {
            let volume = try InstallVolume(install)
            let software = try volume.readSoftwareHive()
            let listings = try HiveSandbox.readSubkeys(hive: software.image, path: software.path, queries: [
                SubkeyQuery(key: packagesKey, names: InstalledUpdate.packageValues),
                SubkeyQuery(key: servicingKey),
                SubkeyQuery(key: hotfixKey, names: InstalledUpdate.hotfixValues),
                SubkeyQuery(key: uninstallKey, names: InstalledUpdate.uninstallValues),
                SubkeyQuery(key: updatesKey, depth: 3, names: InstalledUpdate.updatesValues),
            ])
            var notes = software.notes
            if !listings[0].found { notes.append("the SOFTWARE hive has no key \(packagesKey): no servicing packages (Windows XP and 2003 have none)") }
            for (listing, key) in zip(listings, [packagesKey, servicingKey, hotfixKey, uninstallKey, updatesKey]) where listing.truncated {
                notes.append("\(key) holds more keys than wuscrub lists (\(SubkeyQuery.maximumRecords) in all, \(SubkeyQuery.maximumAnswerBytes >> 20) MiB of names and values): the list is cut after \(listing.records.count)")
            }
            let found = InstalledUpdate.collect(packages: listings[0].records, hotfix: listings[2].records,
                                                uninstall: listings[3].records, updates: listings[4].records)
            var pending = servicingMarkers(listings[1].records.map(\.name))
            do {
                pending += try volume.pendingRenames()
            } catch {
                notes.append("PendingFileRenameOperations was not read: \(error)")
            }
            return UpdatesReport(softwareHive: software.path, hiveState: software.state, updates: found.updates,
                                 totalUpdates: found.updates.count, packageCount: listings[0].records.count,
                                 otherPackages: found.otherPackages, pending: pending, notes: notes)
        }
    }

    /// The warnings for the servicing stack's markers among the subkeys of `Component Based Servicing`.
    static func servicingMarkers(_ subkeys: [String]) -> [String] {
        let present = Set(subkeys.map { $0.lowercased() })
        return servicingMarkers.filter { present.contains($0.lowercased()) }.map { marker in
            "Component Based Servicing\\\(marker) is present: " + (marker == "RebootPending"
                ? "an update's installation or removal waits for Windows to restart"
                : "servicing packages wait to be installed when Windows next starts")
        }
    }
}

/// A hive read for a look, never written: a dirty one as its logs leave it, in memory.
struct LookedAtHive {
    var image: HiveImage
    /// The hive's path relative to the mount root.
    var path: String
    /// `clean`, `dirty-recoverable (N log entries)` or `dirty-refused`.
    var state: String
    var notes: [String]
}

extension InstallVolume {
    /// The SOFTWARE hive (any case, in the SYSTEM hive's folder), read for a look.
    ///
    /// - Throws: `VolumeError.io` naming the path when there is none; what `look(at:)` throws.
    func readSoftwareHive() throws -> LookedAtHive {
        let config = try configDirectory()
        guard let relative = try WindowsInstall.resolve("SOFTWARE", in: config, root: install.root, kind: .file),
              let name = relative.split(separator: "/").last.map(String.init) else {
            throw VolumeError.io(FileIOError(operation: "find the SOFTWARE hive (the installed updates and the Windows version are in it) in",
                                             path: install.configDirectory, errno: .noSuchFileOrDirectory))
        }
        return try look(at: name, path: relative, what: "a SOFTWARE hive")
    }

    /// A hive of the config folder read once into a sealed in-memory file (bounded as the SYSTEM
    /// hive is), checked; when dirty, its logs are replayed in memory (docs/architecture.md §5)
    /// and the file and its logs are left as they are. Logs that cannot be replayed leave the
    /// hive as the file holds it, with a note.
    ///
    /// - Throws: `VolumeError` (not a regular file, too large), `HiveError` (not a hive, damaged).
    func look(at name: String, path: String, what: String) throws -> LookedAtHive {
        let config = try configDirectory()
        guard let file = try config.file(name) else {
            throw VolumeError.io(FileIOError(operation: "open", path: path, errno: .noSuchFileOrDirectory))
        }
        try file.checkSize(limit: InstallVolume.maximumHiveBytes, what: what)
        guard file.size >= UInt64(BaseBlock.size), try file.read(count: 4).elementsEqual("regf".utf8) else {
            throw HiveError.invalidBaseBlock(path: path, reason: "no 'regf' signature or fewer than 4096 bytes: it is not a registry hive")
        }
        let image = try HiveImage.read(file, limit: InstallVolume.maximumHiveBytes, what: what)
        let status = try HiveStatus(path: path, image: image)
        guard status.isDirty else { return LookedAtHive(image: image, path: path, state: "clean", notes: []) }
        try reserveReplayMemory(forHiveOf: image.size, path: path)
        let logs = try HiveRecovery.readLogs(forHive: name, in: config, limit: InstallVolume.maximumHiveBytes) { install.configDirectory + "/" + $0 }
        let analysis = HiveRecovery.analyze(hivePath: path, hive: image.bytes(), logs: logs)
        guard let recovered = analysis.recovered else {
            return LookedAtHive(image: image, path: path, state: analysis.state, notes: [
                "\(path) is dirty and its transaction logs cannot be replayed (\(analysis.refusal ?? "no applicable log")): it is read as the file holds it, without its last changes (wuscrub hive check \(path) says more)",
            ])
        }
        return LookedAtHive(image: try HiveImage(recovered, path: path), path: path, state: analysis.state, notes: [])
    }

    /// The warnings for `PendingFileRenameOperations` (and `…2`) in the current control set's
    /// `Control\Session Manager` of the SYSTEM hive, read for a look.
    func pendingRenames() throws -> [String] {
        let system = try look(at: hiveName, path: install.systemHive, what: "a SYSTEM hive")
        let current = try HiveSandbox.readValues(hive: system.image, path: system.path, key: "Select", names: ["Current"])
        guard let number = current[0].flatMap({ Int($0) }), (1...999).contains(number) else { return [] }
        let digits = String(number)
        let key = "ControlSet" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits + "\\Control\\Session Manager"
        let listing = try HiveSandbox.readSubkeys(hive: system.image, path: system.path,
                                                  queries: [SubkeyQuery(key: key, depth: 0, names: UpdatesReport.renameValues)])
        guard let values = listing.first?.records.first?.values else { return [] }
        return zip(UpdatesReport.renameValues, values).compactMap { name, value in
            guard let value, value.contains(where: { !$0.isNewline }) else { return nil }
            return "\(name) in \(key) (SYSTEM hive) is set: files wait to be replaced or removed when Windows next starts"
        }
    }
}
