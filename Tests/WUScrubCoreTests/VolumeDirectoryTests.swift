import Foundation
import Testing
@testable import WUScrubCore
import WUScrubTestSupport

/// The volume layer: entries are reached by single names from an opened folder and must be what is
/// expected there; nothing else is ever opened (a FIFO would hang an open, a device node would
/// reach a disk of this machine).
@Suite struct VolumeDirectoryTests {
    /// A scratch folder with one entry of each kind.
    struct Kinds {
        let scratch: Scratch
        let folder: VolumeDirectory

        init() throws {
            scratch = try Scratch("volume-kinds")
            try Data("content".utf8).write(to: URL(fileURLWithPath: scratch.sub("file")))
            try FileManager.default.createDirectory(atPath: scratch.sub("dir"), withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: scratch.sub("link"), withDestinationPath: "/etc/hostname")
            try FileManager.default.createSymbolicLink(atPath: scratch.sub("dirlink"), withDestinationPath: "/etc")
            #expect(mkfifo(scratch.sub("fifo"), 0o600) == 0)
            folder = try VolumeDirectory.openRoot(scratch.path)
        }
    }

    @Test("a regular file opens and reads; its path is named relative to the root")
    func regularFile() throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        let file = try #require(try kinds.folder.file("file"))
        #expect(try file.readAll(limit: 100, what: "a test file") == Array("content".utf8))
        #expect(file.path == "file")
        #expect(try kinds.folder.file("absent") == nil)
    }

    @Test("where a file is expected, a FIFO, a folder, a link and a device node are refused by kind, never opened",
          arguments: [("fifo", EntryKind.fifo), ("dir", .directory), ("link", .symbolicLink), ("dirlink", .symbolicLink)])
    func wrongKindsForFiles(name: String, kind: EntryKind) throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        #expect(throws: VolumeError.wrongKind(path: name, found: kind, expected: .regularFile)) {
            _ = try kinds.folder.file(name)
        }
        #expect(throws: VolumeError.wrongKind(path: name, found: kind, expected: .regularFile)) {
            _ = try kinds.folder.appendFile(name)
        }
    }

    @Test("a character device node is refused with its kind in the message", .enabled(if: getuid() == 0, "needs root for mknod"))
    func deviceNode() throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        #expect(mknod(kinds.scratch.sub("null"), S_IFCHR | 0o600, dev_t((1 << 8) | 3)) == 0)
        let error = #expect(throws: VolumeError.self) { _ = try kinds.folder.appendFile("null") }
        #expect(error?.description.contains("'null' is a character device, not a regular file") == true, "\(String(describing: error))")
        #expect(error?.isUnsafeVolume == true)
    }

    @Test("where a folder is expected, a file, a FIFO and links are refused",
          arguments: [("file", EntryKind.regularFile), ("fifo", .fifo), ("dirlink", .symbolicLink)])
    func wrongKindsForFolders(name: String, kind: EntryKind) throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        #expect(throws: VolumeError.wrongKind(path: name, found: kind, expected: .directory)) {
            _ = try kinds.folder.subdirectory(name)
        }
        #expect(throws: VolumeError.wrongKind(path: name, found: kind, expected: .directory)) {
            _ = try kinds.folder.makeSubdirectory(name)
        }
    }

    @Test("names that are not one component are refused", arguments: ["", ".", "..", "a/b", "../x"])
    func invalidNames(name: String) throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        #expect(throws: VolumeError.invalidName(path: name)) { _ = try kinds.folder.file(name) }
        #expect(throws: VolumeError.invalidName(path: name)) { _ = try kinds.folder.createFile(name) }
    }

    @Test("createFile never reuses an existing name, whatever it is")
    func createIsExclusive() throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        for name in ["file", "fifo", "link", "dir"] {
            let error = #expect(throws: VolumeError.self) { _ = try kinds.folder.createFile(name) }
            guard case .io(let failure)? = error else { Issue.record("\(name): \(String(describing: error))"); continue }
            #expect(failure.errno == .fileExists, "\(name)")
        }
        #expect(try String(contentsOfFile: "/etc/hostname", encoding: .utf8).isEmpty == false, "the link's target is untouched")
    }

    @Test("a sparse file far over the limit is refused from its size, before anything is allocated")
    func sparseFileIsRefusedBySize() throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        let path = kinds.scratch.sub("huge")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 100 << 30) == 0)
        let file = try #require(try kinds.folder.file("huge"))
        #expect(throws: VolumeError.tooLarge(path: "huge", size: 100 << 30, limit: 1 << 20, what: "a test file")) {
            _ = try file.readAll(limit: 1 << 20, what: "a test file")
        }
        #expect(throws: VolumeError.tooLarge(path: "huge", size: 100 << 30, limit: 1 << 20, what: "a test file")) {
            _ = try file.sha256(limit: 1 << 20, what: "a test file")
        }
    }

    @Test("folders below are named by their path; makeDirectories creates what is missing")
    func nestedFolders() throws {
        let kinds = try Kinds()
        defer { kinds.scratch.remove() }
        let created = try kinds.folder.makeDirectories("dir/a/b")
        #expect(created.path == "dir/a/b")
        #expect(try kinds.folder.directory(at: "dir/a/b")?.path == "dir/a/b")
        #expect(try kinds.folder.directory(at: "dir/missing/b") == nil)
        let file = try created.createFile("new")
        try file.write(Array("x".utf8))
        #expect(try created.names() == ["new"])
        #expect(file.path == "dir/a/b/new")
    }

    @Test("a folder with more entries than any real one is not listed (memory stays bounded)")
    func tooManyEntries() throws {
        let scratch = try Scratch("volume-many")
        defer { scratch.remove() }
        for index in 0...VolumeDirectory.maximumNames {
            let fd = open(scratch.sub("f\(index)"), O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            close(fd)
        }
        let folder = try VolumeDirectory.openRoot(scratch.path)
        #expect(throws: VolumeError.tooManyEntries(path: scratch.path, limit: VolumeDirectory.maximumNames)) { _ = try folder.names() }
    }

    @Test("a folder with something mounted over it is another mount: refused", .enabled(if: getuid() == 0, "needs root to mount"))
    func mountedFolder() throws {
        let kinds = try Kinds()
        defer {
            _ = try? Shell.run("/usr/bin/umount", [kinds.scratch.sub("dir")])
            kinds.scratch.remove()
        }
        // A bind mount of a folder of the same file system: same device, another mount id.
        try FileManager.default.createDirectory(atPath: kinds.scratch.sub("source"), withIntermediateDirectories: false)
        try Shell.run("/usr/bin/mount", ["--bind", kinds.scratch.sub("source"), kinds.scratch.sub("dir")])
        #expect(throws: VolumeError.otherMount(path: "dir")) { _ = try kinds.folder.subdirectory("dir") }
    }
}

@Suite struct BackupNameTests {
    @Test("wuscrub's backup names parse and print back", arguments: [
        "SYSTEM-000001-20261125T043500Z-0123abcd", "SYSTEM-123456789-20261125T043500Z-deadbeef.LOG1",
        "SYSTEM-000042-20261125T043500Z-deadbeef.LOG", "SYSTEM-000042-20261125T043500Z-deadbeef-recovered",
    ])
    func valid(name: String) throws {
        let parsed = try #require(BackupName(parsing: name))
        #expect(parsed.name == name)
    }

    @Test("anything else is not a backup name", arguments: [
        "SYSTEM-00001-20261125T043500Z-0123abcd", "SYSTEM-123456789012345678901234567890-20261125T043500Z-0123abcd",
        "SYSTEM-000000-20261125T043500Z-0123abcd", "SYSTEM-000001-20261125X043500Z-0123abcd",
        "SYSTEM-000001-20261125T043500Z-0123ABCD", "SYSTEM-000001-20261125T043500Z-0123abcd.LOG3",
        "SYSTEM-000001-20261125T043500Z-0123abcd/../x", "SYSTEM-abc", "system-000001-20261125T043500Z-0123abcd",
        "SYSTEM-000001-20261125T043500Z-0123abc",
    ])
    func invalid(name: String) {
        #expect(BackupName(parsing: name) == nil)
    }

    @Test("a new serial never overflows")
    func bounded() {
        #expect(BackupName(serial: Int.max, stamp: "20261125T043500Z", runID: "0123abcd-0000").serial == BackupName.maximumSerial)
    }
}
