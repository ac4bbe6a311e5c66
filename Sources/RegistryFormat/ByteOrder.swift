// Registry structures are little-endian throughout (docs/registry-format.md §1).

extension Collection where Element == UInt8, Index == Int {
    /// Reads a little-endian integer at an absolute index.
    @inline(__always)
    package func loadLE<T: FixedWidthInteger>(_ type: T.Type, at index: Int) -> T {
        var value: T = 0
        for byte in 0..<MemoryLayout<T>.size {
            value |= T(self[index + byte]) << (8 * byte)
        }
        return value
    }
}

extension Array where Element == UInt8 {
    /// Writes a little-endian integer at an index.
    @inline(__always)
    package mutating func storeLE<T: FixedWidthInteger>(_ value: T, at index: Int) {
        for byte in 0..<MemoryLayout<T>.size {
            self[index + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte))
        }
    }
}
