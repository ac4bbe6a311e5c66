import SystemPackage

/// One entry that could not be removed or entered during a purge.
public struct PurgeFailure: Sendable, Codable, Equatable {
    /// The entry's path relative to the mount root, shown lossily (see `displayPath(_:)`).
    public var path: String
    /// What failed: `stat`, `open`, `opendir`, `readdir`, `unlink`, `rmdir`, or
    /// `not entered (…)` for a directory the walk refused to enter.
    public var operation: String
    /// The error number (`EXDEV` for another filesystem, `ENAMETOOLONG` for too deep,
    /// `EAGAIN` for an entry replaced while walking, otherwise the system call's own).
    public var errno: Int32
    /// The system's text for `errno` (`strerror`).
    public var message: String

    /// Creates a failure record.
    ///
    /// - Parameters:
    ///   - path: The entry's path relative to the mount root, already made displayable.
    ///   - operation: What failed.
    ///   - errno: The error number.
    ///   - message: The explanation; `nil` uses the system's text for `errno`.
    public init(path: String, operation: String, errno: Int32, message: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.message = message ?? Errno(rawValue: errno).description
    }

    /// Shows raw path bytes as text without losing information about them.
    ///
    /// Valid UTF-8 is kept; every byte that is not part of valid UTF-8 becomes `\xNN`; newline,
    /// tab and carriage return become `\n`, `\t`, `\r`; other control characters become `\xNN`
    /// and a backslash becomes `\\`, so distinct names never look alike.
    /// - Parameter bytes: The path as stored on disk.
    /// - Returns: A single-line string that can be printed or encoded as JSON.
    public static func displayPath(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var text = ""
        text.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case 0x0A: text += "\\n"
                case 0x09: text += "\\t"
                case 0x0D: text += "\\r"
                case 0x5C: text += "\\\\"
                case 0x00..<0x20, 0x7F: text += escaped(byte)
                default: text.unicodeScalars.append(Unicode.Scalar(byte))
                }
                index += 1
            } else if let (scalar, length) = decodeScalar(bytes, at: index), scalar.value >= 0xA0 {
                text.unicodeScalars.append(scalar)
                index += length
            } else {
                // Invalid UTF-8, or a C1 control character: show the byte itself.
                text += escaped(byte)
                index += 1
            }
        }
        return text
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// Decodes one well-formed UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF).
    private static func decodeScalar(_ bytes: [UInt8], at start: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[start]
        let length: Int
        var value: UInt32
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0: length = 3; value = UInt32(lead & 0x0F); lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xED: length = 3; value = UInt32(lead & 0x0F); highest = 0x9F
        case 0xF0: length = 4; value = UInt32(lead & 0x07); lowest = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
        case 0xF4: length = 4; value = UInt32(lead & 0x07); highest = 0x8F
        default: return nil
        }
        guard start + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[start + offset]
            let range = offset == 1 ? lowest...highest : 0x80...0xBF
            guard range.contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
