/// One question of the hivex child's `subkeys` operation: the keys `depth` levels below `key`,
/// each with the values `names` as text (docs/architecture.md §15.2).
public struct SubkeyQuery: Sendable, Equatable {
    /// The key's path below the hive's root, with backslashes ("" for the root).
    public var key: String
    /// 0: the key itself; 1: its subkeys; 2: their subkeys… (at most `maximumDepth`).
    public var depth: Int
    /// The values read of each key found (at most `maximumNames`).
    public var names: [String]

    public init(key: String, depth: Int = 1, names: [String] = []) {
        (self.key, self.depth, self.names) = (key, depth, names)
    }

    /// The deepest level a query reaches.
    public static let maximumDepth = 4
    /// The most values a query reads of each key.
    public static let maximumNames = 16
    /// The most keys all the queries of one child list together; past it the listing is
    /// truncated (and says so). Windows 10 holds 2,000 to 20,000 servicing packages.
    public static let maximumRecords = 200_000
    /// The longest key name kept, in bytes of UTF-8 (Windows allows 255 characters).
    public static let maximumNameBytes = 512
    /// The longest value text kept, in bytes of UTF-8.
    public static let maximumValueBytes = 1024
    /// The most bytes of answer the child writes before it stops listing (truncated); the parent
    /// reads at most `SandboxProcess.listingResultLimit`.
    public static let maximumAnswerBytes = 48 << 20

    /// A value as text: strings as they are, numbers in decimal, the strings of a REG_MULTI_SZ
    /// joined by line feeds; nil for other types. Cut at `limit` bytes, on a character boundary.
    static func text(of value: HiveValue?, limit: Int = .max) -> String? {
        let text: String
        switch value {
        case .string(let string)?, .expandString(let string)?: text = string
        case .dword(let number)?: text = String(number)
        case .qword(let number)?: text = String(number)
        case .multiString(let list)?: text = list.joined(separator: "\n")
        default: return nil
        }
        return cut(text, to: limit)
    }

    /// `text` cut to at most `limit` bytes of UTF-8, never inside a character.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size <= limit else { break }
            result.append(character)
            used += size
        }
        return result
    }
}

/// A key the `subkeys` operation found, with its path below the query's key and its values.
public struct SubkeyRecord: Sendable, Equatable {
    /// The names below the query's key, joined by backslashes ("" for the key itself); each cut
    /// at `SubkeyQuery.maximumNameBytes`.
    public var name: String
    /// The asked values, in the query's order: text, or nil when absent or of another type.
    public var values: [String?]

    public init(name: String, values: [String?]) {
        (self.name, self.values) = (name, values)
    }
}

/// The answer to one `SubkeyQuery`.
public struct SubkeyListing: Sendable, Equatable {
    /// Whether the query's key exists (false: no records).
    public var found: Bool
    /// The keys found, in the hive's order, at most the limits allow.
    public var records: [SubkeyRecord]
    /// Whether keys were left out at a limit (`maximumRecords`, `maximumAnswerBytes`).
    public var truncated: Bool

    public init(found: Bool, records: [SubkeyRecord], truncated: Bool) {
        (self.found, self.records, self.truncated) = (found, records, truncated)
    }

    /// A key that is not there.
    public static let missing = SubkeyListing(found: false, records: [], truncated: false)
}

extension SubkeyQuery {
    /// The queries as the child's arguments: `DEPTH KEY COUNT NAME...` each.
    static func arguments(_ queries: [SubkeyQuery]) -> [String] {
        queries.flatMap { [String($0.depth), $0.key, String($0.names.count)] + $0.names }
    }

    /// Parses `arguments(_:)`; nil when malformed, empty, or out of bounds (at most 64 queries).
    static func parse(_ arguments: [String]) -> [SubkeyQuery]? {
        var rest = arguments[...]
        var queries: [SubkeyQuery] = []
        while !rest.isEmpty {
            guard rest.count >= 3, let depth = Int(rest.removeFirst()), (0...maximumDepth).contains(depth) else { return nil }
            let key = rest.removeFirst()
            guard let count = Int(rest.removeFirst()), (0...maximumNames).contains(count), rest.count >= count else { return nil }
            queries.append(SubkeyQuery(key: key, depth: depth, names: Array(rest.prefix(count))))
            rest = rest.dropFirst(count)
        }
        return (1...64).contains(queries.count) ? queries : nil
    }
}
