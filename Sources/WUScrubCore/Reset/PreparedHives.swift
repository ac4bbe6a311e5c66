/// The hives a run writes, computed in the sandboxed hivex child during the preflight and checked
/// there, so that the state machine only moves bytes it has already validated.
public struct PreparedHives: Sendable, Equatable {
    /// For a dirty hive: the recovered hive as committed once by hivex (it replaces the dirty one).
    public var baseline: [UInt8]?
    /// The hive with `Start` = 4 in every chosen control set.
    public var disabled: [UInt8]
}
