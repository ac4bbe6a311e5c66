/// The summary of one tool on one tree.
struct Result: Encodable {
    var filesystem: String
    var files: Int
    var tool: String
    var runs: Int
    var medianSeconds: Double
    var minSeconds: Double
    var maxSeconds: Double
    /// What `ratio` compares with: `rm -rf` for a purge, the C baseline for the hive phase.
    var baseline: String
    /// Median time over the baseline's median time on the same tree.
    var ratio: Double
    var filesPerSecond: Double
    /// The largest peak resident set of a run, the process and its children together.
    var peakRSSMiB: Double

    static func markdown(_ results: [Result]) -> String {
        var tables: [String] = []
        for baseline in ["rm -rf", "du -s", "hive_baseline (C)"] {
            let rows = results.filter { $0.baseline == baseline }
            guard !rows.isEmpty else { continue }
            var lines = ["| file system | files | tool | median s | min–max s | × \(baseline) | files/s | peak RSS MiB |",
                         "|---|---|---|---|---|---|---|---|"]
            for result in rows {
                lines.append("| \(result.filesystem) | \(result.files) | \(result.tool) | \(fixed(result.medianSeconds, 3)) | "
                    + "\(fixed(result.minSeconds, 3))–\(fixed(result.maxSeconds, 3)) | \(fixed(result.ratio, 2)) | "
                    + (result.files > 0 ? "\(Int(result.filesPerSecond))" : "–") + " | \(fixed(result.peakRSSMiB, 1)) |")
            }
            tables.append(lines.joined(separator: "\n"))
        }
        return tables.joined(separator: "\n\n")
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
