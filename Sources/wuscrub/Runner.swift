import ArgumentParser
import FoundationEssentials
import WUScrubCore

/// Runs a subcommand's body and turns its document or error into output and an exit code.
struct Runner {
    let json: Bool
    let subject: String
    let command: String
    /// Whether `confirm` already printed the plan (so the final output does not repeat it).
    private let shown: Shown
    /// The progress line of counts and purges, when one may be shown (`ProgressLine.make`).
    private let progressLine: ProgressLine?

    private final class Shown: @unchecked Sendable { var plan = false }

    init(options: CommonOptions, command: String) {
        self.init(json: options.json, subject: options.root, command: command, progress: !options.noProgress)
    }

    /// - Parameter progress: Whether the command may show a progress line (not `--no-progress`).
    init(json: Bool, subject: String, command: String, progress: Bool = false) {
        self.json = json
        self.subject = subject
        self.command = command
        shown = Shown()
        progressLine = progress ? ProgressLine.make(json: json, disabled: false) : nil
    }

    /// What the resetter's walks count into, for the progress line; nil when none is shown.
    var progress: PurgeProgress? { progressLine?.counters }

    /// Called before a caught signal's notice (`Interruption`): erases the progress line for good.
    var beforeNotice: (@Sendable () -> Void)? {
        guard let line = progressLine else { return nil }
        return { line.finish() }
    }

    func run(dryRun: Bool? = nil, _ body: (inout Document, Runner) throws -> ExitStatus) throws {
        var document = Document(command: command, root: subject, dryRun: dryRun)
        var status: ExitStatus
        do {
            status = try body(&document, self)
            if status == .purgeIncomplete { document.outcome = status.kind }
        } catch {
            status = ExitStatus(error)
            document.outcome = status.kind
            document.error = .init(kind: status.kind, message: "\(error)")
        }
        document.exitCode = status.rawValue
        progressLine?.finish()
        if json {
            let data = (try? JSONEncoder.journal.encode(document)) ?? Data("{}".utf8)
            write(String(decoding: data, as: UTF8.self) + "\n", to: .standardOutput)
            // With --device the error may concern the machine (a mount left, a run to resume): tell the person too.
            if document.device != nil, let error = document.error {
                write("wuscrub: error: \(error.message)\n", to: .standardError)
            }
        } else {
            if !(shown.plan && document.result == nil) {
                write(TextReport(document).render(), to: .standardOutput)
            }
            if let error = document.error {
                write("wuscrub: error: \(error.message)\n", to: .standardError)
            }
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Asks the user before writing; refuses without a terminal. `--yes` skips this.
    ///
    /// With `interruption`, a caught signal ends the wait at once by throwing `Interrupted`.
    func confirm(_ question: String, showing document: Document, yes: Bool, interruption: Interruption? = nil) throws {
        if yes { return }
        guard StandardStream.inputIsTerminal else {
            throw Cancelled(reason: "no terminal to ask for confirmation and --yes was not given; nothing was changed. Review the plan with --dry-run, then run again with --yes.")
        }
        progressLine?.clear()
        if !json {
            write(TextReport(document).render(), to: .standardOutput)
            shown.plan = true
        }
        write("\(question) [y/N] ", to: .standardError)
        let answer = try interruption.map { try StandardStream.readAnswer(interruption: $0) } ?? readLine()
        guard let answer, ["y", "yes"].contains(answer.lowercased()) else {
            throw Cancelled(reason: "not confirmed; nothing was changed.")
        }
    }

    func write(_ text: String, to stream: StandardStream) {
        stream.write(Array(text.utf8))
    }
}
