/// Reads `Select` and the `wuauserv` service of a SYSTEM hive.
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

    /// The `wuauserv` start mode in each selected control set.
    ///
    /// - Throws: `HiveError` when the service key or its `Start` DWORD is missing in any of them.
    public static func read(_ hive: Hive) throws(HiveError) -> [ServiceStart] {
        var result: [ServiceStart] = []
        for controlSet in try controlSets(in: hive) {
            let key = ServiceStart.serviceKey(in: controlSet)
            guard let service = try hive.node(at: key) else { throw .keyNotFound(path: hive.path, key: key) }
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
            result.append(ServiceStart(controlSet: controlSet, start: start, delayedAutostart: delayed))
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
        for (controlSet, start) in values {
            let key = ServiceStart.serviceKey(in: controlSet)
            guard let service = try hive.node(at: key) else { throw .keyNotFound(path: hive.path, key: key) }
            try hive.setValue(.dword(start), named: "Start", in: service, keyPath: key)
        }
    }
}
