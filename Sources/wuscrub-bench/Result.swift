/// The summary of one tool on one tree.
struct Result: Encodable {
    var filesystem: String
    var files: Int
    var tool: String
    var runs: Int
    var medianSeconds: Double
    var minSeconds: Double
    var maxSeconds: Double
    /// Median time over the median time of `rm -rf` on the same tree.
    var ratioToRm: Double
    var filesPerSecond: Double
    /// The largest peak resident set of a run, the process and its children together.
    var peakRSSMiB: Double

    static func markdown(_ results: [Result]) -> String {
        var lines = ["| file system | files | tool | median s | min–max s | × rm -rf | files/s | peak RSS MiB |",
                     "|---|---|---|---|---|---|---|---|"]
        for result in results {
            lines.append("| \(result.filesystem) | \(result.files) | \(result.tool) | \(fixed(result.medianSeconds, 3)) | "
                + "\(fixed(result.minSeconds, 3))–\(fixed(result.maxSeconds, 3)) | \(fixed(result.ratioToRm, 2)) | "
                + "\(Int(result.filesPerSecond)) | \(fixed(result.peakRSSMiB, 1)) |")
        }
        return lines.joined(separator: "\n")
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        let decimals = text.split(separator: ".").last?.count ?? 0
        if !text.contains(".") { text += "." }
        return text + String(repeating: "0", count: max(0, digits - decimals))
    }
}
