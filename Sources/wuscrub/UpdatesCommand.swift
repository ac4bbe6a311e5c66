import ArgumentParser
import WUScrubCore

extension WUScrub {
    /// `wuscrub updates ROOT`: the installed updates, read-only (docs/architecture.md §15).
    struct Updates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the installed updates (KB, state, install time) from the SOFTWARE hive, and pending servicing operations (writes nothing).",
            discussion: """
                Reads Component Based Servicing\\Packages (Windows Vista and later) and the legacy \
                Hotfix, Uninstall and Updates keys (Windows XP, 2003) in the hivex sandbox. A dirty \
                SOFTWARE hive is read as its transaction logs leave it, in memory; nothing is written. \
                States: \(ServicingState.names.joined(separator: ", ")).
                """
        )

        @OptionGroup var options: CommonOptions

        @Option(name: .customLong("state"), help: "Only updates in this state (repeatable), such as installed, superseded, install-pending, failed.")
        var states: [String] = []

        @Option(name: .customLong("kb"), help: "Only this update (repeatable): KB5005565 or 5005565.")
        var kbs: [String] = []

        func validate() throws {
            for state in states where !ServicingState.names.contains(state) {
                throw ValidationError("--state '\(state)' is not a state; use one of: \(ServicingState.names.joined(separator: ", "))")
            }
            for kb in kbs where !UpdatesReport.isKB(kb) {
                throw ValidationError("--kb '\(kb)' is not a KB number; give it as KB5005565 or 5005565")
            }
        }

        func run() throws {
            try Runner(options: options, command: "updates").run { document, _ in
                let install = try WindowsInstall.locate(root: options.root)
                document.install = install
                var report = try UpdatesReport.read(install)
                report.filter(states: states, kbs: kbs)
                document.updates = report
                return .success
            }
        }
    }
}

extension TextReport {
    /// `updates`: one line per update, newest first, then the pending operations and notes.
    func renderUpdates(_ report: UpdatesReport) -> [String] {
        var lines = ["SOFTWARE hive: \(report.softwareHive) (\(report.hiveState))"]
        let filtered = report.stateFilter != nil || report.kbFilter != nil
        let count = filtered ? "\(report.updates.count) of \(report.totalUpdates)" : "\(report.updates.count)"
        lines.append("Installed updates: \(count) (\(report.packageCount) servicing packages, \(report.otherPackages) of them no update)")
        for update in report.updates {
            // A package without a KB by the first field of its name, without `Package_for_`.
            let package = update.packages.first.map { $0.name.split(separator: "~").first.map(String.init) ?? $0.name }
            let name = update.kb ?? package.map { $0.lowercased().hasPrefix("package_for_") ? String($0.dropFirst(12)) : $0 } ?? "?"
            var line = "  " + pad(name, 10) + "  " + pad(update.state, 19) + "  " + pad(update.installedAt.map(shownTime) ?? "-", 20) + "  " + update.kind
            if let version = update.version { line += " " + version }
            if let summary = update.summary { line += "  " + summary }
            if update.sources != ["cbs"] { line += "  [" + update.sources.joined(separator: ", ") + "]" }
            lines.append(line)
        }
        if report.updates.isEmpty {
            lines.append(filtered ? "  none matches the filters" : "  none found")
        }
        if !report.pending.isEmpty {
            lines += report.pending.map { "Warning: \($0)" }
            lines.append("Warning: " + UpdatesReport.pendingAdvice)
        }
        lines += report.notes.map { "Note: \($0)" }
        return lines
    }

    /// `2021-09-14 10:23 UTC` for an ISO 8601 time; a date as it is.
    private func shownTime(_ time: String) -> String {
        guard time.count == 20, time.hasSuffix("Z") else { return time }
        return time.prefix(10) + " " + time.dropFirst(11).prefix(5) + " UTC"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
