import Foundation

/// Runs helper programs (xz, losetup, hivexget...) and the built binary for tests.
/// Runs external programs for tests.
public enum Shell {
    public struct Failed: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String
        public var description: String { "\(command) exited \(status): \(output)" }
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a program and returns its status and output (never throws on a non-zero status).
    @discardableResult
    public static func capture(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Input is written and both outputs are drained at the same time: a child that fills one
        // pipe while the other is being read (or before it reads its input) never blocks forever.
        let stdoutData = Drain(out), stderrData = Drain(err)
        let writer = Thread {
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData.wait(), as: UTF8.self),
                      stderr: String(decoding: stderrData.wait(), as: UTF8.self))
    }

    /// Runs a program, throwing when it fails.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], stdoutTo file: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        var out: Pipe?
        if let file {
            FileManager.default.createFile(atPath: file, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        } else {
            out = Pipe()
            process.standardOutput = out
        }
        try process.run()
        let output = out.map(Drain.init), errors = Drain(err)
        process.waitUntilExit()
        let data = output?.wait() ?? Data()
        let errData = errors.wait()
        guard process.terminationStatus == 0 else {
            throw Failed(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus,
                         output: String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Reads a pipe to its end on a thread of its own.
final class Drain: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    /// Everything the pipe carried, once its writers have closed it.
    func wait() -> Data {
        done.wait()
        return data
    }
}
