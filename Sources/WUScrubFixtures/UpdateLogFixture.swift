#if canImport(Glibc)
import Glibc
#endif
import WUScrubCore

/// Windows Update's logs as the project's tests need them (docs/testing.md §7): a
/// `ReportingEvents.log` shaped after Microsoft's troubleshooting examples, in UTF-16LE with a
/// byte-order mark or in 8-bit text, with damaged lines on demand, of any size; and a
/// `WindowsUpdate.log` in the Vista/7 text format or as Windows 10's ETW stub.
public enum UpdateLogFixture {
    /// What the generated log reports.
    public enum Scenario: String, CaseIterable, Sendable {
        /// A successful detection, then 14 detection failures 0x80070002: the reset addresses it.
        case fileNotFound = "file-not-found"
        /// A successful detection, then 6 install failures 0x80073712: the reset will not help.
        case componentStore = "component-store"
        /// Successful detections only.
        case healthy
    }

    /// One event of ReportingEvents.log.
    public struct Event: Sendable {
        public var minute: Int
        public var eventID: Int
        public var eventName: String
        public var code: UInt32
        public var status: String
        public var category: String
        public var message: String
    }

    /// The failures the scenarios put in, for the tests' expectations.
    public static let fileNotFoundFailures = 14
    public static let componentStoreFailures = 6

    public static func events(_ scenario: Scenario) -> [Event] {
        let success = { (minute: Int) in
            Event(minute: minute, eventID: 147, eventName: "AGENT_DETECTION_FINISHED", code: 0, status: "Success",
                  category: "Software Synchronization", message: "Windows Update Client successfully detected 3 updates.")
        }
        switch scenario {
        case .healthy:
            return (0..<5).map { success($0 * 600) }
        case .fileNotFound:
            return [success(0)] + (1...fileNotFoundFailures).map { index in
                Event(minute: index * 90, eventID: 148, eventName: "AGENT_DETECTION_FAILED", code: 0x8007_0002, status: "Failure",
                      category: "Software Synchronization", message: "Windows Update Client failed to detect with error 0x80070002.")
            }
        case .componentStore:
            return [success(0)] + (1...componentStoreFailures).map { index in
                Event(minute: index * 240, eventID: 182, eventName: "AGENT_INSTALLING_FAILED", code: 0x8007_3712, status: "Failure",
                      category: "Content Install",
                      message: "Installation Failure: Windows failed to install the following update with error 0x80073712: 2024-02 Cumulative Update (KB5034763).")
            }
        }
    }

    /// One line, tab-separated, ending in CR LF; `serial` makes the GUIDs and the time distinct.
    public static func line(_ event: Event, serial: Int) -> String {
        let minute = event.minute + serial * 7
        let day = 1 + (minute / 1440) % 28, hour = (minute / 60) % 24
        let time = "2024-03-\(two(day)) \(two(hour)):\(two(minute % 60)):\(two(serial % 60)):\(three(serial % 1000))+0100"
        let fields = [
            guid(UInt64(serial) &* 0x9E37_79B9_7F4A_7C15 &+ 1), time, "1", "\(event.eventID) [\(event.eventName)]", "101",
            "{00000000-0000-0000-0000-000000000000}", "0", hex(UInt64(event.code), digits: 8), "AutomaticUpdates",
            event.status, event.category, event.message, "tV8SqXsdE0G1tI9l.\(serial % 100).0.0.3.0",
        ]
        return fields.joined(separator: "\t") + "\r\n"
    }

    /// A whole ReportingEvents.log.
    public static func reportingEvents(_ scenario: Scenario, encoding: LogEncoding, damaged: Bool = false) -> [UInt8] {
        let text = events(scenario).enumerated().map { line($1, serial: $0) }.joined()
        var bytes = encode(text, as: encoding, mark: true)
        if damaged { bytes += damagedLines(encoding: encoding) }
        return bytes
    }

    /// The damaged lines `reportingEvents(_:encoding:damaged:)` appends, by the problem each one has.
    public static func damagedProblems(encoding: LogEncoding) -> [LineProblem: Int] {
        var problems: [LineProblem: Int] = [.fields: 1, .resultCode: 1, .time: 1, .nul: 1, .overlong: 1, .guid: 1, .eventID: 1]
        if encoding == .utf16LE { problems[.encoding] = 2 }  // a lone surrogate, and an odd byte at the end
        return problems
    }

    /// Lines with damaged fields, then (UTF-16) a lone surrogate and a truncated last character.
    public static func damagedLines(encoding: LogEncoding) -> [UInt8] {
        let good = line(events(.fileNotFound)[1], serial: 900)
        let fields = good.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        func with(_ index: Int, _ value: String) -> String {
            var copy = fields
            copy[index] = value
            return copy.joined(separator: "\t")
        }
        let lines = [
            good.replacingTabs(),                                   // missing tabs
            with(7, "8007000G"),                                    // bad hex
            with(1, "2024-13-45 25:61:00:000+0100"),               // bad timestamp
            with(10, "Software\u{0}Synchronization"),              // NUL bytes
            String(repeating: "A", count: LogLineReader.maximumLineBytes + 10) + "\r\n",  // overlong
            with(0, "not-a-guid"),                                  // no GUID
            with(3, "x148 [AGENT_DETECTION_FAILED]"),              // bad event id
        ]
        var bytes = encode(lines.joined(), as: encoding, mark: false)
        if encoding == .utf16LE {
            bytes += encode(with(11, "lone surrogate "), as: encoding, mark: false)
            // The lone surrogate: insert 0xD800 into the last line's message.
            let marker = Array("lone surrogate ".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            if let at = bytes.lastRange(of: marker) { bytes.insert(contentsOf: [0x00, 0xD8], at: at.upperBound) }
            bytes += [0x7B, 0x00, 0x41]  // "{" then half a character: the file ends mid-way
        }
        return bytes
    }

    /// Writes a ReportingEvents.log of at least `size` bytes at `path`, streamed a block at a
    /// time: one block of about 1 MiB of the file-not-found scenario's events, repeated.
    public static func writeLarge(at path: String, size: Int, encoding: LogEncoding) throws(FileIOError) {
        let descriptor = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o644, operation: "create")
        defer { close(descriptor) }
        var block: [UInt8] = []
        let events = events(.fileNotFound)
        var serial = 0
        while block.count < 1 << 20 {
            block += encode(line(events[serial % events.count], serial: serial), as: encoding, mark: false)
            serial += 1
        }
        try FileIO.writeAll(descriptor, encode("", as: encoding, mark: true), path: path)
        var written = 0
        while written < size {
            try FileIO.writeAll(descriptor, block, path: path)
            written += block.count
        }
    }

    /// `WindowsUpdate.log`: Windows 7's text log with WARNING and FATAL lines naming 0x80070002, or
    /// Windows 10's stub that points at the ETL traces.
    public static func windowsUpdateLog(windows10: Bool) -> [UInt8] {
        if windows10 {
            return encode("Windows Update logs are now generated using ETW (Event Tracing for Windows).\r\nPlease run the Windows PowerShell command 'Get-WindowsUpdateLog' to convert ETW traces into a readable WindowsUpdate.log.\r\n\r\nFor more information, please visit https://go.microsoft.com/fwlink/?LinkId=518345\r\n", as: .utf16LE, mark: true)
        }
        let lines = [
            "2024-03-01\t10:15:20:101\t 980\t1a2c\tAgent\t*************",
            "2024-03-01\t10:15:20:102\t 980\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]",
            "2024-03-01\t10:15:22:123\t 980\t1a2c\tAgent\t  * WARNING: Failed to synchronize, error = 0x80070002",
            "2024-03-01\t10:15:22:124\t 980\t1a2c\tAgent\t  * WARNING: Exit code = 0x80070002",
            "2024-03-01\t10:15:22:125\t 980\t1a2c\tAU\t#WARNING: Detection failed with error 0x80070002",
            "2024-03-01\t10:15:22:126\t 980\t1a2c\tAgent\tFATAL: Failed to open the data store: 0x80070002",
            "2024-03-01\t10:15:23:000\t 980\t1a2c\tPT\tWARNING: Cached cookie has expired or new PID is available",
            "a continuation line without fields",
        ]
        return encode(lines.joined(separator: "\r\n") + "\r\n", as: .eightBit, mark: false)
    }

    /// Writes the logs into an installation tree (`Windows/SoftwareDistribution` is created when missing).
    ///
    /// - Parameter windowsUpdate: nil for no WindowsUpdate.log, else whether it is Windows 10's stub.
    public static func install(_ scenario: Scenario, encoding: LogEncoding, damaged: Bool, windowsUpdate windows10: Bool?,
                               windows: String) throws(FileIOError) {
        try FileIO.makeDirectories(windows + "/SoftwareDistribution")
        try FileIO.replaceAtomically(windows + "/SoftwareDistribution/ReportingEvents.log", with: reportingEvents(scenario, encoding: encoding, damaged: damaged))
        if let windows10 { try FileIO.replaceAtomically(windows + "/WindowsUpdate.log", with: windowsUpdateLog(windows10: windows10)) }
    }

    /// Text in an encoding: UTF-16LE (with its mark when asked), UTF-8 with its mark, or plain UTF-8 for 8-bit.
    public static func encode(_ text: String, as encoding: LogEncoding, mark: Bool) -> [UInt8] {
        switch encoding {
        case .utf16LE: (mark ? [0xFF, 0xFE] : []) + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        case .utf8: (mark ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8)
        case .eightBit: Array(text.utf8)
        }
    }

    static func guid(_ seed: UInt64) -> String {
        let a = hex(seed >> 32, digits: 8), b = hex((seed >> 16) & 0xFFFF, digits: 4), c = hex(seed & 0xFFFF, digits: 4)
        return "{\(a)-\(b)-\(c)-\(hex(seed % 0xFFFF, digits: 4))-\(hex(seed & 0xFFFF_FFFF_FFFF, digits: 12))}"
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    static func three(_ value: Int) -> String { value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)" }
}

private extension String {
    func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}

private extension Array where Element == UInt8 {
    func lastRange(of needle: [UInt8]) -> Range<Int>? {
        guard count >= needle.count else { return nil }
        for start in stride(from: count - needle.count, through: 0, by: -1) where self[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }
}
