/// Old-format (DIRT) log mutations (docs/registry-format.md §8).
extension Mutator {
    mutating func oldLog(_ b: inout [UInt8], context: Context) {
        let bitmapBytes = Int(Bytes.u32(b, 40) / 4096)
        switch rng.below(8) {
        case 0, 1:
            guard bitmapBytes > 0, 516 < b.count else { return generic(&b, kind: .oldLog, context: context) }
            let at = 516 + rng.below(min(bitmapBytes, b.count - 516))
            b[at] = rng.chance(3, in: 4) ? rng.pick(Interesting.bytes) : rng.byte()
            trace.note("DIRT bitmap byte \(at - 516) = 0x\(String(b[at], radix: 16))")
        case 2:
            guard bitmapBytes > 0, 516 < b.count else { return generic(&b, kind: .oldLog, context: context) }
            let fill: UInt8 = rng.chance(1, in: 2) ? 0xFF : 0
            for k in 516..<min(b.count, 516 + bitmapBytes) { b[k] = fill }
            trace.note("DIRT bitmap all 0x\(String(fill, radix: 16))")
        case 3:
            let hb = Bytes.u32(b, 40)
            let v = rng.pick([0x1000, hb &- 0x1000, hb &+ 0x1000, hb &* 2, hb &* 8, UInt32(1 + rng.below(1024)) * 0x1000,
                              0x1000_0000, 0xFFFF_F000, 0x8000_0000, 0, hb &+ 512, context.hiveBinsSize])
            Bytes.put32(&b, v, 40)
            trace.note("log hive-bins size 0x\(String(v, radix: 16))")
        case 4:
            let stamp = rng.pick([context.lastWritten, context.lastWritten &+ 1, context.lastWritten &- 1, 0, UInt64.max])
            Bytes.put64(&b, stamp, 12)
            trace.note("log timestamp 0x\(String(stamp, radix: 16))")
        case 5:
            if b.count >= 516 { b[512 + rng.below(4)] = rng.byte() }
            trace.note("corrupt the DIRT signature")
        default:
            baseField(&b, context: context, keepSequencesEqual: true)
        }
    }
}
