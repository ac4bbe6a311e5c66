/// One installed update: a KB (or a servicing package without one), from the SOFTWARE hive's
/// servicing packages and legacy update keys (docs/architecture.md §15).
public struct InstalledUpdate: Sendable, Equatable, Encodable {
    /// `KB5005565`; nil for a package whose name and install location name no KB.
    public var kb: String?
    /// `update`, `rollup`, `servicing-stack`, `dotnet-rollup`, or `hotfix` (legacy keys only).
    public var kind: String
    /// The state `--state` matches: of the package that says most (failed and pending first,
    /// `ServicingState.weight`); `installed` for an update known only from legacy keys.
    public var state: String
    /// That package's `CurrentState`; nil for legacy keys.
    public var stateCode: UInt32?
    /// The latest install time of its packages (ISO 8601, UTC), or a legacy key's date (`YYYY-MM-DD`).
    public var installedAt: String?
    /// The version in its main package's name (`19041.1237.1.7`), escaped.
    public var version: String?
    /// Where it was found: `cbs`, `hotfix`, `uninstall`, `updates`.
    public var sources: [String]
    /// A legacy key's description (`Fix Description`, `DisplayName`, `Description`), escaped and cut.
    public var summary: String?
    /// Its servicing packages.
    public var packages: [UpdatePackage]
}

/// One servicing package of an update (a subkey of `Component Based Servicing\Packages`).
public struct UpdatePackage: Sendable, Equatable, Encodable {
    /// The key's name, escaped and cut.
    public var name: String
    public var state: String?
    public var stateCode: UInt32?
    public var installedAt: String?
}

/// Reading KB numbers and kinds out of the names the servicing stack gives its packages.
public enum UpdateNames {
    /// The first `KB` (any case) followed by 4 to 8 digits and not preceded by a letter or digit, as `KB1234567`.
    public static func kb(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        while index + 2 < bytes.count {
            defer { index += 1 }
            guard bytes[index] | 0x20 == UInt8(ascii: "k"), bytes[index + 1] | 0x20 == UInt8(ascii: "b") else { continue }
            if index > 0, isAlphanumeric(bytes[index - 1]) { continue }
            var end = index + 2
            while end < bytes.count, isDigit(bytes[end]) { end += 1 }
            let count = end - index - 2
            guard (4...8).contains(count) else { continue }
            return "KB" + String(decoding: bytes[index + 2..<end], as: UTF8.self)
        }
        return nil
    }

    /// What kind of update a servicing package is, from its name; nil for a package that is no
    /// update (a feature, a language pack, the foundation).
    ///
    /// `Package_for_KB…` and `Package_N_for_KB…` are updates, `Package_for_RollupFix…` a
    /// cumulative update, `Package_for_ServicingStack…` a servicing stack update,
    /// `Package_for_DotNetRollup…` a .NET rollup.
    public static func kind(ofPackage name: String) -> String? {
        let lower = name.lowercased()
        guard lower.hasPrefix("package_") else { return nil }
        let identity = lower.split(separator: "~", maxSplits: 1).first.map(String.init) ?? lower
        guard let range = identity.firstRange(of: "_for_") else { return nil }
        let rest = identity[range.upperBound...]
        if rest.hasPrefix("rollupfix") { return "rollup" }
        if rest.hasPrefix("servicingstack") { return "servicing-stack" }
        if rest.hasPrefix("dotnetrollup") { return "dotnet-rollup" }
        if kb(in: String(rest)) != nil, rest.hasPrefix("kb") { return "update" }
        return nil
    }

    /// The version field of a package identity (`name~publicKey~arch~language~version`).
    public static func version(ofPackage name: String) -> String? {
        let fields = name.split(separator: "~", omittingEmptySubsequences: false)
        guard fields.count == 5, !fields[4].isEmpty else { return nil }
        return String(fields[4])
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || (0x61...0x7A).contains(byte | 0x20) }
}

/// Text from the hive, made safe to print: control characters escaped (`\x1B`), cut to `limit`
/// characters with an ellipsis.
enum HiveText {
    static func shown(_ value: String, limit: Int) -> String {
        let shown = PurgeFailure.displayPath(Array(value.utf8))
        return shown.count > limit ? String(shown.prefix(limit)) + "…" : shown
    }
}

extension InstalledUpdate {
    /// The values read of each servicing package, in this order.
    static let packageValues = ["CurrentState", "InstallTimeHigh", "InstallTimeLow", "InstallLocation", "InstallName"]
    /// The values read of each `Hotfix` key (Windows XP, 2003).
    static let hotfixValues = ["Installed", "Fix Description", "Comments"]
    /// The values read of each `Uninstall` key.
    static let uninstallValues = ["DisplayName", "InstallDate"]
    /// The values read of each XP `Updates\PRODUCT\LEVEL\KB` key.
    static let updatesValues = ["Description", "InstalledDate"]
    /// The longest description kept.
    static let summaryLength = 100
    /// The longest package name kept (Windows allows 255 characters).
    static let nameLength = 260

    /// The updates the listings show, one per KB, newest first; and how many servicing packages
    /// were no update.
    ///
    /// - Parameters:
    ///   - packages: The subkeys of `Component Based Servicing\Packages` with `packageValues`.
    ///   - hotfix: The subkeys of `Windows NT\CurrentVersion\Hotfix` with `hotfixValues`.
    ///   - uninstall: The subkeys of `CurrentVersion\Uninstall` with `uninstallValues`.
    ///   - updates: The keys three levels below XP's `Microsoft\Updates` with `updatesValues`.
    static func collect(packages: [SubkeyRecord], hotfix: [SubkeyRecord] = [], uninstall: [SubkeyRecord] = [],
                        updates: [SubkeyRecord] = []) -> (updates: [InstalledUpdate], otherPackages: Int) {
        var rows: [String: InstalledUpdate] = [:]
        var order: [String] = []
        var other = 0
        func row(_ key: String, _ make: () -> InstalledUpdate, _ change: (inout InstalledUpdate) -> Void) {
            if rows[key] == nil { rows[key] = make(); order.append(key) }
            change(&rows[key]!)
        }
        for record in packages {
            guard let kind = UpdateNames.kind(ofPackage: record.name) else { other += 1; continue }
            let value = { (index: Int) in index < record.values.count ? record.values[index] : nil }
            let kb = UpdateNames.kb(in: record.name) ?? value(3).flatMap(UpdateNames.kb) ?? value(4).flatMap(UpdateNames.kb)
            let state = value(0).flatMap { UInt32($0) }.map(ServicingState.init(code:))
            let package = UpdatePackage(name: HiveText.shown(record.name, limit: nameLength), state: state?.name, stateCode: state?.code,
                                        installedAt: UpdateTime.iso8601(high: value(1), low: value(2)))
            // A package without a KB is a row of its own, keyed by its name.
            row(kb ?? "package:" + record.name, {
                InstalledUpdate(kb: kb, kind: kind, state: "unknown", stateCode: nil, installedAt: nil,
                                version: UpdateNames.version(ofPackage: record.name).map { HiveText.shown($0, limit: 40) },
                                sources: ["cbs"], summary: nil, packages: [])
            }) { update in
                update.packages.append(package)
                if let state, update.stateCode.map({ ServicingState(code: $0).weight < state.weight }) ?? true {
                    (update.state, update.stateCode) = (state.name, state.code)
                }
                if let time = package.installedAt, update.installedAt.map({ $0 < time }) ?? true { update.installedAt = time }
                // The version of the package named plainly `Package_for_…` wins over `Package_N_for_…`.
                if record.name.lowercased().hasPrefix("package_for_"), let version = UpdateNames.version(ofPackage: record.name) {
                    update.version = HiveText.shown(version, limit: 40)
                }
                if update.kind != kind, kind != "update" { update.kind = kind }
            }
        }
        func legacy(_ records: [SubkeyRecord], source: String, summaryIndex: [Int], dateIndex: Int?, accept: (SubkeyRecord) -> Bool) {
            for record in records where accept(record) {
                let last = record.name.split(separator: "\\").last.map(String.init) ?? record.name
                guard let kb = UpdateNames.kb(in: last), last.uppercased().hasPrefix("KB") else { continue }
                let summary = summaryIndex.lazy.compactMap { $0 < record.values.count ? record.values[$0] : nil }.first { !$0.isEmpty }
                let date = dateIndex.flatMap { $0 < record.values.count ? UpdateTime.legacyDate(record.values[$0]) : nil }
                row(kb, {
                    InstalledUpdate(kb: kb, kind: "hotfix", state: "installed", stateCode: nil, installedAt: nil, version: nil,
                                    sources: [], summary: nil, packages: [])
                }) { update in
                    if !update.sources.contains(source) { update.sources.append(source) }
                    if update.summary == nil { update.summary = summary.map { HiveText.shown($0, limit: summaryLength) } }
                    if update.installedAt == nil { update.installedAt = date }
                }
            }
        }
        // A Hotfix key whose Installed is 0 was removed.
        legacy(hotfix, source: "hotfix", summaryIndex: [1, 2], dateIndex: nil) { $0.values.first.map { $0 != "0" } ?? true }
        legacy(uninstall, source: "uninstall", summaryIndex: [0], dateIndex: 1) { _ in true }
        legacy(updates, source: "updates", summaryIndex: [0], dateIndex: 1) { _ in true }
        let list = order.compactMap { rows[$0] }.enumerated().sorted { a, b in
            switch (a.element.installedAt, b.element.installedAt) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
        return (list, other)
    }
}
