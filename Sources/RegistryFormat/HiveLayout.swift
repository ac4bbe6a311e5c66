/// Structural checks of a primary hive file that hivex does not make (docs/registry-format.md §1.7, §3.2, §11.1).
public enum HiveLayout {
    /// Validates a primary hive's base block, length, hive-bin chain and root key.
    ///
    /// Dirtiness (sequence numbers, checksum) is *not* an error here: read `BaseBlock.isDirty`.
    /// A wrong checksum only makes the fields untrusted, so the sizes are still checked.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - path: The file's path, for messages.
    /// - Returns: The parsed base block.
    /// - Throws: `HiveFormatError.invalidBaseBlock`, `.truncated` or `.brokenBinChain`.
    @discardableResult
    public static func validate(_ bytes: [UInt8], path: String) throws(HiveFormatError) -> BaseBlock {
        guard bytes.count >= BaseBlock.size, let block = BaseBlock(bytes[0..<512]) else {
            throw .invalidBaseBlock(path: path, reason: "the file has \(bytes.count) bytes, fewer than the 4096 of a base block")
        }
        guard block.hasSignature else { throw .invalidBaseBlock(path: path, reason: "no 'regf' signature") }
        guard block.majorVersion == 1, (3...6).contains(block.minorVersion) else {
            throw .invalidBaseBlock(path: path, reason: "unsupported format version \(block.majorVersion).\(block.minorVersion)")
        }
        guard block.fileType == 0 else {
            throw .invalidBaseBlock(path: path, reason: "file type \(block.fileType) is not a primary hive (0); is this a transaction log?")
        }
        guard block.fileFormat == 1 else { throw .invalidBaseBlock(path: path, reason: "file format \(block.fileFormat), expected 1") }
        guard block.clusteringFactor == 1 else {
            throw .invalidBaseBlock(path: path, reason: "clustering factor \(block.clusteringFactor), expected 1")
        }
        let binsSize = Int(block.hiveBinsSize)
        guard binsSize >= 4096, binsSize % 4096 == 0 else {
            throw .invalidBaseBlock(path: path, reason: "hive-bins size \(binsSize) is not a positive multiple of 4096")
        }
        let end = BaseBlock.size + binsSize
        guard bytes.count >= end else { throw .truncated(path: path, declaredEnd: end, fileSize: bytes.count) }
        try walkBins(bytes, end: end, path: path)
        try checkRoot(bytes, offset: block.rootCellOffset, binsSize: binsSize, path: path)
        return block
    }

    private static func walkBins(_ bytes: [UInt8], end: Int, path: String) throws(HiveFormatError) {
        var offset = BaseBlock.size
        while offset < end {
            guard offset + 32 <= end else { throw .brokenBinChain(path: path, offset: offset, reason: "a hive bin header runs past the declared end \(end)") }
            guard bytes[offset..<offset + 4].elementsEqual("hbin".utf8) else {
                throw .brokenBinChain(path: path, offset: offset, reason: "no 'hbin' signature")
            }
            let stored = Int(bytes.loadLE(UInt32.self, at: offset + 4))
            guard stored == offset - BaseBlock.size else {
                throw .brokenBinChain(path: path, offset: offset, reason: "the bin says it is at \(stored), but it is at \(offset - BaseBlock.size)")
            }
            let size = Int(bytes.loadLE(UInt32.self, at: offset + 8))
            guard size >= 4096, size % 4096 == 0 else {
                throw .brokenBinChain(path: path, offset: offset, reason: "bin size \(size) is not a positive multiple of 4096")
            }
            guard offset + size <= end else {
                throw .brokenBinChain(path: path, offset: offset, reason: "the bin of \(size) bytes runs past the declared end \(end)")
            }
            offset += size
        }
    }

    private static func checkRoot(_ bytes: [UInt8], offset: UInt32, binsSize: Int, path: String) throws(HiveFormatError) {
        let cell = BaseBlock.size + Int(offset)
        guard offset != 0xFFFF_FFFF, Int(offset) + 8 <= binsSize else {
            throw .invalidBaseBlock(path: path, reason: "root cell offset \(offset) is outside the hive bins")
        }
        let size = Int32(bitPattern: bytes.loadLE(UInt32.self, at: cell))
        guard size < 0, bytes[cell + 4] == UInt8(ascii: "n"), bytes[cell + 5] == UInt8(ascii: "k") else {
            throw .invalidBaseBlock(path: path, reason: "root cell at offset \(offset) is not an allocated key (nk) cell")
        }
    }
}
