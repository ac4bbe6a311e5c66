import Foundation

/// One way of emptying DataStore and Download, timed on a root holding a Windows install.
struct Tool {
    let name: String
    /// The command line, given the root.
    let command: (String) -> [String]

    /// Counting what the two folders hold: `wuscrub status` (which counts them with the purge's
    /// walker) against `du -s` of the two folders.
    static func counting(wuscrub: String) -> [Tool] {
        [
            Tool(name: "wuscrub status") { [wuscrub, "status", $0] },
            Tool(name: "du -s") { root in
                ["/usr/bin/du", "-s", "\(root)/Windows/SoftwareDistribution/DataStore", "\(root)/Windows/SoftwareDistribution/Download"]
            },
        ]
    }

    /// The hive phase alone (empty folders): wuscrub against the C baseline doing the same durable steps.
    static func hivePhase(wuscrub: String, baseline: String) -> [Tool] {
        [
            Tool(name: "wuscrub reset --yes") { [wuscrub, "reset", "--yes", $0] },
            Tool(name: "hive_baseline (C)") { [baseline, "\($0)/Windows/System32/config/SYSTEM", "\($0)/hive_baseline.backup"] },
        ]
    }

    static func all(wuscrub: String) -> [Tool] {
        let folders = { (root: String) in ["\(root)/Windows/SoftwareDistribution/DataStore", "\(root)/Windows/SoftwareDistribution/Download"] }
        return [
            Tool(name: "wuscrub reset --yes") { [wuscrub, "reset", "--yes", $0] },
            Tool(name: "rm -rf") { root in ["/bin/sh", "-c", "rm -rf " + folders(root).map { "'\($0)'/* '\($0)'/.[!.]*" }.joined(separator: " ")] },
            Tool(name: "find -delete") { root in ["/usr/bin/find"] + folders(root) + ["-mindepth", "1", "-delete"] },
            Tool(name: "4 × rm -rf") { root in
                ["/bin/sh", "-c", folders(root).map { "(cd '\($0)' && ls -A | xargs -r -d '\\n' -P 4 -n 16 rm -rf)" }.joined(separator: " && ")]
            },
        ]
    }

    /// Runs the command, with its output discarded; the time is the wall-clock time from spawn to
    /// exit, the memory the peak resident set of the process and its children.
    func run(root: String) throws -> Sample {
        // GNU time forks the tool itself, so the peak it reports is the tool's (and its children's),
        // not the copy of this process a spawn starts from.
        let memory = "/tmp/wuscrub-bench-rss-\(getpid())"
        defer { unlink(memory) }
        let arguments = ["/usr/bin/time", "-f", "%M", "-o", memory] + command(root)
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw BenchFailure(message: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let reported = (try? String(contentsOfFile: memory, encoding: .utf8))?
            .split(separator: "\n").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        return Sample(seconds: seconds, peakRSSMiB: (reported ?? Double(usage.ru_maxrss)) / 1024, status: exit)
    }
}

/// One timed run.
struct Sample {
    var seconds: Double
    var peakRSSMiB: Double
    var status: Int32
}

struct BenchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
