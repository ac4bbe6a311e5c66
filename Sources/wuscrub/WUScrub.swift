import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WUScrubCore

/// The wuscrub command: repairs Windows Update error 0x80070002 on an offline Windows installation.
@main
struct WUScrub: ParsableCommand {
    /// From the repository's VERSION file (the VersionStamp plugin writes `wuscrubVersion`).
    static let version = wuscrubVersion

    static let configuration = CommandConfiguration(
        commandName: "wuscrub",
        abstract: "Repair Windows Update error 0x80070002 on an offline Windows installation.",
        discussion: """
            Disables the Windows Update service (wuauserv) in the SYSTEM hive, empties \
            SoftwareDistribution\\DataStore and SoftwareDistribution\\Download, then puts the \
            service's original start mode back. Every step is journaled in \
            <Windows>/Logs/wuscrub so that an interrupted run can be resumed or rolled back.

            Exit codes:
            \(ExitStatus.table)
            """,
        version: version,
        subcommands: [Scan.self, Diagnose.self, Reset.self, Status.self, Updates.self, Resume.self, Rollback.self, QuarantineGroup.self, HiveGroup.self]
    )

    /// Parses and runs like `ParsableCommand.main()`, except that a usage error under `--json`
    /// also prints the one JSON document (outcome `usage`), so scripts always get one.
    static func main() {
        // The sandboxed hivex child (HiveSandbox): handled before ArgumentParser, hidden from --help.
        // _exit, not exit: no atexit handler may run under the child's seccomp filter.
        if CommandLine.arguments.count > 1, CommandLine.arguments[1] == SandboxChild.argument {
            _exit(SandboxChild.run(Array(CommandLine.arguments.dropFirst(2))))
        }
        // The child is this very executable: /proc/self/exe names it even if it is moved or replaced
        // (without /proc, as in a bare chroot, the path it was started by).
        HiveSandbox.executable = access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : CommandLine.arguments[0]
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Only parsing errors here: a command's own failures already printed their document.
            let code = exitCode(for: error)
            if arguments.contains("--json"), code == .validationFailure {
                // The subcommand's names come first; the first other word is ROOT (or FILE).
                var words = arguments.filter { !$0.hasPrefix("-") }[...]
                var names: [String] = []
                var commands = configuration.subcommands
                while let word = words.first, let match = commands.first(where: { $0._commandName == word }) {
                    names.append(word)
                    words.removeFirst()
                    commands = match.configuration.subcommands
                }
                let document = Document(command: names.joined(separator: " "), root: words.first ?? "")
                document.outcome = "usage"
                document.exitCode = code.rawValue
                document.error = .init(kind: "usage", message: message(for: error))
                let data = (try? JSONEncoder.journal.encode(document)) ?? Data("{}".utf8)
                StandardStream.standardOutput.write(Array(data) + [0x0A])
            }
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
