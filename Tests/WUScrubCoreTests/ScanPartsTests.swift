import Testing
@testable import WUScrubCore

/// The pure parts of `scan` (docs/architecture.md §13), on generated input: the mount table's
/// parsing, the boot sector's signatures, the version line, the quoting of a command's words.
@Suite struct ScanPartsTests {
    @Test func mountInfoLinesAreParsedWithTheirEscapesAndOptionalFields() {
        let table = MountTable.parse("""
            36 35 98:0 / /mnt/win rw,noatime shared:1 master:2 - fuseblk /dev/sdb3 rw,user_id=0,allow_other
            37 35 98:1 /sub /mnt/my\\040disk ro,relatime - ntfs3 /dev/sdc1 rw,uid=0
            not a mount line
            38 35 0:40 / /tmp rw - tmpfs tmpfs rw
            """)
        #expect(table.count == 3)
        #expect(table[0] == MountEntry(device: "98:0", rootInFileSystem: "/", mountPoint: "/mnt/win", fileSystem: "fuseblk",
                                       source: "/dev/sdb3", options: ["rw", "noatime", "user_id=0", "allow_other"]))
        #expect(table[1].mountPoint == "/mnt/my disk" && table[1].rootInFileSystem == "/sub" && table[1].isReadOnly)
        #expect(!table[0].isReadOnly && table[2].fileSystem == "tmpfs")
    }

    @Test func bootSectorsAreToldApartByTheirOEMIDAndSignature() {
        func sector(_ oem: String, signed: Bool = true) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 512)
            bytes.replaceSubrange(3..<11, with: Array(oem.utf8))
            if signed { bytes[510] = 0x55; bytes[511] = 0xAA }
            return bytes
        }
        #expect(BootSectorKind(sector: sector("NTFS    ")) == .ntfs)
        #expect(BootSectorKind(sector: sector("NTFS    ", signed: false)) == .other)
        #expect(BootSectorKind(sector: sector("-FVE-FS-")) == .bitlocker)
        #expect(BootSectorKind(sector: sector("MSDOS5.0")) == .other)
        #expect(BootSectorKind(sector: Array(sector("NTFS    ").prefix(100))) == .other)
    }

    @Test func theVersionLineNamesWindows11AndOlderReleasesAndEscapesWhatTheHiveSays() {
        let eleven = WindowsVersion(values: ["Windows 10 Pro", "23H2", "2009", "22631", "22631", "2861", nil])
        #expect(eleven.summary == "Windows 11 Pro 23H2 (build 22631.2861)")
        let ten = WindowsVersion(values: ["Windows 10 Home", nil, "1909", nil, "18363", "1256", nil])
        #expect(ten.summary == "Windows 10 Home 1909 (build 18363.1256)")
        let seven = WindowsVersion(values: ["Windows 7 Professional", nil, nil, nil, "7601", nil, "Service Pack 1"])
        #expect(seven.summary == "Windows 7 Professional Service Pack 1 (build 7601)")
        let hostile = WindowsVersion(values: ["Evil\u{1B}[2J" + String(repeating: "x", count: 500), nil, nil, nil, nil, nil, nil])
        #expect(!hostile.summary.contains("\u{1B}") && hostile.summary.hasPrefix("Evil\\x1B[2J"))
        #expect(hostile.summary.count <= WindowsVersion.maximumLength + 1)
        #expect(WindowsVersion(values: []).summary == "Windows (no ProductName)")
    }

    @Test func commandWordsAreQuotedOnlyWhenTheyNeedIt() {
        #expect(Scanner.shellQuoted("/mnt/win") == "/mnt/win")
        #expect(Scanner.shellQuoted("/media/me/My Disk") == "'/media/me/My Disk'")
        #expect(Scanner.shellQuoted("/mnt/it's") == "'/mnt/it'\\''s'")
        #expect(Scanner.shellQuoted("/mnt/$(reboot)") == "'/mnt/$(reboot)'")
    }

    @Test func pseudoNetworkAndAutomountFileSystemsAreNeverLookedInto() {
        func entry(_ type: String) -> MountEntry {
            MountEntry(device: "0:1", rootInFileSystem: "/", mountPoint: "/x", fileSystem: type, source: "x", options: ["rw"])
        }
        for type in ["ntfs3", "fuseblk", "fuse", "ext4", "tmpfs", "vfat", "fuse.ntfs-3g"] { #expect(Scanner.isCandidate(entry(type)), "\(type)") }
        for type in ["proc", "autofs", "nfs4", "cifs", "fuse.sshfs", "sysfs"] { #expect(!Scanner.isCandidate(entry(type)), "\(type)") }
    }
}
