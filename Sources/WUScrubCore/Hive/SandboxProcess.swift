import CSandbox
#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// One run of the hivex child: starts it on sealed input, waits with a timeout, collects the
/// result, the output hive and standard error.
struct SandboxProcess {
    var termination: SandboxTermination
    /// The result message (nil when larger than its limit).
    var result: [UInt8]?
    /// The file the child writes its output hive to (taken over by `output()`).
    private var outputFile: Memfd
    /// The largest output hive the parent takes.
    private var outputLimit: Int
    /// The end of the child's standard error, for messages.
    var errorText: String
    /// The seconds the parent waited at most.
    var timeout: Double

    /// The largest result message the parent reads.
    static let resultLimit = 1 << 20
    /// The largest answer of the `subkeys` operation the parent reads: more than the child writes
    /// (`SubkeyQuery.maximumAnswerBytes`).
    static let listingResultLimit = SubkeyQuery.maximumAnswerBytes + (1 << 20)

    /// Runs the child once.
    ///
    /// - Parameters:
    ///   - arguments: The operation and its arguments (after `SandboxChild.argument`).
    ///   - input: The hive, whose sealed memfd the child reads.
    ///   - outputLimit: The largest output hive the parent reads.
    ///   - path: The hive's path, for messages.
    ///   - timeout: Seconds before the parent kills the child.
    ///   - executable: The program to start (`HiveSandbox.executable` unless a test says otherwise).
    ///   - resultLimit: The largest answer read.
    /// - Throws: `HiveError.parserFailed` without an executable, `.io` when the child cannot be
    ///   started.
    static func run(_ arguments: [String], input: HiveImage, outputLimit: Int, path: String,
                    timeout: Double, executable: String? = HiveSandbox.executable,
                    resultLimit: Int = SandboxProcess.resultLimit) throws(HiveError) -> SandboxProcess {
        guard let executable else {
            throw .parserFailed(path: path, detail: "no sandbox executable")
        }
        func failure(_ operation: String, _ errno: Errno) -> HiveError {
            .io(FileIOError(operation: operation, path: path, errno: errno))
        }
        let outputFile: Memfd, resultFile: Memfd, errorFile: Memfd
        do {
            outputFile = try Memfd(name: "wuscrub-hive-output")
            resultFile = try Memfd(name: "wuscrub-hive-result")
            errorFile = try Memfd(name: "wuscrub-hive-stderr")
        } catch {
            throw failure("pass to the hivex child the hive", error)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorFile.fd, WUSCRUB_SANDBOX_STDERR_FD)
        posix_spawn_file_actions_adddup2(&actions, input.memfd.fd, WUSCRUB_SANDBOX_INPUT_FD)
        posix_spawn_file_actions_adddup2(&actions, outputFile.fd, WUSCRUB_SANDBOX_OUTPUT_FD)
        posix_spawn_file_actions_adddup2(&actions, resultFile.fd, WUSCRUB_SANDBOX_RESULT_FD)
        _ = wuscrub_spawn_addclosefrom(&actions, WUSCRUB_SANDBOX_FIRST_CLOSED_FD)
        var attributes = posix_spawnattr_t()
        Spawn.defaultSignalAttributes(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable, SandboxChild.argument] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // No environment but this: the Swift runtime's backtracer stays off in the child.
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("SWIFT_BACKTRACE=enable=no"), nil]
        defer { free(environment[0]) }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &argv, &environment)
        guard spawned == 0 else { throw failure("start the hivex child '\(executable)' for", Errno(rawValue: spawned)) }

        let termination = wait(pid, timeout: timeout)
        do {
            let errorBytes = try errorFile.read(limit: 1 << 16) ?? Array("(more than 64 KiB on standard error)".utf8)
            return SandboxProcess(
                termination: termination,
                result: try resultFile.read(limit: resultLimit),
                outputFile: outputFile,
                outputLimit: outputLimit,
                errorText: lastLine(errorBytes),
                timeout: timeout
            )
        } catch {
            throw failure("read the hivex child's answer about", error)
        }
    }

    /// The hive the child wrote, checksum corrected and sealed; nil when it is larger than the
    /// limit given to `run`. Call it once, after the child's answer has been checked.
    func output(path: String) throws(HiveError) -> HiveImage? {
        try HiveImage.adopt(outputFile, limit: outputLimit, path: path)
    }

    /// Waits for the child (woken by its exit: `wuscrub_wait_child`); kills it with SIGKILL at the deadline.
    private static func wait(_ pid: pid_t, timeout: Double) -> SandboxTermination {
        var status: Int32 = 0
        switch wuscrub_wait_child(pid, Int64(timeout * 1000), &status) {
        case 0: break
        case 1:
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return .timedOut
        default: return .exited(-1)
        }
        if status & 0x7F == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(status & 0x7F)
    }

    /// The last non-empty line of the child's standard error, at most 300 characters.
    private static func lastLine(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return line.count > 300 ? String(line.suffix(300)) : line
    }

    /// Says why the child gave no usable answer, or nil when it exited 0.
    var failureDetail: String? {
        let said = errorText.isEmpty ? "" : ": \(errorText)"
        switch termination {
        case .exited(0): return nil
        case .exited(let code): return "the hivex child exited with status \(code)\(said)"
        case .timedOut: return "the hivex child did not finish within \(timeout) seconds and was killed"
        case .signaled(SIGSYS): return "the hivex child made a system call its sandbox forbids and was killed (SIGSYS)\(said)"
        case .signaled(SIGABRT): return "hivex aborted (SIGABRT), a failed internal check\(said)"
        case .signaled(SIGXCPU): return "the hivex child ran out of its \(WUSCRUB_SANDBOX_CPU_SECONDS)-second CPU limit (SIGXCPU)\(said)"
        case .signaled(SIGKILL): return "the hivex child was killed (SIGKILL), at its CPU limit or by another process\(said)"
        case .signaled(let number): return "the hivex child was killed by signal \(number)\(SandboxProcess.signalName(number))\(said)"
        }
    }

    private static func signalName(_ number: Int32) -> String {
        switch number {
        case SIGSEGV: " (SIGSEGV)"
        case SIGBUS: " (SIGBUS)"
        case SIGILL: " (SIGILL)"
        case SIGFPE: " (SIGFPE)"
        case SIGTRAP: " (SIGTRAP)"
        default: ""
        }
    }
}
