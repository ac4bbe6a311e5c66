import RegistryFormat
import Testing

/// `HiveLayout.validate(size:path:read:)` — the piecewise check a hive held outside memory gets —
/// reaches the same verdict as the whole-array check on every kind of damage it looks for.
@Suite struct HiveLayoutTests {
    static let clean = HiveTemplate.emptyHive()

    /// The verdict of a check, comparable.
    static func verdict(_ check: () throws(HiveFormatError) -> BaseBlock) -> String {
        do { return "ok \(try check().primarySequence)" } catch { return "\(error)" }
    }

    /// Both checks on `bytes`, counting the bytes the piecewise one reads.
    static func bothVerdicts(_ bytes: [UInt8]) -> (whole: String, piecewise: String, bytesRead: Int) {
        var read = 0
        let piecewise = verdict { () throws(HiveFormatError) in
            try HiveLayout.validate(size: bytes.count, path: "SYSTEM") { offset, count in
                let piece = Array(bytes[min(offset, bytes.count)..<min(offset + count, bytes.count)])
                read += piece.count
                return piece
            }
        }
        return (verdict { () throws(HiveFormatError) in try HiveLayout.validate(bytes, path: "SYSTEM") }, piecewise, read)
    }

    /// `bytes` with `value` stored little-endian at `offset`.
    static func storing(_ value: UInt32, at offset: Int, in bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        for index in 0..<4 { copy[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        return copy
    }

    static let damaged: [(String, [UInt8])] = [
        ("clean", clean),
        ("shorter than a base block", Array(clean[0..<4000])),
        ("cut inside the bins", Array(clean[0..<(clean.count - 1024)])),
        ("no regf", storing(0, at: 0, in: clean)),
        ("version 1.2", storing(2, at: 24, in: clean)),
        ("a log's file type", storing(1, at: 28, in: clean)),
        ("bins size not a multiple of 4096", storing(5000, at: 40, in: clean)),
        ("bins size past the end", storing(UInt32(clean.count * 2), at: 40, in: clean)),
        ("root cell offset outside", storing(0xFFFF_FFF0, at: 36, in: clean)),
        ("root cell offset none", storing(0xFFFF_FFFF, at: 36, in: clean)),
        ("no hbin", storing(0, at: 4096, in: clean)),
        ("bin at the wrong offset", storing(4096, at: 4100, in: clean)),
        ("bin size zero", storing(0, at: 4104, in: clean)),
        ("bin running past the end", storing(UInt32(clean.count), at: 4104, in: clean)),
        ("root not an nk cell", storing(0x6B6C, at: 4096 + 32 + 4, in: clean)),
        ("root cell free", storing(64, at: 4096 + 32, in: clean)),
        ("trailing data after the bins", clean + [UInt8](repeating: 0xAB, count: 8192)),
    ]

    @Test(arguments: 0..<damaged.count)
    func thePiecewiseCheckAgreesWithTheWholeOne(_ index: Int) {
        let (name, bytes) = Self.damaged[index]
        let verdicts = Self.bothVerdicts(bytes)
        #expect(verdicts.piecewise == verdicts.whole, "\(name)")
    }

    @Test func aCleanHiveIsAcceptedAndTheDamageIsSeen() {
        #expect(Self.bothVerdicts(Self.clean).piecewise.hasPrefix("ok"))
        let refused = Self.damaged.dropFirst().filter { !Self.bothVerdicts($0.1).piecewise.hasPrefix("ok") }
        // Trailing data is allowed; every other kind of damage is refused.
        #expect(refused.count == Self.damaged.count - 2)
    }

    @Test func thePiecewiseCheckReadsOnlyHeadersNotTheCells() {
        // A hive of 64 bins of 4 KiB: the check reads the base block, 12 bytes a bin and 6 of the root.
        var hive = Self.clean
        let bins = (hive.count - 4096) / 4096
        for index in 0..<64 {
            var bin = [UInt8](repeating: 0, count: 4096)
            bin.replaceSubrange(0..<4, with: Array("hbin".utf8))
            let offset = UInt32((bins + index) * 4096)
            for byte in 0..<4 { bin[4 + byte] = UInt8(truncatingIfNeeded: offset >> (8 * byte)) }
            for byte in 0..<4 { bin[8 + byte] = UInt8(truncatingIfNeeded: UInt32(4096) >> (8 * byte)) }
            hive += bin
        }
        hive = Self.storing(UInt32(hive.count - 4096), at: 40, in: hive)
        let verdicts = Self.bothVerdicts(hive)
        #expect(verdicts.whole.hasPrefix("ok"), "\(verdicts.whole)")
        #expect(verdicts.piecewise == verdicts.whole)
        #expect(verdicts.bytesRead == 512 + 12 * (bins + 64) + 6, "\(verdicts.bytesRead) bytes read of \(hive.count)")
    }
}
