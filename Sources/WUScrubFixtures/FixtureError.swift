import WUScrubCore

/// A fixture that cannot be parsed or built.
public enum FixtureError: Error, Sendable, Equatable, CustomStringConvertible {
    case syntax(fixture: String, line: Int, text: String)

    public var description: String {
        switch self {
        case let .syntax(fixture, line, text): "fixture '\(fixture)', line \(line): cannot read '\(text)'"
        }
    }
}
