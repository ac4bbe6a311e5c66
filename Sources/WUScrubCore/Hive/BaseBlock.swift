/// The 4096-byte "regf" header of a registry hive (registry-logs.md §1.1).
public struct BaseBlock: Sendable, Equatable {
    /// Size of the base block on disk.
    public static let size = 4096
    /// Largest value data stored in one cell; bigger data needs a `db` record (minor version > 3).
    public static let maximumSingleCellData = 16_344

    public var primarySequence: UInt32
    public var secondarySequence: UInt32
    public var lastWritten: UInt64
    public var majorVersion: UInt32
    public var minorVersion: UInt32
    public var fileType: UInt32
    public var fileFormat: UInt32
    public var rootCellOffset: UInt32
    public var hiveBinsSize: UInt32
    public var clusteringFactor: UInt32
    public var flags: UInt32
    public var storedChecksum: UInt32
    /// The checksum computed over bytes 0..<508 with the specification's special cases.
    public var computedChecksum: UInt32
    /// Whether the first four bytes read `regf`.
    public var hasSignature: Bool

    /// Parses the first 512 bytes of a hive or log.
    ///
    /// - Parameter bytes: At least 512 bytes starting at the base block.
    /// - Returns: nil when fewer than 512 bytes are given.
    public init?(_ bytes: ArraySlice<UInt8>) {
        guard bytes.count >= 512 else { return nil }
        let base = bytes.startIndex
        func u32(_ offset: Int) -> UInt32 { bytes.loadLE(UInt32.self, at: base + offset) }
        hasSignature = bytes[base..<base + 4].elementsEqual("regf".utf8)
        primarySequence = u32(4)
        secondarySequence = u32(8)
        lastWritten = bytes.loadLE(UInt64.self, at: base + 12)
        majorVersion = u32(20)
        minorVersion = u32(24)
        fileType = u32(28)
        fileFormat = u32(32)
        rootCellOffset = u32(36)
        hiveBinsSize = u32(40)
        clusteringFactor = u32(44)
        flags = u32(144)
        storedChecksum = u32(508)
        computedChecksum = BaseBlock.checksum(bytes)
    }

    /// Whether the stored checksum matches the computed one.
    public var isChecksumValid: Bool { storedChecksum == computedChecksum }

    /// Dirty: the checksum is wrong or the two sequence numbers differ (§1.3).
    public var isDirty: Bool { !isChecksumValid || primarySequence != secondarySequence }

    /// The base-block checksum: XOR of the 127 little-endian dwords at 0..<508, where a result
    /// of 0xFFFFFFFF becomes 0xFFFFFFFE and 0 becomes 1 (§1.2; hivex omits both cases).
    ///
    /// - Parameter bytes: At least 508 bytes starting at the base block.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        switch rawChecksum(bytes) {
        case 0xFFFF_FFFF: return 0xFFFF_FFFE
        case 0: return 1
        case let sum: return sum
        }
    }

    /// The plain XOR of the 127 little-endian dwords at 0..<508, without the special cases: what
    /// hivex computes and requires.
    ///
    /// - Parameter bytes: At least 508 bytes starting at the base block.
    public static func rawChecksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var sum: UInt32 = 0
        for offset in stride(from: 0, to: 508, by: 4) {
            sum ^= bytes.loadLE(UInt32.self, at: bytes.startIndex + offset)
        }
        return sum
    }

    /// Writes a fresh checksum (with the special cases) into a buffer holding a base block.
    public static func updateChecksum(_ bytes: inout [UInt8]) {
        let sum = checksum(bytes[0..<512])
        bytes.storeLE(sum, at: 508)
    }
}

// Package-visible: the fuzzer (wuscrub-fuzz) reads and writes its inputs with these too.
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
