/// Every hivex call on a hive that comes from the Windows volume goes through here, and so into
/// the sandboxed child (`HiveSandbox`): hivex only ever sees bytes wuscrub has already read and
/// bounded, never a file of the volume, and what it returns is validated before use.
enum HiveAccess {
    /// Reads the `wuauserv` start modes (and `HiberbootEnabled`) of a SYSTEM hive's bytes.
    ///
    /// - Parameters:
    ///   - bytes: The hive.
    ///   - path: The hive's path relative to the mount root, for messages.
    ///   - checkEditable: Also refuse a service key holding a value hivex would rewrite badly.
    /// - Returns: The start modes (or the error reading them) and `HiberbootEnabled`.
    /// - Throws: `HiveError.parserFailed` when the child dies, `.io` when it cannot be started.
    static func readService(_ bytes: [UInt8], path: String, checkEditable: Bool) throws(HiveError) -> (starts: Result<[ServiceStart], HiveError>, hiberboot: UInt32?) {
        let reading = try HiveSandbox.readService(hive: bytes, path: path, checkEditable: checkEditable)
        return (reading.starts, reading.hiberbootEnabled)
    }

    /// Sets `Start` of `wuauserv` in the given control sets (none: a plain commit) and returns the
    /// committed hive, its checksum correct, its layout validated and clean.
    static func setStart(_ values: [(controlSet: String, start: UInt32)], in bytes: [UInt8], path: String) throws(HiveError) -> [UInt8] {
        try HiveSandbox.setStart(values, hive: bytes, path: path)
    }
}
