import WUScrubCore

// The mutator's state, its value and offset choices, the mutations every kind of input gets, and the
// driver that stacks them; the mutations of each format are in Mutator+NewLog, +OldLog and +Primary.

/// Mutation notes, collected only when tracing (`--trace`, `--replay-iteration`).
struct Trace {
    var enabled: Bool
    var lines: [String] = []

    mutating func note(_ text: @autoclosure () -> String) {
        if enabled { lines.append(text()) }
    }
}

enum Interesting {
    static let u32: [UInt32] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0x200, 0x201, 0x3FF, 0x400, 0xFFF, 0x1000, 0x1001,
        0x2000, 0x5000, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x0FFF_F000, 0x1000_0000, 0x1FFF_FFFF,
        0x2000_0000, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_E000, 0xFFFF_F000, 0xFFFF_FE00,
        0xFFFF_FFFE, 0xFFFF_FFFF,
    ]
    static let bytes: [UInt8] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, 0x81]
    static let arithmetic: [UInt32] = [1, 2, 8, 40, 512, 4096, 0x1_0000]
    /// Base-block fields (docs/registry-format.md §1.1).
    static let baseFields = [4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 144, 508]
}

/// Mutates one input. Everything it does is drawn from `rng`, so it is reproducible.
struct Mutator {
    var rng: SplitMix64
    var trace: Trace
    let seeds: [Seed]
    /// The largest input a mutation may make: 2 MiB, or the largest seed plus 1 MiB.
    let maximumSize: Int

    // MARK: Values

    mutating func value(near current: UInt32, context: Context) -> UInt32 {
        switch rng.below(10) {
        case 0..<5: return rng.pick(Interesting.u32)
        case 5, 6:
            let delta = rng.pick(Interesting.arithmetic)
            return rng.chance(1, in: 2) ? current &+ delta : current &- delta
        case 7: return rng.pick([context.hiveBinsSize, context.hiveBinsSize &+ 0x1000, context.hiveBinsSize &- 0x1000,
                                 context.primarySequence, context.secondarySequence])
        case 8: return UInt32(rng.below(64)) &* 0x1000
        default: return rng.u32()
        }
    }

    mutating func pageValue(current: UInt32, context: Context) -> UInt32 {
        let hb = context.hiveBinsSize
        switch rng.below(8) {
        case 0..<4: return rng.pick([0, 0x1000, 0x2000, 0x5000, hb &- 0x1000, hb, hb &+ 0x1000, hb &+ 0x2000,
                                     0x7FFF_F000, 0x8000_0000, 0xFFFF_E000, 0xFFFF_F000, 0xFFFF_FFFF, 0x200,
                                     current &+ 0x1000, current &- 0x1000])
        case 4: return UInt32(rng.below(Int(min(hb, 0x100_0000) / 0x1000) + 2)) &* 0x1000
        default: return value(near: current, context: context)
        }
    }

    mutating func sequenceValue(current: UInt32, context: Context) -> UInt32 {
        rng.pick([0, 1, current &- 1, current &+ 1, context.primarySequence, context.secondarySequence,
                  context.secondarySequence &- 1, context.primarySequence &+ 1, 0x7FFF_FFFF, 0x8000_0000,
                  0xFFFF_FFFF, current &+ 0x8000_0000, current &+ 0x7FFF_FFFF, rng.u32()])
    }

    // MARK: Offsets

    /// A random offset, biased towards the base block and the structures of the input's kind.
    mutating func offset(in b: [UInt8], kind: SeedKind) -> Int? {
        guard !b.isEmpty else { return nil }
        let r = rng.below(10)
        if r < 4, b.count >= 512 {
            if rng.chance(1, in: 2) { return rng.pick(Interesting.baseFields) + rng.below(4) }
            return rng.below(512)
        }
        if r < 7 {
            switch kind {
            case .newLog, .log:
                let entries = Bytes.entryOffsets(b)
                if !entries.isEmpty {
                    let e = rng.pick(entries)
                    let count = Int(min(Bytes.u32(b, e + 20), 8))
                    let candidate = e + rng.below(40 + 8 * count)
                    if candidate < b.count { return candidate }
                }
            case .oldLog:
                let bitmap = Int(Bytes.u32(b, 40) / 4096)
                let candidate = 512 + rng.below(4 + min(bitmap, 1 << 20))
                if candidate < b.count { return candidate }
            case .primary:
                let bins = Bytes.binOffsets(b)
                if !bins.isEmpty, rng.chance(3, in: 4) {
                    let candidate = rng.pick(bins) + rng.below(32)
                    if candidate < b.count { return candidate }
                }
                let root = 4096 + Int(Bytes.u32(b, 36))
                let candidate = root + rng.below(80)
                if candidate < b.count { return candidate }
            }
        }
        return rng.below(b.count)
    }

    // MARK: Generic mutations

    mutating func generic(_ b: inout [UInt8], kind: SeedKind, context: Context) {
        switch rng.below(16) {
        case 0, 1, 2:
            guard let at = offset(in: b, kind: kind) else { return extend(&b) }
            let bit = rng.below(8)
            b[at] ^= UInt8(1) << UInt8(bit)
            trace.note("flip bit \(bit) of byte \(at)")
        case 3, 4:
            guard let at = offset(in: b, kind: kind) else { return extend(&b) }
            b[at] = rng.chance(3, in: 4) ? rng.pick(Interesting.bytes) : rng.byte()
            trace.note("set byte \(at) to 0x\(String(b[at], radix: 16))")
        case 5, 6, 7:
            guard let at = offset(in: b, kind: kind).map({ $0 & ~3 }), at + 4 <= b.count else { return extend(&b) }
            let v = value(near: Bytes.u32(b, at), context: context)
            Bytes.put32(&b, v, at)
            trace.note("set u32 at \(at) to 0x\(String(v, radix: 16))")
        case 8, 9:
            truncate(&b)
        case 10, 11:
            extend(&b)
        case 12:
            splice(&b, kind: kind)
        case 13:
            // Copy a region over another (AFL-style), often aligned.
            guard b.count > 2 else { return }
            let length = 1 + rng.below(min(b.count / 2, 8192))
            let aligned = rng.chance(1, in: 2)
            var from = rng.below(b.count - length + 1), to = rng.below(b.count - length + 1)
            if aligned { from = from / 512 * 512; to = to / 512 * 512 }
            guard from + length <= b.count, to + length <= b.count else { return }
            let chunk = Array(b[from..<from + length])
            b.replaceSubrange(to..<to + length, with: chunk)
            trace.note("copy \(length) bytes from \(from) to \(to)")
        case 14:
            // Insert or delete bytes (shifts everything after: breaks alignment on purpose).
            if rng.chance(1, in: 2), !b.isEmpty {
                let start = rng.below(b.count)
                let n = min(1 + rng.below(1024), b.count - start)
                b.removeSubrange(start..<start + n)
                trace.note("delete \(n) bytes at \(start)")
            } else {
                let at = rng.below(b.count + 1)
                let n = rng.pick([1, 4, 8, 40, 512, 4096])
                guard b.count + n <= maximumSize else { return }
                b.insert(contentsOf: (0..<n).map { _ in rng.byte() }, at: at)
                trace.note("insert \(n) random bytes at \(at)")
            }
        default:
            // Fill a region with one value.
            guard !b.isEmpty else { return extend(&b) }
            let start = rng.below(b.count)
            let length = min(b.count - start, rng.pick([4, 8, 32, 40, 512, 4096]))
            let fill = rng.pick(Interesting.bytes)
            for k in start..<start + length { b[k] = fill }
            trace.note("fill \(length) bytes at \(start) with 0x\(String(fill, radix: 16))")
        }
    }

    mutating func truncate(_ b: inout [UInt8]) {
        guard !b.isEmpty else { return }
        var length: Int
        switch rng.below(4) {
        case 0: length = rng.below(b.count) / 512 * 512
        case 1: length = max(0, b.count - 1 - rng.below(min(b.count, 1024)))
        case 2: length = rng.pick([0, 1, 40, 511, 512, 513, 516, 551, 552, 1024, 4095, 4096, 4127]).clamped(to: 0...b.count)
        default: length = rng.below(b.count)
        }
        b.removeSubrange(length..<b.count)
        trace.note("truncate to \(length) bytes")
    }

    mutating func extend(_ b: inout [UInt8]) {
        let n = rng.pick([1, 3, 4, 40, 511, 512, 513, 4096, 1 + rng.below(4096), 1 + rng.below(65_536)])
        guard b.count + n <= maximumSize else { return }
        switch rng.below(5) {
        case 0:
            b += (0..<n).map { _ in rng.byte() }
            trace.note("append \(n) random bytes")
        case 1:
            let fill: UInt8 = rng.chance(1, in: 2) ? 0 : 0xFF
            b += [UInt8](repeating: fill, count: n)
            trace.note("append \(n) bytes of 0x\(String(fill, radix: 16))")
        case 2 where !b.isEmpty:
            let from = rng.below(b.count)
            let length = min(n, b.count - from)
            b += Array(b[from..<from + length])
            trace.note("append a copy of \(length) bytes from \(from)")
        default:
            // A plausible HvLE entry skeleton: signature, size, sequence, hive-bins size, one page.
            let size = (max(n, 4136) + 511) / 512 * 512
            guard b.count + size <= maximumSize else { return }
            let start = b.count
            b += [UInt8](repeating: 0, count: size)
            Bytes.put32(&b, 0x454C_7648, start)  // "HvLE"
            Bytes.put32(&b, UInt32(size), start + 4)
            Bytes.put32(&b, rng.u32() & 1, start + 8)
            Bytes.put32(&b, sequenceValue(current: Bytes.u32(b, 4), context: Context()), start + 12)
            Bytes.put32(&b, rng.pick([0x1000, 0x5000, 0x2_0000, 0xFFFF_F000]), start + 16)
            Bytes.put32(&b, 1, start + 20)
            Bytes.put32(&b, UInt32(rng.below(5)) * 0x1000, start + 40)
            Bytes.put32(&b, 0x1000, start + 44)
            Bytes.put32(&b, 0x6E69_6268, start + 48)  // "hbin" as page data
            trace.note("append an HvLE skeleton of \(size) bytes at \(start)")
        }
    }

    mutating func splice(_ b: inout [UInt8], kind: SeedKind) {
        let sameKind = seeds.indices.filter { seeds[$0].kind == kind && !seeds[$0].bytes.isEmpty }
        let pool = sameKind.isEmpty || rng.chance(1, in: 4) ? Array(seeds.indices) : sameKind
        let other = seeds[rng.pick(pool)]
        guard !other.bytes.isEmpty else { return }
        let aligned = rng.chance(2, in: 3)
        var cutA = rng.below(b.count + 1), cutB = rng.below(other.bytes.count)
        if aligned { cutA = cutA / 512 * 512; cutB = cutB / 512 * 512 }
        let tail = other.bytes[cutB...].prefix(max(0, maximumSize - cutA))
        b = Array(b[..<cutA]) + tail
        trace.note("splice: first \(cutA) bytes, then \(other.path) from \(cutB) (\(tail.count) bytes)")
    }

    // MARK: Driver

    /// Applies 1…8 stacked mutations (fewer when `light`), then usually repairs hashes and the checksum.
    mutating func mutate(_ b: inout [UInt8], kind: SeedKind, context: Context, light: Bool = false) {
        let rounds = light ? rng.geometric(limit: 2) : rng.geometric(limit: 8)
        for _ in 0..<rounds {
            if rng.chance(2, in: 5) {
                generic(&b, kind: kind, context: context)
                continue
            }
            switch kind {
            case .newLog, .log: newLog(&b, context: context)
            case .oldLog: oldLog(&b, context: context)
            case .primary: primary(&b, context: context)
            }
        }
        // Repair, so that the mutations get past the hash and checksum checks to the code behind them.
        if Bytes.has(b, "HvLE", at: 512) || kind == .newLog, rng.chance(4, in: 5) { rehash(&b) }
        if b.count >= 512 {
            if rng.chance(7, in: 8) {
                BaseBlock.updateChecksum(&b)
                trace.note("update the base-block checksum")
            } else if rng.chance(1, in: 2) {
                let v = rng.pick([0, 1, 0xFFFF_FFFE, 0xFFFF_FFFF, BaseBlock.checksum(b[0..<512]) ^ 1])
                Bytes.put32(&b, v, 508)
                trace.note("base-block checksum 0x\(String(v, radix: 16))")
            }
        }
        // Now and then, one more change after the repair (so a hash or checksum is wrong again).
        if rng.chance(1, in: 12) {
            trace.note("after the repair:")
            generic(&b, kind: kind, context: context)
        }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
