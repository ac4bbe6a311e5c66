/// Base-block mutations (every kind of file has one) and primary-hive mutations.
extension Mutator {
    mutating func baseField(_ b: inout [UInt8], context: Context, keepSequencesEqual: Bool) {
        guard b.count >= 512 else { return generic(&b, kind: .log, context: context) }
        let field = rng.pick([4, 8, 12, 20, 24, 28, 32, 36, 40, 44, 144, 4, 40, 28, 24])
        let current = Bytes.u32(b, field)
        var v: UInt32
        switch field {
        case 4, 8: v = sequenceValue(current: current, context: context)
        case 24: v = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 0xFFFF_FFFF])
        case 28: v = rng.pick([0, 1, 2, 3, 6, 7, 0xFFFF_FFFF])
        case 40: v = pageValue(current: current, context: context)
        default: v = value(near: current, context: context)
        }
        if field == 12 { v = rng.chance(1, in: 2) ? UInt32(truncatingIfNeeded: context.lastWritten) : v }
        Bytes.put32(&b, v, field)
        if (field == 4 || field == 8), keepSequencesEqual, rng.chance(7, in: 8) { Bytes.put32(&b, v, 12 - field) }
        trace.note("base block: field +\(field) = 0x\(String(v, radix: 16))")
    }

    mutating func primary(_ b: inout [UInt8], context: Context) {
        switch rng.below(10) {
        case 0, 1, 2:
            baseField(&b, context: context, keepSequencesEqual: false)
        case 3:
            // Clean, or dirty the other way round.
            guard b.count >= 512 else { return }
            if rng.chance(1, in: 2) { Bytes.put32(&b, Bytes.u32(b, 4), 8); trace.note("make the primary clean") } else {
                Bytes.put32(&b, Bytes.u32(b, 8) &+ 1, 4); trace.note("primary sequence +1")
            }
        case 4, 5, 6:
            let bins = Bytes.binOffsets(b)
            guard !bins.isEmpty else { return generic(&b, kind: .primary, context: context) }
            let bin = rng.pick(bins)
            let field = rng.pick([0, 4, 8, 8, 4])
            if field == 0 { b[bin + rng.below(4)] = rng.byte() } else {
                let v = pageValue(current: Bytes.u32(b, bin + field), context: context)
                Bytes.put32(&b, v, bin + field)
            }
            trace.note("hive bin at \(bin): field +\(field)")
        case 7:
            let v = rng.pick([0, 0x20, 0xFFFF_FFFF, 0xFFFF_FFF8, context.hiveBinsSize &- 8, context.hiveBinsSize &- 4,
                              context.hiveBinsSize, Bytes.u32(b, 36) &+ 8, rng.u32() & 0xFFFF8])
            Bytes.put32(&b, v, 36)
            trace.note("root cell offset 0x\(String(v, radix: 16))")
        case 8:
            let root = 4096 + Int(Bytes.u32(b, 36))
            guard root + 8 <= b.count else { return generic(&b, kind: .primary, context: context) }
            if rng.chance(1, in: 2) { Bytes.put32(&b, rng.pick([0, 0x20, 0xFFFF_FFA0, 0x7FFF_FFFF]), root) } else {
                b[root + 4 + rng.below(2)] = rng.byte()
            }
            trace.note("root cell at \(root) mutated")
        default:
            // Cut below, at or just past the declared end.
            let end = 4096 + Int(Bytes.u32(b, 40))
            let length = rng.pick([end - 1, end - 4096, end - 32, 4096, 4096 + 32, 4095, 512]).clamped(to: 0...b.count)
            b.removeSubrange(length..<b.count)
            trace.note("truncate the primary to \(length) bytes (declared end \(end))")
        }
    }
}
