import SystemPackage

/// The messages the hivex child writes to its result descriptor, encoded by hand.
///
/// After its seccomp filter the child may not open a file, so nothing that could (Foundation's
/// encoders, locale data) encodes them: a message is a list of fields, each `LENGTH:BYTES,`
/// with LENGTH in decimal. The parent decodes it strictly; anything else is the child failing.
enum SandboxMessage: Equatable {
    /// The answer of the `read` operation.
    case reading(starts: Result<[ServiceStart], HiveError>, hiberbootEnabled: UInt32?)
    /// The answer of the `set` operation: nil when the output descriptor holds the committed hive.
    case edited(HiveError?)
    /// The answer of the test operation that does nothing forbidden: the child's ids.
    case identity(uid: UInt32, gid: UInt32)
    /// The answer of the `values` operation: each asked value as text (strings as they are,
    /// numbers in decimal), nil where it is absent or of another type.
    case values(Result<[String?], HiveError>)
    /// The answer of the `subkeys` operation: one listing per query, in order.
    case subkeys(Result<[SubkeyListing], HiveError>)

    // MARK: - Encoding (in the child)

    var encoded: [UInt8] {
        var fields: [String] = []
        switch self {
        case let .reading(starts, hiberboot):
            fields.append("reading")
            switch starts {
            case .success(let list):
                fields += ["starts", String(list.count)]
                for start in list {
                    fields += [start.controlSet, start.service, String(start.start), start.delayedAutostart ? "1" : "0"]
                }
            case .failure(let error):
                fields += ["error"] + SandboxMessage.fields(of: error)
            }
            fields.append(hiberboot.map { String($0) } ?? "-")
        case .edited(nil):
            fields += ["edited", "ok"]
        case .edited(let error?):
            fields += ["edited", "error"] + SandboxMessage.fields(of: error)
        case let .identity(uid, gid):
            fields += ["identity", String(uid), String(gid)]
        case .values(.success(let list)):
            fields += ["values", "ok", String(list.count)] + list.map(SandboxMessage.optionalField)
        case .values(.failure(let error)):
            fields += ["values", "error"] + SandboxMessage.fields(of: error)
        case .subkeys(.success(let listings)):
            fields += ["subkeys", "ok", String(listings.count)]
            for listing in listings {
                guard listing.found else { fields.append("missing"); continue }
                let width = listing.records.first?.values.count ?? 0
                fields += ["found", listing.truncated ? "1" : "0", String(listing.records.count), String(width)]
                for record in listing.records {
                    fields.append(record.name)
                    fields += record.values.map(SandboxMessage.optionalField)
                }
            }
        case .subkeys(.failure(let error)):
            fields += ["subkeys", "error"] + SandboxMessage.fields(of: error)
        }
        var bytes: [UInt8] = []
        for field in fields {
            bytes += Array(String(field.utf8.count).utf8) + [UInt8(ascii: ":")] + Array(field.utf8) + [UInt8(ascii: ",")]
        }
        return bytes
    }

    /// A value that may be absent as one field: `-`, or `=` and the text.
    static func optionalField(_ text: String?) -> String { text.map { "=" + $0 } ?? "-" }

    /// The value `optionalField` encoded; `.none` when the field is neither.
    private static func optionalValue(_ field: String) -> String?? {
        // Compared as bytes: a value starting with a combining mark must not merge with the "=".
        if field == "-" { return .some(nil) }
        guard field.utf8.first == UInt8(ascii: "=") else { return .none }
        return .some(String(decoding: field.utf8.dropFirst(), as: UTF8.self))
    }

    /// A hive error as fields; the path is left out (the parent puts its own back).
    private static func fields(of error: HiveError) -> [String] {
        switch error {
        case let .cannotOpen(_, errno): ["cannotOpen", String(errno.rawValue)]
        case let .operationFailed(operation, _, errno): ["operationFailed", operation, String(errno.rawValue)]
        case let .keyNotFound(_, key): ["keyNotFound", key]
        case let .valueNotFound(_, key, value): ["valueNotFound", key, value]
        case let .unexpectedType(_, key, value, expected, found): ["unexpectedType", key, value, expected, found]
        case let .bigValueOnKey(_, key, value, size): ["bigValueOnKey", key, value, String(size)]
        default: ["other", error.description]
        }
    }

    // MARK: - Decoding (in the parent)

    /// Decodes a message; nil when it is not exactly one well-formed message.
    ///
    /// - Parameters:
    ///   - bytes: What the child wrote.
    ///   - path: The hive's path, put into the errors.
    static func decode(_ bytes: [UInt8], path: String) -> SandboxMessage? {
        guard let messages = decodeSequence(bytes, path: path), messages.count == 1 else { return nil }
        return messages[0]
    }

    /// Decodes messages written one after the other (the `disable` operation answers with a
    /// reading, then an edit); nil when any of them is malformed or nothing is there.
    static func decodeSequence(_ bytes: [UInt8], path: String) -> [SandboxMessage]? {
        guard let fields = split(bytes), !fields.isEmpty else { return nil }
        var remaining = fields[...]
        var messages: [SandboxMessage] = []
        while !remaining.isEmpty {
            guard let message = decodeOne(&remaining, path: path) else { return nil }
            messages.append(message)
        }
        return messages
    }

    /// Decodes the message at the start of `fields`, removing its fields.
    private static func decodeOne(_ fields: inout ArraySlice<String>, path: String) -> SandboxMessage? {
        func next() -> String? { fields.isEmpty ? nil : fields.removeFirst() }
        func number<T: FixedWidthInteger>(_: T.Type) -> T? { next().flatMap { T($0) } }
        func optionalValues(_ count: Int) -> [String?]? {
            var list: [String?] = []
            for _ in 0..<count {
                guard let field = next(), let value = optionalValue(field) else { return nil }
                list.append(value)
            }
            return list
        }
        func error() -> HiveError? {
            switch next() {
            case "cannotOpen": return number(Int32.self).map { .cannotOpen(path: path, errno: Errno(rawValue: $0)) }
            case "operationFailed":
                guard let operation = next(), let code = number(Int32.self) else { return nil }
                return .operationFailed(operation: operation, path: path, errno: Errno(rawValue: code))
            case "keyNotFound": return next().map { .keyNotFound(path: path, key: $0) }
            case "valueNotFound":
                guard let key = next(), let value = next() else { return nil }
                return .valueNotFound(path: path, key: key, value: value)
            case "unexpectedType":
                guard let key = next(), let value = next(), let expected = next(), let found = next() else { return nil }
                return .unexpectedType(path: path, key: key, value: value, expected: expected, found: found)
            case "bigValueOnKey":
                guard let key = next(), let value = next(), let size = number(Int.self) else { return nil }
                return .bigValueOnKey(path: path, key: key, value: value, size: size)
            case "other": return next().map { .parserFailed(path: path, detail: "the hivex child failed: \($0)") }
            default: return nil
            }
        }
        let message: SandboxMessage
        switch next() {
        case "reading":
            let starts: Result<[ServiceStart], HiveError>
            switch next() {
            case "starts":
                guard let count = number(Int.self), (0...999).contains(count) else { return nil }
                var list: [ServiceStart] = []
                for _ in 0..<count {
                    guard let controlSet = next(), let service = next(), let start = number(UInt32.self), let delayed = next(),
                          delayed == "0" || delayed == "1" else { return nil }
                    list.append(ServiceStart(controlSet: controlSet, start: start, delayedAutostart: delayed == "1", service: service))
                }
                starts = .success(list)
            case "error":
                guard let failure = error() else { return nil }
                starts = .failure(failure)
            default: return nil
            }
            let hiberboot: UInt32?
            switch next() {
            case "-": hiberboot = nil
            case let text?: guard let value = UInt32(text) else { return nil }; hiberboot = value
            case nil: return nil
            }
            message = .reading(starts: starts, hiberbootEnabled: hiberboot)
        case "edited":
            switch next() {
            case "ok": message = .edited(nil)
            case "error": guard let failure = error() else { return nil }; message = .edited(failure)
            default: return nil
            }
        case "identity":
            guard let uid = number(UInt32.self), let gid = number(UInt32.self) else { return nil }
            message = .identity(uid: uid, gid: gid)
        case "values":
            switch next() {
            case "ok":
                guard let count = number(Int.self), (0...64).contains(count) else { return nil }
                guard let list = optionalValues(count) else { return nil }
                message = .values(.success(list))
            case "error": guard let failure = error() else { return nil }; message = .values(.failure(failure))
            default: return nil
            }
        case "subkeys":
            switch next() {
            case "ok":
                guard let count = number(Int.self), (0...64).contains(count) else { return nil }
                var listings: [SubkeyListing] = []
                for _ in 0..<count {
                    switch next() {
                    case "missing": listings.append(.missing)
                    case "found":
                        guard let truncated = next(), truncated == "0" || truncated == "1",
                              let records = number(Int.self), (0...SubkeyQuery.maximumRecords).contains(records),
                              let width = number(Int.self), (0...SubkeyQuery.maximumNames).contains(width) else { return nil }
                        var list: [SubkeyRecord] = []
                        list.reserveCapacity(records)
                        for _ in 0..<records {
                            guard let name = next(), let values = optionalValues(width) else { return nil }
                            list.append(SubkeyRecord(name: name, values: values))
                        }
                        listings.append(SubkeyListing(found: true, records: list, truncated: truncated == "1"))
                    default: return nil
                    }
                }
                message = .subkeys(.success(listings))
            case "error": guard let failure = error() else { return nil }; message = .subkeys(.failure(failure))
            default: return nil
            }
        default: return nil
        }
        return message
    }

    /// Splits `LENGTH:BYTES,` fields; nil on any malformed field or invalid UTF-8.
    private static func split(_ bytes: [UInt8]) -> [String]? {
        var fields: [String] = []
        var index = 0
        while index < bytes.count {
            var length = 0
            var digits = 0
            while index < bytes.count, let digit = bytes[index].asciiDigit {
                guard digits < 9 else { return nil }
                length = length * 10 + digit
                digits += 1
                index += 1
            }
            guard digits > 0, index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            guard bytes.count - index > length, bytes[index + length] == UInt8(ascii: ",") else { return nil }
            guard let field = String(validating: bytes[index..<index + length], as: UTF8.self) else { return nil }
            fields.append(field)
            index += length + 1
        }
        return fields
    }
}

private extension UInt8 {
    var asciiDigit: Int? { (0x30...0x39).contains(self) ? Int(self - 0x30) : nil }
}
