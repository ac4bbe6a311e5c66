#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import WUScrubCore

/// The progress line of a count or a purge, on standard error (docs/architecture.md §7.4):
/// `Purging: 12,345 of 100,000 entries · 4,210/s · 0:03`.
///
/// The library only adds to a `PurgeProgress` and says when a phase begins and ends; a task of
/// this type's own samples the counters every `Renderer.interval` (at most 10 times a second) and
/// redraws the line with a carriage return and an erase to the end of the line. A phase shorter
/// than `Renderer.delay` shows nothing. The line is erased as the phase ends (on the walking
/// thread, before the library returns), before the plan and question (`clear`), before the
/// result (`finish`) and before a signal's notice (`finish`, given to `Interruption`). No
/// colours, ever (so `NO_COLOR` holds).
///
/// It is made only when standard error is a terminal, `--json` and `--no-progress` are absent and
/// `TERM` is not `dumb` (`ProgressLine.make`).
final class ProgressLine: Sendable {
    /// What the walks add to; the resetter is given it (`Resetter.progress`).
    let counters: PurgeProgress
    private let screen: Screen

    private init(renderer: Renderer) {
        let screen = Screen(renderer: renderer)
        self.screen = screen
        counters = PurgeProgress { [screen] snapshot in
            _ = screen.show { snapshot }
        }
    }

    /// A started progress line, or nil when progress must not be shown: standard error is not a
    /// terminal, `--json` or `--no-progress` was given, or `TERM` is `dumb` (a terminal that
    /// cannot erase a line).
    ///
    /// Debug builds only (the tests'): `WUSCRUB_PROGRESS_DELAY=SECONDS` replaces `Renderer.delay`
    /// (0 draws the line as soon as a phase begins, so that a test sees it whatever its speed).
    static func make(json: Bool, disabled: Bool) -> ProgressLine? {
        guard !json, !disabled, isatty(STDERR_FILENO) == 1, environment("TERM") != "dumb" else { return nil }
        var renderer = Renderer(columns: terminalColumns())
        #if WUSCRUB_TEST_HOOKS
        if let delay = environment("WUSCRUB_PROGRESS_DELAY").flatMap(Double.init) { renderer.delay = delay }
        #endif
        let line = ProgressLine(renderer: renderer)
        Task.detached { [line] in await line.sample() }
        return line
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Erases the line now, before other output; it is drawn again while a phase goes on.
    func clear() {
        screen.clear(stopping: false)
    }

    /// Erases the line and draws no more: the command is about to print its result, or a signal
    /// stops the run (its last steps, the start mode put back, show no progress).
    func finish() {
        screen.clear(stopping: true)
    }

    /// The sampling task: every `interval`, one reading, drawn or erased as the renderer says.
    private func sample() async {
        while screen.show({ counters.snapshot }) {
            try? await Task.sleep(for: .seconds(screen.interval))
        }
    }

    /// The terminal's width (standard error's), or 80 when it does not say.
    private static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// The renderer and standard error, one writer at a time.
    private final class Screen: @unchecked Sendable {
        /// Guards `renderer`, `stopped` and the writes.
        private let lock = Mutex(())
        private var renderer: Renderer
        /// Set by `finish`: nothing is drawn any more.
        private var stopped = false
        let interval: Double
        /// The monotonic clock's reading when the line was made; times are seconds since then.
        private let origin = ContinuousClock.now

        init(renderer: Renderer) {
            self.renderer = renderer
            interval = renderer.interval
        }

        private func withLock<Value>(_ body: () -> Value) -> Value {
            lock.withLock { _ in body() }
        }

        /// Seconds since the line was made, on the monotonic clock.
        private var now: Double {
            let elapsed = origin.duration(to: .now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }

        /// Draws or erases what `reading` gives, read under the lock: once a phase's end has been
        /// shown, no reading taken before it can still be drawn.
        ///
        /// - Returns: False once the line was finished.
        @discardableResult
        func show(_ reading: () -> PurgeProgress.Snapshot) -> Bool {
            withLock {
                guard !stopped else { return false }
                write(renderer.update(now: now, reading()))
                return true
            }
        }

        /// Erases the line; with `stopping`, for good.
        func clear(stopping: Bool) {
            withLock {
                if stopping { stopped = true }
                write(renderer.erase())
            }
        }

        private func write(_ text: String?) {
            guard let text else { return }
            StandardStream.standardError.write(Array(text.utf8))
        }
    }
}

extension ProgressLine {
    /// What to write, given the time and a reading of the counters: a pure function of its
    /// inputs, so tests drive it with a fake clock.
    struct Renderer {
        /// Seconds a phase must last before it is shown, so that quick runs print nothing.
        var delay = 0.4
        /// Seconds between two redraws at least: at most 10 a second.
        var interval = 0.1
        /// The terminal's width: the line is cut to one column less, so that it never wraps (a
        /// wrapped line could not be erased with one carriage return).
        var columns = 80
        /// Whether something is on the line.
        private(set) var shown = false
        /// The phase being shown: its generation and when it was first seen.
        private var phase: (generation: Int, start: Double)?
        private var lastDraw: Double?

        /// Creates a renderer with nothing on the line.
        init(delay: Double = 0.4, interval: Double = 0.1, columns: Int = 80) {
            self.delay = delay
            self.interval = interval
            self.columns = columns
        }

        /// Moves the cursor to the start of the line and erases it.
        static let eraseSequence = "\r\u{1B}[K"

        /// The text to write for a reading taken at `now` (seconds on a monotonic clock): a
        /// redraw, an erase, or nil for nothing.
        mutating func update(now: Double, _ snapshot: PurgeProgress.Snapshot) -> String? {
            guard snapshot.phase != .idle else {
                phase = nil
                return erase()
            }
            // A new phase starts from a clean line, shown only after its own delay.
            var erased: String?
            if phase?.generation != snapshot.generation {
                phase = (snapshot.generation, now)
                lastDraw = nil
                erased = erase()
            }
            let elapsed = now - phase!.start
            guard elapsed >= delay else { return erased }
            if let lastDraw, now - lastDraw < interval { return erased }
            lastDraw = now
            shown = true
            let text = Self.text(snapshot, elapsed: elapsed)
            return (erased ?? "") + "\r" + String(text.prefix(max(1, columns - 1))) + "\u{1B}[K"
        }

        /// The erase, when something is on the line; else nil.
        mutating func erase() -> String? {
            guard shown else { return nil }
            shown = false
            return Self.eraseSequence
        }

        /// `Purging: 12,345 of 100,000 entries · 4,210/s · 0:03 · about 0:09 left` (the total and the
        /// estimate only when a count came first); `Counting DataStore of /mnt/win: 1,234 entries · …`;
        /// a step: `Backing up the SYSTEM hive · 0:02`.
        static func text(_ snapshot: PurgeProgress.Snapshot, elapsed: Double) -> String {
            if snapshot.phase == .step { return "\(snapshot.label ?? "Working") · \(clock(elapsed))" }
            let label = (snapshot.phase == .counting ? "Counting" : "Purging") + (snapshot.label.map { " " + $0 } ?? "")
            let count = grouped(snapshot.entries) + (snapshot.total.map { " of " + grouped($0) } ?? "")
            let perSecond = elapsed > 0 ? Double(snapshot.entries) / elapsed : 0
            var text = "\(label): \(count) entries · \(grouped(Int(perSecond.rounded())))/s · \(clock(elapsed))"
            if let total = snapshot.total, snapshot.entries > 0, perSecond > 0, total > snapshot.entries {
                text += " · about \(clock((Double(total - snapshot.entries) / perSecond).rounded(.up))) left"
            }
            return text
        }

        /// `1,234,567`: digits in groups of three, whatever the locale.
        static func grouped(_ value: Int) -> String {
            let digits = String(value.magnitude)
            var result = ""
            for (index, digit) in digits.enumerated() {
                if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
                result.append(digit)
            }
            return value < 0 ? "-" + result : result
        }

        /// `0:03`, `12:34`, `1:02:03`: whole seconds.
        static func clock(_ seconds: Double) -> String {
            let total = max(0, Int(seconds))
            let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
            func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
        }
    }
}
