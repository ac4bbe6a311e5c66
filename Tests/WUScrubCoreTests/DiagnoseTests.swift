import Testing
@testable import WUScrubCore
import WUScrubFixtures

/// `diagnose`'s pure parts (docs/architecture.md §14) on the project's generated logs: the line
/// reader in both encodings, the ReportingEvents.log and WindowsUpdate.log parsers, damaged lines,
/// the code table and the verdicts.
@Suite struct DiagnoseTests {
    /// Feeds `bytes` in chunks of `chunk` bytes, as `Diagnosis` reads a file.
    static func summarize(_ bytes: [UInt8], chunk: Int = 1 << 20) -> ReportingEventsSummary {
        let (encoding, mark) = LogEncoding.detect(Array(bytes.prefix(4)))
        var reader = LogLineReader(encoding: encoding)
        var summary = ReportingEventsSummary()
        var offset = mark
        while offset < bytes.count {
            reader.feed(Array(bytes[offset..<min(offset + chunk, bytes.count)])) { summary.add($0) }
            offset += chunk
        }
        reader.finish { summary.add($0) }
        summary.finish()
        return summary
    }

    /// A line shaped like Microsoft's troubleshooting examples parses into its fields.
    @Test func aRealShapedLineParses() throws {
        let line = "{A8A9B8A6-A3BC-4FCF-9FC3-C7C4472DF5EE}\t2020-03-04 13:14:20:702+0100\t1\t148 [AGENT_DETECTION_FAILED]\t101\t{00000000-0000-0000-0000-000000000000}\t0\t80240438\tAutomaticUpdates\tFailure\tSoftware Synchronization\tWindows Update Client failed to detect with error 0x80240438.\telerOJgZdE+e2lIG.1.0.0.3.0"
        let event = try ReportingEvent.parse(Array(line.utf8)).get()
        #expect(event.eventID == 148 && event.resultCode == 0x8024_0438 && event.isFailure)
        #expect(event.client == "AutomaticUpdates" && event.category == "Software Synchronization")
        #expect(event.time.text == "2020-03-04 13:14:20+0100")
        // 13:14:20.702 at +01:00 is 12:14:20.702 UTC.
        #expect(event.time.instant == 1_583_324_060_702)
        // The older layout: a bare event id and a result code of one digit.
        let old = "{A2A7A9E7-0000-4FCF-9FC3-C7C4472DF5EE}\t2009-07-22 11:46:41:435-0700\t1\t147\t101\t{00000000-0000-0000-0000-000000000000}\t0\t0\tAutomaticUpdates\tSuccess\tSoftware Synchronization\tWindows Update Client successfully detected 0 updates."
        #expect(try ReportingEvent.parse(Array(old.utf8)).get().isSuccessfulDetection)
    }

    /// Both encodings give the same summary, whatever the chunk size (a line or a UTF-16
    /// character split between two reads).
    @Test(arguments: [LogEncoding.utf16LE, .eightBit])
    func bothEncodingsAndAnyChunkingGiveTheSameSummary(encoding: LogEncoding) {
        let bytes = UpdateLogFixture.reportingEvents(.fileNotFound, encoding: encoding)
        let whole = Self.summarize(bytes)
        #expect(whole.events == UpdateLogFixture.fileNotFoundFailures + 1)
        #expect(whole.damagedLines == 0)
        #expect(whole.failures.map(\.code) == ["0x80070002"] && whole.failures[0].count == UpdateLogFixture.fileNotFoundFailures)
        #expect(whole.lastSuccessfulDetection != nil)
        for chunk in [1, 3, 7, 4096] { #expect(Self.summarize(bytes, chunk: chunk) == whole) }
        #expect(LogEncoding.detect(Array(bytes.prefix(4))).encoding == encoding)
    }

    /// Each damaged line is counted by its problem, never fatal, and the good lines around it are kept.
    @Test(arguments: [LogEncoding.utf16LE, .eightBit])
    func damagedLinesAreCountedByProblem(encoding: LogEncoding) {
        let bytes = UpdateLogFixture.reportingEvents(.fileNotFound, encoding: encoding, damaged: true)
        for chunk in [5, 1 << 20] {
            let summary = Self.summarize(bytes, chunk: chunk)
            #expect(summary.events == UpdateLogFixture.fileNotFoundFailures + 1)
            var found: [LineProblem: Int] = [:]
            for item in summary.damaged { found[LineProblem(rawValue: item.problem)!] = item.count }
            #expect(found == UpdateLogFixture.damagedProblems(encoding: encoding))
            #expect(summary.damagedLines == found.values.reduce(0, +))
        }
    }

    /// A read that begins inside a line (the tail of a large file) drops that partial line
    /// without counting it; a partial line too long to be one is counted as overlong.
    @Test func aTailReadSkipsItsFirstPartialLine() {
        var lines: [LogLine] = []
        var reader = LogLineReader(encoding: .eightBit, startsMidLine: true)
        reader.feed(Array("tail of a line\nsecond\n".utf8)) { lines.append($0) }
        reader.finish { lines.append($0) }
        #expect(lines == [.text(Array("second".utf8))])
        lines = []
        reader = LogLineReader(encoding: .eightBit, startsMidLine: true)
        reader.feed([UInt8](repeating: 0, count: LogLineReader.maximumLineBytes + 1)) { lines.append($0) }
        reader.finish { lines.append($0) }
        #expect(lines == [.damaged(.overlong)])
    }

    /// Timestamps out of range, and result codes that are not 1 to 8 hexadecimal digits, are refused.
    @Test func badTimesAndCodesAreRefused() {
        for text in ["2024-13-01 10:00:00", "2024-03-01 24:00:00:000+0100", "2024-03-01 10:00:00:000+9900", "2024-03-01 10:00", "2024-03-01 10:00:00:000+0100x"] {
            #expect(LogTime.parse(Array(text.utf8)[...]) == nil, "\(text)")
        }
        #expect(LogTime.parse(Array("2024-03-01 10:00:00".utf8)[...])?.text == "2024-03-01 10:00:00")
        for code in ["", "123456789", "8007000G", "-1", " 1"] { #expect(ReportingEvent.parseHex(Array(code.utf8)[...]) == nil) }
        #expect(ReportingEvent.parseHex(Array("80070002".utf8)[...]) == 0x8007_0002)
    }

    /// Groups stay bounded however many distinct codes a log holds.
    @Test func distinctCodesAreBounded() {
        var summary = ReportingEventsSummary()
        let time = LogTime.parse(Array("2024-03-01 10:00:00".utf8)[...])!
        for code in 0..<(ReportingEventsSummary.maximumCodes + 10) {
            summary.add(ReportingEvent(time: time, eventID: 148, resultCode: 0x8000_0000 | UInt32(code), client: "c", status: "Failure", category: "x"))
        }
        #expect(summary.failures.count == ReportingEventsSummary.maximumCodes && summary.ungroupedFailures == 10)
        #expect(summary.failureCount == ReportingEventsSummary.maximumCodes + 10)
    }

    /// The proof, on the parsed logs: 0x80070002 is addressed by the reset, 0x80073712 is not
    /// (DISM instead); no failure gives no verdict.
    @Test func verdicts() throws {
        let absent = LogSource(path: "x", present: true, size: 1)
        let fixed = Diagnosis.judge(Self.summarize(UpdateLogFixture.reportingEvents(.fileNotFound, encoding: .utf16LE)), nil, absent)
        #expect(fixed.0 == .addresses && fixed.1.contains("this reset addresses it") && fixed.2.isEmpty)
        let store = Diagnosis.judge(Self.summarize(UpdateLogFixture.reportingEvents(.componentStore, encoding: .eightBit)), nil, absent)
        #expect(store.0 == .willNotHelp && store.1.contains("0x80073712 (ERROR_SXS_COMPONENT_STORE_CORRUPT)"))
        #expect(store.2.count == 1 && store.2[0].contains("DISM /Image:C:\\ /Cleanup-Image /RestoreHealth"))
        let healthy = Diagnosis.judge(Self.summarize(UpdateLogFixture.reportingEvents(.healthy, encoding: .utf16LE)), nil, absent)
        #expect(healthy.0 == nil && healthy.1.contains("no failures"))
        #expect(KnownResultCode.lookUp(0x8007_0422)?.advice?.contains("Start=3") == true)
        #expect(KnownResultCode.lookUp(0x1234_5678) == nil && KnownResultCode.hex(0x2) == "0x00000002")
        #expect(Set(KnownResultCode.table.map(\.code)).count == KnownResultCode.table.count)
    }

    /// WindowsUpdate.log: Windows 7's FATAL and WARNING lines give their codes; Windows 10's stub is recognised.
    @Test func windowsUpdateLog() {
        func summarize(_ bytes: [UInt8]) -> WindowsUpdateLogSummary {
            let (encoding, mark) = LogEncoding.detect(Array(bytes.prefix(4)))
            var reader = LogLineReader(encoding: encoding)
            var summary = WindowsUpdateLogSummary()
            reader.feed(Array(bytes[mark...])) { summary.add($0) }
            reader.finish { summary.add($0) }
            summary.finish()
            return summary
        }
        let seven = summarize(UpdateLogFixture.windowsUpdateLog(windows10: false))
        #expect(!seven.etwStub && seven.lines == 7 && seven.fatals == 1 && seven.warnings == 4 && seven.damagedLines == 1)
        #expect(seven.codes.map(\.code) == ["0x80070002"] && seven.codes[0].count == 4 && seven.codes[0].fatal == 1)
        #expect(seven.codes[0].lastLine.hasPrefix("Agent: FATAL"))
        let ten = summarize(UpdateLogFixture.windowsUpdateLog(windows10: true))
        #expect(ten.etwStub && ten.lines == 0 && ten.codes.isEmpty)
        #expect(WindowsUpdateLogSummary.errorCodes(in: Array("0x80070002 0x00000001 0x8007000EE 0xC1900101".utf8)[...]) == [0x8007_0002, 0xC190_0101])
    }
}
