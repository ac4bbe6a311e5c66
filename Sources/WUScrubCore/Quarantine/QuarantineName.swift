import FoundationEssentials

/// The name of a quarantine folder in `SoftwareDistribution`:
/// `wuscrub-quarantine-<YYYYMMDDTHHMMSSZ>-<first 8 hex digits of the run id>`
/// (docs/architecture.md §16.1).
///
/// The time is the run's start, so names sort by age. Every name in `SoftwareDistribution` is
/// parsed with this one pattern; anything else is not a quarantine and is never listed or purged.
public struct QuarantineName: Sendable, Equatable, Comparable {
    public static let prefix = "wuscrub-quarantine-"
    /// `20261129T143500Z`.
    public var stamp: String
    /// The first 8 hex digits of the run id.
    public var run: String

    /// The quarantine of a run.
    public init(startedAt: Date, runID: String) {
        stamp = Date.ISO8601FormatStyle.compact.format(startedAt)
        run = String(runID.prefix(8))
    }

    /// Parses a name; nil for any name that is not exactly a quarantine name.
    public init?(parsing name: String) {
        let bytes = Array(name.utf8)
        let head = Array(Self.prefix.utf8)
        guard bytes.count == head.count + 16 + 1 + 8, bytes.starts(with: head) else { return nil }
        let stamp = bytes[head.count..<head.count + 16]
        let run = bytes[(head.count + 17)...]
        func digits(_ part: ArraySlice<UInt8>) -> Bool { part.allSatisfy { (0x30...0x39).contains($0) } }
        guard digits(stamp.prefix(8)), stamp[stamp.startIndex + 8] == UInt8(ascii: "T"),
              digits(stamp.dropFirst(9).prefix(6)), stamp.last == UInt8(ascii: "Z"),
              bytes[head.count + 16] == UInt8(ascii: "-"),
              run.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        self.stamp = String(decoding: stamp, as: UTF8.self)
        self.run = String(decoding: run, as: UTF8.self)
    }

    public var name: String { Self.prefix + stamp + "-" + run }

    public static func < (lhs: QuarantineName, rhs: QuarantineName) -> Bool {
        (lhs.stamp, lhs.run) < (rhs.stamp, rhs.run)
    }
}
