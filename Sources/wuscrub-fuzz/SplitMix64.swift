/// SplitMix64: small, fast, and good enough to drive mutations.
struct SplitMix64 {
    var state: UInt64

    /// The stream of iteration `index` under `seed`: independent of every other iteration.
    init(seed: UInt64, iteration index: Int) {
        state = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(bitPattern: Int64(index)) &+ 0x5755_5343_5255_4221))
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// A number in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }

    /// 1 with probability 1/2, 2 with 1/4, … up to `limit`.
    mutating func geometric(limit: Int) -> Int {
        var n = 1
        while n < limit && chance(1, in: 2) { n += 1 }
        return n
    }
}
