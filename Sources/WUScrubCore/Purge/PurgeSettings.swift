/// What every walk of one purge shares: the folder's walk and its workers' (`PurgeWalk`).
struct PurgeSettings: Sendable {
    /// Whether to only count what would be removed.
    let dryRun: Bool
    /// The mount root's device, as `statx` reports it (`FileIdentity.device`); directories on
    /// another one are not entered.
    let device: UInt64
    /// The mount root's mount id, or nil to rely on `device` alone.
    let mountID: Int?
    /// The purged folder relative to the mount root, for the report and its paths.
    let folder: String
    /// Asked before each entry; true stops the walk.
    let shouldStop: (@Sendable () -> Bool)?
    /// Whether announced entry types are used as hints (`Purger.usesAnnouncedTypes`).
    let usesAnnouncedTypes: Bool
    /// Told of each entry removed (or counted), for a caller that shows progress; nil costs nothing.
    let progress: PurgeProgress?
}
