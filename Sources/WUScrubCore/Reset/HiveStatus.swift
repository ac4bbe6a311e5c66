/// The SYSTEM hive's state as read from its base block and structure.
public struct HiveStatus: Sendable, Equatable, Encodable {
    /// Relative to the mount root.
    public var path: String
    public var size: Int
    public var sha256: String
    public var primarySequence: UInt32
    public var secondarySequence: UInt32
    public var hiveBinsSize: UInt32
    public var checksumValid: Bool
    /// "clean" or "dirty".
    public var state: String

    /// Reads a hive's base block; a clean hive is validated in full.
    public init(path relative: String, image: HiveImage) throws(HiveError) {
        guard image.size >= BaseBlock.size, let header = BaseBlock(image.read(count: 512, at: 0)[...]), header.hasSignature else {
            throw HiveError.invalidBaseBlock(path: relative, reason: "no 'regf' signature or fewer than 4096 bytes")
        }
        let block = header.isDirty ? header : try image.validate(path: relative)
        path = relative
        size = image.size
        sha256 = image.sha256
        primarySequence = block.primarySequence
        secondarySequence = block.secondarySequence
        hiveBinsSize = block.hiveBinsSize
        checksumValid = block.isChecksumValid
        state = block.isDirty ? "dirty" : "clean"
    }

    public var isDirty: Bool { state != "clean" }
}
