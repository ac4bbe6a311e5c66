import Foundation
import Testing
@testable import WUScrubCore
import WUScrubTestSupport

/// `reset --full`'s services (docs/architecture.md §17): BITS, CryptSvc and, where their keys
/// exist, UsoSvc and WaaSMedicSvc are disabled with wuauserv during the work and put back after,
/// every (control set, service) value journaled; resume and rollback from any point end with every
/// original value, read back by hivexget (an independent reader).
@Suite struct FullResetServicesTests {
    /// Two chosen control sets; the second lacks UsoSvc and WaaSMedicSvc (skipped there), spells
    /// BITS in lower case, and has CryptSvc disabled already. ControlSet003 is not chosen.
    static let spec = #"""
        dword Select\Current 1
        dword Select\Default 2
        dword Select\Failed 0
        dword Select\LastKnownGood 3
        dword ControlSet001\Services\wuauserv\Start 3
        dword ControlSet001\Services\BITS\Start 2
        dword ControlSet001\Services\BITS\DelayedAutostart 1
        dword ControlSet001\Services\CryptSvc\Start 2
        dword ControlSet001\Services\UsoSvc\Start 2
        dword ControlSet001\Services\WaaSMedicSvc\Start 3
        dword ControlSet002\Services\wuauserv\Start 2
        dword ControlSet002\Services\bits\Start 3
        dword ControlSet002\Services\CryptSvc\Start 4
        dword ControlSet003\Services\BITS\Start 1
        file SoftwareDistribution/DataStore/DataStore.edb 32768
        file SoftwareDistribution/Download/ff00/update.cab 20000
        """#

    /// What the spec's hive holds, in the order a run records it.
    static let expected = [
        ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false),
        ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: true, service: "BITS"),
        ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: false, service: "CryptSvc"),
        ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: false, service: "UsoSvc"),
        ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false, service: "WaaSMedicSvc"),
        ServiceStart(controlSet: "ControlSet002", start: 2, delayedAutostart: false),
        ServiceStart(controlSet: "ControlSet002", start: 3, delayedAutostart: false, service: "BITS"),
        ServiceStart(controlSet: "ControlSet002", start: 4, delayedAutostart: false, service: "CryptSvc"),
    ]

    /// The keys hivexget reads, with the value each holds before the run (ControlSet003 included:
    /// it must never change).
    static let keys: [(key: String, start: Int)] = [
        (#"\ControlSet001\Services\wuauserv"#, 3), (#"\ControlSet001\Services\BITS"#, 2), (#"\ControlSet001\Services\CryptSvc"#, 2),
        (#"\ControlSet001\Services\UsoSvc"#, 2), (#"\ControlSet001\Services\WaaSMedicSvc"#, 3),
        (#"\ControlSet002\Services\wuauserv"#, 2), (#"\ControlSet002\Services\bits"#, 3), (#"\ControlSet002\Services\CryptSvc"#, 4),
        (#"\ControlSet003\Services\BITS"#, 1),
    ]

    struct Setup {
        let scratch: Scratch
        let root: String
        let install: WindowsInstall
        let hive: String
        let originalHash: String

        init(_ name: String = "full-services", spec: String = FullResetServicesTests.spec) throws {
            scratch = try Scratch(name)
            root = try FixtureTree.install(text: spec, in: scratch)
            install = try WindowsInstall.locate(root: root)
            hive = install.path(install.systemHive)
            originalHash = try FileIO.sha256(ofFile: hive)
        }

        func resetter(crashingAt point: Resetter.Checkpoint? = nil, full: Bool = true) -> Resetter {
            var resetter = Resetter(sandboxed: install, toolVersion: "test")
            if full { resetter.services = ServiceStart.fullResetServices }
            if let point {
                resetter.checkpoint = { reached in if reached == point { throw Crash() } }
            }
            return resetter
        }

        /// Every Start value of `keys`, read by hivexget.
        func hivexStarts() throws -> [Int] {
            try FullResetServicesTests.keys.map { try FullResetServicesTests.hivexStart(hive, key: $0.key) }
        }
    }

    static func hivexStart(_ hive: String, key: String) throws -> Int { try FullResetFixture.hivexStart(hive, key: key) }

    static var originals: [Int] { keys.map(\.start) }

    @Test func aFullRunDisablesEveryServiceDuringTheWorkAndPutsEachBack() throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        var resetter = setup.resetter()
        let hive = setup.hive
        let during = Box<[Int]>()
        resetter.checkpoint = { point in
            if point == .phaseStarted(.purge) { during.value = try Self.keys.map { try Self.hivexStart(hive, key: $0.key) } }
        }
        let plan = try resetter.preflight()
        #expect(plan.starts == Self.expected)
        let outcome = try resetter.run(plan)
        #expect(during.value == [4, 4, 4, 4, 4, 4, 4, 4, 1], "every handled service disabled in both chosen control sets, ControlSet003 untouched")
        #expect(outcome.journal.phase == .done)
        #expect(outcome.journal.originalStarts == Self.expected)
        #expect(outcome.finalStarts == Self.expected)
        #expect(outcome.restoredByteIdentical)
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
        #expect(try setup.hivexStarts() == Self.originals)
        let saved = try #require(try JournalStore(install: setup.install).load())
        #expect(saved.originalStarts == Self.expected, "the journal keeps every (control set, service) value")
    }

    @Test func aPlainRunLeavesTheOtherServicesAlone() throws {
        let setup = try Setup("full-services-plain")
        defer { setup.scratch.remove() }
        var resetter = setup.resetter(full: false)
        let hive = setup.hive
        let during = Box<[Int]>()
        resetter.checkpoint = { point in
            if point == .phaseStarted(.purge) { during.value = try Self.keys.map { try Self.hivexStart(hive, key: $0.key) } }
        }
        let outcome = try resetter.run(try resetter.preflight())
        #expect(during.value == [4, 2, 2, 2, 3, 4, 3, 4, 1])
        #expect(outcome.journal.originalStarts == Self.expected.filter { $0.service == ServiceStart.wuauserv })
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
    }

    @Test func anInstallationWithoutTheOtherServicesRecordsWuauservAlone() throws {
        let setup = try Setup("full-services-xp", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 2
            dir SoftwareDistribution/DataStore
            """#)
        defer { setup.scratch.remove() }
        let resetter = setup.resetter()
        let plan = try resetter.preflight()
        #expect(plan.starts == [ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: false)])
        let outcome = try resetter.run(plan)
        #expect(outcome.journal.phase == .done)
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
    }

    @Test func anOtherServiceWhoseStartIsNotADwordIsRefused() throws {
        let setup = try Setup("full-services-sz", spec: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 2
            sz ControlSet001\Services\CryptSvc\Start 2
            """#)
        defer { setup.scratch.remove() }
        let before = TreeSnapshot(setup.root)
        let error = #expect(throws: WUScrubError.self) { _ = try setup.resetter().preflight() }
        #expect(error?.description.contains("CryptSvc") == true, "\(String(describing: error))")
        #expect(TreeSnapshot(setup.root) == before)
        // Without --full the same hive resets: CryptSvc is not read.
        _ = try setup.resetter(full: false).preflight()
    }

    static let points = Resetter.Checkpoint.all.filter { $0 != .phaseStarted(.done) && $0 != .beforeRecoveredHiveRename && $0 != .phaseStarted(.recover) }

    @Test(arguments: points)
    func resumeFromEveryPointPutsEveryServiceBack(point: Resetter.Checkpoint) throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        // The resumed run knows its services from the journal alone.
        let outcome = try setup.resetter(full: false).resume()
        #expect(outcome.journal.phase == .done)
        #expect(outcome.finalStarts == Self.expected)
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
        #expect(try setup.hivexStarts() == Self.originals)
    }

    @Test(arguments: points)
    func rollbackFromEveryPointPutsEveryServiceBack(point: Resetter.Checkpoint) throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(point)) { try setup.resetter(crashingAt: point).run(try setup.resetter().preflight()) }
        let outcome = try setup.resetter(full: false).rollback()
        #expect(outcome.journal.phase == .rolledBack)
        #expect(outcome.finalStarts == Self.expected)
        #expect(try FileIO.sha256(ofFile: setup.hive) == setup.originalHash)
        #expect(try setup.hivexStarts() == Self.originals)
    }

    @Test func theValuesAreSetOneByOneWhenTheHiveChangedSinceTheDisable() throws {
        let setup = try Setup()
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.restore))) {
            try setup.resetter(crashingAt: .phaseStarted(.restore)).run(try setup.resetter().preflight())
        }
        try HiveEditor.rewrite(setup.hive, edit: { hive in
            let key = try #require(try hive.node(at: "ControlSet001\\Services\\BITS"))
            try hive.setValue(.dword(1), named: "Extra", in: key, keyPath: "BITS")
        }, verify: { _ in })
        let outcome = try setup.resetter(full: false).resume()
        #expect(!outcome.restoredByteIdentical)
        #expect(outcome.finalStarts == Self.expected)
        #expect(try setup.hivexStarts() == Self.originals)
        #expect(try Shell.run("/usr/bin/hivexget", [setup.hive, #"\ControlSet001\Services\BITS"#, "Extra"]).contains("1"), "the other change is kept")
    }

    // MARK: - The journal's services

    @Test func aStartValueWithoutAServiceReadsAsWuauserv() throws {
        let old = try JSONDecoder().decode(ServiceStart.self, from: Data(#"{"controlSet":"ControlSet001","start":3,"delayedAutostart":false}"#.utf8))
        #expect(old == ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false, service: "wuauserv"))
        let encoded = String(decoding: try JSONEncoder().encode(Self.expected[1]), as: UTF8.self)
        #expect(encoded.contains(#""service":"BITS""#))
    }

    /// Each change makes a full run's journal damaged.
    static let damages: [(String, @Sendable (inout Journal) -> Void)] = [
        ("a service wuscrub does not handle", { $0.originalStarts[1].service = "Spooler" }),
        ("a service name as a path", { $0.originalStarts[1].service = "..\\..\\Control" }),
        ("a pair twice", { $0.originalStarts[2] = $0.originalStarts[1] }),
        ("no wuauserv in a control set", { $0.originalStarts.remove(at: 5) }),
        ("wuauserv not first", { $0.originalStarts.swapAt(0, 1); $0.originalStarts.swapAt(5, 6) }),
        ("services out of order", { $0.originalStarts.swapAt(1, 2) }),
        ("more values than five services in two control sets", {
            $0.originalStarts += Array(repeating: ServiceStart(controlSet: "ControlSet002", start: 3, delayedAutostart: false, service: "BITS"), count: 3)
        }),
        ("a third control set", { $0.originalStarts.append(ServiceStart(controlSet: "ControlSet003", start: 3, delayedAutostart: false)) }),
        ("Start 5 for a service", { $0.originalStarts[3].start = 5 }),
    ]

    @Test("a full run's journal with its start values out of what wuscrub writes is damaged", arguments: 0..<damages.count)
    func damagedStarts(index: Int) throws {
        var journal = JournalValidationTests.valid()
        journal.originalStarts = Self.expected
        try journal.validate(for: JournalValidationTests.install, path: "journal.json")
        Self.damages[index].1(&journal)
        JournalValidationTests.expectDamaged(journal, Self.damages[index].0)
    }

    @Test func aForgedServiceInTheJournalIsRefusedAndNothingChanges() throws {
        let setup = try Setup("full-services-forged")
        defer { setup.scratch.remove() }
        _ = #expect(throws: WUScrubError.checkpoint(.phaseStarted(.purge))) {
            try setup.resetter(crashingAt: .phaseStarted(.purge)).run(try setup.resetter().preflight())
        }
        let path = setup.install.path(setup.install.stateDirectory + "/journal.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""service":"UsoSvc""#) || text.contains(#""service" : "UsoSvc""#))
        try FileIO.replaceAtomically(path, with: Array(text.replacingOccurrences(of: "UsoSvc", with: "Schedule").utf8))
        let before = TreeSnapshot(setup.root)
        for command in ["resume", "rollback"] {
            let error = #expect(throws: WUScrubError.self) {
                _ = command == "resume" ? try setup.resetter().resume() : try setup.resetter().rollback()
            }
            guard case .reset(.journalDamaged)? = error else { Issue.record("\(command): \(String(describing: error))"); continue }
        }
        #expect(TreeSnapshot(setup.root).excluding([setup.install.stateDirectory]) == before.excluding([setup.install.stateDirectory]))
    }

    // MARK: - The sandbox's answers

    @Test func aReadingCarriesItsServicesThroughTheChildsProtocol() {
        let reading = SandboxMessage.reading(starts: .success(Self.expected), hiberbootEnabled: nil)
        #expect(SandboxMessage.decode(reading.encoded, path: "SYSTEM") == reading)
    }
}
