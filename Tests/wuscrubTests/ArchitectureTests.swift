import Foundation
import Testing
import WUScrubTestSupport

/// The layering rules that `Package.swift` alone cannot state (docs/architecture.md §2): a target
/// may always import Glibc and Foundation, so what each layer imports is checked here (and by
/// `make lint`).
@Suite struct ArchitectureTests {
    /// The modules the Swift files under `Sources/<target>` import.
    static func imports(of target: String) throws -> Set<String> {
        let folder = Repository.root + "/Sources/" + target
        let files = try #require(FileManager.default.enumerator(atPath: folder)?.allObjects as? [String])
        var modules: Set<String> = []
        for file in files where file.hasSuffix(".swift") {
            for line in try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
                if words.first == "import", words.count >= 2 { modules.insert(String(words.last!)) }
            }
        }
        return modules
    }

    @Test func registryFormatIsPureFormatCode() throws {
        // No Glibc (no file APIs), no hivex, no Foundation, no other layer.
        #expect(try Self.imports(of: "RegistryFormat") == [])
    }

    @Test func volumeAccessDoesNotReachUpOrIntoHivex() throws {
        let allowed: Set = ["Glibc", "Musl", "CPosixShims", "Crypto", "FoundationEssentials", "SystemPackage"]
        let found = try Self.imports(of: "VolumeAccess")
        #expect(found.subtracting(allowed) == [], "VolumeAccess imports \(found.subtracting(allowed).sorted())")
    }

    @Test func theExecutableImportsOnlyTheCoreArgumentParserAndFoundationEssentials() throws {
        let allowed: Set = ["WUScrubCore", "ArgumentParser", "FoundationEssentials", "Synchronization", "Glibc", "Musl"]
        let found = try Self.imports(of: "wuscrub")
        #expect(found.subtracting(allowed) == [], "the executable imports \(found.subtracting(allowed).sorted())")
        #expect(found.contains("WUScrubCore"))
    }

    @Test func theShippedTargetsUseFoundationEssentialsNotFoundation() throws {
        // Foundation brings ICU and its data: megabytes of resident memory for nothing wuscrub
        // needs (docs/architecture.md §11).
        for target in ["VolumeAccess", "WUScrubCore", "wuscrub"] {
            #expect(!(try Self.imports(of: target)).contains("Foundation"), "\(target) imports Foundation")
        }
    }

    @Test func noSourceOrDocumentRefersOutsideTheRepositoryButTheCorpus() throws {
        var offenders: [String] = []
        for folder in ["Sources", "Tests", "docs"] {
            let base = Repository.root + "/" + folder
            for file in FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? [] where (file.hasSuffix(".swift") || file.hasSuffix(".md")) && !file.hasSuffix("ArchitectureTests.swift") {
                let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("registry-logs.md") || (line.contains("../shared") && !line.contains("../shared/corpus")) {
                    offenders.append("\(folder)/\(file): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(offenders == [])
    }
}
