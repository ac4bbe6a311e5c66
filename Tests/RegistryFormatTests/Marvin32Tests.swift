import Testing
import RegistryFormat

@Suite struct Marvin32Tests {
    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    // MARK: - Vectors (docs/registry-format.md §7.4)

    @Test(arguments: [
        ("", UInt32(0x302009BC)), ("af", 0x3592E206), ("e70f", 0xFDAB5E04), ("37f495", 0x6B3C8B90),
        ("8642dc59", 0x0E9407BE), ("153fb79826", 0x446F25FA), ("0932e6246c47", 0x31A6FF7A), ("ab427ea8d10fc7", 0x117FCBA5),
    ])
    func corefxVectors(input: String, expected: UInt32) {
        #expect(Marvin32.hash32(Self.bytes(input), seed: 0x004F_B61A_001B_DBCC) == expected)
    }

    @Test func marvinRsVector() {
        let utf16 = "Abcdefg".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(Marvin32.hash32(utf16, seed: 0x5D70_D359_C498_B3F8) == 0xBA62_7C81)
    }

    static let registryVectors: [(input: [UInt8], expected: UInt64)] = [
        ([], 0xB39E_FCA4_0396_6E08),
        (Array("h".utf8), 0x32A1_242F_C6BB_44A1),
        (Array("hell".utf8), 0xCB20_72FF_B4B1_92DE),
        (Array("hello, world!".utf8), 0x1687_8513_1646_0006),
        ([UInt8](repeating: 0, count: 32), 0xDA91_A06A_C535_9223),
    ]

    @Test func registrySeedVectors() {
        for vector in Self.registryVectors {
            #expect(Marvin32.hash(vector.input) == vector.expected, "input \(vector.input)")
        }
    }

    @Test func registryFoldsMatch() {
        #expect(Marvin32.hash32([], seed: Marvin32.registrySeed) == 0xB008_92AC)
        #expect(Marvin32.hash32(Array("hello, world!".utf8), seed: Marvin32.registrySeed) == 0x00C1_8515)
    }

    @Test func realLogEntryHeader() {
        let header = Self.bytes("48764c45005e00000000000002000000005000000100000031e40718666c8667")
        #expect(Marvin32.hash(header) == 0xCD44_F3CF_A765_7F02)
    }
}
