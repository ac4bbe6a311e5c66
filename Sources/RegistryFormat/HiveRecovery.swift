/// Replays a dirty hive's transaction logs as Windows does, in memory (docs/registry-format.md §10).
///
/// The result is a recovered copy whose base block has both sequence numbers set to S, the highest
/// sequence number present in any log, so that the logs left on disk can never be applied again.
public enum HiveRecovery {
    /// Log file extensions, in the order they are reported.
    public static let logExtensions = ["LOG", "LOG1", "LOG2"]
    /// A primary file must be smaller than 4 GiB: a hive's sizes and offsets are 32-bit.
    public static let maximumPrimarySize = 1 << 32

    /// Finds the logs of a hive by listing its folder: `<name>.LOG`, `.LOG1`, `.LOG2`, matched
    /// without regard to case (so mixed-case sets are found on case-sensitive file systems).
    ///
    /// - Parameters:
    ///   - hiveName: The primary's file name.
    ///   - names: The names in its folder.
    ///   - folder: The folder's path, for messages.
    /// - Returns: The names of the logs found, ordered .LOG, .LOG1, .LOG2.
    /// - Throws: `RecoveryError.ambiguousLog` when two names differ only by case.
    public static func logNames(forHive hiveName: String, among names: [String], folder: String) throws(RecoveryError) -> [String] {
        var found: [String] = []
        for suffix in logExtensions {
            let wanted = (hiveName + "." + suffix).lowercased()
            let matches = names.filter { $0.lowercased() == wanted }.sorted()
            guard matches.count <= 1 else {
                throw RecoveryError.ambiguousLog(directory: folder, names: matches)
            }
            if let match = matches.first { found.append(match) }
        }
        return found
    }

    /// The largest hive read into memory, and the most its logs may hold together (256 MiB each):
    /// far beyond any real SYSTEM hive (tens of MB), and small enough that a hive, its logs and the
    /// copies a run makes fit in a rescue system's memory.
    public static let maximumReadSize = 256 << 20

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
        guard hive.count < maximumPrimarySize else {
            analysis.refuse(.primaryTooLarge(size: hive.count))
            return analysis
        }
        guard hive.count >= BaseBlock.size, let primary = BaseBlock(hive[0..<512]), primary.hasSignature else {
            analysis.refuse(.noSignature)
            return analysis
        }
        analysis.primarySequence = primary.primarySequence
        analysis.secondarySequence = primary.secondarySequence
        guard primary.isDirty else {
            analysis.outcome = .clean
            return analysis
        }
        guard primary.isChecksumValid else {
            analysis.refuse(.primaryChecksumWrong)
            return analysis
        }
        guard primary.fileType == 0 else {
            analysis.refuse(.notPrimary(fileType: primary.fileType))
            return analysis
        }
        let declaredEnd = BaseBlock.size + Int(primary.hiveBinsSize)
        guard primary.hiveBinsSize % 4096 == 0, hive.count >= declaredEnd else {
            analysis.refuse(.primaryTruncated(declaredEnd: declaredEnd, fileSize: hive.count))
            return analysis
        }
        let newLogs = logs.filter { $0.format == .new }
        let oldLogs = logs.filter { $0.format == .old }
        if !newLogs.isEmpty {
            replayNew(primary: primary, hive: hive, logs: newLogs, all: logs, into: &analysis)
        } else if !oldLogs.isEmpty {
            replayOld(primary: primary, hive: hive, logs: oldLogs, all: logs, into: &analysis)
        } else {
            analysis.refuse(logs.isEmpty
                ? .noLogs(primarySequence: primary.primarySequence, secondarySequence: primary.secondarySequence)
                : .noUsableLog(primarySequence: primary.primarySequence, secondarySequence: primary.secondarySequence,
                               problems: logs.map { log in
                                   "\(log.path): \(log.problem ?? "?")" + (log.hashValidSequences.isEmpty ? "" :
                                       ", though it holds hash-valid " + Serial.entries(log.hashValidSequences, around: primary.secondarySequence))
                               }))
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
                analysis.refuse(.inconsistentResult(detail: "\(error)"))
            }
        }
        return analysis
    }

    // MARK: - New format

    package static func replayNew(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], all: [TransactionLog],
                          into analysis: inout RecoveryAnalysis) {
        // Eligible: a valid log whose base sequence is not below the primary's secondary (docs/registry-format.md §10.2).
        let eligible = logs.filter { log in
            guard let base = log.baseBlock?.primarySequence else { return false }
            return !Serial.isAfter(primary.secondarySequence, base)
        }.sorted { a, b in
            let (first, second) = (a.baseBlock!.primarySequence, b.baseBlock!.primarySequence)
            if first != second { return Serial.isAfter(second, first) }
            // Two logs starting at the same number: the one whose chain reaches further first, so
            // that sequence numbers decide, never the files' names (docs/registry-format.md §10.2).
            guard let end = a.entries.last?.sequence else { return false }
            guard let otherEnd = b.entries.last?.sequence else { return true }
            return Serial.isAfter(end, otherEnd)
        }
        // The plan: the earliest log's chain, then each next log's when it starts right after.
        var plan: [(log: TransactionLog, entries: [LogEntry])] = []
        var expected = eligible.first?.baseBlock?.primarySequence
        for log in eligible where log.baseBlock?.primarySequence == expected {
            guard let last = log.entries.last else { break }
            plan.append((log, log.entries))
            expected = last.sequence &+ 1
        }
        guard let last = plan.last?.entries.last?.sequence else {
            analysis.refuse(.noApplicableEntry(logs: logs.map { log in
                "\(log.path) starts at \(log.baseBlock?.primarySequence ?? 0) (the primary needs \(primary.secondarySequence) or later; \(log.chainEnd))"
            }))
            return
        }
        if let log = all.first(where: { $0.remnantScanIncomplete }) {
            analysis.refuse(.logNotScanned(path: log.path, unreadable: log.unreadable, step: .newFormatReplay))
            return
        }
        // Nothing any log holds may come after `last` (docs/registry-format.md §10.2): a hash-valid entry anywhere, in any
        // log, even one whose base block is invalid, or a valid log's base-block sequence number.
        // Applying part of the logs would lose it; S is then `last`, above every number left.
        let beyond = all.compactMap { log -> String? in
            let later = sequences(in: log).filter { Serial.isAfter($0, last) }
            guard !later.isEmpty else { return nil }
            let held = log.hashValidSequences.filter { Serial.isAfter($0, last) }
            let what = held.isEmpty
                ? "\(log.path)'s base block says sequence \(log.baseBlock!.primarySequence)"
                : "\(log.path) holds hash-valid " + Serial.entries(held, around: last)
            let why: String
            if let problem = log.problem {
                why = "its base block is unusable: \(problem)"
            } else if log.format == .old {
                why = "it is an old-format log, which is not replayed with new-format ones"
            } else if plan.contains(where: { $0.log.path == log.path }) {
                why = "its chain ends earlier: \(log.chainEnd)"
            } else {
                why = "it starts at \(log.baseBlock!.primarySequence), so it does not continue the replay at \(last &+ 1)"
            }
            return what + " (" + why + ")"
        }
        if !beyond.isEmpty {
            let highest = Serial.highest(all.flatMap(sequences(in:)), above: last)!
            analysis.refuse(.entriesBeyondReplay(highest: highest, reached: last, logs: beyond))
            return
        }
        // The hive bins may only grow over pages the applied entries write (docs/registry-format.md §10.5): never invent
        // zero-filled bins, and never allocate more than the logs supply.
        let entries = plan.flatMap(\.entries)
        let written = writtenEnd(from: UInt64(primary.hiveBinsSize), pages: entries.flatMap(\.pages).map {
            (UInt64($0.offset), UInt64($0.offset) + UInt64($0.size))
        })
        if let entry = entries.first(where: { UInt64($0.hiveBinsSize) > written }) {
            analysis.refuse(.growthWithoutPages(sequence: entry.sequence, declared: entry.hiveBinsSize, primary: primary.hiveBinsSize, written: written))
            return
        }
        var bytes = hive
        var hiveBinsSize = primary.hiveBinsSize
        var flags = primary.flags
        for (log, entries) in plan {
            for entry in entries {
                let end = BaseBlock.size + Int(entry.hiveBinsSize)
                if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
                for page in entry.pages {
                    let target = BaseBlock.size + Int(page.offset)
                    bytes.replaceSubrange(target..<target + Int(page.size), with: log.bytesView(page))
                }
                hiveBinsSize = entry.hiveBinsSize
                flags = (flags & ~1) | (entry.flags & 1)
            }
            analysis.applied.append(AppliedLog(path: log.path, format: .new, sequences: entries.map(\.sequence), pages: entries.reduce(0) { $0 + $1.pages.count }))
        }
        finish(&bytes, sequence: last, hiveBinsSize: hiveBinsSize, flags: flags)
        analysis.recovered = bytes
        analysis.finalSequence = last
        analysis.finalHiveBinsSize = hiveBinsSize
        analysis.outcome = .recovered
    }

    /// Every sequence number a log vouches for: its hash-valid entries, and its base block's when
    /// the log is valid (an invalid base block's number is not trusted).
    package static func sequences(in log: TransactionLog) -> [UInt32] {
        log.hashValidSequences + (log.isValid ? log.baseBlock.map { [$0.primarySequence] } ?? [] : [])
    }

    /// How far, from `start`, the byte ranges `pages` (hive-bins offsets, end excluded) write
    /// without a gap: `start` itself when none begins at or before it.
    package static func writtenEnd(from start: UInt64, pages: [(start: UInt64, end: UInt64)]) -> UInt64 {
        var written = start
        for page in pages.filter({ $0.end > start }).sorted(by: { $0.start < $1.start }) {
            guard page.start <= written else { break }
            written = max(written, page.end)
        }
        return written
    }

    // MARK: - Old format

    /// The order old-format logs are tried in: LOG1, LOG2, then .LOG (yarp's; docs/registry-format.md §10.3: the boot
    /// loader tries LOG1 first, and on Vista and later a lone .LOG is usually a dummy).
    package static func preference(_ path: String) -> Int {
        let name = path.lowercased()
        if name.hasSuffix(".log1") { return 0 }
        if name.hasSuffix(".log2") { return 1 }
        if name.hasSuffix(".log") { return 2 }
        return 3
    }

    package static func replayOld(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], all: [TransactionLog],
                          into analysis: inout RecoveryAnalysis) {
        // Applicable: the log's timestamp equals the primary's (docs/registry-format.md §10.3); then LOG1, LOG2, .LOG.
        let applicable = logs.enumerated()
            .filter { $0.element.baseBlock?.lastWritten == primary.lastWritten }
            .sorted { (preference($0.element.path), $0.offset) < (preference($1.element.path), $1.offset) }
            .map(\.element)
        guard let log = applicable.first, let block = log.baseBlock else {
            analysis.refuse(.noMatchingOldLog(logs: logs.map {
                "\($0.path) written at \($0.baseBlock?.lastWritten ?? 0), the primary at \(primary.lastWritten)"
            }))
            return
        }
        if let other = all.first(where: { $0.remnantScanIncomplete }) {
            analysis.refuse(.logNotScanned(path: other.path, unreadable: other.unreadable, step: .oldFormatReplay))
            return
        }
        // New-format entries not older than the primary (in any log, whatever its base block)
        // would be lost by an old-format replay.
        let pending = all.compactMap { other -> String? in
            let later = other.hashValidSequences.filter { !Serial.isAfter(primary.secondarySequence, $0) }
            return later.isEmpty ? nil : "\(other.path) holds hash-valid new-format " + Serial.entries(later, around: primary.secondarySequence)
        }
        if !pending.isEmpty {
            analysis.refuse(.newerEntriesPending(log: log.path, pending: pending, primarySequence: primary.secondarySequence))
            return
        }
        let written = writtenEnd(from: UInt64(primary.hiveBinsSize), pages: log.dirtyPages.map {
            (UInt64($0) * 512, UInt64($0) * 512 + 512)
        })
        guard UInt64(block.hiveBinsSize) <= written else {
            analysis.refuse(.oldGrowthWithoutPages(log: log.path, declared: block.hiveBinsSize, primary: primary.hiveBinsSize, written: written))
            return
        }
        var bytes = hive
        let end = BaseBlock.size + Int(block.hiveBinsSize)
        if bytes.count < end { bytes += [UInt8](repeating: 0, count: end - bytes.count) }
        let data = log.bytes
        for (index, page) in log.dirtyPages.enumerated() {
            let target = BaseBlock.size + 512 * page
            guard target + 512 <= bytes.count else {
                analysis.refuse(.dirtyPageOutOfRange(log: log.path, page: page))
                return
            }
            let source = log.pagesStart + 512 * index
            bytes.replaceSubrange(target..<target + 512, with: data[source..<source + 512])
        }
        // S: the primary's sequence number (the log's, on Vista and later), or any higher one a log holds.
        let sequence = Serial.highest(all.flatMap(sequences(in:)), above: primary.primarySequence)!
        analysis.applied = [AppliedLog(path: log.path, format: .old, sequences: [block.primarySequence], pages: log.dirtyPages.count)]
        finish(&bytes, sequence: sequence, hiveBinsSize: block.hiveBinsSize, flags: primary.flags)
        analysis.recovered = bytes
        analysis.finalSequence = sequence
        analysis.finalHiveBinsSize = block.hiveBinsSize
        analysis.outcome = .recovered
    }

    // MARK: - Discarding

    /// Keeps the primary's content, marks it clean with a sequence number above every one in the
    /// logs (hash-valid entries of every log, whatever its base block, and valid logs' base blocks),
    /// and lists what is thrown away.
    package static func discard(primary: BaseBlock, hive: [UInt8], logs: [TransactionLog], into analysis: inout RecoveryAnalysis) {
        guard primary.isChecksumValid, primary.fileType == 0, hive.count >= BaseBlock.size + Int(primary.hiveBinsSize) else { return }
        if let log = logs.first(where: { $0.remnantScanIncomplete }) {
            analysis.refuse(.logNotScanned(path: log.path, unreadable: log.unreadable, step: .discarding))
            return
        }
        let highest = Serial.highest(logs.flatMap(sequences(in:)), above: primary.primarySequence)!
        var bytes = hive
        finish(&bytes, sequence: highest, hiveBinsSize: primary.hiveBinsSize, flags: primary.flags)
        analysis.discarded = logs.map { discarded(in: $0, primary: primary) }
        analysis.applied = []
        analysis.recovered = bytes
        analysis.finalSequence = highest
        analysis.finalHiveBinsSize = primary.hiveBinsSize
        analysis.outcome = .discarded
    }

    /// What discarding throws away from one log, exactly: the sequence numbers of its hash-valid
    /// entries not older than the primary (its secondary sequence number), a damaged entry that ends
    /// its chain, an old-format log's dirty pages; and what is left aside as older than the primary.
    package static func discarded(in log: TransactionLog, primary: BaseBlock) -> String {
        let reference = primary.secondarySequence
        let pending = log.hashValidSequences.filter { !Serial.isAfter(reference, $0) }
        let older = log.hashValidSequences.filter { Serial.isAfter(reference, $0) }
        var parts: [String] = []
        if log.format == .old, let block = log.baseBlock {
            parts.append("old-format log of sequence \(block.primarySequence), \(log.dirtyPages.count) dirty pages discarded")
        }
        if !pending.isEmpty { parts.append(Serial.entries(pending, around: reference) + " discarded") }
        if log.chainEndsAtDamagedEntry { parts.append("discarded unread: the \(log.chainEnd)") }
        if !older.isEmpty {
            parts.append(Serial.entries(older, around: reference) + " left aside, older than the primary (sequence \(reference))")
        }
        var text = "\(log.path): " + (parts.isEmpty ? "nothing to discard" : parts.joined(separator: "; "))
        if let problem = log.problem { text += " (the log is unusable: \(problem))" }
        return text
    }

    /// Sets the recovered base block: both sequence numbers, hive-bins size, flags, file type 0, checksum (docs/registry-format.md §10.7).
    package static func finish(_ bytes: inout [UInt8], sequence: UInt32, hiveBinsSize: UInt32, flags: UInt32) {
        bytes.storeLE(sequence, at: 4)
        bytes.storeLE(sequence, at: 8)
        bytes.storeLE(hiveBinsSize, at: 40)
        bytes.storeLE(flags, at: 144)
        bytes.storeLE(UInt32(0), at: 28)
        BaseBlock.updateChecksum(&bytes)
    }
}
