/// The purge step: both folders emptied by `Purger`, with the `midPurge` checkpoint.
extension Resetter {
    /// Walks one purge folder (counting only, with `dryRun`); a folder that cannot be opened
    /// becomes a report with one failure, so the run goes on to restore the service.
    func purgeReport(_ folder: String, dryRun: Bool = false, removalLimit: Int? = nil) -> PurgeReport {
        // A signal stops a counting walk too (the preflight's), so that it is answered at once.
        let stop = stopRequested
        let shouldStop: @Sendable () -> Bool = { stop() != nil }
        do {
            var purger = Purger(dryRun: dryRun, removalLimit: removalLimit, shouldStop: shouldStop)
            purger.jobs = purgeJobs
            purger.progress = progress
            // A count that must give sizes inspects every entry (a statx each) instead of trusting announced types.
            if dryRun && countsBytes { purger.usesAnnouncedTypes = false }
            return try purger.purgeContents(under: install.root, components: folder.split(separator: "/").map(String.init))
        } catch {
            var report = PurgeReport(folder: folder)
            report.failureCount = 1
            report.failures = [PurgeFailure(path: folder, operation: "open", errno: 0, message: "\(error)")]
            return report
        }
    }

    /// Counts what the purge would remove from each purge folder (a dry-run walk each), as one
    /// `counting` phase of `progress`.
    func countPurge() -> [PurgeReport] {
        progress?.begin(.counting)
        defer { progress?.end() }
        return purgeFolders.map { purgeReport($0, dryRun: true) }
    }

    /// Empties DataStore and Download; failures are recorded, never thrown (only a checkpoint throws).
    ///
    /// The walk first stops after one removal, passes the `midPurge` checkpoint there (a folder
    /// partly emptied, the state a crash during the purge leaves), then carries on. A requested
    /// stop ends the walk at its next entry.
    /// - Parameter total: How many entries a count made before the run expects it to remove, for
    ///   `progress`; nil when nothing was counted.
    func purge(expecting total: Int? = nil) throws -> [PurgeReport] {
        progress?.begin(.purging, total: total)
        defer { progress?.end() }
        var reports: [PurgeReport] = []
        var pending = true
        for folder in purgeFolders {
            if stopRequested() != nil {
                var report = PurgeReport(folder: folder)
                report.stopped = true
                reports.append(report)
                continue
            }
            var first: PurgeReport?
            if pending {
                let partial = purgeReport(folder, removalLimit: 1)
                if partial.removals > 0 {
                    pending = false
                    try reach(.midPurge)
                    first = partial
                }
            }
            var report = purgeReport(folder, dryRun: false)
            if let first { report.add(removalsOf: first) }
            reports.append(report)
        }
        return reports
    }
}
