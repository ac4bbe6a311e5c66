import Foundation
import WUScrubCore

/// A Windows 10-like installation for `reset --full` (docs/architecture.md §17): the five services,
/// catroot2 (beside CatRoot, which is not it), and a BITS queue whose folder also holds files that
/// are not the queue's.
public enum FullResetFixture {
    public static let spec = #"""
        dword Select\Current 1
        dword Select\Default 1
        dword ControlSet001\Services\wuauserv\Start 3
        dword ControlSet001\Services\BITS\Start 2
        dword ControlSet001\Services\BITS\DelayedAutostart 1
        dword ControlSet001\Services\CryptSvc\Start 2
        dword ControlSet001\Services\UsoSvc\Start 2
        dword ControlSet001\Services\WaaSMedicSvc\Start 3
        file System32/catroot2/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb 65536
        file System32/catroot2/edb.log 1024
        file System32/catroot2/dberr.txt 10
        dir System32/CatRoot/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}
        file SoftwareDistribution/DataStore/DataStore.edb 32768
        file SoftwareDistribution/Download/ff00/update.cab 20000
        """#

    /// The services in the order a run records them, and their Start values in `spec`.
    public static let services = ["wuauserv", "BITS", "CryptSvc", "UsoSvc", "WaaSMedicSvc"]
    public static let originalStarts = [3, 2, 2, 2, 3]

    /// Windows 10/11's queue (qmgr.db and its ESE files), Windows 7/8's, and files that are not the queue's.
    public static let win10Queue = ["qmgr.db", "qmgr.jfm", "edb.chk", "edb00001.log", "EDB00002.LOG", "edbtmp.log", "edbres00001.jrs"]
    public static let win7Queue = ["qmgr0.dat", "QMGR1.DAT"]
    public static let notQueue = ["notes.txt", "qmgr.db.bak", "edb.chk.old"]

    /// The Downloader folder, relative to the mount root.
    public static let downloader = "ProgramData/Microsoft/Network/Downloader"

    /// Writes the queue files (and the files that are not the queue's) under `root`.
    public static func addQueue(_ queue: [String], root: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + downloader, withIntermediateDirectories: true)
        for (index, name) in (queue + notQueue).enumerated() {
            try FileIO.createDurably(Array(repeating: UInt8(index), count: 100 + index), at: root + "/" + downloader + "/" + name)
        }
    }

    /// `Start` of each service in ControlSet001, read by hivexget (not wuscrub's reader).
    public static func hivexStarts(_ hive: String) throws -> [Int] {
        try services.map { try hivexStart(hive, key: #"\ControlSet001\Services\"# + $0) }
    }

    /// `Start` of a key, read by hivexget.
    public static func hivexStart(_ hive: String, key: String) throws -> Int {
        let text = try Shell.run("/usr/bin/hivexget", [hive, key, "Start"])
        guard let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw Shell.Failed(command: "hivexget", status: 0, output: text) }
        return value
    }

    /// The folders a full run touches under `root`, exactly (the hive's folder left out: the
    /// restore gives the hive its bytes back under a new inode).
    public static func touched(root: String, windows: String = "Windows") -> [String: ExactTree] {
        var system32 = ExactTree(root + "/" + windows + "/System32")
        system32.entries = system32.entries.filter { $0.key != "./config" && !$0.key.hasPrefix("./config/") }
        return ["SoftwareDistribution": ExactTree(root + "/" + windows + "/SoftwareDistribution"),
                "ProgramData": ExactTree(root + "/ProgramData"), "System32": system32]
    }
}
