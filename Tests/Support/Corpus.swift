import Foundation
import Testing

/// The shared corpus of real hives (`../shared/corpus`), read in place and never copied into the repo.
///
/// Tests that need it use `.enabled(if: Corpus.enabled, Corpus.skipReason)`: they are skipped with
/// that visible reason when the corpus is absent, unless `WUSCRUB_REQUIRE_CORPUS=1`, in which case
/// they run and fail on the missing files.
public enum Corpus {
    public static let directory = Repository.root + "/../shared/corpus"

    public static var isPresent: Bool { FileManager.default.fileExists(atPath: directory) }
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["WUSCRUB_REQUIRE_CORPUS"] == "1" }
    public static var enabled: Bool { isPresent || isRequired }
    public static let skipReason: Comment = "../shared/corpus is absent: corpus test skipped (set WUSCRUB_REQUIRE_CORPUS=1 to fail instead)"

    /// A corpus file, decompressed into `scratch` when it ends in `.xz`.
    ///
    /// - Parameters:
    ///   - relative: For example `regipy/SYSTEM.xz` or `yarp/NewDirtyHive1/NewDirtyHive`.
    ///   - scratch: Where to put a decompressed or copied file.
    ///   - name: The name to give the copy (default: the name without `.xz`).
    /// - Returns: The path of a private copy that tests may modify.
    public static func copy(_ relative: String, into scratch: Scratch, as name: String? = nil) throws -> String {
        let source = directory + "/" + relative
        guard FileManager.default.fileExists(atPath: source) else {
            throw CorpusMissing(path: source)
        }
        let base = (relative as NSString).lastPathComponent
        let target = scratch.path + "/" + (name ?? (base.hasSuffix(".xz") ? String(base.dropLast(3)) : base))
        if relative.hasSuffix(".xz") {
            try Shell.run("/usr/bin/xz", ["-dc", source], stdoutTo: target)
        } else {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        return target
    }
}

public struct CorpusMissing: Error, CustomStringConvertible {
    public let path: String
    public init(path: String) { self.path = path }
    public var description: String { "corpus file '\(path)' is missing (WUSCRUB_REQUIRE_CORPUS=1 requires ../shared/corpus)" }
}
