import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

// MARK: - --device: signals, unmount failures, refusals

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

    /// The private mount point named in the confirmation prompt.
    static func mountPoint(inPrompt text: String) -> String? {
        guard let start = text.range(of: "(mounted at '")?.upperBound,
              let end = text[start...].firstIndex(of: "'") else { return nil }
        return String(text[start..<end])
    }

    @Test("a signal at the confirmation prompt unmounts the device, removes the mount point, says so, and exits 128+signal",
          arguments: [(SIGINT, Exit.interrupted), (SIGTERM, Exit.terminated), (SIGHUP, Exit.hangUp)] as [(Int32, Exit)])
    func signalAtThePrompt(signal: Int32, expected: Exit) throws {
        let volume = try Volume("device-prompt")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        let before = TreeSnapshot(volume.root)
        volume.ntfs.unmount()

        let process = try TerminalProcess(Repository.binary, ["reset", "--device", volume.ntfs.image], in: volume.scratch)
        defer { process.finish() }
        try #require(process.waitForError(containing: "[y/N]"), "no prompt: \(process.stdout)\(process.stderr)")
        #expect(process.stderr.contains("Reset Windows Update on '\(volume.ntfs.image)' (mounted at '/tmp/wuscrub-mount-"),
                "the prompt names the device: \(process.stderr)")
        let mountPoint = try #require(Self.privateMounts(of: volume.ntfs.image).first, "mounted while it asks")
        #expect(Self.mountPoint(inPrompt: process.stderr) == mountPoint)

        process.send(signal)
        let status = process.wait()
        #expect(status == expected.rawValue, "\(process.stdout)\(process.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty, "nothing left mounted")
        #expect(!FileManager.default.fileExists(atPath: mountPoint), "the private mount point is removed")
        let stderr = process.stderr
        let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signal] ?? "?"
        #expect(stderr.contains("interrupted by \(name)"), "\(stderr)")
        #expect(stderr.contains("was not changed") && stderr.contains("was unmounted from '\(mountPoint)'"), "\(stderr)")

        try volume.ntfs.mount()
        #expect(TreeSnapshot(volume.root) == before, "nothing on the volume changed")
    }

    @Test("a signal before the disabled hive replaces the original stops the run there with nothing changed, closes the journal, unmounts; a new reset then works",
          arguments: [("after-journal-backup:TERM", "backup"), ("before-hive-rename:INT", "disable")])
    func signalBeforeTheServiceIsDisabled(fault: String, phase: String) throws {
        let volume = try Volume("device-run")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        let siblings = volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") }
        volume.ntfs.unmount()

        let run = try volume.run(["reset", "--yes", "--json", "--device", volume.ntfs.image], fault: fault)
        let expected: Exit = fault.hasSuffix("TERM") ? .terminated : .interrupted
        #expect(run.status == expected.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty, "nothing left mounted")
        #expect(run.stderr.contains("before the service was disabled") && run.stderr.contains("was not changed"), "\(run.stderr)")
        #expect(run.stderr.contains("was unmounted from"), "\(run.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(document?["outcome"] as? String == "interrupted")
        #expect((document?["device"] as? [String: Any])?["unmounted"] as? Bool == true)

        try volume.ntfs.mount()
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive, "the service was never disabled on disk")
        let journal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: volume.root + "/Windows/Logs/wuscrub/journal.json"))) as? [String: Any]
        #expect(journal?["phase"] as? String == "interrupted", "the journal is closed (it stopped in \(phase))")
        let again = try volume.run(["reset", "--yes", volume.root])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive)
        #expect(volume.emptied())
        #expect(volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") && !$0.key.contains("Logs/wuscrub") }
                == siblings.filter { !$0.key.contains("Logs/wuscrub") })
    }

    @Test("a signal once the service is disabled stops the purge and puts the start mode back first, then unmounts",
          arguments: [("after-hive-rename:TERM", "interrupted"), ("mid-purge:INT", "interrupted"), ("after-journal-restore:HUP", "done")])
    func signalAfterTheServiceIsDisabled(fault: String, phase: String) throws {
        let volume = try Volume("device-finish")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        let siblings = volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") }
        volume.ntfs.unmount()

        let run = try volume.run(["reset", "--yes", "--json", "--device", volume.ntfs.image], fault: fault)
        let expected: Exit = fault.hasSuffix("TERM") ? .terminated : fault.hasSuffix("HUP") ? .hangUp : .interrupted
        #expect(run.status == expected.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("received: stopping at the next safe point"), "\(run.stderr)")
        #expect(run.stderr.contains("original start mode was restored"), "\(run.stderr)")
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty, "nothing left mounted")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect((document?["device"] as? [String: Any])?["unmounted"] as? Bool == true)

        try volume.ntfs.mount()
        #expect(try FileIO.sha256(ofFile: volume.hive) == volume.originalHive, "the start mode is back")
        let journal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: volume.root + "/Windows/Logs/wuscrub/journal.json"))) as? [String: Any]
        #expect(journal?["phase"] as? String == phase)
        if phase == "interrupted" {
            #expect(!volume.emptied(), "the purge stopped early")
            let again = try volume.run(["reset", "--yes", volume.root])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        }
        #expect(volume.emptied())
        #expect(volume.snapshot().filter { !$0.key.contains("DataStore") && !$0.key.contains("Download") && !$0.key.contains("Logs/wuscrub") }
                == siblings.filter { !$0.key.contains("Logs/wuscrub") })
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

    @Test("--device mounts with nodev, nosuid and noexec: a device node on the volume stays inert")
    func deviceMountOptions() throws {
        let volume = try Volume("device-nodev")
        defer { volume.close(); Self.removePrivateMounts(of: volume.ntfs.image) }
        volume.ntfs.unmount()
        let run = try volume.run(["reset", "--dry-run", "--json", "--device", volume.ntfs.image])
        #expect(run.status == Exit.success.rawValue, "\(run.stdout)\(run.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let options = ((document?["plan"] as? [String: Any])?["volume"] as? [String: Any])?["options"] as? [String] ?? []
        for option in ["nodev", "nosuid", "noexec"] {
            #expect(options.contains(option), "\(options)")
        }
        #expect(Self.privateMounts(of: volume.ntfs.image).isEmpty)
    }
}
