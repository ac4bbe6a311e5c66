#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the fatal-signal handler prints. Set before the handler is installed; only plain loads happen
/// in the handler, which formats into a preallocated buffer and calls write(2) and sigaction(2) only.
enum CrashNote {
    nonisolated(unsafe) static var iteration: Int = -1
    nonisolated(unsafe) static var seed: UInt64 = 0
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
    nonisolated(unsafe) static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 8)
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    static func install(seed: UInt64) {
        CrashNote.seed = seed
        CrashNote.iteration = -1
        for (index, signal) in signals.enumerated() {
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = { CrashNote.handle($0) }
            #else
            action.__sigaction_handler.sa_handler = { CrashNote.handle($0) }
            #endif
            sigaction(signal, &action, previous + index)
        }
    }

    /// Prints "fatal signal N at iteration I (seed S)", restores the previous action (the Swift
    /// runtime's backtracer, or the default) and returns, so the faulting instruction runs again and
    /// the previous handler reports the stack.
    static func handle(_ signal: Int32) {
        let buffer = CrashNote.buffer
        var length = 0
        func put(_ text: StaticString) {
            text.withUTF8Buffer { source in
                for byte in source where length < 500 { buffer[length] = byte; length += 1 }
            }
        }
        func put(_ value: UInt64) {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            var rest = value
            withUnsafeMutableBytes(of: &digits) { raw in
                repeat {
                    raw[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                    count += 1
                } while rest > 0
                while count > 0 && length < 500 {
                    count -= 1
                    buffer[length] = raw[count]
                    length += 1
                }
            }
        }
        let iteration = CrashNote.iteration
        put("\nwuscrub-fuzz: FATAL signal ")
        put(UInt64(signal))
        if iteration >= 0 {
            put(" at iteration ")
            put(UInt64(iteration))
            put(" (seed ")
            put(CrashNote.seed)
            put("); reproduce with: wuscrub-fuzz --seed ")
            put(CrashNote.seed)
            put(" --replay-iteration ")
            put(UInt64(iteration))
            put(" <the same seed files>\n")
        } else {
            put(" outside the input loop\n")
        }
        _ = write(2, buffer, length)
        for (index, candidate) in CrashNote.signals.enumerated() where candidate == signal {
            sigaction(signal, CrashNote.previous + index, nil)
        }
    }
}
