/// Builds an empty hive from scratch: a base block, one hive bin, a root key and its security cell.
///
/// hivex cannot create a hive; fixtures start from this and are filled with hivex.
public enum HiveTemplate {
    /// The bytes of an empty, clean hive (sequence 1/1, timestamps 0, so the output is reproducible).
    ///
    /// - Parameters:
    ///   - rootName: The root key's name.
    ///   - fileName: The name recorded in the base block (debugging only).
    ///   - minorVersion: The format's minor version (5 for SYSTEM hives of Windows XP and later).
    /// - Returns: 8192 bytes.
    public static func emptyHive(rootName: String = "ROOT", fileName: String = "SYSTEM", minorVersion: UInt32 = 5) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BaseBlock.size + 4096)
        // Base block (docs/registry-format.md §1.1, §3.6).
        bytes.replaceSubrange(0..<4, with: "regf".utf8)
        bytes.storeLE(UInt32(1), at: 4)           // primary sequence
        bytes.storeLE(UInt32(1), at: 8)           // secondary sequence
        bytes.storeLE(UInt32(1), at: 20)          // major version
        bytes.storeLE(minorVersion, at: 24)
        bytes.storeLE(UInt32(0), at: 28)          // file type: primary
        bytes.storeLE(UInt32(1), at: 32)          // file format: direct memory load
        bytes.storeLE(UInt32(0x20), at: 36)       // root cell offset
        bytes.storeLE(UInt32(4096), at: 40)       // hive-bins size
        bytes.storeLE(UInt32(1), at: 44)          // clustering factor
        let name = HiveValue.encodeUTF16(String(fileName.prefix(31)))
        bytes.replaceSubrange(48..<48 + name.count, with: name)

        // Hive bin header.
        let bin = BaseBlock.size
        bytes.replaceSubrange(bin..<bin + 4, with: "hbin".utf8)
        bytes.storeLE(UInt32(0), at: bin + 4)     // offset of this bin
        bytes.storeLE(UInt32(4096), at: bin + 8)  // size of this bin

        // Root key (nk) at bin offset 0x20.
        let rootName = Array(rootName.utf8)
        let nkSize = align8(4 + 76 + rootName.count)
        let nk = bin + 0x20
        let skOffset = 0x20 + nkSize
        bytes.storeLE(UInt32(bitPattern: Int32(-nkSize)), at: nk)
        bytes.replaceSubrange(nk + 4..<nk + 6, with: "nk".utf8)
        bytes.storeLE(UInt16(0x2C), at: nk + 6)   // hive entry | no delete | compressed name
        bytes.storeLE(UInt32(0xFFFF_FFFF), at: nk + 20)   // parent
        bytes.storeLE(UInt32(0xFFFF_FFFF), at: nk + 32)   // subkey list
        bytes.storeLE(UInt32(0xFFFF_FFFF), at: nk + 36)   // volatile subkey list
        bytes.storeLE(UInt32(0xFFFF_FFFF), at: nk + 44)   // value list
        bytes.storeLE(UInt32(skOffset), at: nk + 48)      // security
        bytes.storeLE(UInt32(0xFFFF_FFFF), at: nk + 52)   // class name
        bytes.storeLE(UInt16(rootName.count), at: nk + 76)
        bytes.replaceSubrange(nk + 80..<nk + 80 + rootName.count, with: rootName)

        // Security (sk) cell, a self-referencing list of one.
        let descriptor = securityDescriptor()
        let skSize = align8(4 + 20 + descriptor.count)
        let sk = bin + skOffset
        bytes.storeLE(UInt32(bitPattern: Int32(-skSize)), at: sk)
        bytes.replaceSubrange(sk + 4..<sk + 6, with: "sk".utf8)
        bytes.storeLE(UInt32(skOffset), at: sk + 8)       // flink
        bytes.storeLE(UInt32(skOffset), at: sk + 12)      // blink
        bytes.storeLE(UInt32(1), at: sk + 16)             // reference count
        bytes.storeLE(UInt32(descriptor.count), at: sk + 20)
        bytes.replaceSubrange(sk + 24..<sk + 24 + descriptor.count, with: descriptor)

        // The rest of the bin is one free cell.
        let free = skOffset + skSize
        bytes.storeLE(UInt32(4096 - free), at: bin + free)

        BaseBlock.updateChecksum(&bytes)
        return bytes
    }

    /// A self-relative security descriptor: owner Administrators, group SYSTEM, and a DACL that
    /// gives Administrators and SYSTEM full control, inherited by subkeys.
    package static func securityDescriptor() -> [UInt8] {
        let administrators: [UInt8] = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0]  // S-1-5-32-544
        let system: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]                          // S-1-5-18
        func ace(_ sid: [UInt8]) -> [UInt8] {
            var entry: [UInt8] = [0, 0x02, 0, 0]     // ACCESS_ALLOWED, CONTAINER_INHERIT
            entry.storeLE(UInt16(8 + sid.count), at: 2)
            entry += [0x3F, 0x00, 0x0F, 0x00]       // KEY_ALL_ACCESS
            return entry + sid
        }
        let aces = ace(administrators) + ace(system)
        var acl: [UInt8] = [2, 0, 0, 0, 2, 0, 0, 0]  // revision 2, size, 2 ACEs
        acl.storeLE(UInt16(8 + aces.count), at: 2)
        acl += aces
        var header = [UInt8](repeating: 0, count: 20)
        header[0] = 1                                // revision
        header.storeLE(UInt16(0x8004), at: 2)       // self-relative, DACL present
        header.storeLE(UInt32(20), at: 4)           // owner
        header.storeLE(UInt32(20 + administrators.count), at: 8)            // group
        header.storeLE(UInt32(20 + administrators.count + system.count), at: 16)  // DACL
        return header + administrators + system + acl
    }

    private static func align8(_ value: Int) -> Int { (value + 7) & ~7 }
}
