import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

// MARK: - Symbolic links inside the purge folders

extension CommandLineTests {
    @Test("links inside DataStore and Download are removed, never followed: their targets stay intact")
    func symlinkBait() throws {
        let scratch = try Scratch("e2e-bait")
        defer { scratch.remove() }
        let tree = try Installation("win10", in: scratch)

        // A directory outside the mount root, full of files a follower would delete.
        let outside = scratch.sub("outside")
        try FileManager.default.createDirectory(atPath: outside + "/nested", withIntermediateDirectories: true)
        try Data(FixtureSpec.pattern(count: 5000, seed: "outside-a")).write(to: URL(fileURLWithPath: outside + "/a.bin"))
        try Data(FixtureSpec.pattern(count: 700, seed: "outside-b")).write(to: URL(fileURLWithPath: outside + "/nested/b.bin"))

        let download = tree.download, dataStore = tree.dataStore
        let subfolder = try #require(
            tree.spec.items.lazy.compactMap { item -> String? in
                guard case let .file(path, _) = item, path.hasPrefix("SoftwareDistribution/Download/"),
                      path.split(separator: "/").count > 3 else { return nil }
                return tree.windows + "/" + path.split(separator: "/").prefix(3).joined(separator: "/")
            }.first,
            "win10 has a subfolder in Download")
        let downloadLinks = [
            (download + "/outside-absolute", outside),                       // absolute, to a directory outside
            (download + "/up", "../../.."),                                   // relative, to the mount root
            (download + "/hive", tree.path(tree.hive)),                       // absolute, to the SYSTEM hive
            (download + "/hive-relative", "../../System32/config/SYSTEM"),   // relative, to the SYSTEM hive
            (subfolder + "/deeper", outside),                                 // inside a subfolder
        ]
        let dataStoreLinks = [(dataStore + "/Logs/outside-file", outside + "/a.bin")]
        for (link, target) in downloadLinks + dataStoreLinks { try tree.symlink(link, to: target) }
        // The relative links really resolve where the comments say.
        #expect(FileManager.default.fileExists(atPath: tree.path(download + "/up/" + tree.hive)))
        #expect(FileManager.default.fileExists(atPath: tree.path(download + "/hive-relative")))

        let outsideBefore = TreeSnapshot(outside)
        let before = tree.snapshot()
        let originalHive = try tree.hiveSHA256()

        // The dry run counts the links as links and nothing behind them.
        let plan = try Wuscrub.run("reset", "--dry-run", "--json", tree.root)
        #expect(plan.status == Exit.success.rawValue, "\(plan)")
        let planned = try plan.document()["plan"]["purge"]
        for (folder, links) in [(download, downloadLinks.count), (dataStore, dataStoreLinks.count)] {
            #expect(planned.report(for: folder).folderCount == tree.expectedContents(of: folder), "\(planned.report(for: folder))")
            #expect(planned.report(for: folder)["links"].int == links)
        }
        #expect(tree.snapshot() == before)

        let run = try Wuscrub.run("reset", "--yes", "--json", tree.root)
        #expect(run.status == Exit.success.rawValue, "\(run)")
        let purge = try run.document()["result"]["journal"]["purge"]

        let after = tree.snapshot()
        for (folder, links) in [(download, downloadLinks.count), (dataStore, dataStoreLinks.count)] {
            #expect(after.under(folder) == [folder: "dir"], "\(folder) must be empty, links included")
            #expect(purge.report(for: folder)["links"].int == links, "\(purge.report(for: folder))")
            #expect(purge.report(for: folder).folderCount == tree.expectedContents(of: folder), "links add no files")
        }
        #expect(TreeSnapshot(outside) == outsideBefore, "the directory outside the root must be untouched")
        #expect(try tree.hiveSHA256() == originalHive)
        let system32 = tree.windows + "/System32"
        #expect(after.under(system32) == before.under(system32), "System32 must be untouched")
        var rest = after.excluding(tree.purgeFolders + [tree.stateDirectory])
        rest[tree.windows + "/Logs"] = nil
        #expect(rest == before.excluding(tree.purgeFolders), "nothing outside the purge folders may change")
    }
}
