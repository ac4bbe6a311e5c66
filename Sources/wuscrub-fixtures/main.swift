import ArgumentParser
import Foundation
import WUScrubCore
import WUScrubFixtures

/// Generates the committed fixture hives (`make fixtures`) and builds fixture installation trees.
@main
struct FixtureTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wuscrub-fixtures",
        abstract: "Generate wuscrub's fixture hives and installation trees from Fixtures/specs.",
        subcommands: [Hives.self, Install.self]
    )

    struct Hives: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write Fixtures/hives/NAME.SYSTEM for every Fixtures/specs/NAME.fixture.")

        @Option(help: "The Fixtures folder.")
        var fixtures = "Fixtures"

        func run() throws {
            let specs = try FileIO.names(in: fixtures + "/specs").filter { $0.hasSuffix(".fixture") }.sorted()
            try FileIO.makeDirectories(fixtures + "/hives")
            for file in specs {
                let name = String(file.dropLast(".fixture".count))
                let spec = try FixtureSpec(name: name, text: String(decoding: try FileIO.read(fixtures + "/specs/" + file), as: UTF8.self))
                let target = fixtures + "/hives/" + name + ".SYSTEM"
                try FileIO.replaceAtomically(target, with: try FixtureBuilder.hive(for: spec))
                print("wrote \(target)")
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build the installation tree of one spec under a new directory.")

        @Argument(help: "A .fixture spec file.")
        var spec: String

        @Argument(help: "The directory that plays the mount root (created).")
        var root: String

        func run() throws {
            let name = (spec.split(separator: "/").last.map(String.init) ?? spec).replacingOccurrences(of: ".fixture", with: "")
            let parsed = try FixtureSpec(name: name, text: String(decoding: try FileIO.read(spec), as: UTF8.self))
            let hive = try FixtureBuilder.install(parsed, at: root)
            print("built \(name) under \(root) (hive \(hive))")
        }
    }
}
