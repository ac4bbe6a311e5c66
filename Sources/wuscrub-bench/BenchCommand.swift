import ArgumentParser
import Foundation
import WUScrubCore
import WUScrubFixtures

/// `make bench`: wuscrub's `reset --yes` side by side with `rm -rf` of the two folders'
/// children, `find -delete` and 4 parallel `rm -rf`, alternating on fresh copies of the same
/// generated `SoftwareDistribution`, on the local disk and (as root, with ntfs-3g) on an NTFS
/// image. Prints medians, min–max, ratios to `rm -rf`, files per second and peak memory, as a
/// Markdown table and JSON (docs/testing.md §8).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wuscrub-bench",
        abstract: "Time wuscrub's reset against rm -rf on generated SoftwareDistribution trees."
    )

    @Option(help: "Numbers of files in Download, comma-separated.")
    var sizes: String = "10000,100000"

    @Option(help: "Alternating runs of each tool per size (the median of these is reported).")
    var runs: Int = 5

    @Option(help: "Where to put the trees and images (a local disk).")
    var scratch: String = "/var/tmp"

    @Option(help: "Which file systems: local, ntfs, or both (ntfs needs root and ntfs-3g).")
    var on: String = "both"

    @Option(help: "The wuscrub binary to time.")
    var wuscrub: String = ".build/release/wuscrub"

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    mutating func run() throws {
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty, runs >= 1 else { throw ValidationError("give --sizes N[,N...] and --runs ≥ 1") }
        let binary = URL(fileURLWithPath: wuscrub).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no wuscrub binary at '\(binary)': build it first (swift build -c release --product wuscrub)")
        }
        let base = scratch + "/wuscrub-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        var filesystems: [Workspace.Kind] = []
        if on == "local" || on == "both" { filesystems.append(.local) }
        if on == "ntfs" || on == "both" {
            if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/ntfs-3g") {
                filesystems.append(.ntfs)
            } else {
                print("note: ntfs-3g runs skipped: they need root and /usr/bin/ntfs-3g")
            }
        }
        var results: [Result] = []
        for count in counts {
            let template = base + "/template-\(count)"
            let files = try SoftwareDistributionTree.make(at: template, files: count)
            for kind in filesystems {
                let workspace = try Workspace(kind: kind, template: template, base: base + "/\(kind)-\(count)")
                defer { workspace.remove() }
                results += try Self.measure(workspace: workspace, files: files, runs: runs, wuscrub: binary)
            }
            try? FileManager.default.removeItem(atPath: template)
        }
        print(Result.markdown(results))
        if let json {
            let data = try JSONEncoder.journal.encode(results)
            try data.write(to: URL(fileURLWithPath: json))
            print("JSON: \(json)")
        }
    }

    /// Every tool `runs` times, in alternation, each on a fresh copy.
    static func measure(workspace: Workspace, files: Int, runs: Int, wuscrub: String) throws -> [Result] {
        let tools = Tool.all(wuscrub: wuscrub)
        var samples: [String: [Sample]] = [:]
        for _ in 0..<runs {
            for tool in tools {
                let root = try workspace.freshCopy()
                let sample = try tool.run(root: root)
                try workspace.release()
                guard sample.status == 0 else {
                    throw ValidationError("\(tool.name) failed (exit \(sample.status)) on \(workspace.kind) with \(files) files")
                }
                samples[tool.name, default: []].append(sample)
            }
        }
        let baseline = median(samples["rm -rf"]!.map(\.seconds))
        return tools.map { tool in
            let runs = samples[tool.name]!
            let seconds = runs.map(\.seconds)
            return Result(filesystem: "\(workspace.kind)", files: files, tool: tool.name, runs: runs.count,
                          medianSeconds: median(seconds), minSeconds: seconds.min()!, maxSeconds: seconds.max()!,
                          ratioToRm: median(seconds) / baseline, filesPerSecond: Double(files) / median(seconds),
                          peakRSSMiB: runs.map(\.peakRSSMiB).max()!)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
