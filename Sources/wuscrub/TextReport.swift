import WUScrubCore

/// Renders a `Document` for a person.
struct TextReport {
    let document: Document

    init(_ document: Document) { self.document = document }

    func render() -> String {
        var lines: [String] = []
        if let device = document.device {
            let mounted = "Device: \(device.device), mounted with ntfs-3g at \(device.mountPoint) for this run"
            switch device.unmounted {
            case nil: lines.append(mounted + " (unmounted at the end)")
            case true?: lines.append(mounted + ", unmounted again")
            case false?: lines.append(mounted + ": NOT unmounted, it is still mounted there (umount \(device.mountPoint) once nothing uses it)")
            }
        }
        if let install = document.install {
            lines.append("Windows installation: \(install.root) (\(install.windows))")
        }
        if let volume = document.status?.volume ?? document.plan?.volume { lines.append(volumeLine(volume)) }
        if let status = document.status { lines += renderStatus(status) }
        if let analysis = document.check { lines += renderRecovery(analysis, heading: "Hive: \(analysis.hivePath)") }
        if let output = document.output { lines.append("Recovered hive written to \(output)") }
        if let scan = document.scan { lines += renderScan(scan) }
        if let listing = document.quarantines { lines += renderQuarantines(listing) }
        if let diagnosis = document.diagnosis { lines += renderDiagnosis(diagnosis) }
        if let updates = document.updates { lines += renderUpdates(updates) }
        if let result = document.result {
            lines += renderResult(result)
        } else if let plan = document.plan {
            lines += renderPlan(plan)
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// `scan`: each volume and partition, its state, and the next command.
    func renderScan(_ scan: ScanReport) -> [String] {
        var lines: [String] = []
        for volume in scan.volumes {
            // Mount points and sources come from the mount table, which any user's FUSE mount writes into: escaped.
            let point = PurgeFailure.displayPath(Array(volume.mountPoint.utf8)), source = PurgeFailure.displayPath(Array(volume.source.utf8))
            lines.append("\(point)  \(source)  \(volume.kind)  \(volume.readOnly ? "read-only" : "read-write")")
            guard let found = volume.installation else {
                lines.append("  " + Self.withoutControls(volume.problem ?? "no Windows installation"))
                lines.append("")
                continue
            }
            lines.append("  Windows: " + (found.version?.summary ?? "version unknown (\(found.versionError ?? "?"))") + " in \(found.windowsFolder)")
            let hibernation = switch found.hibernated {
            case true?: "HIBERNATED or Fast Startup shutdown"
            case false?: "not hibernated"
            case nil: "hibernation unknown (\(found.hibernationError ?? "?"))"
            }
            let fastStartup = found.fastStartupEnabled.map { $0 ? ", Fast Startup on" : ", Fast Startup off" } ?? ""
            lines.append("  State: \(hibernation)\(fastStartup); SYSTEM hive \(found.hiveState ?? "unreadable (\(found.hiveError ?? "?"))")")
            if let starts = found.starts, !starts.isEmpty {
                lines.append("  wuauserv: " + starts.map { "\($0.controlSet) Start=\($0.start) (\($0.startType))" }.joined(separator: ", "))
            }
            if let phase = found.unfinishedRun { lines.append("  Unfinished wuscrub run, stopped in phase \(phase)") }
            for folder in found.folders {
                lines.append("  \(folder.folder): \(folder.entries) entries" + (folder.bytes.map { ", \(byteCount($0))" } ?? ""))
            }
            lines += nextLines(found.next)
            lines.append("")
        }
        for partition in scan.partitions {
            let kind = partition.kind == .bitlocker ? "BitLocker" : "NTFS"
            lines.append("\(partition.device)  \(kind), \(byteCount(partition.size)), not mounted")
            lines += nextLines(partition.next)
            lines.append("")
        }
        lines += scan.notes.map { "Note: \($0)" }
        if scan.installationCount == 0 {
            lines.append("No Windows installation found: no mounted file system holds a Windows folder, and no partition that is not mounted holds NTFS or BitLocker.")
            lines.append("Mount the Windows partition (lsblk -f lists them; ntfs-3g /dev/sdXN /mnt/win) and run wuscrub scan again.")
        }
        while lines.last == "" { lines.removeLast() }
        return lines
    }

    private func nextLines(_ next: NextStep) -> [String] {
        (next.command.map { ["  Next: \(Self.withoutControls($0))"] } ?? []) + ["  " + Self.withoutControls(next.advice)]
    }

    /// A message that may quote a mount table's path, with every control character (C0, DEL, C1)
    /// shown as `?`: nothing of it can act on the terminal.
    static func withoutControls(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar
        }))
    }

    /// `1.2 GB`, `340 KB`, `512 bytes` (powers of 1000, as file managers show).
    func byteCount(_ bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(1_000_000_000_000, "TB"), (1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")]
        for (size, unit) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            let rounded = (value * 10).rounded() / 10
            return (rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) + " " + unit
        }
        return "\(bytes) bytes"
    }

    func renderPlan(_ plan: ResetPlan) -> [String] {
        var lines = [hiveLine(plan.hive)]
        if let recovery = plan.recovery { lines += renderRecovery(recovery, heading: "Transaction logs:") }
        lines += startLines(plan.starts, heading: plan.full == nil ? "Windows Update service (wuauserv), current start mode:"
                            : "Services (wuauserv, BITS, CryptSvc, UsoSvc, WaaSMedicSvc where present), current start mode:")
        let quarantine = plan.quarantineIn.map { $0 + "/" + QuarantineName.prefix + "<time>-<run>" }
        let verb = document.dryRun == true ? "Would " : "Will "
        lines.append(verb + (quarantine.map { "move into the quarantine \($0) (renames only, nothing deleted):" } ?? "remove:"))
        if !plan.purgeCounted {
            lines.append("  the contents of DataStore and Download (not counted first with --yes: the result says what was removed)")
        }
        for report in plan.purge {
            lines.append("  " + countLine(report))
            lines += failureLines(report).map { "  " + $0 }
        }
        if let full = plan.full { lines += fullPlanLines(full, verb: verb, quarantine: quarantine) }
        let create = document.dryRun == true ? "would be created" : "will be created"
        lines += plan.missingFolders.map { "  \($0): absent, nothing to remove; \(create) empty after the purge, as Windows expects" }
        if let brief = plan.lastReported { lines.append(Self.withoutControls(brief.summary)) }
        lines.append("Journal: \(plan.journalPath); hive backup in \(plan.backupDirectory)/")
        let recover = plan.recovery.map { $0.outcome == .recovered || $0.outcome == .discarded } == true
            ? " write the hive with its transaction logs replayed (or discarded, as shown above)," : ""
        lines.append("Steps: back up the hive," + recover + " set Start=4, " +
                     (quarantine == nil ? "empty the folders" : "move the folders' entries into the quarantine") +
                     (plan.full != nil && quarantine != nil ? ", move the BITS queue and rename catroot2" : "") +
                     ", put the original start mode back, verify.")
        lines += historyLines(quarantine: quarantine)
        if let previous = plan.previousQuarantine {
            lines.append("Note: the last run's quarantine \(previous) stays, but after this run 'wuscrub rollback' can no longer put it back (run 'wuscrub rollback' first to undo that run; 'wuscrub quarantine list' shows it).")
        }
        lines += leftAloneLines(plan.leftAlone)
        if document.dryRun == true { lines.append("Dry run: nothing was written.") }
        return lines
    }

    func renderResult(_ result: ResetOutcome) -> [String] {
        var lines: [String] = []
        let journal = result.journal
        lines.append("Run \(journal.runID.prefix(8)): phase \(journal.phase.rawValue)")
        if let recovery = journal.recovery { lines += renderRecovery(recovery, heading: "Transaction logs:") }
        for report in journal.purge ?? [] {
            lines.append("Removed from " + countLine(report))
            lines += failureLines(report)
        }
        for report in journal.quarantine ?? [] where journal.putBack == nil {
            lines.append("Moved into the quarantine from " + countLine(report))
            lines += failureLines(report)
        }
        for report in journal.fullReset ?? [] where journal.putBack == nil {
            lines.append(fullResetLine(report, journal: journal))
            lines += failureLines(report)
        }
        for report in journal.putBack ?? [] {
            lines.append("Put back into " + countLine(report))
            lines += failureLines(report)
        }
        lines += startLines(result.finalStarts, heading: result.finalStarts.allSatisfy { $0.service == ServiceStart.wuauserv }
                            ? "Windows Update service start mode now:" : "Service start modes now:")
        lines.append(result.hiveUntouched == true
                     ? "SYSTEM hive: not written by this rollback (sha256 \(result.finalHiveSHA256.prefix(16))…)"
                     : result.restoredByteIdentical
                     ? "SYSTEM hive: byte-identical to the original (sha256 \(result.finalHiveSHA256.prefix(16))…)"
                     : "SYSTEM hive: original start values set (sha256 \(result.finalHiveSHA256.prefix(16))…)")
        if let backup = result.backupPath { lines.append("Backup of the original hive: \(backup)") }
        lines += result.notes.map { "Note: \($0)" }
        if let path = journal.quarantinePath, journal.phase != .rolledBack || !result.putBackComplete {
            let held = result.quarantineHeld.map { ": \($0.removals) entries" + ($0.bytes.map { ", " + byteCount($0) } ?? "") } ?? ""
            lines.append("Quarantine: \(path)\(held). 'wuscrub rollback \(Scanner.shownWord(document.root))' puts it back; 'wuscrub quarantine purge \(Scanner.shownWord(document.root))' deletes it.")
        }
        if journal.phase != .rolledBack, journal.putBack == nil, result.interruptedBy == nil {
            lines += historyLines(quarantine: journal.quarantinePath)
        }
        lines += leftAloneLines(result.leftAlone)
        if journal.putBack != nil, !result.putBackComplete, result.interruptedBy == nil {
            lines.append("Some entries stayed in the quarantine (listed above): a name exists again in the folder, or it could not be moved. Move those entries away and run rollback again.")
        } else if result.interruptedBy != nil {
            // The error message says what was stopped and what to do next.
        } else if !result.purgeComplete, journal.quarantinePath != nil {
            lines.append("Some entries could not be moved (listed above): they are still in DataStore or Download. Fix the cause, then 'wuscrub rollback' puts back what moved, or 'wuscrub reset --quarantine' moves the rest into a new quarantine.")
        } else if !result.purgeComplete {
            lines.append("Some entries could not be removed (listed above); remove them by hand or run reset again once the cause is fixed.")
        }
        return lines
    }

    /// `quarantine list|purge`.
    func renderQuarantines(_ listing: QuarantineListing) -> [String] {
        var lines: [String] = []
        if let purged = listing.purged {
            if purged.isEmpty { lines.append("No quarantine folder to delete.") }
            let restorable = Set(listing.folders.filter(\.canRollBack).map(\.path))
            for report in purged {
                lines.append((report.dryRun ? "Would delete " : "Deleted ") + countLine(report) +
                             (restorable.contains(report.folder) ? " (the last run's: 'wuscrub rollback' can no longer put it back once deleted)" : ""))
                lines += failureLines(report)
            }
            for kept in listing.kept ?? [] { lines.append("Kept: \(kept)") }
            if document.dryRun == true { lines.append("Dry run: nothing was written.") }
            return lines + leftAloneLines(listing.leftAlone)
        }
        if listing.folders.isEmpty { lines.append("No quarantine folders.") }
        for folder in listing.folders {
            let held = folder.contents.map { ": \($0.removals) entries" + ($0.bytes.map { ", " + byteCount($0) } ?? "") } ?? ": cannot be read"
            lines.append("\(folder.path)\(held)" + (folder.canRollBack ? " (the last run's: 'wuscrub rollback' puts it back)" : ""))
        }
        return lines + leftAloneLines(listing.leftAlone)
    }

    /// What a reset loses and what it keeps (docs/architecture.md §16.4).
    func historyLines(quarantine: String?) -> [String] {
        [quarantine == nil
            ? "Lost: the update history kept in DataStore (Windows builds a new one); use --quarantine to keep it in a folder 'wuscrub rollback' can put back."
            : "Kept: the update history in DataStore, moved into the quarantine until you purge it.",
         "Kept: the list of installed updates (wuscrub updates ROOT shows it) and, on Windows 10 1709 and later, the history the Settings page shows (ProgramData/USOPrivate/UpdateStore, not touched)."]
    }

    func renderStatus(_ status: StatusReport) -> [String] {
        var lines: [String] = []
        if let hive = status.hive { lines.append(hiveLine(hive, state: status.hiveState)) }
        if let recovery = status.recovery { lines += renderRecovery(recovery, heading: "Transaction logs:") }
        if let error = status.hiveError { lines.append("SYSTEM hive: \(error)") }
        if let starts = status.starts { lines += startLines(starts, heading: "Windows Update service (wuauserv):") }
        if let error = status.startsError { lines.append("Windows Update service: \(error)") }
        if let value = status.hiberbootEnabled {
            lines.append("Fast Startup (HiberbootEnabled): \(value) (\(value == 0 ? "off" : "on: shut Windows down with shutdown /s /t 0 before working offline"))")
        }
        if let problem = status.volumeProblem { lines.append("Unsafe to change: \(problem)") }
        lines.append("Folders:")
        lines += status.folders.map { "  " + countLine($0) }
        lines += status.missingFolders.map { "  \($0): absent" }
        if let journal = status.journal {
            lines.append(journal.phase.isClosed
                         ? "Last run: \(journal.runID.prefix(8)) ended (\(journal.phase.rawValue)) at \(journal.updatedAt)" +
                           (status.quarantine.map { "; its quarantine \($0) is kept: 'wuscrub rollback' puts it back, 'wuscrub quarantine list' shows its size" } ?? "")
                         : "Unfinished run: \(journal.runID.prefix(8)) stopped in phase \(journal.phase.rawValue); use 'wuscrub resume' or 'wuscrub rollback'")
        } else if let error = status.journalError {
            lines.append("Journal: \(error)")
        } else {
            lines.append("No wuscrub run recorded.")
        }
        lines += leftAloneLines(status.leftAlone)
        if let brief = status.lastReported { lines.append(Self.withoutControls(brief.summary)) }
        return lines
    }

    /// `diagnose`: each log, how it was read, the failures by code with their verdicts, and the verdict.
    func renderDiagnosis(_ diagnosis: Diagnosis) -> [String] {
        var lines = sourceLines(diagnosis.reportingEventsLog, name: "ReportingEvents.log")
        if let events = diagnosis.reportingEvents {
            var counts = "  \(events.events) events"
            if let first = events.firstEvent, let last = events.lastEvent { counts += ", \(first) to \(last)" }
            lines.append(counts + damagedText(events.damagedLines, events.damaged))
            lines.append("  Last successful detection: " + (events.lastSuccessfulDetection?.text ?? "none in the part read"))
            if events.failures.isEmpty { lines.append("  No failures.") }
            for group in events.failures {
                lines.append("  \(group.code)" + (group.name.map { " \($0)" } ?? "") + ": \(group.count) failure\(group.count == 1 ? "" : "s"), \(group.first) to \(group.last), \(group.categories.joined(separator: ", "))")
                lines.append("    " + group.verdict.sentence + (group.advice.map { ": \($0)" } ?? ""))
            }
            if events.ungroupedFailures > 0 { lines.append("  … and \(events.ungroupedFailures) failures of other codes (more than \(ReportingEventsSummary.maximumCodes) codes)") }
        }
        lines += sourceLines(diagnosis.windowsUpdateLog, name: "WindowsUpdate.log")
        if let update = diagnosis.windowsUpdate {
            if update.etwStub {
                lines.append("  A Windows 10 (or later) stub: the log is in ETL traces (Windows/Logs/WindowsUpdate), which wuscrub does not read; on a running system Get-WindowsUpdateLog converts them.")
            } else {
                lines.append("  \(update.lines) lines, \(update.fatals) FATAL, \(update.warnings) WARNING" + damagedText(update.damagedLines, update.damaged))
                for code in update.codes {
                    lines.append("  \(code.code)" + (code.name.map { " \($0)" } ?? "") + ": \(code.count) lines (\(code.fatal) FATAL)" + (code.last.map { ", last \($0)" } ?? "") + "; " + code.verdict.sentence)
                    lines.append("    " + code.lastLine)
                }
            }
        }
        lines.append(diagnosis.summary)
        lines += diagnosis.advice.map { "Instead: \($0)" }
        return lines.map(Self.withoutControls)
    }

    private func sourceLines(_ source: LogSource, name: String) -> [String] {
        if let problem = source.problem { return ["\(source.path): not read: \(problem)"] }
        guard source.present, let size = source.size else { return ["\(source.path): absent"] }
        var line = "\(source.path): \(size) bytes, \(source.encoding?.rawValue ?? "?")"
        if source.truncated { line += "; only the last \(Diagnosis.maximumReadBytes >> 20) MiB were read (from byte \(source.readFrom ?? 0))" }
        return [line]
    }

    private func damagedText(_ count: Int, _ damaged: [DamagedLines]) -> String {
        guard count > 0 else { return "" }
        return "; \(count) damaged line\(count == 1 ? "" : "s") skipped (" + damaged.map { "\($0.count) \($0.problem)" }.joined(separator: ", ") + ")"
    }

    /// Entries in wuscrub's folders it did not write.
    func leftAloneLines(_ entries: [String]) -> [String] {
        guard !entries.isEmpty else { return [] }
        return ["Left alone (in wuscrub's folders, but not written by wuscrub):"] + entries.map { "  \($0)" }
    }

    func renderRecovery(_ analysis: RecoveryAnalysis, heading: String) -> [String] {
        var lines = [heading]
        lines.append("  base block: sequence \(analysis.primarySequence)/\(analysis.secondarySequence), state \(analysis.state)")
        if analysis.logs.isEmpty { lines.append("  no log files found") }
        for log in analysis.logs {
            let name = log.path.split(separator: "/").last.map(String.init) ?? log.path
            if let problem = log.problem {
                lines.append("  \(name): \(log.size) bytes, unusable: \(problem)")
            } else if log.format == .new {
                let range = log.entries.isEmpty ? "no entries" : "entries \(log.entries.first!)…\(log.entries.last!)"
                lines.append("  \(name): new format, base sequence \(log.baseSequence ?? 0), \(range) (chain ends: \(log.chainEnd ?? "?"))")
            } else {
                lines.append("  \(name): old format, sequence \(log.baseSequence ?? 0), \(log.dirtyPages ?? 0) dirty pages")
            }
        }
        for applied in analysis.applied {
            let name = applied.path.split(separator: "/").last.map(String.init) ?? applied.path
            let verb = document.result == nil && document.output == nil ? "would apply" : "applied"
            lines.append("  \(verb) \(name): " + (applied.format == .new
                ? "entries \(applied.sequences.first ?? 0)…\(applied.sequences.last ?? 0) (\(applied.sequences.count) entries, \(applied.pages) pages)"
                : "\(applied.pages) dirty pages"))
        }
        if let final = analysis.finalSequence, analysis.outcome != .clean {
            lines.append("  recovered hive: sequence \(final)/\(final), hive bins \(analysis.finalHiveBinsSize ?? 0) bytes")
        }
        lines += analysis.discarded.map { "  discarded: \($0)" }
        if let refusal = analysis.refusal, analysis.outcome == .refused { lines.append("  refused: \(refusal)") }
        return lines
    }

    func volumeLine(_ volume: Volume) -> String {
        var line = "Volume: " + (volume.rootIsMountPoint ? "ROOT is the mount point" : "ROOT is a folder inside the mount at \(volume.mountPoint)")
        line += ", \(volume.kind), source \(volume.source), options \(volume.options.joined(separator: ","))"
        if volume.windowsOnOtherDevice { line += "; the Windows folder is on another device than ROOT" }
        return line
    }

    func hiveLine(_ hive: HiveStatus, state: String? = nil) -> String {
        "SYSTEM hive: \(hive.path) (\(hive.size) bytes, \(state ?? hive.state), sequence \(hive.primarySequence)/\(hive.secondarySequence), hive bins \(hive.hiveBinsSize) bytes)"
    }

    /// The start values under a heading; grouped by service when there are others than wuauserv
    /// (`reset --full`, docs/architecture.md §17).
    func startLines(_ starts: [ServiceStart], heading: String) -> [String] {
        func line(_ start: ServiceStart, indent: String) -> String { "\(indent)\(start.controlSet): Start=\(start.start) (\(start.startType))" }
        var services: [String] = []
        for start in starts where !services.contains(start.service) { services.append(start.service) }
        guard services.contains(where: { $0 != ServiceStart.wuauserv }) else { return [heading] + starts.map { line($0, indent: "  ") } }
        return [heading] + services.flatMap { service in
            ["  \(service):"] + starts.filter { $0.service == service }.map { line($0, indent: "    ") }
        }
    }

    /// `reset --full`'s plan beyond DataStore and Download (docs/architecture.md §17).
    func fullPlanLines(_ full: FullResetPlan, verb: String, quarantine: String?) -> [String] {
        var lines = [verb + "also (reset --full):"]
        guard let quarantine else {
            return lines + ["  catroot2 and the BITS queue: left alone (no SoftwareDistribution folder, so no quarantine)",
                            "  set Start=4 for " + full.services.joined(separator: ", ") + " where present, and put each value back after"]
        }
        lines.append(full.catroot2.map { "  rename \($0) to \($0).wuscrub-<run> (never deleted)" }
                     ?? "  catroot2: not found in System32, nothing to rename")
        if let folder = full.bitsQueueFolder {
            lines.append("  move the BITS queue from \(folder) into \(quarantine)/Downloader: " +
                         (full.bitsQueueFiles.isEmpty ? "no queue file found" : Self.withoutControls(full.bitsQueueFiles.joined(separator: ", "))))
        } else {
            lines.append("  BITS queue: no ProgramData/Microsoft/Network/Downloader folder (Windows XP keeps none), nothing to move")
        }
        lines.append("  set Start=4 for " + full.services.joined(separator: ", ") + " where present, and put each value back after")
        return lines
    }

    /// What a full run did to catroot2 or the BITS queue.
    func fullResetLine(_ report: PurgeReport, journal: Journal) -> String {
        if report.folder == journal.catroot2Path {
            return report.isComplete && report.directories == 1 ? "Renamed \(report.folder) to \(journal.catroot2RenamedPath ?? "?")"
                : "Not renamed: \(report.folder)"
        }
        return "Moved the BITS queue into the quarantine from " + countLine(report)
    }

    /// One report's counts. Its text may come from a journal on the volume: shown without controls.
    func countLine(_ report: PurgeReport) -> String {
        Self.withoutControls(countText(report))
    }

    private func countText(_ report: PurgeReport) -> String {
        var line = "\(report.folder): \(report.files) files, \(report.directories) directories, \(report.links) links" + (report.bytes.map { ", \($0) bytes" } ?? "")
        if report.failureCount > 0 { line += ", \(report.failureCount) problem" + (report.failureCount == 1 ? "" : "s") }
        return line
    }

    func failureLines(_ report: PurgeReport) -> [String] {
        var lines = report.failures.map { Self.withoutControls("  \($0.operation) '\($0.path)': \($0.message)") }
        if report.failureCount > report.failures.count {
            lines.append("  … and \(report.failureCount - report.failures.count) more")
        }
        return lines
    }
}
