/// A servicing package's `CurrentState` (Component Based Servicing), named as Microsoft's CBS
/// state chart names it; the sources are listed in docs/architecture.md §15.1.
public struct ServicingState: Sendable, Equatable, Encodable {
    /// The DWORD as the hive holds it.
    public var code: UInt32
    /// The name `--state` takes: `installed`, `superseded`, `install-pending`, `failed`…
    public var name: String

    /// The states of the chart: code, name. The failure states are the chart's negative values
    /// (a DWORD of 0x80000000 or more), and 0xFFFFFFFF.
    static let chart: [(code: UInt32, name: String)] = [
        (0x00, "absent"),
        (0x05, "uninstall-pending"),
        (0x10, "resolving"),
        (0x20, "resolved"),
        (0x30, "staging"),
        (0x40, "staged"),
        (0x50, "superseded"),
        (0x60, "install-pending"),
        (0x65, "partially-installed"),
        (0x70, "installed"),
        (0x80, "permanent"),
    ]

    /// Every name a state can have, for `--state`.
    public static let names = chart.map(\.name) + ["failed", "unknown"]

    /// The state of a `CurrentState` value: a chart state, `failed` for a negative one
    /// (`CbsInvalidState…`, -1), `unknown` for anything else.
    public init(code: UInt32) {
        self.code = code
        if let known = ServicingState.chart.first(where: { $0.code == code }) {
            name = known.name
        } else {
            name = code >= 0x8000_0000 ? "failed" : "unknown"
        }
    }

    /// `installed (0x70)`.
    public var shown: String { "\(name) (0x\(String(code, radix: 16, uppercase: true)))" }

    /// How much a package's state says about its update, for the one state a row shows: what
    /// needs attention first (failed, pending), then what is in effect, then the rest.
    var weight: Int {
        switch name {
        case "failed": 9
        case "install-pending": 8
        case "uninstall-pending": 7
        case "partially-installed": 6
        case "installed", "permanent": 5
        case "superseded": 4
        case "staged": 3
        case "staging", "resolved", "resolving": 2
        case "unknown": 1
        default: 0
        }
    }
}

/// Registry times and dates of installed updates.
public enum UpdateTime {
    /// Seconds from 1601-01-01 to 1970-01-01.
    static let epochDifference: Int64 = 11_644_473_600

    /// A FILETIME (100-ns ticks since 1601-01-01 UTC) as ISO 8601 UTC to the second,
    /// `2021-09-14T10:23:45Z`; nil for 0 or past the year 9999.
    public static func iso8601(high: UInt32, low: UInt32) -> String? {
        let ticks = UInt64(high) << 32 | UInt64(low)
        guard ticks > 0 else { return nil }
        let seconds = Int64(ticks / 10_000_000) - epochDifference
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let within = seconds - days * 86_400
        let (year, month, day) = civil(daysSince1970: days)
        guard year <= 9999 else { return nil }
        return date(year, month, day) + "T" + two(within / 3600) + ":" + two(within % 3600 / 60) + ":" + two(within % 60) + "Z"
    }

    /// The FILETIME of `InstallTimeHigh` and `InstallTimeLow` as the child read them (decimal).
    static func iso8601(high: String?, low: String?) -> String? {
        guard let high = high.flatMap({ UInt32($0) }), let low = low.flatMap({ UInt32($0) }) else { return nil }
        return iso8601(high: high, low: low)
    }

    /// An `Uninstall` key's `InstallDate` (`YYYYMMDD`) or an XP `Updates` key's `InstalledDate`
    /// (`M/D/YYYY`) as `YYYY-MM-DD`; nil when it is neither or not a date.
    public static func legacyDate(_ text: String?) -> String? {
        guard let text else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let fields: (Int?, Int?, Int?)
        if parts.count == 3 {
            fields = (Int(parts[2]), Int(parts[0]), Int(parts[1]))
        } else if text.utf8.count == 8, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            fields = (Int(text.prefix(4)), Int(text.dropFirst(4).prefix(2)), Int(text.suffix(2)))
        } else {
            return nil
        }
        guard let year = fields.0, let month = fields.1, let day = fields.2,
              (1980...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        return date(Int64(year), Int64(month), Int64(day))
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func date(_ year: Int64, _ month: Int64, _ day: Int64) -> String {
        let digits = String(year)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "-" + two(month) + "-" + two(day)
    }

    /// The proleptic Gregorian date of a day number (days since 1970-01-01, negative before).
    static func civil(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
