import FoundationEssentials

// How journals and --json documents are encoded (docs/json-schema.md §1).

extension Date {
    /// Now, rounded down to the second: journals store ISO 8601 seconds, so what is saved reads back equal.
    static func wholeSecond() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }
}

extension JSONEncoder {
    /// The encoder for journals and reports: ISO 8601 dates, sorted keys, pretty.
    public static var journal: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    /// The decoder matching `JSONEncoder.journal`.
    public static var journal: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
