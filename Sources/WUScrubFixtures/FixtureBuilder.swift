#if canImport(Glibc)
import Glibc
#endif
import WUScrubCore

/// Builds fixture hives and installation trees from `FixtureSpec`s, with wuscrub's own code:
/// an empty hive from `HiveTemplate`, filled with hivex.
public enum FixtureBuilder {
    /// The SYSTEM hive a spec describes; the same spec always gives the same bytes.
    ///
    /// - Parameter spec: The fixture.
    /// - Returns: The hive file's bytes.
    /// - Throws: `HiveError` or `FileIOError` from the scratch files.
    public static func hive(for spec: FixtureSpec) throws -> [UInt8] {
        try hive(spec.items, fileName: spec.hivePath.split(separator: "/").last.map(String.init) ?? "SYSTEM", minorVersion: spec.minorVersion)
    }

    /// The SOFTWARE hive a spec describes, or nil when it has none.
    public static func softwareHive(for spec: FixtureSpec) throws -> [UInt8]? {
        guard spec.softwarePath != nil else { return nil }
        return try hive(spec.softwareItems, fileName: "SOFTWARE", minorVersion: spec.minorVersion)
    }

    /// A hive holding `items`' keys and values.
    static func hive(_ items: [FixtureSpec.Item], fileName name: String, minorVersion: UInt32) throws -> [UInt8] {
        let scratch = "/tmp/wuscrub-fixture-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(scratch)
        defer {
            unlink(scratch + "/empty")
            unlink(scratch + "/filled")
            rmdir(scratch)
        }
        try FileIO.createDurably(HiveTemplate.emptyHive(rootName: "ROOT", fileName: name, minorVersion: minorVersion), at: scratch + "/empty")
        let hive = try Hive(path: scratch + "/empty", writable: true)
        defer { hive.close() }
        for item in items {
            switch item {
            case .key(let path):
                _ = try ensureKey(path, in: hive)
            case let .value(key, name, value):
                let node = try ensureKey(key, in: hive)
                try hive.setValue(value, named: name, in: node, keyPath: key)
            case .directory, .file:
                continue
            }
        }
        try hive.commit(to: scratch + "/filled")
        return try FileIO.read(scratch + "/filled")
    }

    /// Writes the installation tree a spec describes under `root` (which must not exist yet or be empty).
    ///
    /// - Parameters:
    ///   - spec: The fixture.
    ///   - root: The directory that plays the mount root.
    /// - Returns: The SYSTEM hive's path.
    @discardableResult
    public static func install(_ spec: FixtureSpec, at root: String) throws -> String {
        let windows = root + "/" + spec.windowsFolder
        let hivePath = windows + "/" + spec.hivePath
        try FileIO.makeDirectories(FileIO.parent(of: hivePath))
        try FileIO.createDurably(try hive(for: spec), at: hivePath)
        if let software = try softwareHive(for: spec), let path = spec.softwarePath {
            try FileIO.makeDirectories(FileIO.parent(of: windows + "/" + path))
            try FileIO.createDurably(software, at: windows + "/" + path)
        }
        for item in spec.items {
            switch item {
            case .directory(let path):
                try FileIO.makeDirectories(windows + "/" + path)
            case let .file(path, size):
                let full = windows + "/" + path
                try FileIO.makeDirectories(FileIO.parent(of: full))
                try FileIO.createDurably(FixtureSpec.pattern(count: size, seed: path), at: full)
            case .key, .value:
                continue
            }
        }
        return hivePath
    }

    static func ensureKey(_ path: String, in hive: Hive) throws -> Hive.Node {
        var node = hive.root
        for component in path.split(separator: "\\").map(String.init) {
            node = try hive.child(of: node, named: component) ?? hive.addChild(named: component, to: node)
        }
        return node
    }
}
