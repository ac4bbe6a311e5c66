import Foundation
import Testing
import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

@Suite struct FixtureTests {
    static let names = ["win10", "winxp", "split-controlsets", "delayed-auto"]

    @Test(arguments: names)
    func committedHiveEqualsGeneratorOutput(name: String) throws {
        let generated = try FixtureBuilder.hive(for: FixtureTree.spec(name))
        let committed = try FileIO.read(Repository.fixtures + "/hives/\(name).SYSTEM")
        #expect(generated == committed, "Fixtures/hives/\(name).SYSTEM is stale: run 'make fixtures'")
    }

    @Test func everySpecHasACommittedHive() throws {
        let specs = try FileManager.default.contentsOfDirectory(atPath: Repository.fixtures + "/specs").filter { $0.hasSuffix(".fixture") }
        #expect(Set(specs.map { String($0.dropLast(8)) }) == Set(Self.names))
    }

    @Test(arguments: names)
    func generatedHivesAreValidAndReadableByIndependentParsers(name: String) throws {
        let path = Repository.fixtures + "/hives/\(name).SYSTEM"
        let block = try HiveLayout.validate(try FileIO.read(path), path: path)
        #expect(!block.isDirty)
        let dump = try Shell.run("/usr/bin/reglookup", ["-p", "/Select", path])
        #expect(dump.contains("/Select/Current,DWORD,"))
        let export = try Shell.capture("/usr/bin/regfexport", [path])
        #expect(export.status == 0, "regfexport: \(export.stderr)")
    }

    @Test func specSyntaxErrorsNameTheLine() {
        #expect(throws: FixtureError.syntax(fixture: "bad", line: 2, text: "frobnicate x")) {
            _ = try FixtureSpec(name: "bad", text: "dword A\\B 1\nfrobnicate x")
        }
    }
}
