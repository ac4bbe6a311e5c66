/// A result code that `Windows/WindowsUpdate.log` (Vista/7 text format) names in its `FATAL` or
/// `WARNING` lines.
public struct LoggedCode: Sendable, Equatable, Encodable {
    public var code: String
    public var name: String?
    public var verdict: ResetVerdict
    public var advice: String?
    /// Lines naming it.
    public var count: Int
    /// Lines naming it that say `FATAL`.
    public var fatal: Int
    public var last: LogTime?
    /// The last line naming it: component and text, escaped, cut to 160 characters.
    public var lastLine: String
}

/// What `Windows/WindowsUpdate.log` says (docs/architecture.md §14). On Windows 10 and later the
/// file is a stub that points at ETL traces (`Get-WindowsUpdateLog`).
public struct WindowsUpdateLogSummary: Sendable, Equatable, Encodable {
    /// The Windows 10 stub: the log is in ETL traces, which wuscrub does not read.
    public var etwStub = false
    /// Lines in the Vista/7 format (date, time, pid, tid, component, text).
    public var lines = 0
    public var damagedLines = 0
    public var damaged: [DamagedLines] = []
    public var warnings = 0
    public var fatals = 0
    /// Codes named in FATAL and WARNING lines, most recent first.
    public var codes: [LoggedCode] = []
    public var lastLine: LogTime?

    public static let maximumCodes = 64

    public init() {}

    /// Adds one line.
    public mutating func add(_ line: LogLine) {
        guard case .text(let bytes) = line else {
            if case .damaged(let problem) = line { count(problem) }
            return
        }
        if !etwStub, lines == 0, WindowsUpdateLogSummary.contains(bytes, "Get-WindowsUpdateLog") {
            etwStub = true
        }
        if etwStub { return }
        let fields = bytes.split(separator: 0x09, maxSplits: 5, omittingEmptySubsequences: false)
        guard fields.count == 6 else { return count(.fields) }
        guard let time = LogTime.parse(fields[0] + [0x20] + fields[1]) else { return count(.time) }
        lines += 1
        lastLine = max(lastLine ?? time, time)
        let text = fields[5]
        let fatal = WindowsUpdateLogSummary.contains(text, "FATAL")
        guard fatal || WindowsUpdateLogSummary.contains(text, "WARNING") else { return }
        if fatal { fatals += 1 } else { warnings += 1 }
        let shown = ReportingEvent.shown(fields[4]) + ": " + PurgeFailure.displayPath(Array(text.prefix(400)))
        let cut = shown.count > 160 ? String(shown.prefix(159)) + "…" : shown
        for code in WindowsUpdateLogSummary.errorCodes(in: text) {
            let hex = KnownResultCode.hex(code)
            if let index = codes.firstIndex(where: { $0.code == hex }) {
                codes[index].count += 1
                codes[index].fatal += fatal ? 1 : 0
                if codes[index].last.map({ time >= $0 }) ?? true {
                    codes[index].last = time
                    codes[index].lastLine = cut
                }
            } else if codes.count < WindowsUpdateLogSummary.maximumCodes {
                let known = KnownResultCode.lookUp(code)
                codes.append(LoggedCode(code: hex, name: known?.name, verdict: known?.verdict ?? .unknown, advice: known?.advice,
                                        count: 1, fatal: fatal ? 1 : 0, last: time, lastLine: cut))
            }
        }
    }

    mutating func count(_ problem: LineProblem) {
        damagedLines += 1
        damaged.add(problem)
    }

    mutating func finish() {
        codes.sort { ($0.last?.instant ?? 0, $1.code) > ($1.last?.instant ?? 0, $0.code) }
    }

    /// Error codes written `0x8…` with eight hexadecimal digits (the high bit set: failures).
    static func errorCodes(in text: ArraySlice<UInt8>) -> [UInt32] {
        var found: [UInt32] = []
        var index = text.startIndex
        while index + 10 <= text.endIndex {
            if text[index] == 0x30, text[index + 1] | 0x20 == 0x78,
               let value = ReportingEvent.parseHex(text[(index + 2)..<(index + 10)]), value & 0x8000_0000 != 0,
               index + 10 == text.endIndex || ReportingEvent.hexValue(text[index + 10]) == nil {
                if !found.contains(value), found.count < 4 { found.append(value) }
                index += 10
            } else {
                index += 1
            }
        }
        return found
    }

    static func contains(_ bytes: some Collection<UInt8>, _ word: String) -> Bool {
        let needle = Array(word.utf8)
        let haystack = Array(bytes)
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
