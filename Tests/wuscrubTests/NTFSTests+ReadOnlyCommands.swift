import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

extension NTFSTests {
    @Test("on ntfs-3g, diagnose reads ReportingEvents.log in both encodings and gives the verdicts; nothing is written",
          arguments: [LogEncoding.utf16LE, .eightBit])
    func diagnoseOnNTFS(_ encoding: LogEncoding) throws {
        let volume = try Volume("diagnose")
        defer { volume.close() }
        for (scenario, verdict) in [(UpdateLogFixture.Scenario.fileNotFound, "addresses"), (.componentStore, "will-not-help")] {
            try UpdateLogFixture.install(scenario, encoding: encoding, damaged: true, windowsUpdate: false, windows: volume.root + "/Windows")
            let before = TreeSnapshot(volume.root)
            let run = try volume.run(["diagnose", "--json", volume.root])
            #expect(run.status == 0, "\(run)")
            let diagnosis = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            let found = (diagnosis?["diagnosis"] as? [String: Any])?["verdict"] as? String
            #expect(found == verdict, "\(scenario): \(run.stdout.prefix(2000))")
            #expect(TreeSnapshot(volume.root) == before, "diagnose writes nothing")
        }
    }

    @Test("on ntfs-3g, updates lists the same installed updates as on a plain folder; nothing is written")
    func updatesOnNTFS() throws {
        let volume = try Volume("updates")
        defer { volume.close() }
        let scratch = try Scratch("ntfs-updates-plain")
        defer { scratch.remove() }
        let plain = try FixtureTree.install("win10", in: scratch)
        let before = TreeSnapshot(volume.root)
        let onNTFS = try volume.run(["updates", "--json", volume.root])
        #expect(onNTFS.status == 0, "\(onNTFS)")
        let onFolder = try Shell.capture(Repository.binary, ["updates", "--json", plain])
        func rows(_ text: String) throws -> [[String: String]] {
            let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let updates = try #require((document["updates"] as? [String: Any])?["updates"] as? [[String: Any]])
            return updates.map { $0.compactMapValues { $0 as? String } }
        }
        let listed = try rows(onNTFS.stdout)
        #expect(listed.count == 10, "\(onNTFS.stdout.prefix(2000))")
        #expect(listed == (try rows(onFolder.stdout)))
        #expect(onNTFS.stdout.contains("RebootPending"), "the pending-servicing warning")
        #expect(TreeSnapshot(volume.root) == before, "updates writes nothing")
    }
}
