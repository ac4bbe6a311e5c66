/// A registry value as read from a hive, decoded by its type.
public enum HiveValue: Sendable, Equatable {
    case none([UInt8])
    case string(String)
    case expandString(String)
    case binary([UInt8])
    case dword(UInt32)
    case dwordBigEndian(UInt32)
    case link([UInt8])
    case multiString([String])
    case qword(UInt64)
    /// Any other type, with its raw type number and data.
    case other(type: UInt32, data: [UInt8])

    /// Registry type numbers (REG_*).
    public enum Kind: UInt32, Sendable {
        case none = 0, string, expandString, binary, dword, dwordBigEndian, link, multiString
        case resourceList, fullResourceDescriptor, resourceRequirementsList, qword
    }

    /// Decodes raw value data of a given registry type.
    ///
    /// A REG_DWORD (or REG_DWORD_BIG_ENDIAN) that is not exactly 4 bytes, or a REG_QWORD that is
    /// not exactly 8, stays `.other` with its raw data: Windows refuses to read it as a number.
    /// - Parameters:
    ///   - type: The REG_* type number.
    ///   - data: The value's data bytes.
    public init(type: UInt32, data: [UInt8]) {
        switch Kind(rawValue: type) {
        case .none?: self = .none(data)
        case .string?: self = .string(HiveValue.decodeUTF16(data[...]))
        case .expandString?: self = .expandString(HiveValue.decodeUTF16(data[...]))
        case .binary?: self = .binary(data)
        case .dword? where data.count == 4: self = .dword(data.loadLE(UInt32.self, at: 0))
        case .dwordBigEndian? where data.count == 4: self = .dwordBigEndian(UInt32(bigEndian: data.loadLE(UInt32.self, at: 0)))
        case .link?: self = .link(data)
        case .multiString?: self = .multiString(HiveValue.decodeMultiString(data))
        case .qword? where data.count == 8: self = .qword(data.loadLE(UInt64.self, at: 0))
        default: self = .other(type: type, data: data)
        }
    }

    /// The REG_* type number.
    public var type: UInt32 {
        switch self {
        case .none: Kind.none.rawValue
        case .string: Kind.string.rawValue
        case .expandString: Kind.expandString.rawValue
        case .binary: Kind.binary.rawValue
        case .dword: Kind.dword.rawValue
        case .dwordBigEndian: Kind.dwordBigEndian.rawValue
        case .link: Kind.link.rawValue
        case .multiString: Kind.multiString.rawValue
        case .qword: Kind.qword.rawValue
        case .other(let type, _): type
        }
    }

    /// The bytes stored in the hive for this value (strings as UTF-16LE with a terminating NUL).
    public var data: [UInt8] {
        switch self {
        case .none(let bytes), .binary(let bytes), .link(let bytes), .other(_, let bytes): bytes
        case .string(let text), .expandString(let text): HiveValue.encodeUTF16(text) + [0, 0]
        case .dword(let value): withUnsafeBytes(of: value.littleEndian, Array.init)
        case .dwordBigEndian(let value): withUnsafeBytes(of: value.bigEndian, Array.init)
        case .qword(let value): withUnsafeBytes(of: value.littleEndian, Array.init)
        case .multiString(let items): items.flatMap { HiveValue.encodeUTF16($0) + [0, 0] } + [0, 0]
        }
    }

    /// A short name of the type, for messages ("REG_DWORD").
    public var typeName: String {
        switch Kind(rawValue: type) {
        case .none?: "REG_NONE"
        case .string?: "REG_SZ"
        case .expandString?: "REG_EXPAND_SZ"
        case .binary?: "REG_BINARY"
        case .dword?: "REG_DWORD"
        case .dwordBigEndian?: "REG_DWORD_BIG_ENDIAN"
        case .link?: "REG_LINK"
        case .multiString?: "REG_MULTI_SZ"
        case .resourceList?: "REG_RESOURCE_LIST"
        case .fullResourceDescriptor?: "REG_FULL_RESOURCE_DESCRIPTOR"
        case .resourceRequirementsList?: "REG_RESOURCE_REQUIREMENTS_LIST"
        case .qword?: "REG_QWORD"
        case nil: "type \(type)"
        }
    }

    /// The type's name, with the data size when a fixed-size type has the wrong size, for messages
    /// ("REG_SZ", "REG_DWORD of 2 bytes").
    public var typeDescription: String {
        if case .other(let type, let data) = self,
           let kind = Kind(rawValue: type), kind == .dword || kind == .dwordBigEndian || kind == .qword {
            return "\(typeName) of \(data.count) byte\(data.count == 1 ? "" : "s")"
        }
        return typeName
    }

    /// The value as a DWORD, if it is one.
    public var dwordValue: UInt32? {
        if case .dword(let value) = self { return value }
        return nil
    }

    package static func encodeUTF16(_ text: String) -> [UInt8] {
        text.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    package static func decodeUTF16(_ data: ArraySlice<UInt8>) -> String {
        var units: [UInt16] = []
        var index = data.startIndex
        while index + 1 < data.endIndex {
            let unit = UInt16(data[index]) | UInt16(data[index + 1]) << 8
            if unit == 0 { break }
            units.append(unit)
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    package static func decodeMultiString(_ data: [UInt8]) -> [String] {
        var items: [String] = []
        var start = 0
        var index = 0
        while index + 1 < data.count {
            if data[index] == 0 && data[index + 1] == 0 {
                if index == start { break }
                items.append(decodeUTF16(data[start..<index]))
                start = index + 2
            }
            index += 2
        }
        return items
    }
}
