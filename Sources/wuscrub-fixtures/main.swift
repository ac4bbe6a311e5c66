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
        subcommands: [Hives.self, Install.self, UpdateLogs.self]
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

    struct UpdateLogs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update-logs",
            abstract: "Write Windows Update's logs (ReportingEvents.log, WindowsUpdate.log) into an installation tree, for diagnose."
        )

        @Argument(help: "The mount root of an installation tree (as 'install' builds).")
        var root: String

        @Option(help: "What the log reports: \(UpdateLogFixture.Scenario.allCases.map(\.rawValue).joined(separator: ", ")).")
        var scenario = "file-not-found"

        @Option(help: "utf16 (UTF-16LE with a byte-order mark) or 8bit.")
        var encoding = "utf16"

        @Flag(help: "Append lines with damaged fields (missing tabs, bad hex, NUL bytes, an overlong line, truncated UTF-16).")
        var damaged = false

        @Option(name: .customLong("large-mib"), help: "Instead: a ReportingEvents.log of at least this many MiB, written in blocks.")
        var largeMiB: Int?

        @Option(help: "WindowsUpdate.log: win7 (text log), win10 (ETW stub) or none.")
        var windowsUpdate = "win7"

        func run() throws {
            guard let scenario = UpdateLogFixture.Scenario(rawValue: scenario) else { throw ValidationError("unknown scenario '\(scenario)'") }
            guard ["utf16", "8bit"].contains(encoding), ["win7", "win10", "none"].contains(windowsUpdate) else {
                throw ValidationError("--encoding takes utf16 or 8bit, --windows-update win7, win10 or none")
            }
            let install = try WindowsInstall.locate(root: root)
            let windows = install.path(install.windows)
            let text: LogEncoding = encoding == "utf16" ? .utf16LE : .eightBit
            try UpdateLogFixture.install(scenario, encoding: text, damaged: damaged,
                                         windowsUpdate: windowsUpdate == "none" ? nil : windowsUpdate == "win10", windows: windows)
            if let largeMiB {
                let path = windows + "/SoftwareDistribution/ReportingEvents.log"
                try FileIO.remove(path)
                try UpdateLogFixture.writeLarge(at: path, size: largeMiB << 20, encoding: text)
            }
            print("wrote Windows Update's logs under \(windows)")
        }
    }
}
