/// Reads `Select` and the services' start values of a SYSTEM hive (`wuauserv`; for `reset --full` also those of docs/architecture.md §17).
public enum ServiceConfiguration {
    /// The distinct control sets named by `Select\Current` and `Select\Default`, Current first.
    ///
    /// - Parameter hive: An open SYSTEM hive.
    /// - Returns: On-disk key names such as `ControlSet001`.
    /// - Throws: `HiveError` when `Select` or a value is missing, not a DWORD, out of range
    ///   (1 to 999), or names a control set that does not exist.
    public static func controlSets(in hive: Hive) throws(HiveError) -> [String] {
        guard let select = try hive.child(of: hive.root, named: "Select") else {
            throw .keyNotFound(path: hive.path, key: "Select")
        }
        var names: [String] = []
        for valueName in ["Current", "Default"] {
            guard let value = try hive.value(named: valueName, in: select) else {
                throw .valueNotFound(path: hive.path, key: "Select", value: valueName)
            }
            guard let number = value.dwordValue else {
                throw .unexpectedType(path: hive.path, key: "Select", value: valueName, expected: "REG_DWORD", found: value.typeDescription)
            }
            guard (1...999).contains(number) else {
                throw .unexpectedType(path: hive.path, key: "Select", value: valueName,
                                      expected: "a control set number from 1 to 999", found: "\(number)")
            }
            let wanted = "ControlSet" + String(repeating: "0", count: 3 - String(number).count) + String(number)
            guard let node = try hive.child(of: hive.root, named: wanted) else {
                throw .keyNotFound(path: hive.path, key: wanted + " (named by Select\\\(valueName))")
            }
            let actual = hive.name(of: node)
            if !names.contains(actual) { names.append(actual) }
        }
        return names
    }

    /// The start mode of each service in each selected control set: control set by control set,
    /// the services in the order given.
    ///
    /// - Parameter services: The services to read; wuauserv must be there, another service whose
    ///   key is absent is skipped (docs/architecture.md §17).
    /// - Throws: `HiveError` when the wuauserv key is missing in a control set, or when a service
    ///   key that is there lacks a `Start` DWORD from 0 to 4.
    public static func read(_ hive: Hive, services: [String] = [ServiceStart.wuauserv]) throws(HiveError) -> [ServiceStart] {
        var result: [ServiceStart] = []
        for controlSet in try controlSets(in: hive) {
            for name in services {
                let key = ServiceStart.serviceKey(in: controlSet, service: name)
                guard let service = try hive.node(at: key) else {
                    if name != ServiceStart.wuauserv { continue }
                    throw .keyNotFound(path: hive.path, key: key)
                }
                guard let value = try hive.value(named: "Start", in: service) else {
                    throw .valueNotFound(path: hive.path, key: key, value: "Start")
                }
                guard let start = value.dwordValue else {
                    throw .unexpectedType(path: hive.path, key: key, value: "Start", expected: "REG_DWORD", found: value.typeDescription)
                }
                guard start <= ServiceStart.disabled else {
                    throw .unexpectedType(path: hive.path, key: key, value: "Start", expected: "a service start type from 0 to 4", found: "\(start)")
                }
                let delayed = try hive.value(named: "DelayedAutostart", in: service)?.dwordValue == 1
                result.append(ServiceStart(controlSet: controlSet, start: start, delayedAutostart: delayed, service: name))
            }
        }
        return result
    }

    /// `Control\Session Manager\Power\HiberbootEnabled` (Fast Startup) in the current control set, if present.
    public static func hiberbootEnabled(in hive: Hive) throws(HiveError) -> UInt32? {
        guard let current = try controlSets(in: hive).first,
              let power = try hive.node(at: current + "\\Control\\Session Manager\\Power") else { return nil }
        return try hive.value(named: "HiberbootEnabled", in: power)?.dwordValue
    }

    /// Sets `Start` of `wuauserv` in the given control sets (in memory; commit separately).
    public static func setStart(_ values: [(controlSet: String, start: UInt32)], in hive: Hive) throws(HiveError) {
        try setStart(values.map { StartSetting(controlSet: $0.controlSet, start: $0.start) }, in: hive)
    }

    /// Sets `Start` of each service in its control set (in memory; commit separately).
    public static func setStart(_ settings: [StartSetting], in hive: Hive) throws(HiveError) {
        for setting in settings {
            let key = ServiceStart.serviceKey(in: setting.controlSet, service: setting.service)
            guard let service = try hive.node(at: key) else { throw .keyNotFound(path: hive.path, key: key) }
            try hive.setValue(.dword(setting.start), named: "Start", in: service, keyPath: key)
        }
    }
}
