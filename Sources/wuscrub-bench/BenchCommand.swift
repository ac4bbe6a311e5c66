import ArgumentParser
import Foundation
import WUScrubCore
import WUScrubFixtures

/// `make bench`: wuscrub's `reset --yes` side by side with `rm -rf` of the two folders'
/// children, `find -delete` and 4 parallel `rm -rf`, alternating on fresh copies of the same
/// generated `SoftwareDistribution`, on the local disk and (as root, with ntfs-3g) on an NTFS
/// image. Prints medians, min–max, ratios to `rm -rf`, files per second and peak memory, as a
/// Markdown table and JSON (docs/testing.md §8); `wuscrub status` (which counts the folders)
/// against `du -s` of them, the same way. Then the hive phase alone (empty folders):
/// wuscrub against `hive_baseline.c`, a minimal C program doing the same durable steps.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wuscrub-bench",
        abstract: "Time wuscrub's reset against rm -rf on generated SoftwareDistribution trees."
    )

    @Option(help: "Numbers of files in Download, comma-separated (empty: the hive phase alone).")
    var sizes: String = "10000,100000"

    @Option(help: "Alternating runs of each tool per size (the median of these is reported).")
    var runs: Int = 5

    @Option(help: "Where to put the trees and images (a local disk).")
    var scratch: String = "/var/tmp"

    @Option(help: "Which file systems, comma-separated: local (a folder on the local disk), ntfs (an ntfs-3g image), ext4 (an ext4 image on a loop device, whose fresh copies are quick for large trees); both = local,ntfs. Images need root.")
    var on: String = "both"

    @Option(help: "The wuscrub binary to time.")
    var wuscrub: String = ".build/release/wuscrub"

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @Option(help: "A SYSTEM hive (or .xz of one) to use instead of the fixture's small one (a real hive gives real hive-phase costs).")
    var hive: String?

    @Option(help: "What not to time, comma-separated: counting (wuscrub status against du -s), hive (the hive phase against the C baseline).")
    var skip: String = ""

    var noCounting: Bool { skip.split(separator: ",").contains("counting") }
    var noHivePhase: Bool { skip.split(separator: ",").contains("hive") }

    mutating func run() throws {
        let counts = sizes.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty || !noHivePhase, runs >= 1 else { throw ValidationError("give --sizes N[,N...] (or none, for the hive phase alone) and --runs ≥ 1") }
        let binary = URL(fileURLWithPath: wuscrub).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no wuscrub binary at '\(binary)': build it first (swift build -c release --product wuscrub)")
        }
        let base = scratch + "/wuscrub-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        var filesystems: [Workspace.Kind] = []
        let asked = on == "both" ? ["local", "ntfs"] : on.split(separator: ",").map(String.init)
        for name in asked {
            guard let kind = Workspace.Kind(rawValue: name) else { throw ValidationError("--on takes local, ntfs, ext4 (comma-separated) or both, not '\(name)'") }
            if kind.isImage, getuid() != 0 || (kind == .ntfs && !FileManager.default.isExecutableFile(atPath: "/usr/bin/ntfs-3g")) {
                print("note: \(kind) runs skipped: they need root" + (kind == .ntfs ? " and /usr/bin/ntfs-3g" : ""))
                continue
            }
            filesystems.append(kind)
        }
        if let hive, !FileManager.default.isReadableFile(atPath: hive) { throw ValidationError("cannot read the hive '\(hive)'") }
        var results: [Result] = []
        for count in counts {
            let template = base + "/template-\(count)"
            let files = try SoftwareDistributionTree.make(at: template, files: count, hive: hive)
            for kind in filesystems {
                let workspace = try Workspace(kind: kind, template: template, base: base + "/\(kind)-\(count)")
                defer { workspace.remove() }
                results += try Self.measure(Tool.all(wuscrub: binary), baseline: "rm -rf", workspace: workspace, files: files, runs: runs)
                if !noCounting {
                    results += try Self.measure(Tool.counting(wuscrub: binary), baseline: "du -s", workspace: workspace, files: files, runs: runs)
                }
            }
            try? FileManager.default.removeItem(atPath: template)
        }
        if !noHivePhase {
            // The C baseline, compiled from the repository (docs/testing.md §8).
            let baseline = base + "/hive_baseline"
            try shell("cc -O2 -o '\(baseline)' Sources/wuscrub-bench/hive_baseline.c -lhivex")
            let template = base + "/template-empty"
            _ = try SoftwareDistributionTree.make(at: template, files: 0, hive: hive)
            for kind in filesystems {
                let workspace = try Workspace(kind: kind, template: template, base: base + "/\(kind)-empty")
                defer { workspace.remove() }
                results += try Self.measure(Tool.hivePhase(wuscrub: binary, baseline: baseline), baseline: "hive_baseline (C)",
                                            workspace: workspace, files: 0, runs: runs)
            }
        }
        print("All results:\n" + Result.markdown(results))
        if let json {
            let data = try JSONEncoder.journal.encode(results)
            try data.write(to: URL(fileURLWithPath: json))
            print("JSON: \(json)")
        }
    }

    /// Every tool `runs` times, in alternation, each on a fresh copy; ratios to the tool named
    /// `baseline`. The group's rows are printed as soon as it is done (a long run that is stopped
    /// still shows what it measured); the whole table follows at the end.
    static func measure(_ tools: [Tool], baseline name: String, workspace: Workspace, files: Int, runs: Int) throws -> [Result] {
        let results = try measureGroup(tools, baseline: name, workspace: workspace, files: files, runs: runs)
        print(Result.markdown(results) + "\n")
        fflush(nil)  // every output stream (naming stdout is not concurrency-safe in Swift 6)
        return results
    }

    private static func measureGroup(_ tools: [Tool], baseline name: String, workspace: Workspace, files: Int, runs: Int) throws -> [Result] {
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
        let baseline = median(samples[name]!.map(\.seconds))
        return tools.map { tool in
            let runs = samples[tool.name]!
            let seconds = runs.map(\.seconds)
            return Result(filesystem: "\(workspace.kind)", files: files, tool: tool.name, runs: runs.count,
                          medianSeconds: median(seconds), minSeconds: seconds.min()!, maxSeconds: seconds.max()!,
                          baseline: name, ratio: median(seconds) / baseline, filesPerSecond: Double(files) / median(seconds),
                          peakRSSMiB: runs.map(\.peakRSSMiB).max()!)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
