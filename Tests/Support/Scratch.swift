import Foundation
import WUScrubCore

/// A unique scratch directory under /tmp, removed by `remove()` (call it in a `defer`).
public struct Scratch: Sendable {
    public let path: String

    /// Creates a new empty directory.
    public init(_ label: String = "test") throws {
        path = NSTemporaryDirectory().appending("wuscrub-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Removes the directory and everything in it (never following links).
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func sub(_ name: String) -> String { path + "/" + name }
}

/// Paths inside this repository.
public enum Repository {
    /// The repository's top folder (found from this file's location).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static var fixtures: String { root + "/Fixtures" }

    /// The built debug `wuscrub` binary (SwiftPM puts it beside the test bundle): the tests need
    /// its test hooks, which a release build does not have.
    public static var binary: String {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().path, Bundle.main.bundleURL.path]
            + [root + "/.build/debug"]
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory + "/wuscrub") {
            return directory + "/wuscrub"
        }
        return root + "/.build/debug/wuscrub"
    }
}
