import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

// MARK: - --device: unmount failures, refusals

extension NTFSTests {
    /// The mount points of wuscrub's private mounts of `image` in /proc/self/mountinfo.
    static func privateMounts(of image: String) -> [String] {
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " - ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let fields = parts[0].split(separator: " "), extra = parts[1].split(separator: " ")
            guard fields.count >= 5, extra.count >= 2, extra[1] == image, fields[4].contains("/wuscrub-mount-") else { return nil }
            return String(fields[4])
        }
    }

    /// Unmounts and removes whatever private mount of `image` a failed test left behind.
    static func removePrivateMounts(of image: String) {
        for point in privateMounts(of: image) {
            for _ in 0..<20 {
                if (try? Shell.capture("/bin/umount", [point]))?.status == 0 { break }
                usleep(200_000)
            }
            rmdir(point)
        }
    }

    @Test("a device that cannot be unmounted (busy) is reported as still mounted, with the umount advice, and exits 8")
    func unmountFailure() throws {
        let volume = try Volume("device-busy")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        volume.ntfs.unmount()

        let process = try TerminalProcess(Repository.binary, ["reset", "--json", "--device", volume.ntfs.image], in: volume.scratch)
        defer { process.finish() }
        try #require(process.waitForError(containing: "[y/N]"), "no prompt: \(process.stdout)\(process.stderr)")
        let mountPoint = try #require(Self.privateMounts(of: volume.ntfs.image).first)
        // Something keeps the mount busy: a process whose working directory is inside it.
        let busy = try TerminalProcess("/bin/sh", ["-c", "cd \"$0\" && echo inside >&2 && exec sleep 60", mountPoint + "/Windows"],
                                       in: volume.scratch)
        defer { busy.finish() }
        try #require(busy.waitForError(containing: "inside"), "\(busy.stderr)")

        process.type("y\n")
        let status = process.wait()
        #expect(status == Exit.ioError.rawValue, "\(process.stdout)\(process.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(process.stdout.utf8)) as? [String: Any]
        #expect((document?["device"] as? [String: Any])?["unmounted"] as? Bool == false, "\(process.stdout)")
        #expect(document?["outcome"] as? String == "io-error")
        #expect(((document?["result"] as? [String: Any])?["journal"] as? [String: Any])?["phase"] as? String == "done",
                "the reset itself finished")
        #expect(process.stderr.contains("still mounted") && process.stderr.contains("umount \(mountPoint)"), "\(process.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image) == [mountPoint], "it really is still mounted")

        busy.finish()
        Self.removePrivateMounts(of: volume.ntfs.image)
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: mountPoint))
    }

    @Test("a hibernated device that ntfs-3g mounts only read-only is refused with advice that fits a device, and unmounted")
    func readOnlyFallback() throws {
        let volume = try Volume("device-ro")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        try Data(("HIBR" + String(repeating: "\0", count: 8188)).utf8).write(to: URL(fileURLWithPath: volume.root + "/hiberfil.sys"))
        volume.ntfs.unmount()

        let run = try volume.run(["reset", "--yes", "--device", volume.ntfs.image])
        #expect(run.status == Exit.unsafeState.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("read-only") && run.stderr.contains("hiberfil.sys"), "names the cause: \(run.stderr)")
        #expect(run.stderr.contains("shutdown /s /t 0") && run.stderr.contains("remove_hiberfile"), "\(run.stderr)")
        #expect(!run.stderr.contains("remount"), "ntfs-3g cannot remount read-write: \(run.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty)
    }

    @Test("a device that is already mounted is refused as such (ntfs-3g exit 16), not blamed on hibernation")
    func alreadyMounted() throws {
        let volume = try Volume("device-mounted")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        let run = try volume.run(["reset", "--yes", "--device", volume.ntfs.image])
        #expect(run.status == Exit.unsafeState.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("already mounted") && run.stderr.contains("findmnt"), "\(run.stderr)")
        #expect(!run.stderr.contains("hibernated"), "\(run.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty)
    }
}
