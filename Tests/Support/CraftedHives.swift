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
        let nk = try keyCell(named: keyName, in: bytes)
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

    /// The offset in the file of the first `nk` cell whose name is `keyName`.
    public static func keyCell(named keyName: String, in bytes: [UInt8]) throws -> Int {
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        let end = 4096 + u32(40)
        var bin = 4096
        while bin + 32 <= end {
            let binSize = u32(bin + 8)
            guard binSize >= 4096 else { break }
            var cell = bin + 32
            while cell + 4 <= bin + binSize {
                let size = Int(Int32(truncatingIfNeeded: UInt32(u32(cell))))
                guard size != 0 else { break }
                if size < 0, bytes[cell + 4] == UInt8(ascii: "n"), bytes[cell + 5] == UInt8(ascii: "k") {
                    let length = u16(cell + 76)
                    if String(decoding: bytes[cell + 80..<cell + 80 + length], as: UTF8.self) == keyName { return cell }
                }
                cell += abs(size)
            }
            bin += binSize
        }
        throw NotFound(description: "no key named \(keyName)")
    }

    /// A hive whose key `keyName` claims `lists` × `perList` subkeys: an `ri` index of `li` lists
    /// whose entries all point at one new key `k` (a few MB for a million subkeys). Appended as
    /// one new hive bin; the base block's size and checksum are updated.
    public static func manySubkeys(in bytes: [UInt8], keyName: String, lists: Int = 16, perList: Int = 62_500) throws -> [UInt8] {
        var bytes = bytes
        let parent = try keyCell(named: keyName, in: bytes)
        func put32(_ value: Int, at: Int) { for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
        func put16(_ value: Int, at: Int) { for i in 0..<2 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let binsSize = u32(40)
        func align8(_ n: Int) -> Int { (n + 7) & ~7 }
        let nkSize = align8(80 + 1), liSize = align8(8 + 4 * perList), riSize = align8(8 + 4 * lists)
        let used = 32 + nkSize + lists * liSize + riSize
        let binSize = (used + 4095) / 4096 * 4096
        let bin = 4096 + binsSize
        bytes += [UInt8](repeating: 0, count: binSize)
        bytes.replaceSubrange(bin..<bin + 4, with: Array("hbin".utf8))
        put32(binsSize, at: bin + 4)
        put32(binSize, at: bin + 8)
        // The child key: the parent's nk cell with another name, no subkeys, no values.
        let nk = bin + 32
        put32(-nkSize, at: nk)
        bytes.replaceSubrange(nk + 4..<nk + 80, with: bytes[parent + 4..<parent + 80])
        put16(0x20, at: nk + 6)
        put32(parent - 4096, at: nk + 20)
        put32(0, at: nk + 24)
        put32(-1, at: nk + 32)
        put32(0, at: nk + 40)
        put32(-1, at: nk + 44)
        put32(-1, at: nk + 52)
        put16(1, at: nk + 76)
        put16(0, at: nk + 78)
        bytes[nk + 80] = UInt8(ascii: "k")
        var cell = nk + nkSize
        var listOffsets: [Int] = []
        for _ in 0..<lists {
            put32(-liSize, at: cell)
            bytes[cell + 4] = UInt8(ascii: "l"); bytes[cell + 5] = UInt8(ascii: "i")
            put16(perList, at: cell + 6)
            for index in 0..<perList { put32(nk - 4096, at: cell + 8 + 4 * index) }
            listOffsets.append(cell - 4096)
            cell += liSize
        }
        put32(-riSize, at: cell)
        bytes[cell + 4] = UInt8(ascii: "r"); bytes[cell + 5] = UInt8(ascii: "i")
        put16(lists, at: cell + 6)
        for (index, offset) in listOffsets.enumerated() { put32(offset, at: cell + 8 + 4 * index) }
        let ri = cell
        cell += riSize
        if cell < bin + binSize { put32(bin + binSize - cell, at: cell) }  // the rest: one free cell
        put32(lists * perList, at: parent + 24)
        put32(ri - 4096, at: parent + 32)
        put32(binsSize + binSize, at: 40)
        BaseBlock.updateChecksum(&bytes)
        return bytes
    }
}
