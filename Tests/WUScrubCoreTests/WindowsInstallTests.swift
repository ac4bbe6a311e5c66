import Foundation
import Testing
import WUScrubCore
import WUScrubTestSupport

@Suite struct WindowsInstallTests {
    @Test func findsAWindows10Tree() throws {
        let scratch = try Scratch("locate")
        defer { scratch.remove() }
        let root = try FixtureTree.install("win10", in: scratch)
        let install = try WindowsInstall.locate(root: root)
        #expect(install.windows == "Windows")
        #expect(install.systemHive == "Windows/System32/config/SYSTEM")
        #expect(install.dataStore == "Windows/SoftwareDistribution/DataStore")
        #expect(install.download == "Windows/SoftwareDistribution/Download")
        #expect(install.stateDirectory == "Windows/Logs/wuscrub")
    }

    @Test func resolvesEveryComponentWithoutRegardToCase() throws {
        let scratch = try Scratch("xp")
        defer { scratch.remove() }
        let root = try FixtureTree.install("winxp", in: scratch)
        try FileManager.default.moveItem(atPath: root + "/WINDOWS/SoftwareDistribution/Download", toPath: root + "/WINDOWS/SoftwareDistribution/download")
        let install = try WindowsInstall.locate(root: root)
        #expect(install.windows == "WINDOWS")
        #expect(install.systemHive == "WINDOWS/system32/config/system")
        #expect(install.download == "WINDOWS/SoftwareDistribution/download")
    }

    @Test func acceptsWinnt() throws {
        let scratch = try Scratch("winnt")
        defer { scratch.remove() }
        let root = try FixtureTree.install(text: "windows WINNT\ndword Select\\Current 1", in: scratch)
        #expect(try WindowsInstall.locate(root: root).windows == "WINNT")
    }

    @Test func namesThatDifferOnlyByCaseAreAnErrorNamingBoth() throws {
        let scratch = try Scratch("ambiguous")
        defer { scratch.remove() }
        let root = try FixtureTree.install("win10", in: scratch)
        try FileManager.default.createDirectory(atPath: root + "/Windows/SoftwareDistribution/download", withIntermediateDirectories: false)
        #expect(throws: InstallError.ambiguous(directory: root + "/Windows/SoftwareDistribution",
                                             names: ["Windows/SoftwareDistribution/Download", "Windows/SoftwareDistribution/download"])) {
            _ = try WindowsInstall.locate(root: root)
        }
        let second = try Scratch("ambiguous-hive")
        defer { second.remove() }
        let other = try FixtureTree.install("win10", in: second)
        try FileManager.default.copyItem(atPath: other + "/Windows/System32/config/SYSTEM", toPath: other + "/Windows/System32/config/system")
        #expect(throws: InstallError.self) { _ = try WindowsInstall.locate(root: other) }
    }

    @Test func notWindowsSaysWhatWasLookedFor() throws {
        let scratch = try Scratch("empty")
        defer { scratch.remove() }
        let error = #expect(throws: InstallError.self) { _ = try WindowsInstall.locate(root: scratch.path) }
        guard case .notWindows? = error else { Issue.record("expected .notWindows, got \(String(describing: error))"); return }
        #expect(error?.description.contains("System32/config/SYSTEM") == true)
    }

    @Test func neverFollowsALinkOnTheWay() throws {
        let scratch = try Scratch("link")
        defer { scratch.remove() }
        let root = try FixtureTree.install("win10", in: scratch)
        let outside = scratch.sub("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: false)
        try FileManager.default.removeItem(atPath: root + "/Windows/SoftwareDistribution/Download")
        try FileManager.default.createSymbolicLink(atPath: root + "/Windows/SoftwareDistribution/Download", withDestinationPath: outside)
        #expect(throws: InstallError.symlink(path: root + "/Windows/SoftwareDistribution/Download")) {
            _ = try WindowsInstall.locate(root: root)
        }
    }

    @Test func missingFoldersAreReportedAbsent() throws {
        let scratch = try Scratch("missing")
        defer { scratch.remove() }
        let root = try FixtureTree.install(text: "dword Select\\Current 1", in: scratch)
        let install = try WindowsInstall.locate(root: root)
        #expect(install.dataStore == nil && install.download == nil)
    }
}

@Suite struct ServiceConfigurationTests {
    func open(_ text: String, _ scratch: Scratch) throws -> Hive {
        let root = try FixtureTree.install(text: text, in: scratch)
        return try Hive(path: root + "/Windows/System32/config/SYSTEM")
    }

    @Test func readsEachDistinctControlSetCurrentFirst() throws {
        let scratch = try Scratch("split")
        defer { scratch.remove() }
        let root = try FixtureTree.install("split-controlsets", in: scratch)
        let hive = try Hive(path: root + "/Windows/System32/config/SYSTEM")
        defer { hive.close() }
        let starts = try ServiceConfiguration.read(hive)
        #expect(starts == [
            ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false),
            ServiceStart(controlSet: "ControlSet002", start: 2, delayedAutostart: true),
        ], "LastKnownGood's ControlSet003 is not touched")
    }

    @Test func namesStartTypes() {
        #expect(ServiceStart(controlSet: "c", start: 2, delayedAutostart: true).startType == "automatic (delayed)")
        #expect(ServiceStart(controlSet: "c", start: 2, delayedAutostart: false).startType == "automatic")
        #expect(ServiceStart(controlSet: "c", start: 3, delayedAutostart: false).startType == "manual")
        #expect(ServiceStart(controlSet: "c", start: 4, delayedAutostart: false).startType == "disabled")
    }

    @Test(arguments: [
        ("dword ControlSet001\\Services\\wuauserv\\Start 3", "Select"),
        ("dword Select\\Current 1\ndword Select\\Default 1\ndword ControlSet001\\Services\\BITS\\Start 3", "ControlSet001\\Services\\wuauserv"),
        ("dword Select\\Current 2\ndword Select\\Default 2\ndword ControlSet001\\Services\\wuauserv\\Start 3", "ControlSet002"),
        ("dword Select\\Current 1\ndword Select\\Default 1\nsz ControlSet001\\Services\\wuauserv\\Start 3", "REG_SZ"),
        ("dword Select\\Current 1\ndword Select\\Default 1\nqword ControlSet001\\Services\\wuauserv\\Start 3", "REG_QWORD"),
        ("dword Select\\Current 0\ndword Select\\Default 1\ndword ControlSet001\\Services\\wuauserv\\Start 3", "from 1 to 999"),
        ("dword Select\\Current 1\ndword Select\\Default 1\ndword ControlSet001\\Services\\wuauserv\\Type 32", "Start"),
        ("dword Select\\Current 1\ndword Select\\Default 2\ndword ControlSet001\\Services\\wuauserv\\Start 3\ndword ControlSet002\\Services\\BITS\\Start 3", "ControlSet002\\Services\\wuauserv"),
    ])
    func unusableHivesAreClearErrors(spec: String, mentioned: String) throws {
        let scratch = try Scratch("bad-select")
        defer { scratch.remove() }
        let hive = try open(spec, scratch)
        defer { hive.close() }
        do {
            _ = try ServiceConfiguration.read(hive)
            Issue.record("read succeeded on an unusable hive")
        } catch {
            #expect(error.description.contains(mentioned), "\(error.description)")
        }
    }
}
