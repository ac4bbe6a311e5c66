/// The text encodings of Windows Update's logs (docs/architecture.md §14).
public enum LogEncoding: String, Sendable, Equatable, Encodable {
    /// UTF-16 little-endian, with a byte-order mark (or without one, recognised by its zero bytes).
    case utf16LE = "UTF-16LE"
    /// UTF-8 with a byte-order mark.
    case utf8 = "UTF-8"
    /// No mark: UTF-8 where a line is valid UTF-8, else each byte one character (Latin-1).
    case eightBit = "8-bit"

    /// The encoding the first bytes of a file show, and the length of its byte-order mark.
    public static func detect(_ head: [UInt8]) -> (encoding: LogEncoding, markLength: Int) {
        if head.starts(with: [0xFF, 0xFE]) { return (.utf16LE, 2) }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { return (.utf8, 3) }
        if head.count >= 4, head[0] != 0, head[1] == 0, head[2] != 0, head[3] == 0 { return (.utf16LE, 0) }
        return (.eightBit, 0)
    }
}

/// Why a line of a log was not used. Counted, never fatal.
public enum LineProblem: String, Error, Sendable, Equatable, Encodable, CaseIterable {
    case fields = "too few tab-separated fields"
    case guid = "no event GUID"
    case time = "bad timestamp"
    case eventID = "bad event id"
    case resultCode = "bad result code"
    case nul = "NUL bytes"
    case overlong = "longer than 64 KiB"
    case encoding = "invalid or truncated UTF-16"
}

/// One line of a log: its text as UTF-8 (without the line break), or why it cannot be used.
public enum LogLine: Sendable, Equatable {
    case text([UInt8])
    case damaged(LineProblem)
}

/// Splits a log's bytes into lines as they arrive, chunk by chunk, holding at most one line
/// (`maximumLineBytes`) besides the chunk: memory does not depend on the file's size.
public struct LogLineReader: Sendable {
    /// The longest line kept; a longer one is counted as damaged and skipped.
    public static let maximumLineBytes = 64 << 10

    public let encoding: LogEncoding
    private var line: [UInt8] = []
    private var overlong = false
    /// Reading began inside a line (the tail of a large file): its rest is not a line.
    private var skipping: Bool
    /// A UTF-16 byte whose pair is in the next chunk.
    private var carry: [UInt8] = []

    public init(encoding: LogEncoding, startsMidLine: Bool = false) {
        self.encoding = encoding
        skipping = startsMidLine
    }

    /// Splits `chunk`, calling `body` for each line it completes.
    public mutating func feed(_ chunk: [UInt8], _ body: (LogLine) -> Void) {
        var bytes = chunk[...]
        if !carry.isEmpty {
            bytes = (carry + chunk)[...]
            carry = []
        }
        let width = encoding == .utf16LE ? 2 : 1
        while !bytes.isEmpty {
            guard let end = lineBreak(in: bytes) else {
                let usable = bytes.count - bytes.count % width
                append(bytes.prefix(usable))
                carry = Array(bytes.suffix(bytes.count - usable))
                return
            }
            append(bytes[bytes.startIndex..<end])
            complete(body)
            bytes = bytes[(end + width)...]
        }
    }

    /// Ends the input: the last line (one without a line break) and a dangling UTF-16 byte.
    public mutating func finish(_ body: (LogLine) -> Void) {
        if !carry.isEmpty {
            carry = []
            line = []
            overlong = false
            if !skipping { body(.damaged(.encoding)) }
            skipping = false
            return
        }
        if !line.isEmpty || overlong { complete(body) }
    }

    private func lineBreak(in bytes: ArraySlice<UInt8>) -> Int? {
        guard encoding == .utf16LE else { return bytes.firstIndex(of: 0x0A) }
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            if bytes[index] == 0x0A, bytes[index + 1] == 0 { return index }
            index += 2
        }
        return nil
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard !overlong else { return }
        if line.count + bytes.count > LogLineReader.maximumLineBytes {
            // Also a first, partial line: what a tail read began in is reported when it is too long.
            overlong = true
            skipping = false
            line = []
            return
        }
        line += bytes
    }

    private mutating func complete(_ body: (LogLine) -> Void) {
        defer {
            line.removeAll(keepingCapacity: true)
            overlong = false
            skipping = false
        }
        if skipping { return }
        if overlong { return body(.damaged(.overlong)) }
        if let decoded = decode() { body(decoded) }
    }

    /// The line as UTF-8, without a trailing carriage return; nil for an empty line.
    private func decode() -> LogLine? {
        if encoding == .utf16LE {
            var units = [UInt16]()
            units.reserveCapacity(line.count / 2)
            var index = 0
            while index + 1 < line.count {
                units.append(UInt16(line[index]) | UInt16(line[index + 1]) << 8)
                index += 2
            }
            if units.last == 0x0D { units.removeLast() }
            if units.isEmpty { return nil }
            if units.contains(0) { return .damaged(.nul) }
            guard let text = String(validating: units, as: UTF16.self) else { return .damaged(.encoding) }
            return .text(Array(text.utf8))
        }
        var bytes = line[...]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        if bytes.isEmpty { return nil }
        if bytes.contains(0) { return .damaged(.nul) }
        if String(validating: bytes, as: UTF8.self) != nil { return .text(Array(bytes)) }
        return .text(Array(String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) })).utf8))
    }
}

/// A time written in a Windows Update log, local time with an optional UTC offset
/// (`2017-02-10 07:38:55:380+0100`).
public struct LogTime: Sendable, Equatable, Comparable, Encodable, CustomStringConvertible {
    /// As the log wrote it, without the milliseconds: `2017-02-10 07:38:55+0100`.
    public var text: String
    /// Milliseconds since 1970 in UTC (local time when the log gives no offset), for ordering.
    public var instant: Int64

    public var description: String { text }

    public static func < (a: LogTime, b: LogTime) -> Bool { a.instant < b.instant }

    /// Parses `YYYY-MM-DD HH:MM:SS[:mmm|.mmm][±hhmm]`; nil when any part is out of range.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> LogTime? {
        let b = Array(bytes)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<(from + count)] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x20 || b[10] == 0x09, b[13] == 0x3A, b[16] == 0x3A,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        var millis = 0
        if index < b.count, b[index] == 0x3A || b[index] == 0x2E {
            guard let value = number(index + 1, 3) else { return nil }
            millis = value
            index += 4
        }
        var offsetMinutes = 0
        var offsetText = ""
        if index < b.count {
            guard b[index] == 0x2B || b[index] == 0x2D, index + 5 == b.count,
                  let hours = number(index + 1, 2), let minutes = number(index + 3, 2), hours <= 14, minutes < 60
            else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (b[index] == 0x2D ? -1 : 1)
            offsetText = String(decoding: b[index...], as: UTF8.self)
        }
        // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetMinutes * 60)
        let text = String(decoding: b[0..<10], as: UTF8.self) + " " + String(decoding: b[11..<19], as: UTF8.self) + offsetText
        return LogTime(text: text, instant: seconds * 1000 + Int64(millis))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    init(text: String, instant: Int64) {
        self.text = text
        self.instant = instant
    }
}
