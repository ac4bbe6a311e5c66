/// One event of `SoftwareDistribution/ReportingEvents.log` (Windows Vista to 10), one line of
/// tab-separated fields (docs/architecture.md §14):
///
///     {GUID}  2017-02-10 07:38:55:380+0100  1  148 [AGENT_DETECTION_FAILED]  101  {GUID}  0
///     80070002  AutomaticUpdates  Failure  Software Synchronization  Windows Update Client failed…
public struct ReportingEvent: Sendable, Equatable {
    public var time: LogTime
    /// 147 is a finished detection, 148 a failed one (WSUS' event ids).
    public var eventID: Int
    public var resultCode: UInt32
    /// `AutomaticUpdates`, `WindowsUpdate`… escaped, at most 64 characters.
    public var client: String
    /// `Success`, `Failure` (others are kept but counted as neither).
    public var status: String
    /// `Software Synchronization`, `Content Download`, `Content Install`… escaped, at most 64 characters.
    public var category: String

    public var isFailure: Bool { status == "Failure" }
    public var isSuccessfulDetection: Bool { eventID == 147 && status == "Success" }

    /// Parses one line (UTF-8, without its line break).
    public static func parse(_ line: [UInt8]) -> Result<ReportingEvent, LineProblem> {
        let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
        guard fields.count >= 11 else { return .failure(.fields) }
        let guid = fields[0]
        guard guid.count == 38, guid.first == 0x7B, guid.last == 0x7D,
              guid.dropFirst().dropLast().allSatisfy({ $0 == 0x2D || hexValue($0) != nil })
        else { return .failure(.guid) }
        guard let time = LogTime.parse(fields[1]) else { return .failure(.time) }
        let digits = fields[3].prefix(while: { (0x30...0x39).contains($0) })
        guard (1...6).contains(digits.count), digits.count == fields[3].count || fields[3][digits.endIndex] == 0x20,
              let eventID = Int(String(decoding: digits, as: UTF8.self))
        else { return .failure(.eventID) }
        guard let code = parseHex(fields[7]) else { return .failure(.resultCode) }
        return .success(ReportingEvent(time: time, eventID: eventID, resultCode: code,
                                       client: shown(fields[8]), status: shown(fields[9]), category: shown(fields[10])))
    }

    /// One to eight hexadecimal digits, nothing else.
    static func parseHex(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        guard (1...8).contains(bytes.count) else { return nil }
        var value: UInt32 = 0
        for byte in bytes {
            guard let digit = hexValue(byte) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Text from the volume as one printable line (`\xNN` escapes), cut to 64 characters.
    static func shown(_ bytes: ArraySlice<UInt8>) -> String {
        let text = PurgeFailure.displayPath(Array(bytes.prefix(256)))
        return text.count > 64 ? String(text.prefix(63)) + "…" : text
    }
}

/// The failures of one result code in ReportingEvents.log.
public struct FailureGroup: Sendable, Equatable, Encodable {
    /// `0x80070002`.
    public var code: String
    /// The code's name from wuscrub's table, when it knows it.
    public var name: String?
    public var verdict: ResetVerdict
    /// What to do when the reset is not (only) the fix.
    public var advice: String?
    public var count: Int
    public var first: LogTime
    public var last: LogTime
    /// The categories these failures were reported in (at most four, in order of appearance).
    public var categories: [String]

    init(code: UInt32, time: LogTime, category: String) {
        let known = KnownResultCode.lookUp(code)
        self.code = KnownResultCode.hex(code)
        name = known?.name
        verdict = known?.verdict ?? .unknown
        advice = known?.advice
        count = 1
        first = time
        last = time
        categories = [category]
    }

    mutating func add(time: LogTime, category: String) {
        count += 1
        first = min(first, time)
        last = max(last, time)
        if categories.count < 4, !categories.contains(category) { categories.append(category) }
    }
}

/// Lines of a log that were not used, by reason.
public struct DamagedLines: Sendable, Equatable, Encodable {
    public var problem: String
    public var count: Int
}

extension [DamagedLines] {
    /// Counts one line with `problem`.
    mutating func add(_ problem: LineProblem) {
        if let index = firstIndex(where: { $0.problem == problem.rawValue }) {
            self[index].count += 1
        } else {
            append(DamagedLines(problem: problem.rawValue, count: 1))
        }
    }
}

/// What ReportingEvents.log says, accumulated line by line in bounded memory.
public struct ReportingEventsSummary: Sendable, Equatable, Encodable {
    /// Lines parsed as events.
    public var events = 0
    /// Lines that did not parse, and why.
    public var damagedLines = 0
    public var damaged: [DamagedLines] = []
    public var firstEvent: LogTime?
    public var lastEvent: LogTime?
    public var lastSuccessfulDetection: LogTime?
    /// The failures by result code, most recent first.
    public var failures: [FailureGroup] = []
    /// Failures whose code was not grouped because `maximumCodes` codes already were.
    public var ungroupedFailures = 0

    /// The most result codes grouped: a real log has a handful.
    public static let maximumCodes = 256

    public init() {}

    public var failureCount: Int { failures.reduce(ungroupedFailures) { $0 + $1.count } }

    /// Adds one line.
    public mutating func add(_ line: LogLine) {
        switch line {
        case .damaged(let problem): count(problem)
        case .text(let bytes):
            switch ReportingEvent.parse(bytes) {
            case .failure(let problem): count(problem)
            case .success(let event): add(event)
            }
        }
    }

    mutating func add(_ event: ReportingEvent) {
        events += 1
        firstEvent = min(firstEvent ?? event.time, event.time)
        lastEvent = max(lastEvent ?? event.time, event.time)
        if event.isSuccessfulDetection {
            lastSuccessfulDetection = max(lastSuccessfulDetection ?? event.time, event.time)
        }
        guard event.isFailure else { return }
        let code = KnownResultCode.hex(event.resultCode)
        if let index = failures.firstIndex(where: { $0.code == code }) {
            failures[index].add(time: event.time, category: event.category)
        } else if failures.count < ReportingEventsSummary.maximumCodes {
            failures.append(FailureGroup(code: event.resultCode, time: event.time, category: event.category))
        } else {
            ungroupedFailures += 1
        }
    }

    mutating func count(_ problem: LineProblem) {
        damagedLines += 1
        damaged.add(problem)
    }

    /// Puts the failures most recent first.
    mutating func finish() {
        failures.sort { $0.last != $1.last ? $0.last > $1.last : $0.code < $1.code }
    }
}
