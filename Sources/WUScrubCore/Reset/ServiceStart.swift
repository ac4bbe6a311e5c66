

/// A service's start mode in one control set: Windows Update's (`wuauserv`), or for `reset --full`
/// one of the services it also handles (docs/architecture.md §17).
public struct ServiceStart: Sendable, Equatable, Codable {
    /// The control set's on-disk name, for example `ControlSet001`.
    public var controlSet: String
    /// The service's key name, one of `ServiceStart.fullResetServices` (`wuauserv` in a journal
    /// written before it was recorded).
    public var service: String
    /// The `Start` value: 0 boot, 1 system, 2 automatic, 3 manual, 4 disabled.
    public var start: UInt32
    /// Whether `DelayedAutostart` is 1 (meaningful with `start` 2).
    public var delayedAutostart: Bool

    public init(controlSet: String, start: UInt32, delayedAutostart: Bool, service: String = ServiceStart.wuauserv) {
        self.controlSet = controlSet
        self.service = service
        self.start = start
        self.delayedAutostart = delayedAutostart
    }

    private enum CodingKeys: String, CodingKey { case controlSet, service, start, delayedAutostart }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        controlSet = try container.decode(String.self, forKey: .controlSet)
        // Journals and reports written before `reset --full` recorded only wuauserv.
        service = try container.decodeIfPresent(String.self, forKey: .service) ?? ServiceStart.wuauserv
        start = try container.decode(UInt32.self, forKey: .start)
        delayedAutostart = try container.decode(Bool.self, forKey: .delayedAutostart)
    }

    /// The `Start` value that disables the service.
    public static let disabled: UInt32 = 4

    /// Windows Update's service: the one every reset handles, and must find.
    public static let wuauserv = "wuauserv"

    /// The services `reset --full` handles, in this order (docs/architecture.md §17): wuauserv
    /// (required), then BITS, the cryptographic services, and — on Windows 10 and later, where
    /// their keys exist — the update orchestrator and the Windows Update medic service. A service
    /// other than wuauserv whose key is absent is skipped.
    public static let fullResetServices = [wuauserv, "BITS", "CryptSvc", "UsoSvc", "WaaSMedicSvc"]

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

    /// The key path of a service in a control set.
    public static func serviceKey(in controlSet: String, service: String = wuauserv) -> String {
        controlSet + "\\Services\\" + service
    }

    /// The services of a list of start values, in their first order (wuauserv first in a run's).
    static func services(of starts: [ServiceStart]) -> [String] {
        var names: [String] = []
        for start in starts where !names.contains(start.service) { names.append(start.service) }
        return names
    }

    /// The setting that gives this service, in this control set, the value `start`.
    func setting(_ start: UInt32) -> StartSetting { StartSetting(controlSet: controlSet, service: service, start: start) }

    /// `ControlSet001=3`, or `ControlSet001\BITS=3` for a service other than wuauserv (for messages and the journal's log).
    var label: String { StartSetting(controlSet: controlSet, service: service, start: start).argument }
}

/// A `Start` value to set: the control set, the service and the value.
public struct StartSetting: Sendable, Equatable {
    public var controlSet: String
    public var service: String
    public var start: UInt32

    public init(controlSet: String, service: String = ServiceStart.wuauserv, start: UInt32) {
        self.controlSet = controlSet
        self.service = service
        self.start = start
    }

    /// The sandbox child's argument: `CONTROLSET=START`, or `CONTROLSET\SERVICE=START`.
    var argument: String {
        (service == ServiceStart.wuauserv ? controlSet : controlSet + "\\" + service) + "=\(start)"
    }
}
