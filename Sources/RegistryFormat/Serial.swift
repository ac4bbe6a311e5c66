/// Serial-number arithmetic on 32-bit sequence numbers (RFC 1982 style).
public enum Serial {
    /// Whether `a` comes after `b`: their difference, modulo 2^32, is in 1…0x7FFFFFFF.
    public static func isAfter(_ a: UInt32, _ b: UInt32) -> Bool {
        let difference = a &- b
        return difference != 0 && difference <= 0x7FFF_FFFF
    }

    /// The highest of `sequences` in serial order (each one replaces the current highest when it
    /// comes after it), starting from `floor` when given.
    public static func highest(_ sequences: [UInt32], above floor: UInt32? = nil) -> UInt32? {
        var highest = floor
        for sequence in sequences where highest.map({ isAfter(sequence, $0) }) ?? true {
            highest = sequence
        }
        return highest
    }

    /// `sequences` without repeats, in serial order around `reference` (from 2^31 before it to
    /// 2^31 − 1 after it), written with ranges: "2107…2130", "3, 5", "2, 4…6".
    public static func describe(_ sequences: [UInt32], around reference: UInt32) -> String {
        let origin = reference &- 0x8000_0000
        let sorted = Set(sequences).sorted { $0 &- origin < $1 &- origin }
        var runs: [(first: UInt32, last: UInt32)] = []
        for sequence in sorted {
            if let run = runs.last, run.last &+ 1 == sequence {
                runs[runs.count - 1].last = sequence
            } else {
                runs.append((sequence, sequence))
            }
        }
        return runs.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)…\($0.last)" }.joined(separator: ", ")
    }

    /// "entry 5" or "entries 3, 5": `describe` with the noun in the right number.
    public static func entries(_ sequences: [UInt32], around reference: UInt32) -> String {
        (Set(sequences).count == 1 ? "entry " : "entries ") + describe(sequences, around: reference)
    }
}
