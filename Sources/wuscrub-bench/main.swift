import Foundation
import WUScrubCore

/// `make bench`: times the purge walker on generated trees of growing size and reports the
/// process's peak resident memory after each, to show that memory does not grow with the
/// number of files (the walk streams). Run from a release build.
@main
struct Bench {
    static func main() throws {
        let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let counts = sizes.isEmpty ? [1_000, 10_000, 100_000] : sizes
        let base = NSTemporaryDirectory() + "wuscrub-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: base) }
        print("files\tdirs\tbuild_s\tcount_s\tpurge_s\tfiles_per_s\tpeak_rss_MiB")
        for count in counts {
            let root = base + "/\(count)"
            let folder = "Windows/SoftwareDistribution/Download"
            let started = Date()
            let directories = try makeTree(root + "/" + folder, files: count)
            let built = Date().timeIntervalSince(started)
            let components = folder.split(separator: "/").map(String.init)
            let countStart = Date()
            let counted = try Purger(dryRun: true).purgeContents(under: root, components: components)
            let countTime = Date().timeIntervalSince(countStart)
            let purgeStart = Date()
            let report = try Purger().purgeContents(under: root, components: components)
            let purgeTime = Date().timeIntervalSince(purgeStart)
            guard report.files == count, counted.files == count, report.failureCount == 0 else {
                throw BenchFailure(message: "expected \(count) files removed, got \(report.files) (\(report.failureCount) failures)")
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print(String(format: "%d\t%d\t%.2f\t%.3f\t%.3f\t%.0f\t%.1f", count, directories, built, countTime, purgeTime,
                         Double(count) / max(purgeTime, 1e-9), Double(usage.ru_maxrss) / 1024))
        }
    }

    /// Creates `files` small files, 500 per directory, nested three levels deep.
    static func makeTree(_ path: String, files: Int) throws -> Int {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var directories = 0
        var current = path
        let payload = [UInt8](repeating: 0x5A, count: 512)
        for index in 0..<files {
            if index % 500 == 0 {
                current = path + "/d\(index / 5000)/e\(index / 500)"
                try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: true)
                directories += index % 5000 == 0 ? 2 : 1
            }
            let fd = open(current + "/f\(index).cab", O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else { throw BenchFailure(message: "cannot create a file in \(current): errno \(errno)") }
            _ = payload.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        return directories
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
