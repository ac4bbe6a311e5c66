import WUScrubCore

/// New-format (HvLE) log mutations (docs/registry-format.md §6), and the hash repair that lets them through.
extension Mutator {
    mutating func newLog(_ b: inout [UInt8], context: Context) {
        let entries = Bytes.entryOffsets(b)
        guard let e = entries.isEmpty ? nil : rng.pick(entries) else { return generic(&b, kind: .newLog, context: context) }
        switch rng.below(12) {
        case 0, 1, 2:
            // One header field of an entry.
            let field = rng.pick([4, 8, 12, 16, 20, 16, 20, 4])
            let current = Bytes.u32(b, e + field)
            let size = Bytes.u32(b, e + 4)
            let v: UInt32
            switch field {
            case 4: v = rng.pick([0, 1, 40, 511, 512, 513, 1024, size &- 512, size &+ 512, size &+ 4096,
                                  UInt32(truncatingIfNeeded: b.count - e), UInt32(truncatingIfNeeded: b.count - e + 512),
                                  0xFFFF_FE00, 0xFFFF_FFFF, 0x8000_0000, value(near: current, context: context)])
            case 12: v = sequenceValue(current: current, context: context)
            case 16: v = pageValue(current: current, context: context)
            case 20:
                let maximum = size >= 40 ? (size - 40) / 8 : 0
                v = rng.pick([0, 1, 2, current &- 1, current &+ 1, maximum, maximum &+ 1, 0x1FFF_FFFF, 0x2000_0000,
                              0x2000_0001, 0x8000_0000, 0xFFFF_FFFF, value(near: current, context: context)])
            default: v = value(near: current, context: context)
            }
            Bytes.put32(&b, v, e + field)
            trace.note("entry at \(e): set header field +\(field) to 0x\(String(v, radix: 16))")
        case 3, 4, 5:
            // One page reference (offset or size).
            let size = Int(Bytes.u32(b, e + 4))
            let room = max(0, (min(size, b.count - e) - 40) / 8)
            let count = min(Int(Bytes.u32(b, e + 20)), room, 64)
            guard count > 0 else { return generic(&b, kind: .newLog, context: context) }
            let reference = e + 40 + 8 * rng.below(count)
            let field = rng.chance(1, in: 2) ? 0 : 4
            let v = pageValue(current: Bytes.u32(b, reference + field), context: context)
            Bytes.put32(&b, v, reference + field)
            trace.note("entry at \(e): set page reference at \(reference) \(field == 0 ? "offset" : "size") to 0x\(String(v, radix: 16))")
        case 6:
            // Renumber: the log's base sequence and its chain from it.
            let base = sequenceValue(current: Bytes.u32(b, 4), context: context)
            if b.count >= 512 { Bytes.put32(&b, base, 4); Bytes.put32(&b, base, 8) }
            for (k, entry) in Bytes.chainOffsets(b).enumerated() { Bytes.put32(&b, base &+ UInt32(k), entry + 12) }
            trace.note("renumber the log from sequence \(base)")
        case 7:
            // Grow or shrink the hive bins an entry claims, and maybe point a page past the old end.
            let hb = context.hiveBinsSize
            let v = rng.pick([hb &+ 0x1000, hb &+ 0x2000, hb &+ 0x1_0000, hb &- 0x1000, 0x1000, hb &* 2,
                              0x1000_0000, 0x7FFF_F000, 0xFFFF_F000])
            let targets = rng.chance(1, in: 2) ? [e] : entries.filter { $0 >= e }
            for t in targets { Bytes.put32(&b, v, t + 16) }
            trace.note("entries from \(e): hive-bins size 0x\(String(v, radix: 16))")
            if rng.chance(1, in: 2), Bytes.u32(b, e + 20) > 0, e + 48 <= b.count {
                let page = rng.pick([hb, v &- 0x1000, hb &- 0x1000])
                Bytes.put32(&b, page, e + 40)
                trace.note("entry at \(e): first page offset 0x\(String(page, radix: 16))")
            }
        case 8:
            // Duplicate an entry over another, or append a copy with the next sequence number.
            let size = Int(Bytes.u32(b, e + 4))
            guard size >= 40, e + size <= b.count else { return generic(&b, kind: .newLog, context: context) }
            let copy = Array(b[e..<e + size])
            let chain = Bytes.chainOffsets(b)
            if rng.chance(1, in: 2), let last = chain.last {
                let lastSize = Int(Bytes.u32(b, last + 4))
                let end = lastSize >= 512 && last + lastSize <= b.count ? last + lastSize : b.count
                guard end + size <= maximumSize else { return }
                b = Array(b[..<end]) + copy + b[end...]
                Bytes.put32(&b, Bytes.u32(b, last + 12) &+ 1, end + 12)
                trace.note("insert a copy of entry \(e) (\(size) bytes) at \(end), sequence +1")
            } else {
                let to = rng.pick(entries)
                let n = min(size, b.count - to)
                b.replaceSubrange(to..<to + n, with: copy[0..<n])
                trace.note("copy entry \(e) (\(n) bytes) over entry \(to)")
            }
        case 9:
            // Drop an entry from the chain.
            let size = Int(Bytes.u32(b, e + 4))
            guard size >= 512, e + size <= b.count else { return generic(&b, kind: .newLog, context: context) }
            b.removeSubrange(e..<e + size)
            trace.note("remove entry \(e) (\(size) bytes)")
        case 10:
            // Swap two page references of one entry.
            let count = min(Int(Bytes.u32(b, e + 20)), 64)
            guard count >= 2, e + 40 + 8 * count <= b.count else { return generic(&b, kind: .newLog, context: context) }
            let i = rng.below(count), j = rng.below(count)
            for k in 0..<8 { b.swapAt(e + 40 + 8 * i + k, e + 40 + 8 * j + k) }
            trace.note("entry at \(e): swap page references \(i) and \(j)")
        default:
            baseField(&b, context: context, keepSequencesEqual: true)
        }
    }

    /// Recomputes Hash-1 (Marvin32 over [40, size)) and Hash-2 (over [0, 32)) of every HvLE
    /// header at a 512-byte boundary, so that a mutated entry passes its hash checks.
    mutating func rehash(_ b: inout [UInt8]) {
        var count = 0
        for e in Bytes.entryOffsets(b) {
            let size = Int(Bytes.u32(b, e + 4))
            if size >= 40, size <= b.count - e {
                Bytes.put64(&b, Marvin32.hash(b[(e + 40)..<(e + size)]), e + 24)
            }
            Bytes.put64(&b, Marvin32.hash(b[e..<(e + 32)]), e + 32)
            count += 1
        }
        trace.note("rehash \(count) HvLE entries (Hash-1, Hash-2)")
    }
}
