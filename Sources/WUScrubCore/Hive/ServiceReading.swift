/// What the service configuration of a SYSTEM hive reads as, each part independent.
public struct ServiceReading: Sendable, Equatable {
    /// The wuauserv start modes per chosen control set, or the error reading them.
    public var starts: Result<[ServiceStart], HiveError>
    /// Control\Session Manager\Power\HiberbootEnabled in the current control set, if readable.
    public var hiberbootEnabled: UInt32?

    public init(starts: Result<[ServiceStart], HiveError>, hiberbootEnabled: UInt32?) {
        self.starts = starts
        self.hiberbootEnabled = hiberbootEnabled
    }
}
