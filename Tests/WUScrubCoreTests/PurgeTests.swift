#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization
import Testing
@testable import WUScrubCore
import WUScrubTestSupport

/// The purge walker on real trees under /tmp.
///
/// Every test builds its own `root/Windows/SoftwareDistribution/…` tree in a fresh temporary
/// directory and removes it at the end. Tests that mount filesystems or set the immutable flag
/// need root and are skipped, visibly, otherwise.
@Suite struct PurgeTests {
    static let download = ["Windows", "SoftwareDistribution", "Download"]
    static let dataStore = ["Windows", "SoftwareDistribution", "DataStore"]
    static let downloadPath = "Windows/SoftwareDistribution/Download"
}

// MARK: - Removing

extension PurgeTests {
    /// With the types the directory announces (files unlinked without a stat, so their bytes are
    /// not measured) and without them (every entry inspected: bytes measured).
    @Test(arguments: [true, false])
    func removesFilesAndNestedDirectoriesWithExactCounts(announcedTypes: Bool) throws {
        let tree = try WindowsTree("counts")
        defer { tree.remove() }
        try tree.file("\(Self.downloadPath)/a.txt", "0123456789")
        try tree.file("\(Self.downloadPath)/b.bin", String(repeating: "x", count: 1000))
        try tree.file("\(Self.downloadPath)/.hidden", "abc")
        try tree.fifo("\(Self.downloadPath)/pipe")
        try tree.file("\(Self.downloadPath)/sub/c", "hello")
        try tree.file("\(Self.downloadPath)/sub/deeper/d", "1234567")
        try tree.directory("\(Self.downloadPath)/sub/deeper/empty")

        var purger = Purger()
        purger.usesAnnouncedTypes = announcedTypes
        let report = try purger.purgeContents(under: tree.root, components: Self.download)

        #expect(report.folder == Self.downloadPath)
        #expect(report.dryRun == false)
        #expect(report.files == 6)  // a.txt, b.bin, .hidden, pipe (a FIFO), sub/c, sub/deeper/d
        #expect(report.directories == 3)  // sub, sub/deeper, sub/deeper/empty
        #expect(report.links == 0)
        let measured: UInt64 = 10 + 1000 + 3 + 5 + 7  // regular files only
        #expect(report.bytes == (announcedTypes ? nil : measured))
        #expect(report.failureCount == 0)
        #expect(report.failures.isEmpty)
        #expect(report.otherFilesystems.isEmpty)
        #expect(report.isComplete)
        #expect(tree.kind(Self.downloadPath) == "dir")
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
    }

    @Test func anEmptyFolderGivesAnEmptyCompleteReport() throws {
        let tree = try WindowsTree("empty")
        defer { tree.remove() }

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report == PurgeReport(folder: Self.downloadPath))
        #expect(tree.kind(Self.downloadPath) == "dir")
    }

    @Test func siblingsOfThePurgedFolderAreUntouched() throws {
        let tree = try WindowsTree("siblings")
        defer { tree.remove() }
        let distribution = "Windows/SoftwareDistribution"
        try tree.file("\(distribution)/SLS/7971F918-A847-4430-9279-4A52D1EFE18D/sls.cab", "cab")
        try tree.file("\(distribution)/AuthCabs/authcab.cab", "auth")
        try tree.file("\(distribution)/PostRebootEventCache.V2/events.bin", "events")
        try tree.file("\(distribution)/ReportingEvents.log", "log")
        try tree.file("\(distribution)/DataStore/DataStore.edb", "edb")
        try tree.file("\(distribution)/DataStore/Logs/edb.log", "edblog")
        try tree.file("\(Self.downloadPath)/1234abcd/update.cab", "update")
        try tree.file("Windows/System32/config/SYSTEM", "hive")
        let before = tree.snapshot("")

        let download = try Purger().purgeContents(under: tree.root, components: Self.download)
        let afterDownload = tree.snapshot("")

        #expect(download.isComplete)
        #expect(download.files == 1 && download.directories == 1)
        #expect(afterDownload == before.filter { !$0.key.hasPrefix("\(Self.downloadPath)/") })
        #expect(afterDownload["\(distribution)/SLS/7971F918-A847-4430-9279-4A52D1EFE18D/sls.cab"] != nil)

        let dataStore = try Purger().purgeContents(under: tree.root, components: Self.dataStore)

        #expect(dataStore.isComplete)
        #expect(dataStore.folder == "Windows/SoftwareDistribution/DataStore")
        #expect(dataStore.files == 2 && dataStore.directories == 1)
        #expect(tree.snapshot("") == afterDownload.filter { !$0.key.hasPrefix("\(distribution)/DataStore/") })
        #expect(tree.kind("\(distribution)/DataStore") == "dir")
    }

    @Test func aRelativeRootWorks() throws {
        let tree = try WindowsTree("relative")
        defer { tree.remove() }
        try tree.file("\(Self.downloadPath)/sub/file", "12345")
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relativeRoot = String(repeating: "../", count: depth) + tree.root.dropFirst()

        let report = try Purger().purgeContents(under: relativeRoot, components: Self.download)

        #expect(report.files == 1 && report.directories == 1 && report.bytes == nil)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
    }
}

// MARK: - Links

extension PurgeTests {
    @Test func symlinksAreRemovedAndNeverFollowed() throws {
        let tree = try WindowsTree("links")
        defer { tree.remove() }
        let outside = tree.temporary.sub("outside")
        let outsideFile = tree.temporary.sub("outside-file.txt")
        try makeFile(outside + "/secret.txt", "secret")
        try makeFile(outside + "/nested/deep.txt", "deep")
        try makeFile(outsideFile, "outside file")
        try tree.file("Windows/System32/config/SYSTEM", "hive")
        let links: [(name: String, target: String)] = [
            ("abs-dir", outside),
            ("rel-dir", "../../../../outside"),
            ("abs-file", outsideFile),
            ("rel-file", "../../../../outside-file.txt"),
            ("dotdot", ".."),
            ("self", "."),
            ("root-abs", tree.root),
            ("root-rel", "../../.."),
            ("dangling", "/nonexistent/wuscrub-test-target"),
            ("sub/nested-dir", outside + "/nested"),
            ("sub/system32", "../../../System32"),
        ]
        try tree.file("\(Self.downloadPath)/sub/plain.txt", "plain")
        for link in links {
            try tree.symlink("\(Self.downloadPath)/\(link.name)", to: link.target)
        }
        let everythingElse = { snapshot(tree.temporary.path).filter { !$0.key.hasPrefix("root/\(Self.downloadPath)/") } }
        let before = everythingElse()
        #expect(before["outside/nested/deep.txt"] != nil)

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.links == links.count)
        #expect(report.files == 1)
        #expect(report.directories == 1)
        #expect(report.bytes == nil)  // unlinked as announced, not measured
        #expect(report.isComplete)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
        #expect(everythingElse() == before)
    }
}

// MARK: - Names

extension PurgeTests {
    @Test func namesThatAreNotUTF8OrHoldNewlinesAreRemoved() throws {
        let tree = try WindowsTree("names")
        defer { tree.remove() }
        let download = Array((tree.root + "/" + Self.downloadPath).utf8)
        let slash = UInt8(ascii: "/")
        let oddDirectory: [UInt8] = [0x80, 0x0A, 0xC3]
        try makeFile(bytes: download + [slash, 0xFF, 0xFE], content: "ab")
        try makeFile(bytes: download + [slash] + Array("line\nbreak".utf8), content: "cde")
        try makeFile(bytes: download + [slash] + Array("back\\slash\t".utf8), content: "")
        try makeDirectory(bytes: download + [slash] + oddDirectory)
        try makeFile(bytes: download + [slash] + oddDirectory + [slash, 0xED, 0xA0, 0x80], content: "f")
        try makeSymlink(bytes: download + [slash] + oddDirectory + [slash, 0xC0, 0xAF], to: "..")
        #expect(tree.snapshot(Self.downloadPath).count == 6)

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.files == 4)
        #expect(report.directories == 1)
        #expect(report.links == 1)
        #expect(report.bytes == nil)  // unlinked as announced, not measured
        #expect(report.isComplete)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
    }

    @Test func displayPathKeepsUTF8AndEscapesEverythingElse() {
        #expect(PurgeFailure.displayPath(Array("Download/ünïcödé 更新".utf8)) == "Download/ünïcödé 更新")
        #expect(PurgeFailure.displayPath([0x61, 0xFF, 0xFE, 0x62]) == "a\\xFF\\xFEb")
        #expect(PurgeFailure.displayPath(Array("a\nb\tc\rd\\e".utf8)) == "a\\nb\\tc\\rd\\\\e")
        #expect(PurgeFailure.displayPath([0x00, 0x1B, 0x7F]) == "\\x00\\x1B\\x7F")
        // An overlong "/", a UTF-16 surrogate, a truncated sequence and a C1 control.
        #expect(PurgeFailure.displayPath([0xC0, 0xAF]) == "\\xC0\\xAF")
        #expect(PurgeFailure.displayPath([0xED, 0xA0, 0x80]) == "\\xED\\xA0\\x80")
        #expect(PurgeFailure.displayPath([0xE2, 0x82]) == "\\xE2\\x82")
        #expect(PurgeFailure.displayPath([0xC2, 0x85]) == "\\xC2\\x85")
        #expect(PurgeFailure.displayPath([0xF0, 0x9F, 0x98, 0x80]) == "😀")
    }
}

// MARK: - Dry run

extension PurgeTests {
    @Test func aDryRunRemovesNothingAndPredictsTheRealRun() throws {
        let tree = try WindowsTree("dryrun")
        defer { tree.remove() }
        try tree.file("\(Self.downloadPath)/a.cab", "aaaa")
        try tree.file("\(Self.downloadPath)/x/y/z/deep.bin", String(repeating: "z", count: 300))
        try tree.file("\(Self.downloadPath)/x/sibling.txt", "s")
        try tree.directory("\(Self.downloadPath)/x/empty")
        try tree.fifo("\(Self.downloadPath)/x/pipe")
        try tree.symlink("\(Self.downloadPath)/x/y/up", to: "../../../../..")
        try tree.symlink("\(Self.downloadPath)/link", to: tree.root)
        try makeFile(bytes: Array((tree.root + "/" + Self.downloadPath + "/").utf8) + [0xFF, 0x0A], content: "12")
        let before = snapshot(tree.temporary.path)

        let dryRun = try Purger(dryRun: true).purgeContents(under: tree.root, components: Self.download)

        #expect(snapshot(tree.temporary.path) == before)
        #expect(dryRun.dryRun)
        #expect(dryRun.files == 5 && dryRun.directories == 4 && dryRun.links == 2 && dryRun.bytes == nil)

        let real = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(!real.dryRun)
        #expect(real.files == dryRun.files)
        #expect(real.directories == dryRun.directories)
        #expect(real.links == dryRun.links)
        #expect(real.bytes == dryRun.bytes)
        #expect(real.failureCount == dryRun.failureCount)
        #expect(real.isComplete)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
    }
}

// MARK: - Refusing to start

extension PurgeTests {
    @Test func aSymlinkedComponentIsRefusedAndItsTargetKept() throws {
        let tree = try WindowsTree("toplink")
        defer { tree.remove() }
        let elsewhere = tree.temporary.sub("elsewhere")
        try makeFile(elsewhere + "/precious.txt", "precious")
        try tree.removeEmptyDirectory(Self.downloadPath)
        try tree.symlink(Self.downloadPath, to: elsewhere)

        #expect(throws: PurgeError.isSymlink(tree.root + "/" + Self.downloadPath)) {
            try Purger().purgeContents(under: tree.root, components: Self.download)
        }
        #expect(throws: PurgeError.isSymlink(tree.root + "/" + Self.downloadPath)) {
            try Purger(dryRun: true).purgeContents(under: tree.root, components: Self.download)
        }
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/precious.txt"))

        // A link higher up is refused as well, even though it resolves to a real Download folder.
        let other = try WindowsTree("midlink")
        defer { other.remove() }
        try makeFile(other.temporary.sub("real/Download/precious.txt"), "precious")
        try other.removeEmptyDirectory(Self.downloadPath)
        try other.removeEmptyDirectory(Self.dataStore.joined(separator: "/"))
        try other.removeEmptyDirectory("Windows/SoftwareDistribution")
        try other.symlink("Windows/SoftwareDistribution", to: other.temporary.sub("real"))

        #expect(throws: PurgeError.isSymlink(other.root + "/Windows/SoftwareDistribution")) {
            try Purger().purgeContents(under: other.root, components: Self.download)
        }
        #expect(FileManager.default.fileExists(atPath: other.temporary.sub("real/Download/precious.txt")))
    }

    @Test func aMissingOrNonDirectoryComponentIsRefused() throws {
        let tree = try WindowsTree("refuse")
        defer { tree.remove() }
        try tree.file("Windows/SoftwareDistribution/NotAFolder", "file")
        try tree.file("Windows/SoftwareDistribution/DataStore/keep.edb", "edb")

        #expect(throws: PurgeError.missing(tree.root + "/Windows/SoftwareDistribution/Nope")) {
            try Purger().purgeContents(under: tree.root, components: ["Windows", "SoftwareDistribution", "Nope"])
        }
        #expect(throws: PurgeError.missing(tree.root + "/windows")) {
            try Purger().purgeContents(under: tree.root, components: ["windows", "SoftwareDistribution", "Download"])
        }
        #expect(throws: PurgeError.notADirectory(tree.root + "/Windows/SoftwareDistribution/NotAFolder")) {
            try Purger().purgeContents(under: tree.root, components: ["Windows", "SoftwareDistribution", "NotAFolder"])
        }
        #expect(throws: PurgeError.missing(tree.temporary.sub("no-such-root"))) {
            try Purger().purgeContents(under: tree.temporary.sub("no-such-root"), components: Self.download)
        }
        #expect(throws: PurgeError.notADirectory(tree.root + "/Windows/SoftwareDistribution/NotAFolder")) {
            try Purger().purgeContents(under: tree.root + "/Windows/SoftwareDistribution/NotAFolder", components: ["x"])
        }
        #expect(tree.kind("Windows/SoftwareDistribution/NotAFolder") == "file")
        #expect(tree.kind("Windows/SoftwareDistribution/DataStore/keep.edb") == "file")
    }

    @Test func componentsMustBeSinglePlainNames() throws {
        let tree = try WindowsTree("components")
        defer { tree.remove() }
        try tree.file("Windows/SoftwareDistribution/DataStore/keep.edb", "edb")

        #expect(throws: PurgeError.noFolder(root: tree.root)) {
            try Purger().purgeContents(under: tree.root, components: [])
        }
        for bad in ["", ".", "..", "SoftwareDistribution/DataStore", "a\u{0}b"] {
            #expect(throws: PurgeError.invalidComponent(bad)) {
                try Purger().purgeContents(under: tree.root, components: ["Windows", bad])
            }
        }
        #expect(tree.kind("Windows/SoftwareDistribution/DataStore/keep.edb") == "file")
    }

    @Test func errorMessagesSayWhatFailedWhereAndWhatToDo() {
        let symlink = PurgeError.isSymlink("/mnt/win/Windows/SoftwareDistribution/Download").description
        #expect(symlink.contains("'/mnt/win/Windows/SoftwareDistribution/Download'"))
        #expect(symlink.contains("symbolic link") && symlink.contains("Nothing was deleted"))
        let missing = PurgeError.missing("/mnt/win/Windows").description
        #expect(missing.contains("'/mnt/win/Windows'") && missing.contains("mounted"))
        let other = PurgeError.otherFilesystem("/mnt/win/Windows").description
        #expect(other.contains("another filesystem") && other.contains("unmount"))
        #expect(PurgeError.noFolder(root: "/mnt/win").path == "/mnt/win")
    }
}

// MARK: - Failures do not stop the run

extension PurgeTests {
    @Test(.enabled(if: Privileges.canMount, "needs root (CAP_SYS_ADMIN) to mount tmpfs"))
    func anotherFilesystemIsNotEnteredAndTheRunGoesOn() throws {
        let tree = try WindowsTree("tmpfs")
        defer { tree.remove() }
        try tree.file("\(Self.downloadPath)/top.txt", "top")
        try tree.file("\(Self.downloadPath)/dir2/x", "xx")
        try tree.file("\(Self.downloadPath)/sub/other.txt", "other")
        try tree.directory("\(Self.downloadPath)/sub/mnt")
        let mountPoint = tree.path("\(Self.downloadPath)/sub/mnt")
        try mountTmpfs(at: mountPoint)
        defer { unmount(mountPoint) }
        try makeFile(mountPoint + "/inside.txt", "inside")
        let mounted = "\(Self.downloadPath)/sub/mnt"

        let dryRun = try Purger(dryRun: true).purgeContents(under: tree.root, components: Self.download)
        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.otherFilesystems == [mounted])
        #expect(report.failureCount == 1)  // sub is kept because of mnt, without a second failure
        #expect(report.failures == [PurgeFailure(path: mounted, operation: "not entered (other filesystem)", errno: EXDEV)])
        #expect(!report.isComplete)
        #expect(report.files == 3 && report.directories == 1 && report.bytes == nil)
        #expect(FileManager.default.fileExists(atPath: mountPoint + "/inside.txt"))
        #expect(tree.snapshot(Self.downloadPath).keys.sorted() == ["sub", "sub/mnt", "sub/mnt/inside.txt"])
        #expect(dryRun.files == report.files && dryRun.directories == report.directories)
        #expect(dryRun.bytes == report.bytes && dryRun.failures == report.failures)
        #expect(dryRun.otherFilesystems == report.otherFilesystems)
    }

    @Test(.enabled(if: Privileges.canMount, "needs root (CAP_SYS_ADMIN) to bind-mount"))
    func aBindMountOfTheSameFilesystemIsNotEntered() throws {
        let tree = try WindowsTree("bind")
        defer { tree.remove() }
        let precious = tree.temporary.sub("precious")
        try makeFile(precious + "/data.txt", "data")
        try tree.file("\(Self.downloadPath)/removable.txt", "r")
        try tree.directory("\(Self.downloadPath)/bind")
        let mountPoint = tree.path("\(Self.downloadPath)/bind")
        try bindMount(precious, at: mountPoint)
        defer { unmount(mountPoint) }

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.otherFilesystems == ["\(Self.downloadPath)/bind"])
        #expect(report.failures.map(\.operation) == ["not entered (other mount)"])
        #expect(report.failures.map(\.errno) == [EXDEV])
        #expect(report.files == 1)
        #expect(FileManager.default.fileExists(atPath: precious + "/data.txt"))
    }

    @Test(.enabled(if: Privileges.canMount, "needs root (CAP_SYS_ADMIN) to mount tmpfs"))
    func aFolderThatIsAnotherMountIsRefused() throws {
        let tree = try WindowsTree("mountedfolder")
        defer { tree.remove() }
        let download = tree.path(Self.downloadPath)
        try mountTmpfs(at: download)
        do {
            defer { unmount(download) }
            try makeFile(download + "/inside.txt", "inside")
            #expect(throws: PurgeError.otherFilesystem(download)) {
                try Purger().purgeContents(under: tree.root, components: Self.download)
            }
            #expect(FileManager.default.fileExists(atPath: download + "/inside.txt"))
        }

        let precious = tree.temporary.sub("precious")
        try makeFile(precious + "/data.txt", "data")
        try bindMount(precious, at: download)
        defer { unmount(download) }
        #expect(throws: PurgeError.otherFilesystem(download)) {
            try Purger().purgeContents(under: tree.root, components: Self.download)
        }
        #expect(FileManager.default.fileExists(atPath: precious + "/data.txt"))
    }

    @Test(.enabled(if: Privileges.canSetImmutable, "needs root, chattr and a filesystem with the immutable flag under /tmp"))
    func anUnremovableFileIsCountedOnceAndTheRunGoesOn() throws {
        let tree = try WindowsTree("immutable")
        defer { tree.remove() }
        try tree.file("\(Self.downloadPath)/before.txt", "b")
        try tree.file("\(Self.downloadPath)/keep/locked.cab", "locked")
        try tree.file("\(Self.downloadPath)/keep/loose.cab", "loose")
        try tree.file("\(Self.downloadPath)/zafter/after.txt", "a")
        let locked = tree.path("\(Self.downloadPath)/keep/locked.cab")
        try setImmutable(locked, true)
        defer { try? setImmutable(locked, false) }

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.failureCount == 1)  // keep/ is kept because of locked.cab, not reported again
        #expect(report.failures.map(\.path) == ["\(Self.downloadPath)/keep/locked.cab"])
        #expect(report.failures.map(\.operation) == ["unlink"])
        #expect(report.failures.map(\.errno) == [EPERM])
        #expect(report.failures.first?.message == String(cString: strerror(EPERM)))
        #expect(report.files == 3 && report.directories == 1)
        #expect(tree.snapshot(Self.downloadPath).keys.sorted() == ["keep", "keep/locked.cab"])
    }

    @Test(.enabled(if: Privileges.canSetImmutable, "needs root, chattr and a filesystem with the immutable flag under /tmp"))
    func onlyTheFirstTwentyFailuresAreListedButAllAreCounted() throws {
        let tree = try WindowsTree("manyfailures")
        defer { tree.remove() }
        var locked: [String] = []
        for index in 0..<25 {
            let path = "\(Self.downloadPath)/locked-\(index)"
            try tree.file(path, "x")
            locked.append(tree.path(path))
        }
        try tree.file("\(Self.downloadPath)/free/file", "y")
        for path in locked { try setImmutable(path, true) }
        defer { for path in locked { try? setImmutable(path, false) } }

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.failureCount == 25)
        #expect(report.failures.count == PurgeReport.listLimit)
        #expect(report.files == 1 && report.directories == 1)
    }
}

// MARK: - Scale

extension PurgeTests {
    @Test func manyFilesAndDeepNestingAreRemovedWithExactCounts() throws {
        let tree = try WindowsTree("scale")
        defer { tree.remove() }
        let wide = tree.path("\(Self.downloadPath)/wide")
        try FileManager.default.createDirectory(atPath: wide, withIntermediateDirectories: true)
        for index in 0..<5_000 {
            try makeFile(wide + "/f\(index)", "")
        }
        let deep = "\(Self.downloadPath)/" + Array(repeating: "d", count: 200).joined(separator: "/")
        try tree.file(deep + "/leaf", "leaf")

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.files == 5_001)
        #expect(report.directories == 201)
        #expect(report.bytes == nil)  // unlinked as announced, not measured
        #expect(report.isComplete)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
    }

    @Test func nestingDeeperThanTheLimitIsAFailureNotACrash() throws {
        let tree = try WindowsTree("toodeep")
        defer { tree.remove() }
        let levels = Purger.maximumDepth + 8
        var relative = Self.downloadPath
        for _ in 0..<levels {
            relative += "/d"
            try tree.file(relative + "/f", "f")
        }
        let firstRefused = Self.downloadPath + String(repeating: "/d", count: Purger.maximumDepth + 1)

        let report = try Purger().purgeContents(under: tree.root, components: Self.download)

        #expect(report.failureCount == 1)
        #expect(report.failures.map(\.path) == [firstRefused])
        #expect(report.failures.map(\.errno) == [ENAMETOOLONG])
        #expect(report.failures.first?.operation.contains("deeper than \(Purger.maximumDepth)") == true)
        #expect(report.files == Purger.maximumDepth)  // the file of every level that was entered
        #expect(report.directories == 0)  // every entered level still holds the refused one
        #expect(tree.kind(firstRefused + "/f") == "file")
    }
}

// MARK: - Support

// MARK: - Parallel

extension PurgeTests {
    /// Builds `folders` subdirectories of Download, each two levels deep with files and a link.
    private static func wideTree(_ tree: WindowsTree, folders: Int) throws {
        for index in 0..<folders {
            let folder = "\(Self.downloadPath)/\(String(format: "%032x", index))"
            try tree.file(folder + "/a.cab", "a")
            try tree.file(folder + "/sub/b.psf", "bb")
            try tree.file(folder + "/sub/deeper/c.xml", "ccc")
            try makeSymlink(bytes: Array(tree.path(folder + "/sub/link").utf8), to: "/etc/passwd")
        }
    }

    @Test(arguments: [1, 3, 8])
    func aParallelPurgeRemovesAndCountsExactlyWhatOneWorkerDoes(jobs: Int) throws {
        let tree = try WindowsTree("parallel")
        defer { tree.remove() }
        try Self.wideTree(tree, folders: 40)
        try tree.file("\(Self.downloadPath)/top.txt", "top")

        var counter = Purger(dryRun: true)
        counter.jobs = jobs
        let counted = try counter.purgeContents(under: tree.root, components: Self.download)
        var purger = Purger()
        purger.jobs = jobs
        let report = try purger.purgeContents(under: tree.root, components: Self.download)

        #expect(report.files == 40 * 3 + 1 && report.directories == 40 * 3 && report.links == 40)
        #expect(report.failureCount == 0 && report.isComplete)
        #expect(counted.files == report.files && counted.directories == report.directories && counted.links == report.links)
        #expect(tree.snapshot(Self.downloadPath).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    /// The progress counters (docs/architecture.md §7.4), added to by every worker at once, end
    /// at exactly the report's count, counting and removing alike.
    @Test(arguments: [1, 3, 8])
    func theProgressCountsExactlyWhatTheReportCounts(jobs: Int) throws {
        let tree = try WindowsTree("progress")
        defer { tree.remove() }
        try Self.wideTree(tree, folders: 60)
        try tree.file("\(Self.downloadPath)/top.txt", "top")
        let progress = PurgeProgress()
        #expect(progress.snapshot == PurgeProgress.Snapshot(phase: .idle))

        progress.begin(.counting)
        var counter = Purger(dryRun: true)
        counter.jobs = jobs
        counter.progress = progress
        let counted = try counter.purgeContents(under: tree.root, components: Self.download)
        let afterCount = progress.snapshot
        progress.end()

        progress.begin(.purging, total: counted.removals)
        var purger = Purger()
        purger.jobs = jobs
        purger.progress = progress
        let report = try purger.purgeContents(under: tree.root, components: Self.download)
        let afterPurge = progress.snapshot
        progress.end()

        #expect(report.removals == 60 * 7 + 1 && report.isComplete)
        #expect(afterCount == PurgeProgress.Snapshot(phase: .counting, generation: 1, entries: counted.removals, total: nil))
        #expect(afterPurge == PurgeProgress.Snapshot(phase: .purging, generation: 2, entries: report.removals, total: counted.removals))
        #expect(progress.snapshot.phase == .idle)
    }

    @Test(.enabled(if: Privileges.canSetImmutable, "needs root, chattr and a filesystem with the immutable flag under /tmp"))
    func aFailureInOneWorkersSubtreeKeepsOnlyItsDirectoriesAndIsReportedTheSameWay() throws {
        var reports: [PurgeReport] = []
        for jobs in [1, 6] {
            let tree = try WindowsTree("parallel-failure")
            defer { tree.remove() }
            try Self.wideTree(tree, folders: 12)
            let locked = tree.path("\(Self.downloadPath)/\(String(format: "%032x", 5))/sub/deeper/locked.cab")
            try makeFile(locked, "locked")
            try setImmutable(locked, true)
            defer { try? setImmutable(locked, false) }
            var purger = Purger()
            purger.jobs = jobs
            reports.append(try purger.purgeContents(under: tree.root, components: Self.download))
            let folder = String(format: "%032x", 5)
            #expect(tree.snapshot(Self.downloadPath).keys.sorted() == [folder, folder + "/sub", folder + "/sub/deeper", folder + "/sub/deeper/locked.cab"])
        }
        #expect(reports[0] == reports[1], "one worker: \(reports[0])\nsix workers: \(reports[1])")
        #expect(reports[1].failures.map(\.errno) == [EPERM])
    }

    @Test func aStopRequestStopsEveryWorkerAtItsNextEntry() throws {
        let tree = try WindowsTree("parallel-stop")
        defer { tree.remove() }
        try Self.wideTree(tree, folders: 30)
        let asked = Mutex(0)
        var purger = Purger(shouldStop: { asked.withLock { $0 += 1; return $0 > 25 } })
        purger.jobs = 4
        let report = try purger.purgeContents(under: tree.root, components: Self.download)

        #expect(report.stopped == true)
        #expect(!report.isComplete)
        #expect(report.removals < 30 * 7)
        #expect(!tree.snapshot(Self.downloadPath).isEmpty, "entries after the stop are left as they are")
    }
}

/// A `root/Windows/SoftwareDistribution/{Download,DataStore}` tree in a fresh temporary directory.
private struct WindowsTree {
    let temporary: Scratch
    var root: String { temporary.sub("root") }

    init(_ label: String) throws {
        temporary = try Scratch(label)
        for folder in [PurgeTests.download, PurgeTests.dataStore] {
            try FileManager.default.createDirectory(
                atPath: temporary.sub("root/" + folder.joined(separator: "/")), withIntermediateDirectories: true)
        }
    }

    func remove() { temporary.remove() }

    /// The absolute path of `relative` below the root.
    func path(_ relative: String) -> String {
        relative.isEmpty ? root : root + "/" + relative
    }

    /// Creates a file (and its missing parent directories) below the root.
    func file(_ relative: String, _ content: String) throws {
        try makeFile(path(relative), content)
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    func fifo(_ relative: String) throws {
        guard mkfifo(path(relative), 0o644) == 0 else { throw SetupError("mkfifo", path(relative)) }
    }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path(relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard Glibc.symlink(target, path(relative)) == 0 else { throw SetupError("symlink", path(relative)) }
    }

    func removeEmptyDirectory(_ relative: String) throws {
        guard rmdir(path(relative)) == 0 else { throw SetupError("rmdir", path(relative)) }
    }

    /// "dir", "file", "link", "other", or nil when nothing is there.
    func kind(_ relative: String) -> String? {
        var info = stat()
        guard lstat(path(relative), &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return "dir"
        case S_IFREG: return "file"
        case S_IFLNK: return "link"
        default: return "other"
        }
    }

    /// Everything below `relative`, by path relative to it.
    func snapshot(_ relative: String) -> [String: String] {
        listTree(Array(path(relative).utf8))
    }
}

/// A setup step that failed, with the system's reason.
private struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ operation: String, _ path: String) {
        description = "\(operation) '\(path)': \(String(cString: strerror(errno)))"
    }
}

/// Every entry below `path` (not following links), keyed by relative path: "dir", "link -> target",
/// "file <size> <FNV-1a of the content>", or "other".
private func snapshot(_ path: String) -> [String: String] {
    listTree(Array(path.utf8))
}

private func listTree(_ top: [UInt8]) -> [String: String] {
    var result: [String: String] = [:]
    func walk(_ absolute: [UInt8], _ relative: [UInt8]) {
        guard let stream = opendir(cString(absolute)) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = entryName(entry)
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let child = absolute + [0x2F] + name
            let childRelative = relative.isEmpty ? name : relative + [0x2F] + name
            let key = PurgeFailure.displayPath(childRelative)
            var info = stat()
            guard lstat(cString(child), &info) == 0 else { result[key] = "vanished"; continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                result[key] = "dir"
                walk(child, childRelative)
            case S_IFLNK:
                var target = [CChar](repeating: 0, count: 4096)
                let count = readlink(cString(child), &target, target.count - 1)
                result[key] = "link -> " + PurgeFailure.displayPath(target.prefix(max(0, count)).map { UInt8(bitPattern: $0) })
            case S_IFREG:
                result[key] = "file \(info.st_size) \(fnv1a(child))"
            default:
                result[key] = "other"
            }
        }
    }
    walk(top, [])
    return result
}

private func entryName(_ entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
    let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let name = UnsafeRawPointer(entry).advanced(by: offset).assumingMemoryBound(to: CChar.self)
    return Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
}

private func cString(_ bytes: [UInt8]) -> [CChar] {
    bytes.map { CChar(bitPattern: $0) } + [0]
}

private func fnv1a(_ path: [UInt8]) -> String {
    let descriptor = open(cString(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else { return "unreadable" }
    defer { close(descriptor) }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { break }
        for byte in buffer[..<count] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
    return String(hash, radix: 16)
}

/// Creates a file and its missing parent directories.
private func makeFile(_ path: String, _ content: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try makeFile(bytes: Array(path.utf8), content: content)
}

/// Creates a file whose path is raw bytes; the parent directory must exist.
private func makeFile(bytes path: [UInt8], content: String) throws {
    let descriptor = open(cString(path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw SetupError("create", PurgeFailure.displayPath(path)) }
    defer { close(descriptor) }
    let bytes = Array(content.utf8)
    guard write(descriptor, bytes, bytes.count) == bytes.count else {
        throw SetupError("write", PurgeFailure.displayPath(path))
    }
}

private func makeDirectory(bytes path: [UInt8]) throws {
    guard mkdir(cString(path), 0o755) == 0 else { throw SetupError("mkdir", PurgeFailure.displayPath(path)) }
}

private func makeSymlink(bytes path: [UInt8], to target: String) throws {
    guard symlink(target, cString(path)) == 0 else { throw SetupError("symlink", PurgeFailure.displayPath(path)) }
}

private func mountTmpfs(at path: String) throws {
    guard mount("none", path, "tmpfs", 0, "size=1m") == 0 else { throw SetupError("mount tmpfs on", path) }
}

private func bindMount(_ source: String, at path: String) throws {
    guard mount(source, path, nil, UInt(MS_BIND), nil) == 0 else { throw SetupError("bind-mount on", path) }
}

private func unmount(_ path: String) {
    if umount(path) != 0 { _ = umount2(path, CInt(MNT_DETACH)) }
}

/// Sets or clears the immutable flag with chattr.
private func setImmutable(_ path: String, _ immutable: Bool) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Privileges.chattr)
    process.arguments = [immutable ? "+i" : "-i", path]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SetupError("chattr", path) }
}

/// What this process may do, probed once.
private enum Privileges {
    static let chattr = "/usr/bin/chattr"

    /// Whether a tmpfs can be mounted (root with CAP_SYS_ADMIN).
    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? Scratch("mountprobe") else { return false }
        defer { probe.remove() }
        guard mount("none", probe.path, "tmpfs", 0, "size=1m") == 0 else { return false }
        unmount(probe.path)
        return true
    }()

    /// Whether the immutable flag can be set under /tmp and then stops even root from unlinking.
    static let canSetImmutable: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: chattr),
              let probe = try? Scratch("chattrprobe") else { return false }
        defer { probe.remove() }
        let file = probe.sub("file")
        guard (try? makeFile(file, "x")) != nil, (try? setImmutable(file, true)) != nil else { return false }
        let refused = unlink(file) != 0
        try? setImmutable(file, false)
        return refused
    }()
}

// MARK: - Stopping part-way

extension PurgeTests {
    @Test func aRemovalLimitStopsTheWalkAndALaterWalkFinishesIt() throws {
        let tree = try WindowsTree("limit")
        defer { tree.remove() }
        for index in 0..<5 { try tree.file("\(Self.downloadPath)/sub/f\(index)", "data") }
        try tree.file("\(Self.downloadPath)/top", "x")

        let partial = try Purger(removalLimit: 2).purgeContents(under: tree.root, components: Self.download)
        #expect(partial.removals == 2)
        #expect(partial.isComplete)
        let rest = try Purger().purgeContents(under: tree.root, components: Self.download)
        #expect(partial.removals + rest.removals == 7, "6 files and the sub directory, each removed once")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tree.root + "/" + Self.downloadPath).isEmpty)
    }
}
