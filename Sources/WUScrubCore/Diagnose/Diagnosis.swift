/// One log `diagnose` looked for: where it is, how it was read, or why it was not.
public struct LogSource: Sendable, Equatable, Encodable {
    /// Relative to ROOT, in its case on disk (or as looked for, when absent).
    public var path: String
    public var present: Bool
    /// Its size in bytes (`statx`), when it was opened.
    public var size: UInt64?
    public var encoding: LogEncoding?
    /// For a file larger than `Diagnosis.maximumReadBytes`: where reading began (only its end was read).
    public var readFrom: UInt64?
    /// Why it was not read: a link, a device node, a FIFO… (refused, never opened), or a read error.
    public var problem: String?

    /// Whether only the end of the file was read.
    public var truncated: Bool { readFrom != nil }
}

/// What Windows Update last reported on an installation, read-only (`wuscrub diagnose`,
/// docs/architecture.md §14).
public struct Diagnosis: Sendable, Equatable, Encodable {
    public var reportingEventsLog: LogSource
    public var reportingEvents: ReportingEventsSummary?
    public var windowsUpdateLog: LogSource
    public var windowsUpdate: WindowsUpdateLogSummary?
    /// The verdict over the codes reported (nil: no failure to judge).
    public var verdict: ResetVerdict?
    /// The verdict in one line, as `status` and the reset plan show it.
    public var summary: String
    /// What to do, one sentence a code that this reset does not fix.
    public var advice: [String]

    /// The most a log is read: its last 16 MiB. A real ReportingEvents.log holds a few MB; a larger
    /// (or sparse) file is read from there, so memory and time stay bounded whatever the volume holds.
    public static let maximumReadBytes: UInt64 = 16 << 20
    /// The chunk a log is read in.
    static let chunkBytes = 1 << 20

    /// Reads the two logs of `install`. Never throws: each problem is reported in its `LogSource`.
    public init(install: WindowsInstall) {
        let distribution = install.softwareDistribution ?? install.windows + "/SoftwareDistribution"
        var events = ReportingEventsSummary()
        var update = WindowsUpdateLogSummary()
        let root: VolumeDirectory?
        var rootProblem: String?
        do { root = try VolumeDirectory.openRoot(install.root) } catch {
            root = nil
            rootProblem = error.description
        }
        reportingEventsLog = Diagnosis.read("ReportingEvents.log", in: install.softwareDistribution, shownFolder: distribution,
                                            root: root, install: install) { events.add($0) }
        windowsUpdateLog = Diagnosis.read("WindowsUpdate.log", in: install.windows, shownFolder: install.windows,
                                          root: root, install: install) { update.add($0) }
        if let rootProblem {
            reportingEventsLog.problem = rootProblem
            windowsUpdateLog.problem = rootProblem
        }
        events.finish()
        update.finish()
        reportingEvents = reportingEventsLog.size == nil ? nil : events
        windowsUpdate = windowsUpdateLog.size == nil ? nil : update
        (verdict, summary, advice) = Diagnosis.judge(reportingEvents, windowsUpdate, reportingEventsLog)
    }

    /// The part `status` and the reset plan show.
    public var brief: DiagnosisBrief {
        DiagnosisBrief(verdict: verdict, summary: summary + (advice.isEmpty ? "" : " (wuscrub diagnose says what to do instead)"))
    }

    /// Finds `name` in `folder` (without regard to case), opens it through the volume layer (a
    /// regular file with one name on ROOT's mount, never a link, FIFO or device) and feeds its
    /// lines, at most the last `maximumReadBytes`, to `body` in chunks.
    static func read(_ name: String, in folder: String?, shownFolder: String, root: VolumeDirectory?,
                     install: WindowsInstall, _ body: (LogLine) -> Void) -> LogSource {
        var source = LogSource(path: shownFolder + "/" + name, present: false)
        guard let root, let folder else { return source }
        do {
            guard let directory = try root.directory(at: folder),
                  let relative = try WindowsInstall.resolve(name, in: directory, root: install.root, kind: .file)
            else { return source }
            source.path = relative
            source.present = true
            guard let file = try directory.file(String(relative.split(separator: "/").last!)) else {
                source.present = false
                return source
            }
            source.size = file.size
            let (encoding, mark) = LogEncoding.detect(try file.read(count: 4))
            source.encoding = encoding
            var start = UInt64(mark)
            if file.size > Diagnosis.maximumReadBytes + start {
                start = file.size - Diagnosis.maximumReadBytes
                if encoding == .utf16LE { start += (start - UInt64(mark)) % 2 }
            }
            if start > UInt64(mark) { source.readFrom = start }
            var reader = LogLineReader(encoding: encoding, startsMidLine: start > UInt64(mark))
            var offset = start
            while offset < file.size {
                let chunk = try file.read(count: Int(min(UInt64(Diagnosis.chunkBytes), file.size - offset)), at: offset)
                reader.feed(chunk, body)
                offset += UInt64(chunk.count)
                if chunk.count < Diagnosis.chunkBytes { break }
            }
            reader.finish(body)
        } catch {
            source.problem = "\(error)"
            source.size = nil
        }
        return source
    }

    /// The verdict over ReportingEvents.log's failures (or, without them, WindowsUpdate.log's
    /// FATAL codes), the one-line summary and the advice.
    static func judge(_ events: ReportingEventsSummary?, _ update: WindowsUpdateLogSummary?,
                      _ source: LogSource) -> (ResetVerdict?, String, [String]) {
        var judged: [(code: String, name: String?, verdict: ResetVerdict, advice: String?, count: Int, last: LogTime?)] = []
        var noun = "failure"
        if let events, !events.failures.isEmpty {
            judged = events.failures.map { ($0.code, $0.name, $0.verdict, $0.advice, $0.count, $0.last) }
        } else if let update {
            judged = update.codes.filter { $0.fatal > 0 }.map { ($0.code, $0.name, $0.verdict, $0.advice, $0.fatal, $0.last) }
            noun = "FATAL line"
        }
        guard !judged.isEmpty else {
            let found = source.problem != nil ? "ReportingEvents.log could not be read"
                : source.present ? "no failures in ReportingEvents.log" : "no ReportingEvents.log"
            let success = events?.lastSuccessfulDetection.map { "; last successful detection \($0)" } ?? ""
            return (nil, "Windows Update last reported: \(found)\(success); nothing says this reset is needed", [])
        }
        let verdicts = Set(judged.map(\.verdict))
        let verdict: ResetVerdict = verdicts == [.addresses] ? .addresses
            : verdicts.contains(.willNotHelp) ? .willNotHelp
            : verdicts == [.unknown] ? .unknown : .mayHelp
        let top = judged.sorted { $0.count > $1.count }.prefix(2).map { item in
            "\(item.count) \(noun)\(item.count == 1 ? "" : "s") \(item.code)" + (item.name.map { " (\($0))" } ?? "")
        }
        let last = (judged.compactMap(\.last).max().map { ", last \($0)" } ?? "") + (noun == "failure" ? "" : " in WindowsUpdate.log")
        let more = judged.count > 2 ? " and \(judged.count - 2) more code\(judged.count == 3 ? "" : "s")" : ""
        var sentence = verdict.sentence
        if verdict == .willNotHelp, verdicts.contains(.addresses) {
            let fixed = judged.filter { $0.verdict == .addresses }.map(\.code).joined(separator: ", ")
            sentence = "this reset addresses \(fixed) but will not help with the rest"
        }
        if let success = events?.lastSuccessfulDetection, let latest = judged.compactMap(\.last).max(), success > latest {
            sentence += " (a later detection succeeded, \(success))"
        }
        var advice: [String] = []
        for item in judged {
            guard item.verdict != .addresses, let text = item.advice, !advice.contains(where: { $0.hasSuffix(text) }) else { continue }
            advice.append("\(item.code): \(text)")
        }
        return (verdict, "Windows Update last reported: " + top.joined(separator: ", ") + more + last + "; " + sentence, advice)
    }
}

/// The one line of `Diagnosis` that `status` and the reset plan carry (`lastReported`).
public struct DiagnosisBrief: Sendable, Equatable, Encodable {
    public var verdict: ResetVerdict?
    public var summary: String
}
