/// Which Windows an installation is, from its SOFTWARE hive's
/// `Microsoft\Windows NT\CurrentVersion` (docs/architecture.md §12).
public struct WindowsVersion: Sendable, Equatable, Encodable {
    /// `ProductName`, such as "Windows 10 Pro" (Windows 11 still says "Windows 10" there).
    public var productName: String?
    /// `DisplayVersion` (20H2 and later, such as "22H2"), else `ReleaseId` ("1909"), else nil.
    public var displayVersion: String?
    /// `CurrentBuild` (or `CurrentBuildNumber`), such as "19045".
    public var currentBuild: String?
    /// `UBR`, the update build revision: the number after the build's dot.
    public var ubr: UInt32?
    /// `CSDVersion`, such as "Service Pack 1" (Windows 7 and older).
    public var servicePack: String?
    /// One line: "Windows 11 Pro 23H2 (build 22631.2861)".
    public var summary: String

    /// The key, below the SOFTWARE hive's root, that holds the values.
    static let key = "Microsoft\\Windows NT\\CurrentVersion"
    /// The values read, in the order `init(values:)` takes them.
    static let valueNames = ["ProductName", "DisplayVersion", "ReleaseId", "CurrentBuild", "CurrentBuildNumber", "UBR", "CSDVersion"]
    /// The longest text kept of a value (the hive is untrusted).
    static let maximumLength = 80

    /// Builds the version from the values `valueNames` names, as the hivex child read them.
    init(values: [String?]) {
        func text(_ index: Int) -> String? {
            guard index < values.count, let value = values[index], !value.isEmpty else { return nil }
            // Text from the volume: escaped (no control character reaches a terminal) and bounded.
            return HiveText.shown(value, limit: Self.maximumLength)
        }
        productName = text(0)
        displayVersion = text(1) ?? text(2)
        currentBuild = text(3) ?? text(4)
        ubr = text(5).flatMap { UInt32($0) }
        servicePack = text(6)
        var name = productName ?? "Windows (no ProductName)"
        // Windows 11 kept "Windows 10" in ProductName; its builds start at 22000.
        if let build = currentBuild.flatMap({ Int($0) }), build >= 22000, name.hasPrefix("Windows 10") {
            name = "Windows 11" + name.dropFirst("Windows 10".count)
        }
        var parts = [name]
        if let displayVersion { parts.append(displayVersion) }
        if let servicePack { parts.append(servicePack) }
        if let currentBuild { parts.append("(build \(currentBuild)\(ubr.map { ".\($0)" } ?? ""))") }
        summary = parts.joined(separator: " ")
    }
}
