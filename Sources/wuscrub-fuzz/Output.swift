import WUScrubCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Output without Foundation: unbuffered lines, usage failures, and number formatting.

/// Writes a line to a file descriptor unbuffered, so nothing is lost when the process dies.
func emit(_ text: String, to fd: Int32 = 1) {
    var line = text + "\n"
    line.withUTF8 { buffer in
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n <= 0 { return }
            done += n
        }
    }
}

/// Prints `wuscrub-fuzz: message` on standard error and exits with `status` (64: bad usage).
func fail(_ message: String, status: Int32 = 64) -> Never {
    emit("wuscrub-fuzz: " + message, to: 2)
    exit(status)
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale), fraction = scaled % Int(scale)
    var text = (value < 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let f = String(fraction)
        text += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return text
}

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The lines `--trace` and `--replay-iteration` print for an analysis.
func describe(_ analysis: RecoveryAnalysis?) -> [String] {
    guard let analysis else { return [] }
    var lines = ["outcome: \(analysis.outcome.rawValue), primary \(analysis.primarySequence)/\(analysis.secondarySequence)"]
    for log in analysis.logs {
        lines.append("  log \(log.path): \(log.size) bytes, valid \(log.valid), format \(log.format?.rawValue ?? "-"), base \(log.baseSequence.map(String.init) ?? "-"), entries \(log.entries), highest \(log.highestSequence.map(String.init) ?? "-"), \(log.problem ?? log.chainEnd ?? "")")
    }
    for applied in analysis.applied { lines.append("  applied \(applied.path): sequences \(applied.sequences), \(applied.pages) pages") }
    if let refusal = analysis.refusal { lines.append("  refusal: \(refusal)") }
    if let final = analysis.finalSequence { lines.append("  final sequence \(final), hive bins \(analysis.finalHiveBinsSize ?? 0)") }
    return lines
}

/// Writes `bytes` to a new file at `path` (`--dump`); failing, exits 73 (create) or 74 (write).
func writeFile(_ bytes: [UInt8], _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { fail("cannot create '\(path)': errno \(errno)", status: 73) }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { fail("cannot write '\(path)': errno \(errno)", status: 74) }
        done += n
    }
}
