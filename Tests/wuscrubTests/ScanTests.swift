import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// `wuscrub scan` end to end (docs/architecture.md §13): real ntfs-3g mounts, a plain folder, and
/// partitions that are not mounted, given through a fake /proc + /sys + /dev tree
/// (`--system-root`) so that no disk of the host is read.
@Suite("wuscrub scan", .serialized)
struct ScanTests {
    /// A fake machine: `proc/self/mountinfo`, `sys/class/block/<name>/{dev,size,holders/}`, `dev/<name>`.
    struct FakeSystem {
        let root: String

        init(in scratch: Scratch) throws {
            root = scratch.sub("system")
            for folder in ["proc/self", "sys/class/block", "dev"] {
                try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            }
            try mountTable([])
        }

        /// Writes the mount table: the host's root first, then these lines.
        func mountTable(_ lines: [String]) throws {
            let text = (["22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw"] + lines).joined(separator: "\n") + "\n"
            try text.write(toFile: root + "/proc/self/mountinfo", atomically: true, encoding: .utf8)
        }

        /// A block device whose node holds `sector` (then zeros up to `size` bytes).
        func device(_ name: String, number: String, sector: [UInt8], size: Int = 1 << 20, holders: [String] = []) throws {
            let folder = root + "/sys/class/block/" + name
            try FileManager.default.createDirectory(atPath: folder + "/holders", withIntermediateDirectories: true)
            for holder in holders { FileManager.default.createFile(atPath: folder + "/holders/" + holder, contents: Data()) }
            try (number + "\n").write(toFile: folder + "/dev", atomically: true, encoding: .utf8)
            try "\(size / 512)\n".write(toFile: folder + "/size", atomically: true, encoding: .utf8)
            FileManager.default.createFile(atPath: root + "/dev/" + name, contents: Data(sector + [UInt8](repeating: 0, count: 4096)))
        }

        /// The host's mount table line of a real mount point.
        static func hostLine(of mountPoint: String) throws -> String {
            let table = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            return try #require(table.split(separator: "\n").first { $0.split(separator: " ")[4] == mountPoint }.map(String.init),
                                "\(mountPoint) is in the host's mount table")
        }
    }

    /// A first sector with this OEM ID and the boot signature.
    static func sector(oem: String) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 512)
        bytes[0] = 0xEB; bytes[1] = 0x52; bytes[2] = 0x90
        bytes.replaceSubrange(3..<11, with: Array(oem.utf8))
        bytes[510] = 0x55; bytes[511] = 0xAA
        return bytes
    }

    func scan(_ system: FakeSystem, json: Bool) throws -> Run {
        try Wuscrub.run(["scan", "--system-root", system.root] + (json ? ["--json"] : []))
    }

    @Test("mounted NTFS (clean and hibernated), a plain folder, an unmounted NTFS and a BitLocker partition: each with its state and next command",
          .enabled(if: NTFSImage.enabled, NTFSImage.skipReason))
    func everyKindIsListed() throws {
        let scratch = try Scratch("scan")
        defer { scratch.remove() }
        let cleanScratch = try Scratch("scan-clean"), sleepingScratch = try Scratch("scan-hibernated")
        defer { cleanScratch.remove(); sleepingScratch.remove() }
        let clean = try NTFSImage(in: cleanScratch)
        defer { clean.unmount() }
        let sleeping = try NTFSImage(in: sleepingScratch)
        defer { sleeping.unmount() }
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: clean.mountPoint)
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: sleeping.mountPoint)
        // Windows hibernated (or shut down with Fast Startup): hiberfil.sys starts with "hibr".
        FileManager.default.createFile(atPath: sleeping.sub("hiberfil.sys"), contents: Data(Array("hibr".utf8) + [UInt8](repeating: 0, count: 8188)))
        let folder = scratch.sub("bench machine")
        try FixtureBuilder.install(try FixtureTree.spec("winxp"), at: folder)

        let system = try FakeSystem(in: scratch)
        try system.mountTable([
            try FakeSystem.hostLine(of: clean.mountPoint),
            try FakeSystem.hostLine(of: sleeping.mountPoint),
            "90 22 254:7 / \(folder.replacingOccurrences(of: " ", with: "\\040")) rw,relatime - ext4 /dev/sdd1 rw",
            "91 22 0:99 / /mnt/usb rw,relatime - vfat /dev/sde1 rw",
        ])
        let mkntfs = scratch.sub("ntfs-device")
        FileManager.default.createFile(atPath: mkntfs, contents: nil)
        #expect(truncate(mkntfs, 2 << 20) == 0)
        try Shell.run("/usr/sbin/mkntfs", ["-F", "-Q", "-q", mkntfs])
        let ntfsSector = Array(try Data(contentsOf: URL(fileURLWithPath: mkntfs)).prefix(512))
        try system.device("sda", number: "8:0", sector: Self.sector(oem: "MSDOS5.0"), size: 64 << 30)
        try system.device("sdb1", number: "8:17", sector: ntfsSector, size: 120 << 30)
        try system.device("sdc1", number: "8:33", sector: Self.sector(oem: "-FVE-FS-"), size: 250 << 30)
        try system.device("sdd1", number: "254:7", sector: ntfsSector)   // mounted (its number is in the table)
        try system.device("sde1", number: "8:65", sector: ntfsSector)    // mounted (by name)
        try system.device("sdf1", number: "8:81", sector: ntfsSector, holders: ["dm-3"])
        try system.device("sr0", number: "11:0", sector: ntfsSector)     // an optical drive: never read
        let before = TreeSnapshot(scratch.path)
        let cleanBefore = TreeSnapshot(clean.mountPoint), sleepingBefore = TreeSnapshot(sleeping.mountPoint)

        let run = try scan(system, json: true)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let report = try run.document()["scan"]
        let volumes = try #require(report["volumes"].array)
        #expect(volumes.map { $0["mountPoint"].string } == [folder, clean.mountPoint, sleeping.mountPoint].sorted().map { $0 }, "\(report)")
        func volume(_ point: String) -> JSON { volumes.first { $0["mountPoint"].string == point } ?? JSON(nil) }

        let ready = volume(clean.mountPoint)["installation"]
        #expect(ready["version"]["summary"].string == "Windows 10 Pro 22H2 (build 19045.3803)")
        #expect(ready["hibernated"].bool == false && ready["hiveState"].string == "clean")
        #expect(ready["starts"][0]["start"].int == 3)
        #expect(ready["next"]["command"].string == "wuscrub reset \(clean.mountPoint)")
        #expect(ready["folders"][1]["entries"].int == 7 && ready["folders"][1]["bytes"].int == 300_000 + 2048 + 4096, "\(ready)")
        #expect(volume(clean.mountPoint)["kind"].string == "ntfs-3g (fuse)" && volume(clean.mountPoint)["readOnly"].bool == false)

        let hibernated = volume(sleeping.mountPoint)["installation"]
        #expect(hibernated["hibernated"].bool == true)
        #expect(!hibernated["next"]["command"].exists, "no command until Windows is shut down fully: \(hibernated)")
        #expect(hibernated["next"]["advice"].string?.contains("powercfg /h off") == true)

        let xp = volume(folder)["installation"]
        #expect(xp["version"]["summary"].string == "Microsoft Windows XP Service Pack 3 (build 2600)")
        #expect(xp["windowsFolder"].string == "WINDOWS")
        #expect(xp["next"]["command"].string == "wuscrub reset '\(folder)'", "a path with a space is quoted: \(xp)")

        let partitions = try #require(report["partitions"].array)
        #expect(partitions.map { $0["device"].string } == ["/dev/sdb1", "/dev/sdc1", "/dev/sdf1"], "\(report)")
        #expect(partitions[0]["kind"].string == "ntfs" && partitions[0]["next"]["command"].string == "wuscrub reset --device /dev/sdb1")
        #expect(partitions[0]["size"].int == 120 << 30)
        #expect(partitions[1]["kind"].string == "bitlocker" && !partitions[1]["next"]["command"].exists)
        #expect(partitions[1]["next"]["advice"].string?.contains("unlock") == true)
        #expect(partitions[2]["holders"][0].string == "dm-3" && !partitions[2]["next"]["command"].exists, "a partition in use is not offered")

        // The same, for a person.
        let text = try scan(system, json: false)
        #expect(text.status == Exit.success.rawValue, "\(text)")
        for expected in ["Windows: Windows 10 Pro 22H2 (build 19045.3803)", "HIBERNATED", "Next: wuscrub reset \(clean.mountPoint)",
                         "Next: wuscrub reset --device /dev/sdb1", "/dev/sdc1  BitLocker, 268.4 GB, not mounted",
                         "Next: wuscrub reset '\(folder)'"] {
            #expect(text.stdout.contains(expected), "\(expected)\n\(text)")
        }
        // Read-only: nothing changed anywhere.
        #expect(TreeSnapshot(scratch.path) == before)
        #expect(TreeSnapshot(clean.mountPoint) == cleanBefore && TreeSnapshot(sleeping.mountPoint) == sleepingBefore)
    }

    @Test("a hive whose logs cannot be replayed, and an unfinished run: each gets its own next command (plain folders, no root)")
    func dirtyHiveAndUnfinishedRun() throws {
        let scratch = try Scratch("scan-states")
        defer { scratch.remove() }
        let dirty = scratch.sub("dirty"), crashed = scratch.sub("crashed")
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: dirty)
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: crashed)
        // Dirty, and its logs are empty: nothing to replay, so a reset would refuse (exit 4).
        try HiveSurgery.makeDirty(dirty + "/Windows/System32/config/SYSTEM")
        // A run that crashed after the purge was journaled: unfinished.
        let crash = try Shell.capture(Wuscrub.binary, ["reset", "--yes", crashed], environment: ["WUSCRUB_FAULT": "after-journal-purge"])
        #expect(crash.status != Exit.success.rawValue, "the fault hook stops the run: \(crash.stderr)")
        let system = try FakeSystem(in: scratch)
        try system.mountTable(["40 22 254:8 / \(dirty) rw - ext4 /dev/sdg1 rw", "41 22 254:9 / \(crashed) rw - ext4 /dev/sdh1 rw"])
        let before = TreeSnapshot(scratch.path)

        let run = try scan(system, json: true)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let volumes = try #require(try run.document()["scan"]["volumes"].array)
        let refused = try #require(volumes.first { $0["mountPoint"].string == dirty })["installation"]
        #expect(refused["hiveState"].string == "dirty-refused", "\(refused)")
        #expect(refused["next"]["command"].string == "wuscrub hive check \(dirty)/Windows/System32/config/SYSTEM", "\(refused)")
        let unfinished = try #require(volumes.first { $0["mountPoint"].string == crashed })["installation"]
        #expect(unfinished["unfinishedRun"].string == "purge", "\(unfinished)")
        #expect(unfinished["next"]["command"].string == "wuscrub resume \(crashed)", "\(unfinished)")
        #expect(TreeSnapshot(scratch.path) == before, "scan wrote nothing")
    }

    @Test("a machine with no Windows: a clear message, exit 0, and an empty JSON list")
    func nothingFound() throws {
        let scratch = try Scratch("scan-none")
        defer { scratch.remove() }
        let system = try FakeSystem(in: scratch)
        try system.mountTable(["30 22 0:40 / /tmp/data rw - tmpfs tmpfs rw", "31 22 0:41 / /proc rw - proc proc rw"])
        try system.device("sda", number: "8:0", sector: Self.sector(oem: "MSDOS5.0"))
        try system.device("loop0", number: "7:0", sector: Self.sector(oem: "NTFS    "), size: 0)  // an unused loop device
        let text = try scan(system, json: false)
        #expect(text.status == Exit.success.rawValue, "\(text)")
        #expect(text.stdout.contains("No Windows installation found"), "\(text)")
        let json = try scan(system, json: true)
        #expect(json.status == Exit.success.rawValue)
        let report = try json.document()["scan"]
        #expect(report["volumes"].array?.isEmpty == true && report["partitions"].array?.isEmpty == true, "\(report)")
    }

    @Test("a read-only mount gets no reset command but the advice to mount it read-write",
          .enabled(if: NTFSImage.enabled, NTFSImage.skipReason))
    func readOnlyMount() throws {
        let scratch = try Scratch("scan-ro")
        defer { scratch.remove() }
        let image = try NTFSImage(in: scratch)
        defer { image.unmount() }
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: image.mountPoint)
        image.unmount()
        try image.mount(readOnly: true)
        let system = try FakeSystem(in: scratch)
        try system.mountTable([try FakeSystem.hostLine(of: image.mountPoint)])
        let run = try scan(system, json: true)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let volume = try run.document()["scan"]["volumes"][0]
        #expect(volume["readOnly"].bool == true)
        #expect(!volume["installation"]["next"]["command"].exists)
        #expect(volume["installation"]["next"]["advice"].string?.contains("read-write") == true, "\(volume)")
    }

    @Test("the real machine: a mounted NTFS image is found without --system-root",
          .enabled(if: NTFSImage.enabled, NTFSImage.skipReason))
    func hostScan() throws {
        let scratch = try Scratch("scan-host")
        defer { scratch.remove() }
        let image = try NTFSImage(in: scratch)
        defer { image.unmount() }
        try FixtureBuilder.install(try FixtureTree.spec("win10"), at: image.mountPoint)
        let run = try Wuscrub.run(["scan", "--json"])
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let volumes = try run.document()["scan"]["volumes"].array ?? []
        let found = volumes.first { $0["mountPoint"].string == image.mountPoint }
        #expect(found?["installation"]["next"]["command"].string == "wuscrub reset \(image.mountPoint)", "\(volumes)")
    }
}
