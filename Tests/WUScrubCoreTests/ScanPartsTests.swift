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
        for type in ["proc", "autofs", "nfs4", "cifs", "fuse.sshfs", "sysfs", "overlay", "vboxsf", "ocfs2", "gfs2"] {
            #expect(!Scanner.isCandidate(entry(type)), "\(type)")
        }
    }

    @Test func mountSourcesAreNamedWithoutWalkingOutOfDev() {
        let fake = ScanSources(systemRoot: "/nonexistent")
        #expect(Scanner.deviceName(of: "/dev/sdb1", sources: fake) == "sdb1")
        #expect(Scanner.deviceName(of: "/dev/../net/host/x", sources: .host) == nil)
        #expect(Scanner.deviceName(of: "/srv/image.img", sources: .host) == nil)
    }

    @Test func hibernationAndReadOnlyComeBeforeAnUnfinishedRunAndControlCharactersAreNeverACommand() {
        let install = WindowsInstall(root: "/mnt/win", windows: "Windows", systemHive: "Windows/System32/config/SYSTEM", stateDirectory: "Windows/Logs/wuscrub")
        var found = ScannedInstallation(windowsFolder: "Windows", hibernated: true, hiveState: "clean", unfinishedRun: "purge",
                                        folders: [], next: NextStep(command: nil, advice: ""))
        let asleep = Scanner.nextStep(found, install: install, readOnly: false, source: "/dev/sdb3")
        #expect(asleep.command == nil && asleep.advice.contains("hibernated") && asleep.advice.contains("wuscrub resume /mnt/win"))
        found.hibernated = false
        let readOnly = Scanner.nextStep(found, install: install, readOnly: true, source: "/dev/sdb3")
        #expect(readOnly.command == nil && readOnly.advice.contains("run wuscrub resume /mnt/win"))
        #expect(Scanner.nextStep(found, install: install, readOnly: false, source: "/dev/sdb3").command == "wuscrub resume /mnt/win")
        var hostile = install
        hostile.root = "/mnt/\u{1B}]0;pwned\u{7}"
        let refused = Scanner.nextStep(found, install: hostile, readOnly: false, source: "/dev/sdb3")
        #expect(refused.command == nil && !refused.advice.unicodeScalars.contains { $0.value < 0x20 })
        #expect(Scanner.shownWord(hostile.root) == "/mnt/\\x1B]0;pwned\\x07")
    }

    @Test func theChildsValuesSurviveTheirEncodingWhateverTheirFirstCharacter() {
        let values: [String?] = ["\u{301}accent first", nil, "", "=starts with =", "Windows 10 Pro"]
        let message = SandboxMessage.values(.success(values))
        #expect(SandboxMessage.decode(message.encoded, path: "SOFTWARE") == message)
        #expect(SandboxMessage.decode(Array("6:values,2:ok,1:1,1:x,".utf8), path: "SOFTWARE") == nil, "a value without its = mark")
    }
}
