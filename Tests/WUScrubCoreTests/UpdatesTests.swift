import Foundation
import Testing
@testable import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// The installed updates' pure decoding (docs/architecture.md §15): FILETIMEs, CBS states, KB
/// numbers in package names, one row per KB; and the child's `subkeys` answer, strictly decoded.
@Suite("Installed updates: decoding")
struct UpdatesTests {
    @Test func fileTimesAreUTCSecondsSince1601() {
        // 2021-09-15T18:40:05.9999999Z: the ticks below a second are dropped, not rounded.
        #expect(UpdateTime.iso8601(high: 30_911_073, low: 440_731_391) == "2021-09-15T18:40:05Z")
        // Before 1970 too (days counted down across the epoch).
        #expect(UpdateTime.iso8601(high: 27_111_902, low: 3_567_643_008) == "1969-12-31T23:59:59Z")
        #expect(UpdateTime.iso8601(high: 0, low: 1) == "1601-01-01T00:00:00Z")
        #expect(UpdateTime.iso8601(high: 0, low: 0) == nil, "0 means no time")
        #expect(UpdateTime.iso8601(high: .max, low: .max) == nil, "past 9999: not a date")
        #expect(UpdateTime.iso8601(high: "30911073", low: "440731391") == "2021-09-15T18:40:05Z")
        #expect(UpdateTime.iso8601(high: "30911073", low: nil) == nil)
        #expect(UpdateTime.iso8601(high: "x", low: "1") == nil)
    }

    @Test func legacyDatesOfXPKeys() {
        #expect(UpdateTime.legacyDate("20081024") == "2008-10-24")
        #expect(UpdateTime.legacyDate("10/24/2008") == "2008-10-24")
        #expect(UpdateTime.legacyDate("1/4/2009") == "2009-01-04")
        #expect(UpdateTime.legacyDate("24/10/2008") == nil, "no month 24")
        #expect(UpdateTime.legacyDate("2008") == nil)
        #expect(UpdateTime.legacyDate("20081324") == nil)
        #expect(UpdateTime.legacyDate(nil) == nil)
    }

    @Test func currentStatesAreNamedAsTheCBSChart() {
        let expected: [UInt32: String] = [
            0x00: "absent", 0x05: "uninstall-pending", 0x10: "resolving", 0x20: "resolved", 0x30: "staging",
            0x40: "staged", 0x50: "superseded", 0x60: "install-pending", 0x65: "partially-installed",
            0x70: "installed", 0x80: "permanent",
            0xFFFF_FFFF: "failed", 0xFFFF_FF90: "failed", 0xFFFF_FF80: "failed", 0xFFFF_FFE0: "failed",
            0x33: "unknown", 0x71: "unknown",
        ]
        for (code, name) in expected {
            #expect(ServicingState(code: code).name == name, "0x\(String(code, radix: 16))")
            #expect(ServicingState.names.contains(name))
        }
        #expect(ServicingState(code: 0x65).shown == "partially-installed (0x65)")
    }

    @Test func kbNumbersAndKindsFromPackageNames() {
        #expect(UpdateNames.kb(in: "Package_1_for_KB5005565~31bf3856ad364e35~amd64~~19041.1237.1.7") == "KB5005565")
        #expect(UpdateNames.kb(in: "\\\\?\\C:\\Windows\\SoftwareDistribution\\Download\\0b1e\\Windows10.0-KB5031356-x64.cab") == "KB5031356")
        #expect(UpdateNames.kb(in: "package_for_kb958644") == "KB958644")
        #expect(UpdateNames.kb(in: "NOTKB1234567") == nil, "inside a word")
        #expect(UpdateNames.kb(in: "KB123") == nil, "too few digits")
        #expect(UpdateNames.kb(in: "KB123456789") == nil, "too many digits")
        #expect(UpdateNames.kb(in: "SSU-19041.3562-x64.cab") == nil)

        #expect(UpdateNames.kind(ofPackage: "Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9") == "update")
        #expect(UpdateNames.kind(ofPackage: "Package_12_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9") == "update")
        #expect(UpdateNames.kind(ofPackage: "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3570.1.9") == "rollup")
        #expect(UpdateNames.kind(ofPackage: "Package_for_ServicingStack_3562~31bf3856ad364e35~amd64~~19041.3562.1.2") == "servicing-stack")
        #expect(UpdateNames.kind(ofPackage: "Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9186.1") == "dotnet-rollup")
        #expect(UpdateNames.kind(ofPackage: "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.19041.1") == nil)
        #expect(UpdateNames.kind(ofPackage: "Package_for_Something~31bf3856ad364e35~amd64~~1.0") == nil)
        #expect(UpdateNames.version(ofPackage: "Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9") == "19041.3570.1.9")
        #expect(UpdateNames.version(ofPackage: "Package_for_KB5031356") == nil)
    }

    static func package(_ name: String, state: UInt32?, high: UInt32? = nil, low: UInt32? = nil, location: String? = nil) -> SubkeyRecord {
        SubkeyRecord(name: name, values: [state.map { String($0) }, high.map { String($0) }, low.map { String($0) }, location, nil])
    }

    @Test func oneRowPerKBWithTheStateThatSaysMostAndTheLatestTime() {
        let records = [
            Self.package("Package_for_KB5032189~31bf3856ad364e35~amd64~~19041.3693.1.5", state: 0x70, high: 30_000_000, low: 5),
            Self.package("Package_1_for_KB5032189~31bf3856ad364e35~amd64~~19041.3693.1.5", state: 0x60, high: 30_000_001, low: 0),
            Self.package("Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3570.1.9", state: 0x70, high: 29_000_000, low: 0,
                         location: "\\\\?\\C:\\Windows\\SoftwareDistribution\\Download\\ab\\Windows10.0-KB5031356-x64.cab"),
            Self.package("Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9", state: 0x70),
            Self.package("Package_for_ServicingStack_3562~31bf3856ad364e35~amd64~~19041.3562.1.2", state: 0x70),
            Self.package("Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.19041.1", state: 0x70),
            Self.package("Package_for_KB5000001\u{1B}[31m~31bf3856ad364e35~amd64~~1.0", state: nil),
        ]
        let (updates, other) = InstalledUpdate.collect(packages: records)
        #expect(other == 1)
        #expect(updates.map { $0.kb } == ["KB5032189", "KB5031356", nil, "KB5000001"], "newest first, then without a time in hive order")
        let pending = updates[0]
        #expect(pending.state == "install-pending" && pending.stateCode == 0x60, "a pending package wins over an installed one")
        #expect(pending.packages.count == 2)
        #expect(pending.installedAt == UpdateTime.iso8601(high: 30_000_001, low: 0))
        #expect(pending.version == "19041.3693.1.5")
        let rollup = updates[1]
        #expect(rollup.kind == "rollup" && rollup.packages.count == 2, "the rollup's KB comes from its InstallLocation")
        #expect(updates[2].kind == "servicing-stack" && updates[2].state == "installed")
        #expect(updates[3].state == "unknown" && updates[3].packages[0].name.contains("\\x1B"), "names from the hive are escaped")
        #expect(!updates[3].packages[0].name.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func legacyKeysJoinTheirKBAndSkipRemovedHotfixes() {
        let (updates, _) = InstalledUpdate.collect(
            packages: [],
            hotfix: [SubkeyRecord(name: "KB958644", values: ["1", "Security Update for Windows XP (KB958644)", nil]),
                     SubkeyRecord(name: "KB896423", values: ["0", nil, nil])],
            uninstall: [SubkeyRecord(name: "KB958644", values: ["Security Update", "20081024"]),
                        SubkeyRecord(name: "Mozilla Firefox", values: ["Firefox", "20100101"])],
            updates: [SubkeyRecord(name: "Windows XP\\SP4\\KB2347290", values: ["Security Update for Windows XP (KB2347290)", "9/15/2010"])]
        )
        #expect(updates.map { $0.kb } == ["KB2347290", "KB958644"])
        #expect(updates[1].sources == ["hotfix", "uninstall"])
        #expect(updates[1].installedAt == "2008-10-24" && updates[1].summary == "Security Update for Windows XP (KB958644)")
        #expect(updates.allSatisfy { $0.kind == "hotfix" && $0.state == "installed" && $0.stateCode == nil })
    }

    @Test func filtersByStateAndKB() {
        let (updates, _) = InstalledUpdate.collect(packages: [
            Self.package("Package_for_KB5005565~31bf3856ad364e35~amd64~~19041.1237.1.7", state: 0x50),
            Self.package("Package_for_KB5031356~31bf3856ad364e35~amd64~~19041.3570.1.9", state: 0x70),
        ])
        var report = UpdatesReport(softwareHive: "S", hiveState: "clean", updates: updates, totalUpdates: 2, packageCount: 2,
                                   otherPackages: 0, pending: [], notes: [])
        var byState = report
        byState.filter(states: ["superseded"], kbs: [])
        #expect(byState.updates.map(\.kb) == ["KB5005565"] && byState.stateFilter == ["superseded"])
        report.filter(states: [], kbs: ["kb5031356", "5005565"])
        #expect(report.updates.count == 2 && report.kbFilter == ["KB5005565", "KB5031356"])
        report.filter(states: [], kbs: ["KB1111111"])
        #expect(report.updates.isEmpty && report.totalUpdates == 2)
        #expect(UpdatesReport.isKB("5005565") && UpdatesReport.isKB("kb958644") && !UpdatesReport.isKB("KB12") && !UpdatesReport.isKB("KBx12345"))
    }

    @Test func servicingMarkersAreWarnings() {
        let warnings = UpdatesReport.servicingMarkers(["Packages", "rebootpending", "PackagesPending", "Version"])
        #expect(warnings.count == 2)
        #expect(warnings[0].hasPrefix("Component Based Servicing\\RebootPending is present"))
        #expect(UpdatesReport.servicingMarkers(["Packages", "Version"]).isEmpty)
    }

    @Test func subkeysAnswersRoundTripAndOutOfBoundsOnesAreRefused() throws {
        let listings = [
            SubkeyListing(found: true, records: [SubkeyRecord(name: "a\\b", values: ["112", nil]), SubkeyRecord(name: "=-", values: [nil, "=x"])], truncated: true),
            .missing,
            SubkeyListing(found: true, records: [], truncated: false),
        ]
        let message = SandboxMessage.subkeys(.success(listings))
        #expect(SandboxMessage.decode(message.encoded, path: "S") == message)
        let failure = SandboxMessage.subkeys(.failure(.keyNotFound(path: "S", key: "K")))
        #expect(SandboxMessage.decode(failure.encoded, path: "S") == failure)
        // More records than any child may list: refused, not allocated.
        let field = { (text: String) in "\(text.utf8.count):\(text)," }
        let forged = ["subkeys", "ok", "1", "found", "0", String(SubkeyQuery.maximumRecords + 1), "0"].map(field).joined()
        #expect(SandboxMessage.decode(Array(forged.utf8), path: "S") == nil)
        let wide = ["subkeys", "ok", "1", "found", "0", "1", "17", "k"].map(field).joined()
        #expect(SandboxMessage.decode(Array(wide.utf8), path: "S") == nil)
        // Queries go to the child as arguments and come back the same; malformed ones are refused.
        let queries = [SubkeyQuery(key: "A\\B", names: ["x", "y"]), SubkeyQuery(key: "", depth: 0)]
        #expect(SubkeyQuery.parse(SubkeyQuery.arguments(queries)) == queries)
        #expect(SubkeyQuery.parse(["5", "A", "0"]) == nil, "deeper than the bound")
        #expect(SubkeyQuery.parse(["1", "A", "3", "x"]) == nil, "fewer names than announced")
        #expect(SubkeyQuery.parse([]) == nil)
        #expect(SubkeyQuery.cut("ééé", to: 5) == "éé")
        #expect(SubkeyQuery.text(of: .multiString(["a", "b"])) == "a\nb")
        #expect(SubkeyQuery.text(of: .binary([1])) == nil)
    }
}

/// The child's `subkeys` operation on real-shaped hives: the same keys and values as the
/// in-process hivex and `hivexsh` read, and a key deeper than asked is not followed.
@Suite(.enabled(if: SandboxSupport.ready, "needs the built wuscrub binary (swift build --build-tests)"))
struct SubkeysSandboxTests {
    @Test func listingMatchesTheInProcessReaderAndHivexsh() throws {
        let spec = try FixtureTree.spec("win10")
        let bytes = try #require(try FixtureBuilder.softwareHive(for: spec))
        let scratch = try Scratch("subkeys")
        defer { scratch.remove() }
        let path = scratch.sub("SOFTWARE")
        try FileIO.createDurably(bytes, at: path)
        let listings = try HiveSandbox.readSubkeys(hive: HiveImage(bytes, path: "SOFTWARE"), path: "SOFTWARE", queries: [
            SubkeyQuery(key: UpdatesReport.packagesKey, names: ["CurrentState", "InstallName", "Nothing"]),
            SubkeyQuery(key: "Microsoft\\Windows NT\\CurrentVersion\\Hotfix"),
            SubkeyQuery(key: "Microsoft", depth: 0, names: []),
            SubkeyQuery(key: "Microsoft", depth: 2),
        ])
        let hive = try Hive(path: path)
        defer { hive.close() }
        let packages = try #require(try hive.node(at: UpdatesReport.packagesKey))
        let expected = try hive.children(of: packages).map { node in
            SubkeyRecord(name: hive.name(of: node), values: [
                SubkeyQuery.text(of: try hive.value(named: "CurrentState", in: node)),
                SubkeyQuery.text(of: try hive.value(named: "InstallName", in: node)), nil,
            ])
        }
        #expect(listings[0] == SubkeyListing(found: true, records: expected, truncated: false))
        #expect(listings[0].records.count == 15)
        #expect(listings[1] == .missing)
        #expect(listings[2].records == [SubkeyRecord(name: "", values: [])])
        #expect(Set(listings[3].records.map(\.name)) == ["Windows\\CurrentVersion", "Windows NT\\CurrentVersion"])
        // hivexsh, another reader of the same file, lists the same package names.
        let shell = try Shell.capture("/usr/bin/hivexsh", [path], stdin: "cd \(UpdatesReport.packagesKey)\nls\n")
        let names = shell.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(Set(names) == Set(expected.map(\.name)), "\(shell)")
    }
}
