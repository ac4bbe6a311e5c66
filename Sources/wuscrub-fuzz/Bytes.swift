import WUScrubCore

/// Bounds-checked little-endian access and the fuzzer's own structure scans over mutated bytes.
///
/// A mutated input may be any length, so every access here is total: a load outside the bytes
/// reads 0 and a store outside them does nothing (a trap in the fuzzer itself would be reported as
/// a finding). Inside the bytes they are WUScrubCore's `loadLE` / `storeLE`.
enum Bytes {
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= b.count else { return 0 }
        return b.loadLE(UInt32.self, at: at)
    }

    /// Two 32-bit halves, each checked on its own (a high half past the end reads 0).
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
    }

    static func put32(_ b: inout [UInt8], _ value: UInt32, _ at: Int) {
        guard at >= 0, at + 4 <= b.count else { return }
        b.storeLE(value, at: at)
    }

    /// Two 32-bit halves, each checked on its own (a high half past the end is not written).
    static func put64(_ b: inout [UInt8], _ value: UInt64, _ at: Int) {
        put32(&b, UInt32(truncatingIfNeeded: value), at)
        put32(&b, UInt32(truncatingIfNeeded: value >> 32), at + 4)
    }

    /// Whether the four ASCII bytes of `signature` are at `at`.
    static func has(_ b: [UInt8], _ signature: StaticString, at: Int) -> Bool {
        guard at >= 0, at + 4 <= b.count else { return false }
        return signature.withUTF8Buffer { s in
            s.count == 4 && b[at] == s[0] && b[at + 1] == s[1] && b[at + 2] == s[2] && b[at + 3] == s[3]
        }
    }

    /// Offsets of `HvLE` headers at 512-byte boundaries from 512, chain and remnants alike: after a
    /// header with a plausible size the scan jumps past it, otherwise it steps 512 bytes (the walk
    /// `highestValidSequence` makes, without the hash checks).
    static func entryOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 512
        while offset + 40 <= b.count, offsets.count < 4096 {
            if has(b, "HvLE", at: offset) {
                offsets.append(offset)
                let size = Int(u32(b, offset + 4))
                if size >= 512, size % 512 == 0, size <= b.count - offset {
                    offset += size
                    continue
                }
            }
            offset += 512
        }
        return offsets
    }

    /// The entries of the chain proper (what `TransactionLog` walks before checking hashes).
    static func chainOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 512
        while offset + 40 <= b.count, has(b, "HvLE", at: offset), offsets.count < 4096 {
            offsets.append(offset)
            let size = Int(u32(b, offset + 4))
            guard size >= 512, size % 512 == 0, size <= b.count - offset else { break }
            offset += size
        }
        return offsets
    }

    /// Hive-bin offsets walked from 4096 by their stored sizes (stops at the first implausible one).
    static func binOffsets(_ b: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 4096
        while offset + 32 <= b.count, has(b, "hbin", at: offset), offsets.count < 4096 {
            offsets.append(offset)
            let size = Int(u32(b, offset + 8))
            guard size >= 4096, size % 4096 == 0 else { break }
            offset += size
        }
        return offsets
    }
}
