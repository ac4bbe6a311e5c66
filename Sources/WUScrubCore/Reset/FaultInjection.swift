#if WUSCRUB_TEST_HOOKS
#if canImport(Glibc)
import Glibc
#endif

/// The fault-injection hook, compiled into debug builds only (`WUSCRUB_TEST_HOOKS`, set in
/// Package.swift for the debug configuration the tests use): a release binary has none of it
/// (docs/testing.md §6).
///
/// `<point>` (a `Resetter.Checkpoint` description such as `after-hive-rename`) makes the process
/// exit at once with status 99 when the run reaches that point — a crash. `<point>:<signal>`
/// (`INT`, `TERM` or `HUP`) instead sends the process that signal there and waits until it is
/// caught — an interruption at that point.
public struct FaultInjection: Sendable {
    /// The checkpoint's description.
    public var point: String
    /// The signal to send there; nil: exit with status 99.
    public var signal: Int32?

    /// Parses `<point>` or `<point>:<signal>`.
    public init(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        point = parts.first ?? text
        let name = parts.count == 2 ? parts[1].uppercased() : ""
        switch name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name {
        case "INT": signal = SIGINT
        case "TERM": signal = SIGTERM
        case "HUP": signal = SIGHUP
        default: signal = nil
        }
    }

    /// Installs the fault as `resetter`'s checkpoint hook.
    public func install(in resetter: inout Resetter, interruption: Interruption?) {
        let fault = self
        resetter.checkpoint = { point in
            guard point.description == fault.point else { return }
            guard let number = fault.signal else { _exit(99) }
            kill(getpid(), number)
            interruption?.waitForSignal(seconds: 10)
        }
    }
}
#endif
