import Testing
import WUScrubCore
@testable import wuscrub

/// The progress line's renderer (docs/architecture.md §7.4), driven by a fake clock: what it
/// writes, when, and that it erases what it drew. No test here waits or measures time.
@Suite struct ProgressLineTests {
    typealias Renderer = ProgressLine.Renderer
    static let erase = "\r\u{1B}[K"

    static func purging(_ entries: Int, total: Int? = nil, generation: Int = 1) -> PurgeProgress.Snapshot {
        PurgeProgress.Snapshot(phase: .purging, generation: generation, entries: entries, total: total)
    }

    @Test func theTextSaysWhatHowManyOfHowManyHowFastAndHowLong() {
        #expect(Renderer.text(Self.purging(12_345, total: 100_000), elapsed: 3.2)
                == "Purging: 12,345 of 100,000 entries · 3,858/s · 0:03 · about 0:23 left")
        #expect(Renderer.text(PurgeProgress.Snapshot(phase: .step, label: "Backing up the SYSTEM hive"), elapsed: 2.5)
                == "Backing up the SYSTEM hive · 0:02")
        #expect(Renderer.text(Self.purging(100, total: 100), elapsed: 1) == "Purging: 100 of 100 entries · 100/s · 0:01")
        #expect(Renderer.text(PurgeProgress.Snapshot(phase: .counting, entries: 999), elapsed: 0.5)
                == "Counting: 999 entries · 1,998/s · 0:00")
        #expect(Renderer.text(Self.purging(0), elapsed: 0) == "Purging: 0 entries · 0/s · 0:00")
        #expect(Renderer.text(Self.purging(1_234_567), elapsed: 3_723.9) == "Purging: 1,234,567 entries · 332/s · 1:02:03")
        #expect(Renderer.grouped(1_000) == "1,000" && Renderer.grouped(999_999) == "999,999" && Renderer.grouped(-12_345) == "-12,345")
        #expect(Renderer.clock(59.99) == "0:59" && Renderer.clock(600) == "10:00" && Renderer.clock(36_000) == "10:00:00")
    }

    @Test func nothingIsShownBeforeTheDelayThenAtMostTenTimesASecond() {
        var renderer = Renderer()
        #expect(renderer.delay == 0.4 && renderer.interval == 0.1)
        var draws: [Double] = []
        // Readings every 10 ms for 2 s of a purge that began at t = 100.
        for tick in 0...200 {
            let now = 100 + Double(tick) / 100
            if let text = renderer.update(now: now, Self.purging(tick * 50)) {
                #expect(text.hasPrefix("\rPurging: ") && text.hasSuffix("\u{1B}[K"), "\(text.debugDescription)")
                draws.append(now)
            }
        }
        #expect(draws.first.map { $0 >= 100.4 - 1e-9 && $0 <= 100.41 + 1e-9 } == true, "first draw after the delay: \(draws)")
        #expect(zip(draws, draws.dropFirst()).allSatisfy { $1 - $0 >= 0.1 - 1e-9 }, "at most 10 a second: \(draws)")
        #expect((14...17).contains(draws.count), "\(draws.count) draws in 1.6 s")
    }

    @Test func aQuickPhaseShowsNothingAndErasesNothing() {
        var renderer = Renderer()
        #expect(renderer.update(now: 5, Self.purging(0)) == nil)
        #expect(renderer.update(now: 5.3, Self.purging(900)) == nil)
        #expect(renderer.update(now: 5.35, PurgeProgress.Snapshot(phase: .idle, generation: 1)) == nil)
        #expect(renderer.erase() == nil)
    }

    @Test func theEndOfAPhaseErasesTheLineOnce() {
        var renderer = Renderer()
        _ = renderer.update(now: 0, Self.purging(0))
        #expect(renderer.update(now: 1, Self.purging(10, total: 20)) == "\rPurging: 10 of 20 entries · 10/s · 0:01 · about 0:01 left\u{1B}[K")
        #expect(renderer.shown)
        #expect(renderer.update(now: 1.05, PurgeProgress.Snapshot(phase: .idle, generation: 1)) == Self.erase)
        #expect(renderer.update(now: 1.2, PurgeProgress.Snapshot(phase: .idle, generation: 1)) == nil)
        #expect(renderer.erase() == nil && !renderer.shown)
    }

    @Test func aNewPhaseStartsFromACleanLineAfterItsOwnDelay() {
        var renderer = Renderer()
        _ = renderer.update(now: 0, PurgeProgress.Snapshot(phase: .counting, generation: 1))
        #expect(renderer.update(now: 2, PurgeProgress.Snapshot(phase: .counting, generation: 1, entries: 7))?.contains("Counting: 7") == true)
        // The count ended and the purge began between two readings.
        #expect(renderer.update(now: 2.1, Self.purging(3, total: 7, generation: 2)) == Self.erase)
        #expect(renderer.update(now: 2.4, Self.purging(5, total: 7, generation: 2)) == nil)
        #expect(renderer.update(now: 2.6, Self.purging(6, total: 7, generation: 2))?.contains("Purging: 6 of 7 entries · 12/s · 0:00") == true)
    }

    @Test func anExplicitEraseEndsWhatWasDrawnAndTheLineFitsTheTerminal() {
        var renderer = Renderer(delay: 0, columns: 20)
        let text = renderer.update(now: 0, Self.purging(123_456, total: 200_000))
        #expect(text == "\rPurging: 123,456 of\u{1B}[K", "cut to 19 columns")
        #expect(renderer.erase() == Self.erase)
        #expect(renderer.erase() == nil)
    }
}
