import CPosixShims
import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The real binary on a real NTFS file system (an mkntfs image mounted with ntfs-3g).
@Suite("wuscrub on a real NTFS volume", .serialized, .enabled(if: NTFSImage.enabled, NTFSImage.skipReason))
struct NTFSTests {
    /// A win10 fixture install written onto a fresh NTFS volume.
    struct Volume {
        let scratch: Scratch
        let ntfs: NTFSImage
        var root: String { ntfs.mountPoint }
        var hive: String { root + "/Windows/System32/config/SYSTEM" }
        let originalHive: String
        let originalStarts: [UInt32]

        init(_ label: String, fixture: String = "win10", spec text: String? = nil) throws {
            scratch = try Scratch("ntfs-\(label)")
            ntfs = try NTFSImage(in: scratch)
            let spec = try text.map { try FixtureSpec(name: "inline", text: $0) } ?? FixtureTree.spec(fixture)
            try FixtureBuilder.install(spec, at: ntfs.mountPoint)
            let hive = ntfs.mountPoint + "/Windows/System32/config/SYSTEM"
            originalHive = try FileIO.sha256(ofFile: hive)
            let opened = try Hive(path: hive)
            originalStarts = try ServiceConfiguration.read(opened).map(\.start)
            opened.close()
        }

        func close() {
            ntfs.unmount()
            scratch.remove()
        }

        func run(_ arguments: [String], fault: String? = nil) throws -> Shell.Result {
            try Shell.capture(Repository.binary, arguments, environment: fault.map { ["WUSCRUB_FAULT": $0] } ?? [:])
        }

        func starts() throws -> [UInt32] {
            let opened = try Hive(path: hive)
            defer { opened.close() }
            return try ServiceConfiguration.read(opened).map(\.start)
        }

        /// The whole volume except wuscrub's own folder.
        func snapshot() -> [String: String] { TreeSnapshot(root).excluding(["Windows/Logs"]) }

        func emptied() -> Bool {
            ["DataStore", "Download"].allSatisfy {
                (try? FileManager.default.contentsOfDirectory(atPath: root + "/Windows/SoftwareDistribution/" + $0))?.isEmpty == true
            }
        }
    }

    // MARK: - File identity

    @Test("the hive's NTFS security descriptor and attribute flags survive the rename-based writes")
    func ntfsAttributesSurvive() throws {
        let volume = try Volume("xattr")
        defer { volume.close() }
        // A distinctive attribute set (ARCHIVE | SYSTEM) on the original, as Windows has it.
        let flags: [UInt8] = [0x24, 0, 0, 0]
        try #require(setAttribute("system.ntfs_attrib", of: volume.hive, to: flags) == 0, "ntfs-3g must accept system.ntfs_attrib")
        let attrib = try #require(try FileIO.attribute("system.ntfs_attrib", of: volume.hive))
        #expect(attrib == flags)

        // A distinctive security descriptor: ntfs-3g gives every new file in config/ the same one
        // as the fixture hive, so change the access mask of the hive's first DACL entry.
        let probe = volume.root + "/Windows/System32/config/acl-probe"
        try Data().write(to: URL(fileURLWithPath: probe))
        let inherited = try #require(try FileIO.attribute("system.ntfs_acl", of: probe))
        unlink(probe)
        var acl = try #require(try FileIO.attribute("system.ntfs_acl", of: volume.hive))
        let mask = try #require(Self.firstAccessMaskOffset(inSecurityDescriptor: acl), "a DACL with an entry: \(acl)")
        let changed: UInt32 = acl[mask] == 0xA9 ? 0x001F_01FF : 0x0012_00A9  // full control ↔ read & execute
        acl.replaceSubrange(mask..<mask + 4, with: withUnsafeBytes(of: changed.littleEndian, Array.init))
        try #require(setAttribute("system.ntfs_acl", of: volume.hive, to: acl) == 0, "ntfs-3g must accept system.ntfs_acl")
        try #require(try FileIO.attribute("system.ntfs_acl", of: volume.hive) == acl, "ntfs-3g keeps the changed descriptor")
        try #require(acl != inherited, "the hive's descriptor differs from the one a new file gets")

        // Stop while the disabled hive is in place: it carries the attributes too.
        let crashed = try volume.run(["reset", "--yes", volume.root], fault: "after-journal-purge")
        #expect(crashed.status == 99, "\(crashed.stderr)")
        #expect(try FileIO.attribute("system.ntfs_acl", of: volume.hive) == acl)
        #expect(try FileIO.attribute("system.ntfs_attrib", of: volume.hive) == attrib)
        #expect(try volume.starts().allSatisfy { $0 == 4 })

        let resumed = try volume.run(["resume", "--yes", volume.root])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
        #expect(try FileIO.attribute("system.ntfs_acl", of: volume.hive) == acl)
        #expect(try FileIO.attribute("system.ntfs_attrib", of: volume.hive) == attrib)
    }

    // MARK: - Links and mounts

    @Test("symlinks and junctions in Download and DataStore are removed, never followed; a mount inside is left and reported")
    func linksAndMounts() throws {
        let volume = try Volume("links")
        defer { volume.close() }
        let outside = volume.scratch.sub("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: outside + "/precious.txt"))
        let download = volume.root + "/Windows/SoftwareDistribution/Download"
        let dataStore = volume.root + "/Windows/SoftwareDistribution/DataStore"
        let links: [(String, String)] = [
            (download + "/to-volume-root", volume.root),
            (download + "/to-system32", volume.root + "/Windows/System32"),
            (download + "/relative-up", "../../.."),
            (download + "/to-outside", outside),
            (download + "/to-hive", "../../System32/config/SYSTEM"),
            (download + "/relative-outside", "../../../../outside"),  // Download → … → the image's folder → outside
            (dataStore + "/junction-like", volume.root + "/Windows"),
            (dataStore + "/relative-system32", "../../System32"),
            (dataStore + "/to-volume-root", volume.root),
            (dataStore + "/to-outside", outside),
        ]
        for (link, target) in links {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        }
        #expect(FileManager.default.contents(atPath: download + "/relative-outside/precious.txt") == Data("precious".utf8),
                "the relative bait really leads outside the image")
        let mount = download + "/mounted"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: false)
        try volume.ntfs.mountTmpfs(at: mount)
        try Data("inside the mount".utf8).write(to: URL(fileURLWithPath: mount + "/keep.txt"))
        let purged = ["Windows/SoftwareDistribution/Download", "Windows/SoftwareDistribution/DataStore"]
        let before = TreeSnapshot(volume.root).excluding(purged + ["Windows/Logs"])
        let outsideBefore = TreeSnapshot(outside)

        let run = try volume.run(["reset", "--yes", "--json", volume.root])
        #expect(run.status == 6, "the mount cannot be removed: purge incomplete\n\(run.stdout)\(run.stderr)")
        for (link, _) in links { #expect(!FileIO.exists(link), "\(link) removed") }
        #expect(TreeSnapshot(volume.root).excluding(purged + ["Windows/Logs"]) == before, "every target intact")
        #expect(TreeSnapshot(outside) == outsideBefore)
        #expect(FileManager.default.contents(atPath: mount + "/keep.txt") == Data("inside the mount".utf8), "the mount is untouched")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let journal = (document?["result"] as? [String: Any])?["journal"] as? [String: Any]
        let reports = journal?["purge"] as? [[String: Any]] ?? []
        let reported = reports.flatMap { $0["otherFilesystems"] as? [String] ?? [] }
        #expect(reported.contains { $0.hasSuffix("Download/mounted") }, "reported: \(reported)")
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive, "the start mode is still restored")
    }

    // MARK: - Unsafe volumes

    @Test("a hibernated volume (hiberfil.sys starting with HIBR, any case) is refused with exit 3, nothing changed",
          arguments: ["HIBR", "hibr", "HiBr"])
    func hibernated(signature: String) throws {
        let volume = try Volume("hibr")
        defer { volume.close() }
        try Data((signature + String(repeating: "\0", count: 8188)).utf8).write(to: URL(fileURLWithPath: volume.root + "/hiberfil.sys"))
        let before = TreeSnapshot(volume.root)
        let run = try volume.run(["reset", "--yes", volume.root])
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("hibernated") && run.stderr.contains("shutdown /s /t 0"))
        #expect(TreeSnapshot(volume.root) == before)
        let status = try volume.run(["status", volume.root])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Unsafe to change") && status.stdout.contains("HiberbootEnabled"))
    }

    @Test("a short hiberfil.sys is refused too; a cleared one (zeros) is fine")
    func hiberfilContents() throws {
        let volume = try Volume("hibr-short")
        defer { volume.close() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: volume.root + "/hiberfil.sys"))
        #expect(try volume.run(["reset", "--dry-run", volume.root]).status == 3)
        try Data(count: 8192).write(to: URL(fileURLWithPath: volume.root + "/hiberfil.sys"))
        #expect(try volume.run(["reset", "--dry-run", volume.root]).status == 0)
    }

    @Test("every case variant of hiberfil.sys is checked: a cleared HIBERFIL.SYS beside a hibernated hiberfil.sys is refused",
          arguments: [("HIBERFIL.SYS", "hiberfil.sys"), ("hiberfil.sys", "HIBERFIL.SYS")])
    func hiberfilCaseVariants(cleared: String, hibernated: String) throws {
        let volume = try Volume("hibr-case")
        defer { volume.close() }
        try Data(count: 8192).write(to: URL(fileURLWithPath: volume.root + "/" + cleared))
        try Data(("HIBR" + String(repeating: "\0", count: 8188)).utf8).write(to: URL(fileURLWithPath: volume.root + "/" + hibernated))
        try #require(Set(try FileManager.default.contentsOfDirectory(atPath: volume.root)).isSuperset(of: [cleared, hibernated]),
                     "ntfs-3g keeps both names")
        let before = TreeSnapshot(volume.root)
        let run = try volume.run(["reset", "--yes", volume.root])
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains(hibernated) && run.stderr.contains("hibernated"), "\(run.stderr)")
        #expect(TreeSnapshot(volume.root) == before)
    }

    @Test("a read-only mount is refused with exit 3 and the remount advice, nothing changed")
    func readOnlyMount() throws {
        let volume = try Volume("ro")
        defer { volume.close() }
        volume.ntfs.unmount()
        try volume.ntfs.mount(readOnly: true)
        let before = TreeSnapshot(volume.root)
        let run = try volume.run(["reset", "--yes", volume.root])
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("read-only") && run.stderr.contains("remount"))
        #expect(TreeSnapshot(volume.root) == before)
    }

    @Test("status says what ROOT is: the ntfs-3g mount point")
    func statusDescribesTheVolume() throws {
        let volume = try Volume("status")
        defer { volume.close() }
        let run = try volume.run(["status", "--json", volume.root])
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let described = (document?["status"] as? [String: Any])?["volume"] as? [String: Any]
        #expect(described?["rootIsMountPoint"] as? Bool == true)
        #expect((described?["kind"] as? String)?.hasPrefix("ntfs-3g") == true, "\(String(describing: described))")
        #expect((document?["status"] as? [String: Any])?["hiberbootEnabled"] as? Int == 0)
    }

    @Test("a second wuscrub on the same install exits 9 while the first holds the lock")
    func concurrentRunIsLocked() throws {
        let volume = try Volume("lock")
        defer { volume.close() }
        let state = volume.root + "/Windows/Logs/wuscrub"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let fd = open(state + "/lock", O_RDWR | O_CREAT, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        // Another process holds it: flock is per open file description, so take it in a child.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [state + "/lock", "-c", "sleep 3"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        usleep(300_000)
        let before = volume.snapshot()
        let run = try volume.run(["reset", "--yes", volume.root])
        #expect(run.status == 9, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("another wuscrub"))
        #expect(volume.snapshot() == before)
        #expect(!FileIO.exists(state + "/journal.json"))
    }

    // MARK: - --device

    @Test("reset --device mounts an NTFS image itself, resets it, and unmounts it")
    func resetDevice() throws {
        let volume = try Volume("device")
        defer { volume.close() }
        let siblings = volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") }
        volume.ntfs.unmount()
        let run = try volume.run(["reset", "--yes", "--json", "--device", volume.ntfs.image])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let mountPoint = try #require((document?["device"] as? [String: Any])?["mountPoint"] as? String)
        #expect((document?["device"] as? [String: Any])?["unmounted"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: mountPoint), "the private mount point is gone")
        #expect(try !String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).contains(mountPoint), "nothing left mounted")
        #expect(try !String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).contains(volume.ntfs.image), "the image is not mounted")
        try volume.ntfs.mount()
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
        #expect(volume.emptied())
        #expect(volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") } == siblings)
    }

    @Test("reset --device refuses BitLocker (with the dislocker advice) and non-NTFS input, changing nothing")
    func deviceRefusals() throws {
        let scratch = try Scratch("device-refusals")
        defer { scratch.remove() }
        var sector = [UInt8](repeating: 0, count: 1 << 20)
        sector.replaceSubrange(3..<11, with: "-FVE-FS-".utf8)
        let locked = scratch.sub("bitlocker.img")
        try Data(sector).write(to: URL(fileURLWithPath: locked))
        let run = try Shell.capture(Repository.binary, ["reset", "--yes", "--device", locked])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("BitLocker") && run.stderr.contains("dislocker"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: locked)) == Data(sector))
        let zeros = scratch.sub("zeros.img")
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: zeros))
        let other = try Shell.capture(Repository.binary, ["reset", "--yes", "--device", zeros])
        #expect(other.status == 2, "\(other.stderr)")
        #expect(other.stderr.contains("not an NTFS volume"))
        let both = try Shell.capture(Repository.binary, ["reset", "--yes", "--device", zeros, scratch.path])
        #expect(both.status == 64)
    }

    // MARK: - Crashes at every step

    static let crashPoints = Resetter.Checkpoint.all.filter { $0 != .beforeRecoveredHiveRename }.map(\.description)

    @Test("a run killed at any point ends, after resume, exactly like an uninterrupted run", arguments: crashPoints)
    func crashThenResume(point: String) throws {
        let volume = try Volume("crash-\(point)")
        defer { volume.close() }
        let siblings = volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") }
        let crashed = try volume.run(["reset", "--yes", volume.root], fault: point)
        #expect(crashed.status == 99, "the fault point \(point) was reached: \(crashed.stderr)")
        // The hive is a valid hive at the point of the crash, for hivex and an independent parser.
        try HiveLayout.validate(try FileIO.read(volume.hive), path: volume.hive)
        #expect(try Shell.capture("/usr/bin/reglookup", ["-t", "KEY", volume.hive]).status == 0)
        let config = try FileManager.default.contentsOfDirectory(atPath: volume.root + "/Windows/System32/config")
        let resumed = try volume.run(["resume", "--yes", volume.root])
        if point == "after-journal-done" {
            #expect(resumed.status == 64, "a finished run has nothing to resume")
        } else {
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        }
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive, "hive byte-identical (crash at \(point), left \(config))")
        #expect(try volume.starts() == volume.originalStarts)
        #expect(volume.emptied())
        #expect(volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") } == siblings)
        let journal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: volume.root + "/Windows/Logs/wuscrub/journal.json"))) as? [String: Any]
        #expect(journal?["phase"] as? String == "done")
        #expect(try FileManager.default.contentsOfDirectory(atPath: volume.root + "/Windows/System32/config").allSatisfy { !$0.hasSuffix(".tmp") })
    }

    @Test("rollback after a crash at any point leaves the original start values", arguments: crashPoints.filter { $0 != "after-journal-done" })
    func crashThenRollback(point: String) throws {
        let volume = try Volume("rollback-\(point)")
        defer { volume.close() }
        #expect(try volume.run(["reset", "--yes", volume.root], fault: point).status == 99)
        let rolled = try volume.run(["rollback", "--yes", volume.root])
        #expect(rolled.status == 0, "\(rolled.stdout)\(rolled.stderr)")
        #expect(try volume.starts() == volume.originalStarts)
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
        let journal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: volume.root + "/Windows/Logs/wuscrub/journal.json"))) as? [String: Any]
        #expect(journal?["phase"] as? String == "rolled-back")
    }
}

/// Sets an extended attribute without following a link; 0 or -1 with `errno`.
///
/// The corresponding C function is `lsetxattr`.
func setAttribute(_ name: String, of path: String, to value: [UInt8]) -> Int32 {
    value.withUnsafeBytes { lsetxattr(path, name, $0.baseAddress, $0.count, 0) }
}

extension NTFSTests {
    /// Where the access mask of the first entry of a self-relative security descriptor's DACL is,
    /// or nil when it has none (layout: MS-DTYP SECURITY_DESCRIPTOR_RELATIVE, ACL, ACCESS_ALLOWED_ACE).
    static func firstAccessMaskOffset(inSecurityDescriptor descriptor: [UInt8]) -> Int? {
        func le16(_ at: Int) -> Int { Int(descriptor[at]) | Int(descriptor[at + 1]) << 8 }
        func le32(_ at: Int) -> Int { le16(at) | le16(at + 2) << 16 }
        guard descriptor.count >= 20 else { return nil }
        let dacl = le32(16)  // OffsetDacl
        guard dacl >= 20, dacl + 16 <= descriptor.count, le16(dacl + 4) >= 1 else { return nil }  // AceCount
        return dacl + 8 + 4  // ACL header, then the ACE header (type, flags, size), then its mask
    }
}
