

/// The Windows Update service's start mode in one control set.
public struct ServiceStart: Sendable, Equatable, Codable {
    /// The control set's on-disk name, for example `ControlSet001`.
    public var controlSet: String
    /// The `Start` value: 0 boot, 1 system, 2 automatic, 3 manual, 4 disabled.
    public var start: UInt32
    /// Whether `DelayedAutostart` is 1 (meaningful with `start` 2).
    public var delayedAutostart: Bool

    public init(controlSet: String, start: UInt32, delayedAutostart: Bool) {
        self.controlSet = controlSet
        self.start = start
        self.delayedAutostart = delayedAutostart
    }

    /// The `Start` value that disables the service.
    public static let disabled: UInt32 = 4

    /// The start type's name, as the Services console shows it.
    public var startType: String { ServiceStart.name(of: start, delayed: delayedAutostart) }

    /// Names a `Start` value.
    public static func name(of start: UInt32, delayed: Bool) -> String {
        switch start {
        case 0: "boot"
        case 1: "system"
        case 2: delayed ? "automatic (delayed)" : "automatic"
        case 3: "manual"
        case 4: "disabled"
        default: "unknown (\(start))"
        }
    }

    /// The key path of the service in a control set.
    public static func serviceKey(in controlSet: String) -> String { controlSet + "\\Services\\wuauserv" }
}
