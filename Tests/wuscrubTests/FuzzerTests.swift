import Foundation
import Testing
import WUScrubTestSupport

/// `wuscrub-fuzz` (what `make fuzz` runs): a run the time bound cuts short must fail, so that
/// `make fuzz` never reports success for fewer inputs than it was asked for.
@Suite("wuscrub-fuzz: the time bound", .enabled(if: Corpus.enabled, Corpus.skipReason))
struct FuzzerTests {
    /// The fuzzer SwiftPM builds beside the `wuscrub` binary.
    static var binary: String { (Wuscrub.binary as NSString).deletingLastPathComponent + "/wuscrub-fuzz" }

    /// NewDirtyHive1's primary; its two logs are found beside it.
    static var seeds: [String] { [Corpus.directory + "/yarp/NewDirtyHive1/NewDirtyHive"] }

    @Test("stopped by --seconds before --iterations inputs ran: says so and exits 1")
    func aRunCutShortFails() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build it first: swift build --build-tests")
        let run = try Shell.capture(Self.binary, ["--iterations", "100000000", "--seconds", "0.5"] + Self.seeds)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("stopped early"), "\(run.stdout)")
        #expect(run.stderr.contains("FAILED: the --seconds 0.5 bound stopped the run after"), "\(run.stderr)")
    }

    @Test("every input run within the bound: exit 0")
    func aCompleteRunPasses() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build it first: swift build --build-tests")
        let run = try Shell.capture(Self.binary, ["--iterations", "30", "--seconds", "600"] + Self.seeds)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("fuzz: 30 inputs, 0 crashes"), "\(run.stdout)")
    }
}
