import CPosixShims
import Foundation
import WUScrubCore

/// A program started with a pseudo-terminal as its standard input (so it asks for confirmation)
/// and its standard output and error in files, for tests that answer it, or signal it while it waits.
///
/// Call `finish()` in a `defer`: it kills the program if it is still running.
public final class TerminalProcess: @unchecked Sendable {
    public let pid: pid_t
    private var terminal: Int32
    private let outputPath: String
    private let errorPath: String
    private var status: Int32?

    /// Starts `executable` with `arguments`; `environment` is added to this process's.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in scratch: Scratch) throws {
        var primary: Int32 = -1, secondary: Int32 = -1
        guard openpty(&primary, &secondary, nil, nil, nil) == 0 else {
            throw Shell.Failed(command: "openpty", status: errno, output: "no pseudo-terminal")
        }
        for descriptor in [primary, secondary] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        terminal = primary
        defer { close(secondary) }
        let label = UUID().uuidString.prefix(8)
        outputPath = scratch.sub("terminal-\(label).out")
        errorPath = scratch.sub("terminal-\(label).err")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, secondary, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Default dispositions and no blocked signals, whatever the test runner has.
        var attributes = posix_spawnattr_t()
        Spawn.defaultSignalAttributes(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        var envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer {
            envp.forEach { free($0) }
            argv.forEach { free($0) }
        }
        var child = pid_t()
        let spawned = posix_spawn(&child, executable, &actions, &attributes, &argv, &envp)
        guard spawned == 0 else {
            close(terminal)
            throw Shell.Failed(command: executable, status: spawned, output: "posix_spawn failed")
        }
        pid = child
    }

    /// Everything the program wrote to standard output so far.
    public var stdout: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    /// Everything the program wrote to standard error so far.
    public var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Waits until standard error contains `text`; false after `seconds` or when the program ended first.
    public func waitForError(containing text: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if exitStatus(waiting: false) != nil { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Types `text` on the terminal.
    public func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(terminal, $0.baseAddress, $0.count) }
    }

    /// Sends the program a signal.
    public func send(_ signal: Int32) {
        if status == nil { kill(pid, signal) }
    }

    /// Waits (up to `seconds`) for the program to end; its exit status, 128 + the signal when a
    /// signal ended it, or nil when it is still running.
    public func wait(seconds: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = exitStatus(waiting: false) { return status }
            usleep(20_000)
        }
        return nil
    }

    private func exitStatus(waiting: Bool) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, waiting ? 0 : WNOHANG)
        guard result == pid else { return nil }
        status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        return status
    }

    /// Kills the program if it still runs, reaps it and closes the terminal; safe to call more than once.
    public func finish() {
        if status == nil {
            kill(pid, SIGKILL)
            _ = exitStatus(waiting: true)
        }
        if terminal >= 0 { close(terminal) }
        terminal = -1
    }
}
