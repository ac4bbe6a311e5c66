import WUScrubCore

/// A fixture installation described in text (`Fixtures/specs/*.fixture`).
///
/// One directive a line; `#` starts a comment. Paths after `hive`, `file`, `dir` are relative to
/// the Windows folder; key paths use backslashes and start below the hive's root.
///
///     windows WINDOWS                    name of the Windows folder (default Windows)
///     hive system32/config/system        where the SYSTEM hive goes (default System32/config/SYSTEM)
///     minor 3                            hive format minor version (default 5)
///     key Select                         a key with no values
///     dword Select\Current 1             REG_DWORD ("quote a path" that holds spaces)
///     qword KEY\NAME 5                   REG_QWORD
///     sz KEY\NAME text with spaces       REG_SZ
///     expand KEY\NAME %SystemRoot%\x     REG_EXPAND_SZ
///     multi KEY\NAME a|b|c               REG_MULTI_SZ, items separated by |
///     binary KEY\NAME 1024               REG_BINARY of that many pattern bytes
///     dir SoftwareDistribution/SLS       an empty directory
///     file SoftwareDistribution/Download/a.cab 4096   a file of that many pattern bytes
///     software System32/config/SOFTWARE  a SOFTWARE hive there: the key and value lines after
///                                        this one go into it instead of SYSTEM
public struct FixtureSpec: Sendable, Equatable {
    public enum Item: Sendable, Equatable {
        case key(String)
        case value(key: String, name: String, value: HiveValue)
        case directory(String)
        case file(String, size: Int)
    }

    public var name: String
    public var windowsFolder = "Windows"
    public var hivePath = "System32/config/SYSTEM"
    public var minorVersion: UInt32 = 5
    public var items: [Item] = []
    /// Where the SOFTWARE hive goes, when the spec has one.
    public var softwarePath: String?
    /// The SOFTWARE hive's keys and values.
    public var softwareItems: [Item] = []

    /// Parses a spec.
    ///
    /// - Parameters:
    ///   - name: The fixture's name (its file name without extension).
    ///   - text: The spec's text.
    /// - Throws: `FixtureError.syntax` naming the line.
    public init(name: String, text: String) throws(FixtureError) {
        self.name = name
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = FixtureSpec.words(line)
            guard let directive = words.first else { continue }
            func argument(_ position: Int) throws(FixtureError) -> String {
                guard position < words.count else { throw .syntax(fixture: name, line: index + 1, text: line) }
                return words[position]
            }
            func number(_ text: String) throws(FixtureError) -> UInt64 {
                guard let value = UInt64(text) else { throw .syntax(fixture: name, line: index + 1, text: line) }
                return value
            }
            switch directive {
            case "windows": windowsFolder = try argument(1)
            case "hive": hivePath = try argument(1)
            case "minor": minorVersion = UInt32(try number(argument(1)))
            case "software": softwarePath = try argument(1)
            case "key" where softwarePath != nil: softwareItems.append(.key(try argument(1)))
            case "key": items.append(.key(try argument(1)))
            case "dir": items.append(.directory(try argument(1)))
            case "file": items.append(.file(try argument(1), size: Int(try number(argument(2)))))
            case "dword", "qword", "sz", "expand", "multi", "binary":
                let path = try argument(1)
                let rest = words.count > 2 ? words[2] : ""
                guard let slash = path.lastIndex(of: "\\") else { throw .syntax(fixture: name, line: index + 1, text: line) }
                let key = String(path[..<slash])
                let valueName = String(path[path.index(after: slash)...])
                let value: HiveValue
                switch directive {
                case "dword": value = .dword(UInt32(try number(rest)))
                case "qword": value = .qword(try number(rest))
                case "sz": value = .string(rest)
                case "expand": value = .expandString(rest)
                case "multi": value = .multiString(rest.split(separator: "|").map(String.init))
                default: value = .binary(FixtureSpec.pattern(count: Int(try number(rest)), seed: path))
                }
                if softwarePath != nil {
                    softwareItems.append(.value(key: key, name: valueName, value: value))
                } else {
                    items.append(.value(key: key, name: valueName, value: value))
                }
            default:
                throw .syntax(fixture: name, line: index + 1, text: line)
            }
        }
    }

    /// Splits a line into directive, path and the rest; a path in double quotes may hold spaces.
    static func words(_ line: String) -> [String] {
        let trimmed = line.drop(while: { $0 == " " })
        guard let space = trimmed.firstIndex(of: " ") else { return trimmed.isEmpty ? [] : [String(trimmed)] }
        let directive = String(trimmed[..<space])
        let remainder = trimmed[trimmed.index(after: space)...].drop(while: { $0 == " " })
        if remainder.first == "\"", let close = remainder.dropFirst().firstIndex(of: "\"") {
            let path = String(remainder[remainder.index(after: remainder.startIndex)..<close])
            let rest = remainder[remainder.index(after: close)...].drop(while: { $0 == " " })
            return rest.isEmpty ? [directive, path] : [directive, path, String(rest)]
        }
        return [directive] + remainder.split(separator: " ", maxSplits: 1).map(String.init)
    }

    /// Deterministic filler bytes for a given seed text (FNV-1a seeded xorshift).
    public static func pattern(count: Int, seed: String) -> [UInt8] {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }
}
