import WUScrubCore

/// Hives crafted at the byte level to make hivex misbehave (built from trusted fixtures).
public enum CraftedHives {
    public struct NotFound: Error, CustomStringConvertible {
        public var description: String
    }

    /// A hive whose key `keyName` has the value-list slot of `slotValue` pointing at the cell of
    /// `targetValue` too: hivex reads it, but `hivex_node_set_value` on that key frees the cell
    /// twice and fails `assert (IS_VALID_BLOCK (h, offset))` in `mark_block_unused` (SIGABRT).
    ///
    /// - Parameters:
    ///   - bytes: A clean hive.
    ///   - keyName: The key's own name (the first key of that name wins), e.g. `wuauserv`.
    public static func duplicateValueCell(in bytes: [UInt8], keyName: String = "wuauserv",
                                          slotValue: String = "Type", targetValue: String = "Start") throws -> [UInt8] {
        var bytes = bytes
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let end = 4096 + u32(40)
        // Walk every bin and cell for the nk cell named keyName.
        var nk: Int?
        var bin = 4096
        search: while bin + 32 <= end {
            let binSize = u32(bin + 8)
            guard binSize >= 4096 else { break }
            var cell = bin + 32
            while cell + 4 <= bin + binSize {
                let size = Int(Int32(truncatingIfNeeded: UInt32(u32(cell))))
                guard size != 0 else { break }
                if size < 0, bytes[cell + 4] == UInt8(ascii: "n"), bytes[cell + 5] == UInt8(ascii: "k") {
                    let length = u16(cell + 76)
                    if String(decoding: bytes[cell + 80..<cell + 80 + length], as: UTF8.self) == keyName {
                        nk = cell
                        break search
                    }
                }
                cell += abs(size)
            }
            bin += binSize
        }
        guard let nk else { throw NotFound(description: "no key named \(keyName)") }
        let count = u32(nk + 40)
        let list = u32(nk + 44) + 4096
        var slots: [String: Int] = [:]
        for index in 0..<count {
            let vk = u32(list + 4 + 4 * index) + 4096
            let length = u16(vk + 6)
            slots[String(decoding: bytes[vk + 24..<vk + 24 + length], as: UTF8.self)] = index
        }
        guard let target = slots[targetValue], let slot = slots[slotValue] else {
            throw NotFound(description: "\(keyName) has no value \(targetValue) or \(slotValue)")
        }
        let cellOffset = u32(list + 4 + 4 * target)
        for byte in 0..<4 { bytes[list + 4 + 4 * slot + byte] = UInt8(truncatingIfNeeded: cellOffset >> (8 * byte)) }
        return bytes
    }
}
