import Foundation
import Testing
@testable import WUScrubCore
import WUScrubFixtures
import WUScrubTestSupport

/// What makes the hive phase cost what its durability costs (docs/architecture.md §11): one child
/// for the preflight's reading and edit, readings kept by hive hash, and a hive file read again
/// only when it changed — and never taken as unchanged when it did.
@Suite(.enabled(if: SandboxSupport.ready, "needs the built wuscrub binary (swift build --build-tests)"))
struct HivePhaseTests {
    static func fixture(_ name: String) -> String { Repository.fixtures + "/hives/\(name).SYSTEM" }

    @Test("readAndDisable gives the reading and the edit that readService and setStart give, from one child",
          arguments: ["win10", "split-controlsets", "delayed-auto", "winxp"])
    func readAndDisableIsTheReadingAndTheSetTogether(_ name: String) throws {
        let image = try HiveImage(try FileIO.read(Self.fixture(name)), path: "SYSTEM")
        let separate = try HiveSandbox.readService(hive: image, path: "SYSTEM", checkEditable: true)
        let starts = try separate.starts.get()
        let edited = try HiveSandbox.setStart(starts.map { ($0.controlSet, ServiceStart.disabled) }, hive: image, path: "SYSTEM")
        let together = try HiveSandbox.readAndDisable(hive: image, path: "SYSTEM")
        #expect(together.reading == separate)
        let disabled = try #require(together.disabled)
        #expect(disabled.hive.sha256 == edited.sha256, "the same hivex edit, byte for byte")
        #expect(disabled.starts.map(\.start) == starts.map { _ in ServiceStart.disabled })
        #expect(disabled.starts.map(\.controlSet) == starts.map(\.controlSet))
    }

    @Test func readAndDisableReturnsAFailedReadingWithoutEditing() throws {
        let bytes = try FixtureBuilder.hive(for: try FixtureSpec(name: "inline", text: #"""
            dword Select\Current 1
            dword Select\Default 1
            dword ControlSet001\Services\wuauserv\Start 3
            binary ControlSet001\Services\wuauserv\Big 20000
            """#))
        let answer = try HiveSandbox.readAndDisable(hive: try HiveImage(bytes, path: "SYSTEM"), path: "SYSTEM")
        #expect(answer.disabled == nil)
        #expect(throws: HiveError.bigValueOnKey(path: "SYSTEM", key: #"ControlSet001\Services\wuauserv"#, value: "Big", size: 20000)) {
            try answer.reading.starts.get()
        }
    }

    @Test func messagesWrittenOneAfterTheOtherDecodeInOrder() {
        let reading = SandboxMessage.reading(starts: .success([ServiceStart(controlSet: "ControlSet001", start: 3, delayedAutostart: false)]),
                                             hiberbootEnabled: 1)
        let edited = SandboxMessage.edited(.keyNotFound(path: "SYSTEM", key: "Select"))
        #expect(SandboxMessage.decodeSequence(reading.encoded + edited.encoded, path: "SYSTEM") == [reading, edited])
        #expect(SandboxMessage.decode(reading.encoded + edited.encoded, path: "SYSTEM") == nil, "one message expected")
        #expect(SandboxMessage.decodeSequence(reading.encoded + Array("3:edi".utf8), path: "SYSTEM") == nil, "a truncated second message")
        #expect(SandboxMessage.decodeSequence([], path: "SYSTEM") == nil)
    }

    @Test func aReadingIsKeptByHashAndAnEditabilityCheckedOneAnswersBoth() {
        let readings = ServiceReadings()
        let starts = [ServiceStart(controlSet: "ControlSet001", start: 2, delayedAutostart: true)]
        #expect(readings.reading(of: "a", checkEditable: false) == nil)
        readings.record(starts, of: "a", checkEditable: true)
        #expect(readings.reading(of: "a", checkEditable: false) == starts)
        #expect(readings.reading(of: "a", checkEditable: true) == starts)
        readings.record(starts, of: "b", checkEditable: false)
        #expect(readings.reading(of: "b", checkEditable: true) == nil, "a reading without the check does not answer for it")
        #expect(readings.reading(of: "c", checkEditable: false) == nil)
    }

    /// A fixture install and its hive's path.
    static func install(_ scratch: Scratch) throws -> (install: WindowsInstall, hive: String) {
        let root = try FixtureTree.install("win10", in: scratch)
        let install = try WindowsInstall.locate(root: root)
        return (install, install.path(install.systemHive))
    }

    /// Overwrites one byte of the hive in place (same size, same inode), then puts the old
    /// modification time back: only the status-change time still tells.
    static func changeInPlace(_ path: String) throws {
        var info = stat()
        #expect(stat(path, &info) == 0)
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        var byte: UInt8 = 0
        #expect(pread(fd, &byte, 1, 4096 + 2000) == 1)
        byte ^= 0x01
        #expect(pwrite(fd, &byte, 1, 4096 + 2000) == 1)
        var times = [info.st_atim, info.st_mtim]
        #expect(futimens(fd, &times) == 0)
        close(fd)
    }

    @Test func anUnchangedHiveFileIsNotReadAgainAndAChangedOneIs() throws {
        let scratch = try Scratch("hive-phase-reread")
        defer { scratch.remove() }
        let (install, hive) = try Self.install(scratch)
        let volume = try InstallVolume(install)
        let first = try volume.readHive()
        #expect(try volume.readHive() === first, "unchanged: the same image")
        usleep(10_000)
        try Self.changeInPlace(hive)
        let second = try volume.readHive()
        #expect(second !== first)
        #expect(second.sha256 == (try FileIO.sha256(ofFile: hive)))
        #expect(second.sha256 != first.sha256)
    }

    @Test func aHiveChangedInPlaceAfterThePlanStopsTheRun() throws {
        let scratch = try Scratch("hive-phase-plan")
        defer { scratch.remove() }
        let (install, hive) = try Self.install(scratch)
        let resetter = Resetter(sandboxed: install, toolVersion: "test")
        let plan = try resetter.preflight(countingPurge: false)
        usleep(10_000)
        try Self.changeInPlace(hive)
        let changed = try FileIO.sha256(ofFile: hive)
        #expect(throws: WUScrubError.self) { _ = try resetter.run(plan) }
        #expect(try FileIO.sha256(ofFile: hive) == changed, "nothing written over it")
    }
}
