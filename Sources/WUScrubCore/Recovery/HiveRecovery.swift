/// Replays a dirty hive's transaction logs as Windows does, in memory (registry-logs.md §2–4).
///
/// The result is a recovered copy whose base block has both sequence numbers set to S, the highest
/// sequence number present in any log, so that the logs left on disk can never be applied again.
public enum HiveRecovery {
    /// Log file extensions, in the order they are reported.
    public static let logExtensions = ["LOG", "LOG1", "LOG2"]

    /// Finds the logs of a hive by listing its directory: `<name>.LOG`, `.LOG1`, `.LOG2`, matched
    /// without regard to case (so mixed-case sets are found on case-sensitive file systems).
    ///
    /// - Parameter hivePath: The primary hive file.
    /// - Returns: The paths of the logs found, ordered .LOG, .LOG1, .LOG2.
    /// - Throws: `RecoveryError.ambiguousLog` when two names differ only by case; `FileIOError`.
    public static func discoverLogs(forHive hivePath: String) throws -> [String] {
        let directory = FileIO.parent(of: hivePath)
        let hiveName = hivePath.split(separator: "/").last.map(String.init) ?? hivePath
        let names = try FileIO.names(in: directory)
        var found: [String] = []
        for suffix in logExtensions {
            let wanted = (hiveName + "." + suffix).lowercased()
            let matches = names.filter { $0.lowercased() == wanted }.sorted()
            guard matches.count <= 1 else {
                throw RecoveryError.ambiguousLog(directory: directory, names: matches)
            }
            if let match = matches.first { found.append(directory + "/" + match) }
        }
        return found
    }

    /// Reads a hive and the logs beside it and analyzes them (see `analyze(hivePath:hive:logs:discardUnreconciled:)`).
    ///
    /// - Parameters:
    ///   - path: The primary hive file; nothing is written.
    ///   - discardUnreconciled: Proceed with the primary as it is when the logs cannot be applied.
    /// - Throws: `FileIOError` when a file cannot be read, `RecoveryError.ambiguousLog`.
    public static func analyze(hiveAt path: String, discardUnreconciled: Bool = false) throws -> RecoveryAnalysis {
        let hive = try FileIO.read(path)
        let logs = try discoverLogs(forHive: path).map { log in TransactionLog(path: log, bytes: try FileIO.read(log)) }
        return analyze(hivePath: path, hive: hive, logs: logs, discardUnreconciled: discardUnreconciled)
    }

    /// Decides what recovery a hive needs and, when it is possible, performs it in memory.
    ///
    /// - Parameters:
    ///   - hivePath: The primary's path, for messages.
    ///   - hive: The primary's bytes.
    ///   - logs: Its parsed logs.
    ///   - discardUnreconciled: Proceed with the primary as it is when the logs cannot be applied.
    /// - Returns: The analysis, with the recovered bytes when `outcome` is `.recovered` or `.discarded`.
    public static func analyze(hivePath: String, hive: [UInt8], logs: [TransactionLog],
                               discardUnreconciled: Bool = false) -> RecoveryAnalysis {
        var analysis = RecoveryAnalysis(hivePath: hivePath, logs: logs.map(LogSummary.init))
        guard hive.count >= BaseBlock.size, let primary = BaseBlock(hive[0..<512]), primary.hasSignature else {
            analysis.refuse("the primary base block is missing or has no 'regf' signature")
            return analysis
        }
        analysis.primarySequence = primary.primarySequence
        analysis.secondarySequence = primary.secondarySequence
        guard primary.isDirty else {
            analysis.outcome = .clean
            return analysis
        }
        guard primary.isChecksumValid else {
            analysis.refuse("the primary base block's checksum is wrong, so none of its fields can be trusted; Windows would rebuild it from one log only, which may lose data")
            return analysis
        }
        let declaredEnd = BaseBlock.size + Int(primary.hiveBinsSize)
        guard primary.hiveBinsSize % 4096 == 0, hive.count >= declaredEnd else {
            analysis.refuse("the primary is truncated: its base block declares \(declaredEnd) bytes, the file has \(hive.count)")
            return analysis
        }
        let dirty = "the hive is dirty (sequence numbers \(primary.primarySequence) ≠ \(primary.secondarySequence): changes are pending in its transaction logs)"
        let newLogs = logs.filter { $0.format == .new }
        let oldLogs = logs.filter { $0.format == .old }
        if !newLogs.isEmpty {
            replayNew(primary: primary, hive: hive, logs: newLogs, all: logs, into: &analysis)
        } else if !oldLogs.isEmpty {
            replayOld(primary: primary, hive: hive, logs: oldLogs, into: &analysis)
        } else {
            analysis.refuse(logs.isEmpty
                ? dirty + " and no transaction log was found beside it"
                : dirty + " and none of its logs is usable (" + logs.map { "\($0.path): \($0.problem ?? "?")" }.joined(separator: "; ") + ")")
        }
        if analysis.outcome == .refused, discardUnreconciled {
            discard(primary: primary, hive: hive, logs: logs, into: &analysis)
        }
        if let bytes = analysis.recovered {
            do {
                try HiveLayout.validate(bytes, path: hivePath + " (recovered)")
            } catch {
                analysis.recovered = nil
                analysis.applied = []
                analysis.refuse("the replayed hive is not consistent: \(error)")
            }
        }
        return analysis
    }

    // MARK: - New format

    static func replayNew(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], all: [TransactionLog],
                          into analysis: inout RecoveryAnalysis) {
        // Eligible: a valid log whose base sequence is not below the primary's secondary (§3.3).
        let eligible = logs.filter { log in
            guard let base = log.baseBlock?.primarySequence else { return false }
            return !Serial.isAfter(primary.secondarySequence, base)
        }.sorted { Serial.isAfter($1.baseBlock!.primarySequence, $0.baseBlock!.primarySequence) }
        // The hive bins can only grow as far as the primary and the logged pages reach: a larger
        // declared size would be zero-filled (and is refused before any memory is spent on it).
        let reach = eligible.flatMap(\.entries).flatMap(\.pages).reduce(UInt64(max(primary.hiveBinsSize, UInt32(hive.count - BaseBlock.size)))) {
            max($0, UInt64($1.offset) + UInt64($1.size))
        }
        if let entry = eligible.flatMap(\.entries).first(where: { UInt64($0.hiveBinsSize) > reach }) {
            analysis.refuse("entry \(entry.sequence) declares \(entry.hiveBinsSize) bytes of hive bins, more than the primary and the logged pages hold (\(reach))")
            return
        }
        var bytes = hive
        var hiveBinsSize = primary.hiveBinsSize
        var flags = primary.flags
        var last: UInt32?
        var expected = eligible.first?.baseBlock?.primarySequence
        for log in eligible where log.baseBlock?.primarySequence == expected {
            guard !log.entries.isEmpty else { break }
            for entry in log.entries {
                let end = BaseBlock.size + Int(entry.hiveBinsSize)
                if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
                for page in entry.pages {
                    let target = BaseBlock.size + Int(page.offset)
                    bytes.replaceSubrange(target..<target + Int(page.size), with: log.bytesView(page))
                }
                hiveBinsSize = entry.hiveBinsSize
                flags = (flags & ~1) | (entry.flags & 1)
                last = entry.sequence
            }
            analysis.applied.append(AppliedLog(path: log.path, format: .new, sequences: log.entries.map(\.sequence), pages: log.entries.reduce(0) { $0 + $1.pages.count }))
            expected = last! &+ 1
        }
        guard let last else {
            analysis.refuse("the hive is dirty and no log entry can be applied: " + logs.map { log in
                "\(log.path) starts at \(log.baseBlock?.primarySequence ?? 0) (the primary needs \(primary.secondarySequence) or later; \(log.chainEnd))"
            }.joined(separator: "; "))
            return
        }
        if let log = all.first(where: { $0.remnantScanIncomplete }) {
            analysis.refuse("\(log.path) holds too many overlapping entries to check what lies beyond its chain")
            return
        }
        // S: the highest sequence number present anywhere in the logs.
        var highest = last
        for log in all {
            for candidate in [log.isValid ? log.baseBlock?.primarySequence : nil, log.highestSequence].compactMap({ $0 })
            where Serial.isAfter(candidate, highest) {
                highest = candidate
            }
        }
        if Serial.isAfter(highest, last) {
            analysis.applied = []
            analysis.refuse("the logs hold entries up to sequence \(highest), but replay can only reach \(last) (" +
                            logs.map { "\($0.path): \($0.chainEnd)" }.joined(separator: "; ") + "); applying part of them would lose the rest")
            return
        }
        finish(&bytes, sequence: highest, hiveBinsSize: hiveBinsSize, flags: flags)
        analysis.recovered = bytes
        analysis.finalSequence = highest
        analysis.finalHiveBinsSize = hiveBinsSize
        analysis.outcome = .recovered
    }

    // MARK: - Old format

    static func replayOld(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], into analysis: inout RecoveryAnalysis) {
        // Applicable: the log's timestamp equals the primary's (§2). LOG1 before LOG2 on a tie.
        let applicable = logs.filter { $0.baseBlock?.lastWritten == primary.lastWritten }
        guard let log = applicable.first, let block = log.baseBlock else {
            analysis.refuse("the hive is dirty and no old-format log matches its timestamp: " +
                            logs.map { "\($0.path) written at \($0.baseBlock?.lastWritten ?? 0), the primary at \(primary.lastWritten)" }.joined(separator: "; "))
            return
        }
        let reach = max(UInt64(primary.hiveBinsSize), UInt64(hive.count - BaseBlock.size), UInt64((log.dirtyPages.last ?? 0) + 1) * 512)
        guard UInt64(block.hiveBinsSize) <= reach else {
            analysis.refuse("\(log.path) declares \(block.hiveBinsSize) bytes of hive bins, more than the primary and its dirty pages hold (\(reach))")
            return
        }
        var bytes = hive
        let end = BaseBlock.size + Int(block.hiveBinsSize)
        if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        let data = log.bytes
        for (index, page) in log.dirtyPages.enumerated() {
            let target = BaseBlock.size + 512 * page
            guard target + 512 <= bytes.count else {
                analysis.refuse("\(log.path) marks page \(page) dirty, beyond the hive bins")
                return
            }
            let source = log.pagesStart + 512 * index
            bytes.replaceSubrange(target..<target + 512, with: data[source..<source + 512])
        }
        analysis.applied = [AppliedLog(path: log.path, format: .old, sequences: [block.primarySequence], pages: log.dirtyPages.count)]
        finish(&bytes, sequence: primary.primarySequence, hiveBinsSize: block.hiveBinsSize, flags: primary.flags)
        analysis.recovered = bytes
        analysis.finalSequence = primary.primarySequence
        analysis.finalHiveBinsSize = block.hiveBinsSize
        analysis.outcome = .recovered
    }

    // MARK: - Discarding

    /// Keeps the primary's content, marks it clean with a sequence number above every one in the
    /// logs, and lists what is thrown away.
    static func discard(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], into analysis: inout RecoveryAnalysis) {
        guard primary.isChecksumValid, hive.count >= BaseBlock.size + Int(primary.hiveBinsSize) else { return }
        var highest = primary.primarySequence
        for log in logs {
            for candidate in [log.baseBlock?.primarySequence, log.highestSequence].compactMap({ $0 }) where Serial.isAfter(candidate, highest) {
                highest = candidate
            }
        }
        var bytes = hive
        finish(&bytes, sequence: highest, hiveBinsSize: primary.hiveBinsSize, flags: primary.flags)
        analysis.discarded = logs.map { log in
            let sequences = log.entries.map(\.sequence)
            let what = sequences.isEmpty ? (log.problem ?? log.chainEnd) : "entries \(sequences.first!)…\(sequences.last!)"
            return "\(log.path): \(what)"
        }
        analysis.applied = []
        analysis.recovered = bytes
        analysis.finalSequence = highest
        analysis.finalHiveBinsSize = primary.hiveBinsSize
        analysis.outcome = .discarded
    }

    /// Sets the recovered base block: both sequence numbers, hive-bins size, flags, file type 0, checksum (§4.1).
    static func finish(_ bytes: inout [UInt8], sequence: UInt32, hiveBinsSize: UInt32, flags: UInt32) {
        bytes.storeLE(sequence, at: 4)
        bytes.storeLE(sequence, at: 8)
        bytes.storeLE(hiveBinsSize, at: 40)
        bytes.storeLE(flags, at: 144)
        bytes.storeLE(UInt32(0), at: 28)
        BaseBlock.updateChecksum(&bytes)
    }
}
