/// The name of a backup file wuscrub writes in its `backup` folder:
/// `SYSTEM-<serial>-<YYYYMMDDTHHMMSSZ>-<first 8 hex digits of the run id>`, then nothing (the
/// hive), `.LOG`, `.LOG1`, `.LOG2` (its logs) or `-recovered` (the recovered hive).
///
/// Every name in that folder is parsed with this one pattern; anything else is not wuscrub's and
/// is left alone. Numbers are bounded, so no name on the disk can make arithmetic overflow.
struct BackupName: Sendable, Equatable {
    /// What a backup file holds.
    enum Part: String, Sendable, CaseIterable {
        case hive = ""
        case log = ".LOG"
        case log1 = ".LOG1"
        case log2 = ".LOG2"
        case recovered = "-recovered"
    }

    /// The run's serial, ordering runs even when the clock does not: 1 to `maximumSerial`.
    var serial: Int
    /// `20261125T043500Z`.
    var stamp: String
    /// The first 8 hex digits of the run id.
    var run: String
    var part: Part

    /// The largest serial (nine digits).
    static let maximumSerial = 999_999_999

    /// The name of the hive backup of a new run.
    init(serial: Int, stamp: String, runID: String) {
        self.serial = min(max(serial, 1), BackupName.maximumSerial)
        self.stamp = stamp
        run = String(runID.prefix(8))
        part = .hive
    }

    /// Parses a name; nil for any name that is not exactly a wuscrub backup name.
    init?(parsing name: String) {
        let bytes = Array(name.utf8)
        guard bytes.starts(with: Array("SYSTEM-".utf8)) else { return nil }
        var index = 7
        var serial = 0
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            guard index - digitsStart < 9 else { return nil }
            serial = serial * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index - digitsStart >= 6, serial >= 1, index < bytes.count, bytes[index] == UInt8(ascii: "-") else { return nil }
        index += 1
        // YYYYMMDDTHHMMSSZ
        guard bytes.count >= index + 16 + 1 + 8 else { return nil }
        let stamp = bytes[index..<index + 16]
        for (offset, byte) in stamp.enumerated() {
            switch offset {
            case 8: guard byte == UInt8(ascii: "T") else { return nil }
            case 15: guard byte == UInt8(ascii: "Z") else { return nil }
            default: guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            }
        }
        index += 16
        guard bytes[index] == UInt8(ascii: "-") else { return nil }
        index += 1
        let run = bytes[index..<index + 8]
        guard run.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else { return nil }
        index += 8
        guard let part = Part(rawValue: String(decoding: bytes[index...], as: UTF8.self)) else { return nil }
        self.serial = serial
        self.stamp = String(decoding: stamp, as: UTF8.self)
        self.run = String(decoding: run, as: UTF8.self)
        self.part = part
    }

    /// The file name.
    var name: String {
        let digits = String(serial)
        return "SYSTEM-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "-\(stamp)-\(run)" + part.rawValue
    }

    /// The same run's file for another part.
    func with(_ part: Part) -> BackupName {
        var copy = self
        copy.part = part
        return copy
    }

    /// The part that backs up a log file with this suffix (`LOG`, `LOG1`, `LOG2`, any case).
    static func logPart(suffix: String) -> Part? {
        switch suffix.uppercased() {
        case "LOG": .log
        case "LOG1": .log1
        case "LOG2": .log2
        default: nil
        }
    }
}
