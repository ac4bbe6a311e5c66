import Foundation
import Testing
@testable import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// `HiveSandbox`: hivex in a sandboxed child gives the answers the in-process `Hive` gives, and
/// the child cannot do anything but parse.
@Suite(.enabled(if: SandboxSupport.ready, "needs the built wuscrub binary (swift build --build-tests)"))
struct HiveSandboxTests {
    static let fixtureHives = ["win10", "winxp", "split-controlsets", "delayed-auto"]

    static func fixture(_ name: String) -> String { Repository.fixtures + "/hives/\(name).SYSTEM" }

    /// What the in-process hivex reads, as `Resetter.readStarts` and `StatusReport` do today.
    static func inProcessReading(_ path: String, checkEditable: Bool, as label: String) throws -> ServiceReading {
        let hive = try Hive(path: path)
        defer { hive.close() }
        let starts = Result { () throws(HiveError) -> [ServiceStart] in
            let starts = try ServiceConfiguration.read(hive)
            if checkEditable {
                for start in starts {
                    let key = ServiceStart.serviceKey(in: start.controlSet)
                    let node = try hive.node(at: key)!
                    for entry in try hive.valueEntries(of: node) where entry.size > BaseBlock.maximumSingleCellData {
                        throw HiveError.bigValueOnKey(path: path, key: key, value: entry.name, size: entry.size)
                    }
                }
            }
            return starts
        }.mapError { $0.relabeled(from: path, to: label) }
        return ServiceReading(starts: starts, hiberbootEnabled: (try? ServiceConfiguration.hiberbootEnabled(in: hive)) ?? nil)
    }

    /// Builds a hive from inline spec lines (trusted, in process).
    static func hive(_ spec: String) throws -> [UInt8] {
        try FixtureBuilder.hive(for: try FixtureSpec(name: "inline", text: spec))
    }
}

extension HiveError {
    /// The same error with another path, for comparing errors found on different files.
    func relabeled(from old: String, to new: String) -> HiveError {
        switch self {
        case let .cannotOpen(path, errno) where path == old: .cannotOpen(path: new, errno: errno)
        case let .keyNotFound(path, key) where path == old: .keyNotFound(path: new, key: key)
        case let .valueNotFound(path, key, value) where path == old: .valueNotFound(path: new, key: key, value: value)
        case let .unexpectedType(path, key, value, expected, found) where path == old:
            .unexpectedType(path: new, key: key, value: value, expected: expected, found: found)
        case let .bigValueOnKey(path, key, value, size) where path == old: .bigValueOnKey(path: new, key: key, value: value, size: size)
        case let .operationFailed(operation, path, errno) where path == old: .operationFailed(operation: operation, path: new, errno: errno)
        default: self
        }
    }
}

// MARK: - The same answers as in process

extension HiveSandboxTests {
    @Test("readService through the child equals the in-process reading", arguments: fixtureHives, [false, true])
    func readServiceMatchesInProcess(name: String, checkEditable: Bool) throws {
        let path = Self.fixture(name)
        let reading = try HiveSandbox.readService(hive: try FileIO.read(path), path: "SYSTEM", checkEditable: checkEditable)
        #expect(reading == (try Self.inProcessReading(path, checkEditable: checkEditable, as: "SYSTEM")))
        #expect((try? reading.starts.get())?.isEmpty == false)
    }

    static let brokenSpecs: [String] = BrokenSpecs.all

    @Test("hive errors come back as the same HiveError case with the same fields", arguments: brokenSpecs)
    func errorsMatchInProcess(spec: String) throws {
        let scratch = try Scratch("sandbox-errors")
        defer { scratch.remove() }
        let bytes = try Self.hive(spec)
        try FileIO.createDurably(bytes, at: scratch.sub("SYSTEM"))
        let reading = try HiveSandbox.readService(hive: bytes, path: "Windows/System32/config/SYSTEM", checkEditable: true)
        let expected = try Self.inProcessReading(scratch.sub("SYSTEM"), checkEditable: true, as: "Windows/System32/config/SYSTEM")
        #expect(reading == expected)
        guard case .failure = reading.starts else {
            Issue.record("the spec must make reading fail: \(spec)")
            return
        }
    }

    @Test func aHiveHivexCannotOpenIsCannotOpenInStarts() throws {
        var bytes = HiveTemplate.emptyHive()
        bytes[0] = UInt8(ascii: "x")
        let reading = try HiveSandbox.readService(hive: bytes, path: "SYSTEM", checkEditable: false)
        #expect(reading.starts == .failure(.cannotOpen(path: "SYSTEM", errno: .notSupported)))
        #expect(reading.hiberbootEnabled == nil)
    }

    @Test func aTwoByteDwordStartSaysItsSize() throws {
        let scratch = try Scratch("sandbox-dword")
        defer { scratch.remove() }
        let path = scratch.sub("SYSTEM")
        try FileIO.createDurably(try Self.hive(#"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Type 32
            """#), at: path)
        let hive = try Hive(path: path, writable: true)
        let service = try #require(try hive.node(at: #"ControlSet001\Services\wuauserv"#))
        try hive.setValue(.other(type: HiveValue.Kind.dword.rawValue, data: [3, 0]), named: "Start", in: service, keyPath: "")
        try hive.commit(to: scratch.sub("short"))
        hive.close()
        let expected = HiveError.unexpectedType(path: "SYSTEM", key: #"ControlSet001\Services\wuauserv"#, value: "Start",
                                                expected: "REG_DWORD", found: "REG_DWORD of 2 bytes")
        let reading = try HiveSandbox.readService(hive: try FileIO.read(scratch.sub("short")), path: "SYSTEM", checkEditable: false)
        #expect(reading.starts == .failure(expected))
        #expect(expected.description.contains("is REG_DWORD of 2 bytes, expected REG_DWORD"))
    }

    @Test("setStart through the child gives the bytes the in-process edit gives, and hivexget reads the new Start",
          arguments: fixtureHives)
    func setStartMatchesInProcess(name: String) throws {
        let scratch = try Scratch("sandbox-set")
        defer { scratch.remove() }
        let original = try FileIO.read(Self.fixture(name))
        let sets = try #require(try? HiveSandbox.readService(hive: original, path: "SYSTEM", checkEditable: true).starts.get())
            .map { (controlSet: $0.controlSet, start: ServiceStart.disabled) }
        let edited = try HiveSandbox.setStart(sets, hive: original, path: "SYSTEM")

        try FileIO.createDurably(original, at: scratch.sub("in"))
        let hive = try Hive(path: scratch.sub("in"), writable: true)
        try ServiceConfiguration.setStart(sets, in: hive)
        try hive.commit(to: scratch.sub("expected"))
        hive.close()
        #expect(edited == (try FileIO.read(scratch.sub("expected"))))

        let block = try HiveLayout.validate(edited, path: "SYSTEM")
        #expect(!block.isDirty)
        try FileIO.createDurably(edited, at: scratch.sub("edited"))
        for set in sets {
            let shown = try Shell.capture("/usr/bin/hivexget", [scratch.sub("edited"), ServiceStart.serviceKey(in: set.controlSet), "Start"])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
        }
    }

    @Test func setStartRefusesABigValueOnTheServiceKeyAsInProcess() throws {
        let bytes = try Self.hive(#"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            binary ControlSet001\Services\wuauserv\Big 20000
            """#)
        #expect(throws: HiveError.bigValueOnKey(path: "SYSTEM", key: #"ControlSet001\Services\wuauserv"#, value: "Big", size: 20000)) {
            try HiveSandbox.setStart([(controlSet: "ControlSet001", start: 4)], hive: bytes, path: "SYSTEM")
        }
        #expect(throws: HiveError.keyNotFound(path: "SYSTEM", key: #"ControlSet009\Services\wuauserv"#)) {
            try HiveSandbox.setStart([(controlSet: "ControlSet009", start: 4)], hive: try FileIO.read(Self.fixture("win10")), path: "SYSTEM")
        }
    }

    @Test func setStartKeepsTheLayoutPreCheck() throws {
        let bytes = try FileIO.read(Self.fixture("win10"))
        let truncated = Array(bytes.dropLast(4096))
        #expect(throws: HiveError.truncated(path: "SYSTEM", declaredEnd: bytes.count, fileSize: truncated.count)) {
            try HiveSandbox.setStart([(controlSet: "ControlSet001", start: 4)], hive: truncated, path: "SYSTEM")
        }
    }

    /// The docs/registry-format.md §1.2 special cases: a correct checksum of 1 is read, and an output whose plain XOR is
    /// 0 is returned with the correct checksum 1 (hivex alone would store 0).
    @Test func specialCaseChecksumsWorkInBothDirections() throws {
        let original = try FileIO.read(Self.fixture("win10"))
        let sets = [(controlSet: "ControlSet001", start: ServiceStart.disabled)]
        let probe = try HiveSandbox.setStart(sets, hive: original, path: "SYSTEM")
        var crafted = original
        let flags = crafted.loadLE(UInt32.self, at: 144)
        // hivex copies the flags field: these make the output's plain XOR 0 (its special case).
        crafted.storeLE(flags ^ BaseBlock.rawChecksum(probe[0..<512]), at: 144)
        BaseBlock.updateChecksum(&crafted)
        let edited = try HiveSandbox.setStart(sets, hive: crafted, path: "SYSTEM")
        #expect(edited.loadLE(UInt32.self, at: 508) == 1, "the output carries the special-case checksum")
        #expect(BaseBlock.rawChecksum(edited[0..<512]) == 0)
        let reading = try HiveSandbox.readService(hive: edited, path: "SYSTEM", checkEditable: false)
        #expect(try reading.starts.get().map(\.start) == [4], "a hive whose checksum is 1 reads through the child")
    }
}

/// Inline specs of SYSTEM hives that lack what wuscrub needs (each makes reading fail).
enum BrokenSpecs {
    static let all: [String] = [
        #"""
        dword Select\Current 1
        dword Select\Default 1
        dword ControlSet001\Services\BITS\Start 3
        """#,
        #"""
        dword ControlSet001\Services\wuauserv\Start 3
        """#,
        #"""
        dword Select\Current 5
        dword Select\Default 1
        dword ControlSet001\Services\wuauserv\Start 3
        """#,
        #"""
        dword Select\Current 1000
        dword Select\Default 0
        dword ControlSet001\Services\wuauserv\Start 3
        """#,
        #"""
        dword Select\Current 1
        dword Select\Default 1
        sz ControlSet001\Services\wuauserv\Start 3
        """#,
        #"""
        dword Select\Current 1
        dword Select\Default 1
        qword ControlSet001\Services\wuauserv\Start 3
        """#,
        #"""
        dword Select\Current 1
        dword Select\Default 1
        dword ControlSet001\Services\wuauserv\Type 32
        """#,
        #"""
        dword Select\Current 1
        dword Select\Default 1
        dword ControlSet001\Services\wuauserv\Start 3
        binary ControlSet001\Services\wuauserv\Big 20000
        """#,
    ]
}

// MARK: - The filter holds

extension HiveSandboxTests {
    @Test("a forbidden system call after the filter kills the child with SIGSYS",
          arguments: ["test-open", "test-connect", "test-exec"])
    func forbiddenCallsAreKilled(operation: String) throws {
        let run = try HiveSandbox.runTestOperation(operation)
        #expect(run.termination == .signaled(SIGSYS))
        guard case .parserFailed(_, let detail)? = run.error else {
            Issue.record("expected parserFailed, got \(String(describing: run.error))")
            return
        }
        #expect(detail.contains("SIGSYS"))
    }

    @Test func theControlOperationExitsZeroAsNobodyWhenRoot() throws {
        let run = try HiveSandbox.runTestOperation("test-identity")
        #expect(run.termination == .exited(0))
        #expect(run.error == nil)
        if getuid() == 0 {
            #expect(run.uid == 65534)
            #expect(run.gid == 65534)
        } else {
            #expect(run.uid == getuid())
        }
    }

    @Test func anAbortIsParserFailed() throws {
        let run = try HiveSandbox.runTestOperation("test-abort")
        #expect(run.termination == .signaled(SIGABRT))
        #expect(run.error.map { "\($0)" }?.contains("SIGABRT") == true)
    }

    @Test func aChildThatRunsPastTheTimeoutIsKilled() throws {
        let run = try HiveSandbox.runTestOperation("test-spin", timeout: 1.5)
        #expect(run.termination == .timedOut)
        guard case .parserFailed(_, let detail)? = run.error else {
            Issue.record("expected parserFailed, got \(String(describing: run.error))")
            return
        }
        #expect(detail.contains("did not finish"))
    }

    @Test func aMalformedAnswerIsParserFailed() throws {
        let run = try HiveSandbox.runTestOperation("test-garbage")
        #expect(run.termination == .exited(0))
        #expect(run.error == .parserFailed(path: "test", detail: "the hivex child's answer is malformed"))
    }

    @Test func withoutAnExecutableNothingRuns() throws {
        // Never unset the shared executable: run a reading through a path that does not exist instead.
        #expect(throws: HiveError.self) {
            try SandboxProcess.run(["read", "0"], input: HiveImage([], path: "SYSTEM"), outputLimit: 0, path: "SYSTEM", timeout: 5,
                                   executable: "/nonexistent/wuscrub")
        }
    }
}

// MARK: - A hive that makes hivex fail an assertion

extension HiveSandboxTests {
    @Test func aHiveThatFailsAHivexAssertionIsParserFailed() throws {
        let bytes = try CraftedHives.duplicateValueCell(in: try FileIO.read(Self.fixture("win10")))
        let reading = try HiveSandbox.readService(hive: bytes, path: "SYSTEM", checkEditable: true)
        #expect(try reading.starts.get().map(\.start) == [3], "hivex still reads it")
        do {
            _ = try HiveSandbox.setStart([(controlSet: "ControlSet001", start: 4)], hive: bytes, path: "SYSTEM")
            Issue.record("setStart must fail on this hive")
        } catch {
            guard case .parserFailed(let path, let detail) = error else {
                Issue.record("expected parserFailed, got \(error)")
                return
            }
            #expect(path == "SYSTEM")
            #expect(detail.contains("SIGABRT"), "\(detail)")
            #expect(detail.contains("Assertion"), "hivex's own message is kept: \(detail)")
            #expect(error.description.contains("is damaged in a way its parser cannot handle"))
        }
    }
}
