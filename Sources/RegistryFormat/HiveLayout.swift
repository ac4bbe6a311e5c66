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
        try validate(size: bytes.count, path: path) { offset, count in
            Array(bytes[min(offset, bytes.count)..<min(offset + count, bytes.count)])
        }
    }

    /// Validates a primary hive read piece by piece: the same checks as `validate(_:path:)`, reading
    /// only the base block, each bin's header and the root cell's first bytes, in ascending order
    /// (a hive held outside the process's memory is checked without being copied in).
    ///
    /// - Parameters:
    ///   - size: The file's size.
    ///   - path: The file's path, for messages.
    ///   - read: Returns the `count` bytes at `offset` (fewer only at the end of the file).
    @discardableResult
    public static func validate(size: Int, path: String, read: (_ offset: Int, _ count: Int) -> [UInt8]) throws(HiveFormatError) -> BaseBlock {
        let head = size >= BaseBlock.size ? read(0, 512) : []
        guard head.count == 512, let block = BaseBlock(head[...]) else {
            throw .invalidBaseBlock(path: path, reason: "the file has \(size) bytes, fewer than the 4096 of a base block")
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
        guard size >= end else { throw .truncated(path: path, declaredEnd: end, fileSize: size) }
        try walkBins(end: end, path: path, read: read)
        try checkRoot(offset: block.rootCellOffset, binsSize: binsSize, path: path, read: read)
        return block
    }

    private static func walkBins(end: Int, path: String, read: (Int, Int) -> [UInt8]) throws(HiveFormatError) {
        var offset = BaseBlock.size
        while offset < end {
            guard offset + 32 <= end else { throw .brokenBinChain(path: path, offset: offset, reason: "a hive bin header runs past the declared end \(end)") }
            let bytes = read(offset, 12)
            guard bytes.count == 12 else { throw .truncated(path: path, declaredEnd: end, fileSize: offset + bytes.count) }
            guard bytes[0..<4].elementsEqual("hbin".utf8) else {
                throw .brokenBinChain(path: path, offset: offset, reason: "no 'hbin' signature")
            }
            let stored = Int(bytes.loadLE(UInt32.self, at: 4))
            guard stored == offset - BaseBlock.size else {
                throw .brokenBinChain(path: path, offset: offset, reason: "the bin says it is at \(stored), but it is at \(offset - BaseBlock.size)")
            }
            let size = Int(bytes.loadLE(UInt32.self, at: 8))
            guard size >= 4096, size % 4096 == 0 else {
                throw .brokenBinChain(path: path, offset: offset, reason: "bin size \(size) is not a positive multiple of 4096")
            }
            guard offset + size <= end else {
                throw .brokenBinChain(path: path, offset: offset, reason: "the bin of \(size) bytes runs past the declared end \(end)")
            }
            offset += size
        }
    }

    private static func checkRoot(offset: UInt32, binsSize: Int, path: String, read: (Int, Int) -> [UInt8]) throws(HiveFormatError) {
        guard offset != 0xFFFF_FFFF, Int(offset) + 8 <= binsSize else {
            throw .invalidBaseBlock(path: path, reason: "root cell offset \(offset) is outside the hive bins")
        }
        let bytes = read(BaseBlock.size + Int(offset), 6)
        guard bytes.count == 6 else { throw .truncated(path: path, declaredEnd: BaseBlock.size + Int(offset) + 6, fileSize: BaseBlock.size + Int(offset) + bytes.count) }
        let size = Int32(bitPattern: bytes.loadLE(UInt32.self, at: 0))
        guard size < 0, bytes[4] == UInt8(ascii: "n"), bytes[5] == UInt8(ascii: "k") else {
            throw .invalidBaseBlock(path: path, reason: "root cell at offset \(offset) is not an allocated key (nk) cell")
        }
    }
}
