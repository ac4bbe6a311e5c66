

/// Reads and edits an untrusted SYSTEM hive with hivex in a sandboxed child process.
///
/// The child is `wuscrub` itself started with `SandboxChild.argument`. It gets the hive in a
/// sealed memfd, drops to nobody when root, sets resource limits and loads a seccomp filter that
/// kills it on any system call but a short list (no open, exec, socket...), then runs hivex.
/// A child that dies, runs past `timeout` or answers nonsense becomes `HiveError.parserFailed`;
/// nothing it wrote is used unless it checks out. See docs/architecture.md §6.
public enum HiveSandbox {
    /// The executable that runs the child (wuscrub itself). The wuscrub executable sets it at start
    /// from /proc/self/exe; tests set it to the built binary. nil → HiveError.parserFailed(... "no sandbox executable").
    nonisolated(unsafe) public static var executable: String?

    /// Seconds the parent waits for the child before killing it.
    nonisolated(unsafe) public static var timeout: Double = 60

    /// How much larger than its input the edited hive may be (hivex adds a few cells, at most a bin).
    static let outputGrowthLimit = 64 << 20

    /// Reads Select → control sets → wuauserv Start/DelayedAutostart (same semantics and the same HiveError cases and
    /// messages as `ServiceConfiguration.read` today), plus HiberbootEnabled. With `checkEditable`, also refuses
    /// (HiveError.bigValueOnKey) a service key holding a value bigger than BaseBlock.maximumSingleCellData, exactly as
    /// Resetter.readStarts(checkEditable: true) does today.
    ///
    /// Every hive-level error, including hivex's `cannotOpen`, is in `starts`, with `path` as its path.
    /// - Parameters:
    ///   - bytes: The hive.
    ///   - path: The hive's path for messages (root-relative).
    ///   - checkEditable: Whether to refuse a service key that hivex could not edit safely.
    /// - Throws: `HiveError.parserFailed` when the child dies or answers nonsense; `.io` when it
    ///   cannot be started.
    ///   - services: The services to read (docs/architecture.md §17): wuauserv must be there,
    ///     another whose key is absent is left out of the reading.
    public static func readService(hive image: HiveImage, path: String, checkEditable: Bool,
                                   services: [String] = [ServiceStart.wuauserv]) throws(HiveError) -> ServiceReading {
        let run = try SandboxProcess.run(["read", checkEditable ? "1" : "0"] + arguments(services), input: image.hivexCompatible(path: path),
                                         outputLimit: 0, path: path, timeout: timeout)
        guard case .reading(let starts, let hiberboot) = try answer(of: run, path: path) else {
            throw .parserFailed(path: path, detail: "the hivex child answered with something else than a reading")
        }
        try checkAnswered(starts, services: services, path: path)
        return ServiceReading(starts: starts, hiberbootEnabled: hiberboot)
    }

    /// The services as the child's arguments: none for wuauserv alone (the operation's default).
    private static func arguments(_ services: [String]) -> [String] {
        services == [ServiceStart.wuauserv] ? [] : services
    }

    /// A reading must name only services asked for, each at most once per control set.
    private static func checkAnswered(_ starts: Result<[ServiceStart], HiveError>, services: [String], path: String) throws(HiveError) {
        guard case .success(let list) = starts else { return }
        let pairs = list.map { $0.controlSet.lowercased() + "\\" + $0.service }
        guard list.allSatisfy({ services.contains($0.service) }), Set(pairs).count == pairs.count else {
            throw .parserFailed(path: path, detail: "the hivex child's reading names services that were not asked for")
        }
    }

    /// The preflight's two questions in one child: the service's reading (with the editability
    /// check), and — when it succeeded — the hive with Start = 4 in every control set it found,
    /// checked as `setStart` checks its output (validated, clean, read back by another child).
    ///
    /// - Returns: The reading, and the disabled hive with its read-back values (nil when the
    ///   reading failed: its error is in `reading.starts`).
    /// - Throws: What `setStart` throws.
    public static func readAndDisable(hive image: HiveImage, path: String, services: [String] = [ServiceStart.wuauserv]) throws(HiveError)
        -> (reading: ServiceReading, disabled: (hive: HiveImage, starts: [ServiceStart])?) {
        try image.validate(path: path)
        let run = try SandboxProcess.run(["disable"] + arguments(services), input: image.hivexCompatible(path: path),
                                         outputLimit: image.size + outputGrowthLimit, path: path, timeout: timeout)
        let messages = try answers(of: run, count: 2, path: path)
        guard case .reading(let starts, let hiberboot) = messages[0], case .edited(let error) = messages[1] else {
            throw .parserFailed(path: path, detail: "the hivex child answered with something else than a reading and an edit")
        }
        try checkAnswered(starts, services: services, path: path)
        let reading = ServiceReading(starts: starts, hiberbootEnabled: hiberboot)
        guard case .success(let found) = starts else { return (reading, nil) }
        if let error { throw error }
        let values = found.map { $0.setting(ServiceStart.disabled) }
        return (reading, try checkedOutput(of: run, values: values, services: services, path: path))
    }

    /// `readService(hive:path:checkEditable:)` on bytes in memory.
    public static func readService(hive bytes: [UInt8], path: String, checkEditable: Bool) throws(HiveError) -> ServiceReading {
        try readService(hive: HiveImage(bytes, path: path), path: path, checkEditable: checkEditable)
    }

    /// `setStart(_:hive:path:)` on bytes in memory.
    public static func setStart(_ values: [(controlSet: String, start: UInt32)], hive bytes: [UInt8], path: String) throws(HiveError) -> [UInt8] {
        try setStart(values, hive: HiveImage(bytes, path: path), path: path).bytes()
    }

    /// Sets wuauserv Start in the given control sets with hivex and returns the committed hive: its checksum recomputed
    /// with the format's special cases (what HiveFile.fixChecksum does, but in memory), HiveLayout.validate'd, clean.
    ///
    /// The input must pass `HiveLayout.validate` first (hivex opens truncated hives and commits
    /// them corrupt). The output is read back by another child and must show the new values in
    /// every control set the reading covers.
    /// - Parameters:
    ///   - values: Control set names (as read) and the Start value to give each.
    ///   - bytes: The hive.
    ///   - path: The hive's path for messages (root-relative).
    /// - Returns: The edited hive's bytes.
    /// - Throws: The layout check's `HiveError`; what hivex reported (`keyNotFound`,
    ///   `bigValueOnKey`, `operationFailed`...); `.parserFailed` when the child dies or its output
    ///   does not check out; `.io` when it cannot be started.
    public static func setStart(_ values: [(controlSet: String, start: UInt32)], hive image: HiveImage, path: String) throws(HiveError) -> HiveImage {
        try setStartReadingBack(values, hive: image, path: path).hive
    }

    /// `setStart(_:hive:path:)`, returning with the edited hive the start values its check read back.
    public static func setStartReadingBack(_ values: [(controlSet: String, start: UInt32)], hive image: HiveImage,
                                           path: String) throws(HiveError) -> (hive: HiveImage, starts: [ServiceStart]) {
        try setStartReadingBack(values.map { StartSetting(controlSet: $0.controlSet, start: $0.start) }, hive: image, path: path)
    }

    /// `setStartReadingBack` for any of the services of docs/architecture.md §17: the read-back
    /// covers every service the settings name (wuauserv always).
    public static func setStartReadingBack(_ values: [StartSetting], hive image: HiveImage,
                                           path: String) throws(HiveError) -> (hive: HiveImage, starts: [ServiceStart]) {
        var services = [ServiceStart.wuauserv]
        for value in values where !services.contains(value.service) { services.append(value.service) }
        try image.validate(path: path)
        let arguments = ["set"] + values.map(\.argument)
        let run = try SandboxProcess.run(arguments, input: image.hivexCompatible(path: path),
                                         outputLimit: image.size + outputGrowthLimit, path: path, timeout: timeout)
        guard case .edited(let error) = try answer(of: run, path: path) else {
            throw .parserFailed(path: path, detail: "the hivex child answered with something else than an edit")
        }
        if let error { throw error }
        return try checkedOutput(of: run, values: values, services: services, path: path)
    }

    /// The hive a child wrote, taken over and checked: validated, clean, and read back by another
    /// child showing `values` in every control set the reading covers.
    private static func checkedOutput(of run: SandboxProcess, values: [StartSetting], services: [String],
                                      path: String) throws(HiveError) -> (hive: HiveImage, starts: [ServiceStart]) {
        guard let output = try run.output(path: path) else {
            throw .parserFailed(path: path, detail: "the hive hivex wrote is more than \(outputGrowthLimit >> 20) MiB larger than the original")
        }
        let block: BaseBlock
        do {
            block = try output.validate(path: path)
        } catch {
            throw .parserFailed(path: path, detail: "the hive hivex wrote fails validation: \(error)")
        }
        guard !block.isDirty else {
            throw .parserFailed(path: path, detail: "the hive hivex wrote is not clean (sequence \(block.primarySequence)/\(block.secondarySequence))")
        }
        let reading = try readService(hive: output, path: path, checkEditable: false, services: services)
        let starts: [ServiceStart]
        switch reading.starts {
        case .success(let list): starts = list
        case .failure(let error):
            throw .parserFailed(path: path, detail: "the hive hivex wrote does not read back: \(error)")
        }
        for value in values {
            if let found = starts.first(where: { $0.controlSet == value.controlSet && $0.service == value.service }), found.start != value.start {
                throw .parserFailed(path: path, detail: "the hive hivex wrote has Start \(found.start) for \(value.service) in \(value.controlSet), expected \(value.start)")
            }
        }
        return (output, starts)
    }

    /// Values of one key of any hive, read by the child: strings as they are, numbers in decimal,
    /// nil for one that is absent or of another type.
    ///
    /// - Parameters:
    ///   - image: The hive.
    ///   - path: The hive's path for messages.
    ///   - key: The key's path below the root, with backslashes.
    ///   - names: The values' names (1 to 64).
    /// - Throws: `HiveError` (`keyNotFound` when the key is not there), `.parserFailed` when the
    ///   child fails.
    public static func readValues(hive image: HiveImage, path: String, key: String, names: [String]) throws(HiveError) -> [String?] {
        let run = try SandboxProcess.run(["values", key] + names, input: image.hivexCompatible(path: path),
                                         outputLimit: 0, path: path, timeout: timeout)
        guard case .values(let result) = try answer(of: run, path: path) else {
            throw .parserFailed(path: path, detail: "the hivex child answered with something else than values")
        }
        let list = try result.get()
        guard list.count == names.count else { throw .parserFailed(path: path, detail: "the hivex child answered with \(list.count) values for \(names.count)") }
        return list
    }

    /// Keys below keys of any hive, with some of their values, read by the child in one run
    /// (docs/architecture.md §15.2): one listing per query, `.missing` for a key that is not there.
    ///
    /// - Parameters:
    ///   - image: The hive.
    ///   - path: The hive's path for messages.
    ///   - queries: 1 to 64 queries.
    /// - Throws: `HiveError` from hivex (a query's key whose subkeys cannot be read),
    ///   `.parserFailed` when the child fails or answers out of bounds.
    public static func readSubkeys(hive image: HiveImage, path: String, queries: [SubkeyQuery]) throws(HiveError) -> [SubkeyListing] {
        let run = try SandboxProcess.run(["subkeys"] + SubkeyQuery.arguments(queries), input: image.hivexCompatible(path: path),
                                         outputLimit: 0, path: path, timeout: timeout, resultLimit: SandboxProcess.listingResultLimit)
        guard case .subkeys(let result) = try answer(of: run, path: path) else {
            throw .parserFailed(path: path, detail: "the hivex child answered with something else than subkeys")
        }
        let listings: [SubkeyListing]
        switch result {
        case .success(let list): listings = list
        case .failure(.operationFailed("hivex_node_children", _, let errno)):
            // hivex reads at most 25,000 subkeys of a key (ERANGE past it).
            throw .parserFailed(path: path, detail: "hivex cannot list the subkeys of \(queries.map(\.key).joined(separator: ", ")): \(errno) (it reads at most 25,000 subkeys of a key)")
        case .failure(let error): throw error
        }
        guard listings.count == queries.count,
              zip(listings, queries).allSatisfy({ listing, query in listing.records.allSatisfy { $0.values.count == query.names.count } }) else {
            throw .parserFailed(path: path, detail: "the hivex child's listing does not answer the queries asked")
        }
        return listings
    }

    /// The child's decoded answer.
    private static func answer(of run: SandboxProcess, path: String) throws(HiveError) -> SandboxMessage {
        try answers(of: run, count: 1, path: path)[0]
    }

    /// The child's answer, `count` messages in sequence; a child that failed or wrote anything
    /// else is `parserFailed`.
    private static func answers(of run: SandboxProcess, count: Int, path: String) throws(HiveError) -> [SandboxMessage] {
        if let detail = run.failureDetail { throw .parserFailed(path: path, detail: detail) }
        guard let bytes = run.result, let messages = SandboxMessage.decodeSequence(bytes, path: path), messages.count == count else {
            throw .parserFailed(path: path, detail: "the hivex child's answer is malformed")
        }
        return messages
    }

    #if WUSCRUB_TEST_HOOKS
    /// Runs a test-only child operation (debug builds): how the child ended, and its identity when
    /// it answered one.
    public static func runTestOperation(_ operation: String, timeout: Double = HiveSandbox.timeout) throws(HiveError)
        -> (termination: SandboxTermination, uid: UInt32?, gid: UInt32?, error: HiveError?) {
        let run = try SandboxProcess.run([operation], input: HiveImage(HiveTemplate.emptyHive(), path: "test"), outputLimit: 0, path: "test", timeout: timeout)
        var error: HiveError?
        var uid: UInt32?, gid: UInt32?
        do {
            if case .identity(let u, let g) = try answer(of: run, path: "test") { (uid, gid) = (u, g) }
        } catch let failure {
            error = failure
        }
        return (run.termination, uid, gid, error)
    }
    #endif
}
