/// Marvin32, the keyed hash that new-format registry logs use for their entry checksums
/// (docs/registry-format.md §7).
public struct Marvin32: Sendable {
    /// The registry's seed, as an integer: s0 = 0x7A4E55C5, s1 = 0x82EF4D88.
    public static let registrySeed: UInt64 = 0x82EF_4D88_7A4E_55C5

    /// The 64-bit hash `(s1 << 32) | s0` of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The data.
    ///   - seed: The 64-bit seed; its low half starts s0, its high half s1.
    public static func hash(_ bytes: some Collection<UInt8>, seed: UInt64 = registrySeed) -> UInt64 {
        var s0 = UInt32(truncatingIfNeeded: seed)
        var s1 = UInt32(truncatingIfNeeded: seed >> 32)
        var iterator = bytes.makeIterator()
        var word: UInt32 = 0
        var count = 0
        while let byte = iterator.next() {
            word |= UInt32(byte) << (8 * UInt32(count))
            count += 1
            if count == 4 {
                s0 &+= word
                block(&s0, &s1)
                word = 0
                count = 0
            }
        }
        // Tail: 0x80 just above the remaining bytes, then one block with it and one with zero.
        s0 &+= word | (0x80 << (8 * UInt32(count)))
        block(&s0, &s1)
        block(&s0, &s1)
        return UInt64(s1) << 32 | UInt64(s0)
    }

    /// .NET's 32-bit form: the two halves XORed.
    public static func hash32(_ bytes: some Collection<UInt8>, seed: UInt64) -> UInt32 {
        let full = hash(bytes, seed: seed)
        return UInt32(truncatingIfNeeded: full) ^ UInt32(truncatingIfNeeded: full >> 32)
    }

    @inline(__always)
    private static func block(_ s0: inout UInt32, _ s1: inout UInt32) {
        s1 ^= s0
        s0 = s0.rotatedLeft(20)
        s0 &+= s1
        s1 = s1.rotatedLeft(9)
        s1 ^= s0
        s0 = s0.rotatedLeft(27)
        s0 &+= s1
        s1 = s1.rotatedLeft(19)
    }
}

extension UInt32 {
    @inline(__always)
    package func rotatedLeft(_ count: UInt32) -> UInt32 { (self << count) | (self >> (32 - count)) }
}
