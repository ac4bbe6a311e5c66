/// The hives a run writes, computed in the sandboxed hivex child during the preflight and checked
/// there, so that the state machine only moves bytes it has already validated.
///
/// They are held as `HiveImage`s (sealed in-memory files), outside the process's memory.
public struct PreparedHives: Sendable, Equatable {
    /// For a dirty hive: the recovered hive as committed once by hivex (it replaces the dirty one).
    public var baseline: HiveImage?
    /// The hive with `Start` = 4 in every chosen control set.
    public var disabled: HiveImage
    /// The hive as the preflight read it: the run reuses it while the file is unchanged.
    var source: InstallVolume.KnownHive?

    /// Equal when they hold the same bytes.
    public static func == (left: PreparedHives, right: PreparedHives) -> Bool {
        left.baseline?.sha256 == right.baseline?.sha256 && left.disabled.sha256 == right.disabled.sha256
    }
}
