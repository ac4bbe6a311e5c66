import Synchronization

/// The start values read from hives in one run, by the hive's SHA-256 and the services read.
///
/// A reading is a function of the hive's bytes alone, and the bytes are identified by their hash
/// (each `HiveImage` is sealed and hashed once), so a hive already read in this run — the original,
/// read again from its backup and after the byte-for-byte restore — is not given to the hivex child
/// again (docs/architecture.md §11). Only successful readings are kept.
final class ServiceReadings: Sendable {
    private struct Key: Hashable {
        var sha256: String
        var checkEditable: Bool
        var services: [String]
    }

    private let readings = Mutex<[Key: [ServiceStart]]>([:])

    /// The reading of a hive with this hash, if one was made; one made with the editability check
    /// also answers a request without it.
    func reading(of sha256: String, checkEditable: Bool, services: [String] = [ServiceStart.wuauserv]) -> [ServiceStart]? {
        readings.withLock { readings in
            readings[Key(sha256: sha256, checkEditable: checkEditable, services: services)]
                ?? (checkEditable ? nil : readings[Key(sha256: sha256, checkEditable: true, services: services)])
        }
    }

    /// Keeps a successful reading.
    func record(_ starts: [ServiceStart], of sha256: String, checkEditable: Bool, services: [String] = [ServiceStart.wuauserv]) {
        readings.withLock { $0[Key(sha256: sha256, checkEditable: checkEditable, services: services)] = starts }
    }
}
