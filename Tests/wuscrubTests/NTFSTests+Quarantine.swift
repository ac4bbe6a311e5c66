import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

extension NTFSTests {
    @Test("on ntfs-3g, reset --quarantine then rollback puts back the same files: inodes, times, NTFS attributes and descriptors")
    func quarantineRollBackOnNTFS() throws {
        let volume = try Volume("quarantine")
        defer { volume.close() }
        let distribution = volume.root + "/Windows/SoftwareDistribution"
        // Attribute flags Windows sets in DataStore and Download: HIDDEN | SYSTEM, ARCHIVE | NOT_CONTENT_INDEXED.
        let marked: [(String, [UInt8])] = [("DataStore/DataStore.edb", [0x06, 0, 0, 0]), ("Download", [0x20, 0x20, 0, 0])]
        for (path, flags) in marked {
            let full = distribution + "/" + path
            let target = FileManager.default.fileExists(atPath: full) ? full : distribution + "/" + path
            try #require(setAttribute("system.ntfs_attrib", of: target, to: flags) == 0, "ntfs-3g must accept system.ntfs_attrib on \(path)")
        }
        let original = ExactTree(distribution)
        try #require(original.entries.values.contains { $0.contains("system.ntfs_attrib 6000") }, "the attributes are in the snapshot")

        let reset = try volume.run(["reset", "--quarantine", "--yes", volume.root])
        #expect(reset.status == 0, "\(reset)")
        #expect(volume.emptied())
        let moved = try FileManager.default.contentsOfDirectory(atPath: distribution).filter { $0.hasPrefix("wuscrub-quarantine-") }
        #expect(moved.count == 1)

        let rollback = try volume.run(["rollback", "--yes", volume.root])
        #expect(rollback.status == 0, "\(rollback)")
        let restored = ExactTree(distribution)
        let difference = restored.difference(from: original)
        #expect(difference.isEmpty, "\(difference)")
        #expect(try volume.starts() == volume.originalStarts)
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
    }
}

extension NTFSTests {
    @Test("on ntfs-3g, reset --full then rollback: catroot2, the BITS queue and the folders are the same files again, every service's Start back")
    func fullResetRollBackOnNTFS() throws {
        let volume = try Volume("full", spec: FullResetFixture.spec)
        defer { volume.close() }
        try FullResetFixture.addQueue(FullResetFixture.win10Queue, root: volume.root)
        // Attribute flags as Windows has them: catroot2 and the queue's database.
        for (path, flags) in [("Windows/System32/catroot2", [UInt8]([0x10, 0x20, 0, 0])), (FullResetFixture.downloader + "/qmgr.db", [0x26, 0, 0, 0])] {
            try #require(setAttribute("system.ntfs_attrib", of: volume.root + "/" + path, to: flags) == 0, "ntfs-3g must accept system.ntfs_attrib on \(path)")
        }
        let original = FullResetFixture.touched(root: volume.root)
        let reset = try volume.run(["reset", "--full", "--yes", volume.root])
        #expect(reset.status == 0, "\(reset)")
        #expect(!FileManager.default.fileExists(atPath: volume.root + "/Windows/System32/catroot2"))
        #expect(try FullResetFixture.hivexStarts(volume.hive) == FullResetFixture.originalStarts)
        let rollback = try volume.run(["rollback", "--yes", volume.root])
        #expect(rollback.status == 0, "\(rollback)")
        let restored = FullResetFixture.touched(root: volume.root)
        for (name, exact) in original {
            #expect(restored[name] == exact, "\(name):\n\(restored[name]!.difference(from: exact))")
        }
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
    }
}
