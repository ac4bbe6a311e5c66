import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// `wuscrub diagnose`, `status`'s and the plan's summary line, end to end with the built binary on
/// the `win10` fixture and the project's generated logs (docs/architecture.md §14).
@Suite("wuscrub diagnose", .serialized)
struct DiagnoseCommandTests {
    /// A win10 fixture with generated logs.
    static func install(_ scenario: UpdateLogFixture.Scenario?, encoding: LogEncoding = .utf16LE, damaged: Bool = false,
                        windows10: Bool? = false, in scratch: Scratch) throws -> Installation {
        let tree = try Installation("win10", in: scratch)
        if let scenario {
            try UpdateLogFixture.install(scenario, encoding: encoding, damaged: damaged, windowsUpdate: windows10, windows: tree.path(tree.windows))
        }
        return tree
    }

    var reportingEvents: String { "Windows/SoftwareDistribution/ReportingEvents.log" }

    /// The proof: 0x80070002 failures → the reset addresses it (text and JSON, both encodings, with damaged lines).
    @Test(arguments: [LogEncoding.utf16LE, .eightBit])
    func fileNotFoundIsAddressed(encoding: LogEncoding) throws {
        let scratch = try Scratch("diagnose-2")
        defer { scratch.remove() }
        let tree = try Self.install(.fileNotFound, encoding: encoding, damaged: true, in: scratch)
        let text = try Wuscrub.run("diagnose", tree.root)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("0x80070002 ERROR_FILE_NOT_FOUND: \(UpdateLogFixture.fileNotFoundFailures) failures"), "\(text)")
        #expect(text.stdout.contains("Windows Update last reported: \(UpdateLogFixture.fileNotFoundFailures) failures 0x80070002 (ERROR_FILE_NOT_FOUND)"), "\(text)")
        #expect(text.stdout.contains("; this reset addresses it"), "\(text)")
        #expect(text.stdout.contains("damaged lines skipped"), "\(text)")
        let json = try Wuscrub.run("diagnose", "--json", tree.root)
        let document = try json.document()
        #expect(json.status == 0 && document["command"].string == "diagnose" && document["outcome"].string == "success")
        let diagnosis = document["diagnosis"]
        #expect(diagnosis["verdict"].string == "addresses", "\(document)")
        #expect(diagnosis["reportingEventsLog"]["encoding"].string == encoding.rawValue)
        #expect(diagnosis["reportingEvents"]["failures"][0]["code"].string == "0x80070002")
        #expect(diagnosis["reportingEvents"]["failures"][0]["count"].int == UpdateLogFixture.fileNotFoundFailures)
        #expect(diagnosis["reportingEvents"]["failures"][0]["categories"][0].string == "Software Synchronization")
        #expect(diagnosis["reportingEvents"]["damagedLines"].int == UpdateLogFixture.damagedProblems(encoding: encoding).values.reduce(0, +))
        #expect(diagnosis["windowsUpdate"]["fatals"].int == 1)
    }

    /// The proof: 0x80073712 → the reset will not help, DISM instead; status and the plan carry the same line.
    @Test func componentStoreIsNotAddressed() throws {
        let scratch = try Scratch("diagnose-3712")
        defer { scratch.remove() }
        let tree = try Self.install(.componentStore, windows10: true, in: scratch)
        let text = try Wuscrub.run("diagnose", tree.root)
        #expect(text.status == 0)
        #expect(text.stdout.contains("6 failures 0x80073712 (ERROR_SXS_COMPONENT_STORE_CORRUPT)") && text.stdout.contains("this reset will not help"), "\(text)")
        #expect(text.stdout.contains("Instead: 0x80073712: ") && text.stdout.contains("DISM /Image:C:\\ /Cleanup-Image /RestoreHealth"), "\(text)")
        #expect(text.stdout.contains("stub: the log is in ETL traces"), "\(text)")
        let status = try Wuscrub.run("status", "--json", tree.root)
        let brief = try status.document()["status"]["lastReported"]
        #expect(brief["verdict"].string == "will-not-help" && brief["summary"].string?.contains("0x80073712") == true, "\(status)")
        let statusText = try Wuscrub.run("status", tree.root)
        #expect(statusText.stdout.contains("Windows Update last reported: 6 failures 0x80073712"), "\(statusText)")
        let plan = try Wuscrub.run("reset", "--dry-run", tree.root)
        #expect(plan.status == 0 && plan.stdout.contains("Windows Update last reported: 6 failures 0x80073712"), "\(plan)")
        #expect(plan.stdout.contains("wuscrub diagnose says what to do instead"), "\(plan)")
        let planJSON = try Wuscrub.run("reset", "--dry-run", "--json", tree.root)
        #expect(try planJSON.document()["plan"]["lastReported"]["verdict"].string == "will-not-help", "\(planJSON)")
    }

    /// No log at all: says so, exit 0, no verdict.
    @Test func missingLogsAreSaid() throws {
        let scratch = try Scratch("diagnose-none")
        defer { scratch.remove() }
        let tree = try Self.install(nil, in: scratch)
        try FileManager.default.removeItem(atPath: tree.path(reportingEvents))
        let text = try Wuscrub.run("diagnose", tree.root)
        #expect(text.status == 0)
        #expect(text.stdout.contains("\(reportingEvents): absent") && text.stdout.contains("Windows/WindowsUpdate.log: absent"), "\(text)")
        #expect(text.stdout.contains("no ReportingEvents.log; nothing says this reset is needed"), "\(text)")
        let document = try Wuscrub.run("diagnose", "--json", tree.root).document()
        #expect(document["diagnosis"]["reportingEventsLog"]["present"].bool == false && !document["diagnosis"]["verdict"].exists)
    }

    /// Hostile types at the log's path are refused by kind, never opened or followed, with a clear
    /// message and exit 0; nothing outside ROOT is read (a link to a log with failures gives none).
    @Test(arguments: [Plant.fifo, .zeroDevice, .socket, .directory, .relativeLink, .absoluteLink])
    func hostileTypesAreRefused(kind: Plant) throws {
        let scratch = try Scratch("diagnose-hostile")
        defer { scratch.remove() }
        let tree = try Self.install(nil, in: scratch)
        let victims = try Victims(in: scratch.sub("victims"))
        defer { victims.close() }
        let outside = scratch.sub("victims/ReportingEvents.log")
        try Data(UpdateLogFixture.reportingEvents(.fileNotFound, encoding: .utf16LE)).write(to: URL(fileURLWithPath: outside))
        try kind.put(at: tree.path(reportingEvents), victims: victims, linkTarget: outside)
        let run = try HostileRunner.run(["diagnose", tree.root], timeout: 30)
        #expect(!run.hung && run.status == 0, "\(run)")
        let words = kind.isLink ? "is a symbolic link" : "is " + (kind == .zeroDevice ? "a character device" : kind == .directory ? "a directory" : "a " + kind.rawValue)
        #expect(run.stdout.contains("\(reportingEvents): not read: ") && run.stdout.contains(words), "\(run)")
        #expect(!run.stdout.contains("0x80070002"), "\(run)")
    }

    /// A sparse 10 GB log is read only at its end (bounded time and memory), and says so.
    @Test func sparseGiantIsBounded() throws {
        let scratch = try Scratch("diagnose-sparse")
        defer { scratch.remove() }
        let tree = try Self.install(nil, in: scratch)
        let path = tree.path(reportingEvents)
        try FileManager.default.removeItem(atPath: path)
        FileManager.default.createFile(atPath: path, contents: nil)
        #expect(truncate(path, 10 << 30) == 0)
        let run = try HostileRunner.run(["diagnose", tree.root], timeout: 60)
        #expect(!run.hung && run.status == 0, "\(run)")
        #expect(run.stdout.contains("\(reportingEvents): 10737418240 bytes, 8-bit; only the last 16 MiB were read"), "\(run)")
    }

    /// A 100 MB log, end to end: the binary's peak resident size (GNU time's maximum RSS) stays
    /// under 64 MiB, and what it read is its last 16 MiB.
    @Test func largeLogIsReadInBoundedMemory() throws {
        let scratch = try Scratch("diagnose-large")
        defer { scratch.remove() }
        let tree = try Self.install(nil, in: scratch)
        let path = tree.path(reportingEvents)
        try FileManager.default.removeItem(atPath: path)
        try UpdateLogFixture.writeLarge(at: path, size: 100 << 20, encoding: .utf16LE)
        let run = try Shell.capture("/usr/bin/time", ["-f", "maxrss=%M", Wuscrub.binary, "diagnose", "--json", tree.root])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss=") })
        let kilobytes = try #require(Int(line.dropFirst("maxrss=".count)))
        #expect(kilobytes < 64 << 10, "peak RSS \(kilobytes) KiB")
        let document = JSON(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)))
        let source = document["diagnosis"]["reportingEventsLog"]
        #expect(source["size"].int ?? 0 >= 100 << 20 && source["readFrom"].int == (source["size"].int ?? 0) - (16 << 20), "\(source)")
        #expect(document["diagnosis"]["verdict"].string == "addresses")
        #expect(document["diagnosis"]["reportingEvents"]["damagedLines"].int == 0)
    }
}
