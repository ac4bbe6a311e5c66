#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WUScrubCore

/// Standard output or standard error, written with write(2): unbuffered, so each message is whole
/// when the call returns, before any prompt, signal or exit.
enum StandardStream {
    case standardOutput, standardError

    var descriptor: Int32 { self == .standardOutput ? STDOUT_FILENO : STDERR_FILENO }

    /// Writes all of `bytes`; a stream that fails (closed pipe, full disk) drops the rest.
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { unistdWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

private let unistdWrite = write

// Standard input: the confirmation prompt's answer.
extension StandardStream {
    /// Whether standard input is a terminal (someone can be asked).
    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Reads one line from standard input, or throws `Interrupted` as soon as a signal is caught.
    static func readAnswer(interruption: Interruption) throws(Interrupted) -> String? {
        var line: [UInt8] = []
        while true {
            try interruption.check()
            var descriptors = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: interruption.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                return nil
            }
            try interruption.check()
            guard descriptors[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}
