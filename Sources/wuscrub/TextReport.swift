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
        lines += startLines(plan.starts, heading: "Windows Update service (wuauserv), current start mode:")
        let verb = document.dryRun == true ? "Would remove" : "Will remove"
        lines.append("\(verb):")
        if !plan.purgeCounted {
            lines.append("  the contents of DataStore and Download (not counted first with --yes: the result says what was removed)")
        }
        for report in plan.purge {
            lines.append("  " + countLine(report))
            lines += failureLines(report).map { "  " + $0 }
        }
        let create = document.dryRun == true ? "would be created" : "will be created"
        lines += plan.missingFolders.map { "  \($0): absent, nothing to remove; \(create) empty after the purge, as Windows expects" }
        lines.append("Journal: \(plan.journalPath); hive backup in \(plan.backupDirectory)/")
        let recover = plan.recovery.map { $0.outcome == .recovered || $0.outcome == .discarded } == true
            ? " write the hive with its transaction logs replayed (or discarded, as shown above)," : ""
        lines.append("Steps: back up the hive," + recover + " set Start=4, empty the folders, put the original start mode back, verify.")
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
        lines += startLines(result.finalStarts, heading: "Windows Update service start mode now:")
        lines.append(result.restoredByteIdentical
                     ? "SYSTEM hive: byte-identical to the original (sha256 \(result.finalHiveSHA256.prefix(16))…)"
                     : "SYSTEM hive: original start values set (sha256 \(result.finalHiveSHA256.prefix(16))…)")
        if let backup = result.backupPath { lines.append("Backup of the original hive: \(backup)") }
        lines += result.notes.map { "Note: \($0)" }
        lines += leftAloneLines(result.leftAlone)
        if result.interruptedBy != nil {
            // The error message says what was stopped and what to do next.
        } else if !result.purgeComplete {
            lines.append("Some entries could not be removed (listed above); remove them by hand or run reset again once the cause is fixed.")
        }
        return lines
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
                         ? "Last run: \(journal.runID.prefix(8)) ended (\(journal.phase.rawValue)) at \(journal.updatedAt)"
                         : "Unfinished run: \(journal.runID.prefix(8)) stopped in phase \(journal.phase.rawValue); use 'wuscrub resume' or 'wuscrub rollback'")
        } else if let error = status.journalError {
            lines.append("Journal: \(error)")
        } else {
            lines.append("No wuscrub run recorded.")
        }
        lines += leftAloneLines(status.leftAlone)
        return lines
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

    func startLines(_ starts: [ServiceStart], heading: String) -> [String] {
        [heading] + starts.map { "  \($0.controlSet): Start=\($0.start) (\($0.startType))" }
    }

    func countLine(_ report: PurgeReport) -> String {
        var line = "\(report.folder): \(report.files) files, \(report.directories) directories, \(report.links) links" + (report.bytes.map { ", \($0) bytes" } ?? "")
        if report.failureCount > 0 { line += ", \(report.failureCount) problem" + (report.failureCount == 1 ? "" : "s") }
        return line
    }

    func failureLines(_ report: PurgeReport) -> [String] {
        var lines = report.failures.map { "  \($0.operation) '\($0.path)': \($0.message)" }
        if report.failureCount > report.failures.count {
            lines.append("  … and \(report.failureCount - report.failures.count) more")
        }
        return lines
    }
}
