import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport
@testable import wuscrub

// MARK: - Progress on a terminal

/// The progress line (docs/architecture.md §7.4) of the real binary under a pseudo-terminal
/// (script(1): standard input, output and error on one terminal, so the captured text is in the
/// order it was written). `WUSCRUB_PROGRESS_DELAY=0` (a debug-build hook) draws the line as soon
/// as a phase begins, so that no test depends on how fast the tree is walked.
extension CommandLineTests {
    static let hasScript = FileManager.default.isExecutableFile(atPath: "/usr/bin/script")
    static let erase = "\r\u{1B}[K"

    /// Adds `count` empty files to Download, 100 to a folder, and returns how many entries the
    /// purge folders then hold (files, folders and links below them).
    static func addFiles(_ count: Int, to tree: Installation) throws -> Int {
        for index in 0..<count {
            let folder = tree.path(tree.download + "/" + String(format: "%032x", index / 100))
            if index % 100 == 0 { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            let descriptor = open(folder + "/f\(index).cab", O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            close(descriptor)
        }
        return tree.purgeFolders.reduce(0) { sum, folder in
            sum + (FileManager.default.enumerator(atPath: tree.path(folder))?.allObjects.count ?? 0)
        }
    }

    /// Runs the binary under script(1) with `environment` (TERM=xterm and the delay hook unless given).
    static func onTerminal(_ arguments: [String], stdin: String = "", environment: [String: String] = [:]) throws -> Shell.Result {
        let command = ([Wuscrub.binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let merged = ["TERM": "xterm", "WUSCRUB_PROGRESS_DELAY": "0"].merging(environment) { $1 }
        return try Shell.capture("/usr/bin/script", ["-qec", command, "/dev/null"], stdin: stdin, environment: merged)
    }

    /// Whether the last line drawn with `label` was erased before anything else was written.
    static func lastDrawIsErased(_ output: String, label: String) -> Bool {
        guard let drawn = output.range(of: "\r" + label, options: .backwards),
              let endOfDraw = output.range(of: "\u{1B}[K", range: drawn.upperBound..<output.endIndex) else { return false }
        return output[endOfDraw.upperBound...].hasPrefix(erase)
    }

    @Test("on a terminal, the count and the purge show progress, erased before the question and the result",
          .enabled(if: hasScript, "needs script(1) (util-linux) to give wuscrub a pseudo-terminal"))
    func progressOnATerminal() throws {
        let scratch = try Scratch("e2e-progress")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        let total = try Self.addFiles(2_000, to: tree)

        let run = try Self.onTerminal(["reset", tree.root], stdin: "y\n")
        let output = run.stdout
        #expect(run.status == Exit.success.rawValue, "\(output.debugDescription)")
        let question = try #require(output.range(of: "[y/N]"), "\(output.debugDescription)")
        let beforeQuestion = String(output[..<question.lowerBound])
        let afterQuestion = String(output[question.upperBound...])
        #expect(beforeQuestion.contains("\rCounting: 0 entries"), "\(output.debugDescription)")
        #expect(Self.lastDrawIsErased(beforeQuestion, label: "Counting: "), "\(output.debugDescription)")
        #expect(!afterQuestion.contains("Counting: "))
        // The purge after a count knows its total.
        let grouped = ProgressLine.Renderer.grouped(total)
        #expect(afterQuestion.contains("\rPurging: 0 of \(grouped) entries"), "expected a total of \(grouped): \(output.debugDescription)")
        #expect(!beforeQuestion.contains("Purging: "))
        #expect(Self.lastDrawIsErased(afterQuestion, label: "Purging: "), "\(output.debugDescription)")
        #expect(output.range(of: "\u{1B}\\[[0-9;]*m", options: .regularExpression) == nil, "no colours")
        for folder in tree.purgeFolders {
            #expect(tree.snapshot().under(folder) == [folder: "dir"])
        }
    }

    @Test("a reset names its steps (reading, backing up, disabling, restoring), each erased before the next; scan names what it looks at",
          .enabled(if: hasScript, "needs script(1) (util-linux) to give wuscrub a pseudo-terminal"))
    func progressNamesTheSteps() throws {
        let scratch = try Scratch("e2e-progress-steps")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        _ = try Self.addFiles(1_000, to: tree)
        let run = try Self.onTerminal(["reset", tree.root], stdin: "y\n")
        let output = run.stdout
        #expect(run.status == Exit.success.rawValue, "\(output.debugDescription)")
        var position = output.startIndex
        for label in ["Reading the SYSTEM hive", "Reading wuauserv's start mode", "[y/N]", "Backing up the SYSTEM hive",
                      "Disabling Windows Update", "Purging: ", "Putting Windows Update's start mode back", "Checking the start mode"] {
            let found = try #require(output.range(of: label, range: position..<output.endIndex), "\(label) after the previous step: \(output.debugDescription)")
            position = found.upperBound
        }
        #expect(Self.lastDrawIsErased(output, label: "Checking the start mode"), "\(output.debugDescription)")

        let scan = try Self.onTerminal(["scan", "--system-root", scratch.sub("none")])
        #expect(scan.status == Exit.success.rawValue, "\(scan.stdout.debugDescription)")
        #expect(scan.stdout.contains("\rReading the mount table"), "\(scan.stdout.debugDescription)")
        #expect(Self.lastDrawIsErased(scan.stdout, label: "Reading the partitions' first sectors"), "\(scan.stdout.debugDescription)")
        #expect(scan.stdout.contains("No Windows installation found"))
    }

    @Test("no progress without a terminal, with --json or --no-progress, or with TERM=dumb; never colours",
          .enabled(if: hasScript, "needs script(1) (util-linux) to give wuscrub a pseudo-terminal"))
    func noProgressWhereItMustNotShow() throws {
        let scratch = try Scratch("e2e-noprogress")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        _ = try Self.addFiles(500, to: tree)

        // The control: on a terminal, status's count shows (NO_COLOR changes nothing: no colour ever).
        let shown = try Self.onTerminal(["status", tree.root], environment: ["NO_COLOR": "1"])
        #expect(shown.status == Exit.success.rawValue, "\(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("\rCounting: "), "\(shown.stdout.debugDescription)")
        #expect(Self.lastDrawIsErased(shown.stdout, label: "Counting: "))
        #expect(shown.stdout.range(of: "\u{1B}\\[[0-9;]*m", options: .regularExpression) == nil, "no colours")

        let piped = try Shell.capture(Wuscrub.binary, ["status", tree.root], environment: ["TERM": "xterm", "WUSCRUB_PROGRESS_DELAY": "0"])
        #expect(piped.status == Exit.success.rawValue, "\(piped.stderr)")
        #expect(!piped.stderr.contains("Counting") && !piped.stderr.contains("\u{1B}"), "\(piped.stderr.debugDescription)")

        for (arguments, environment) in [(["status", "--json", tree.root], [:]), (["status", "--no-progress", tree.root], [:]),
                                         (["status", tree.root], ["TERM": "dumb"])] {
            let run = try Self.onTerminal(arguments, environment: environment)
            #expect(run.status == Exit.success.rawValue, "\(arguments) \(environment): \(run.stdout.debugDescription)")
            #expect(!run.stdout.contains("Counting") && !run.stdout.contains("\u{1B}[K"),
                    "\(arguments) \(environment): \(run.stdout.debugDescription)")
        }

        let json = try Self.onTerminal(["reset", "--yes", "--json", tree.root])
        #expect(json.status == Exit.success.rawValue, "\(json.stdout.debugDescription)")
        #expect(!json.stdout.contains("Purging") && !json.stdout.contains("\u{1B}[K"), "\(json.stdout.debugDescription)")
    }

    @Test("a signal during the purge: the line is erased before the notice",
          .enabled(if: hasScript, "needs script(1) (util-linux) to give wuscrub a pseudo-terminal"))
    func progressErasedBeforeASignalsNotice() throws {
        let scratch = try Scratch("e2e-progress-signal")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)
        _ = try Self.addFiles(500, to: tree)

        let run = try Self.onTerminal(["reset", "--yes", tree.root], environment: ["WUSCRUB_FAULT": "mid-purge:INT"])
        let output = run.stdout
        #expect(run.status == Exit.interrupted.rawValue, "\(output.debugDescription)")
        let notice = try #require(output.range(of: "SIGINT received"), "\(output.debugDescription)")
        let before = String(output[..<notice.lowerBound])
        #expect(before.contains("\rPurging: 0 entries"), "no total without a count: \(output.debugDescription)")
        #expect(Self.lastDrawIsErased(before, label: "Purging: "), "\(output.debugDescription)")
        #expect(!output[notice.upperBound...].contains("Purging: "), "nothing drawn after the signal")
    }
}
