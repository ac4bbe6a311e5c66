import CSandbox
#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The hivex child: the process `HiveSandbox` starts to parse an untrusted hive.
///
/// It inherits the descriptors `wuscrub_sandbox.h` lists, loads the iconv conversions hivex
/// needs, enters the sandbox (`wuscrub_sandbox_enter`), and only then runs hivex on the input.
/// Its answer goes to the result descriptor as a `SandboxMessage`; it exits 0 when it wrote one.
/// After the filter nothing may open a file: no Foundation, no printing, no locale.
public enum SandboxChild {
    /// The hidden first argument that makes `wuscrub` run as the child.
    public static let argument = "--internal-hivex-child"

    /// Exit statuses of a child that could not get as far as an answer.
    enum Status: Int32 {
        case answered = 0
        case usage = 90
        case descriptors = 91
        case warmUp = 92
        case sandbox = 93
        case resultUnwritable = 94
        case testHookReturned = 95
    }

    /// Runs the child; `wuscrub` calls it before parsing its arguments and exits with the result.
    ///
    /// - Parameter arguments: What follows `argument`: the operation, then its arguments —
    ///   `read 0|1 [SERVICE...]` (check editability; the services to read, wuauserv when none are
    ///   given), `set CONTROLSET[\SERVICE]=START...` (wuauserv when no service is named),
    ///   `values KEY NAME...` (values
    ///   as text, any hive), `subkeys DEPTH KEY COUNT NAME...` (repeated: keys below a key with
    ///   some of their values, any hive, bounded), or `disable [SERVICE...]` (a reading with
    ///   the editability check, then Start = 4 for every service in every control set it found:
    ///   one child where a preflight needed two).
    /// - Returns: The exit status (0 once the answer is written).
    public static func run(_ arguments: [String]) -> Int32 {
        guard let operation = arguments.first else { return fail(.usage, "no operation") }
        let rest = Array(arguments.dropFirst())
        for fd in [WUSCRUB_SANDBOX_INPUT_FD, WUSCRUB_SANDBOX_OUTPUT_FD, WUSCRUB_SANDBOX_RESULT_FD] {
            guard fcntl(fd, F_GETFD) >= 0 else { return fail(.descriptors, "descriptor \(fd) is not open") }
        }
        var input = stat()
        guard fstat(WUSCRUB_SANDBOX_INPUT_FD, &input) == 0 else { return fail(.descriptors, "cannot stat the input") }
        guard wuscrub_sandbox_warm_up() == 0 else { return fail(.warmUp, "iconv_open: \(Errno(rawValue: errno))") }
        var step: UnsafePointer<CChar>?
        guard wuscrub_sandbox_enter(UInt64(max(0, input.st_size)), &step) == 0 else {
            let code = errno
            return fail(.sandbox, "cannot enter the sandbox: \(step.map { String(cString: $0) } ?? "?"): \(Errno(rawValue: code))")
        }
        // From here on: only the system calls the filter allows.
        let message: SandboxMessage
        switch operation {
        case "read" where (rest.first == "0" || rest.first == "1") && rest.count <= 1 + maximumServices:
            message = read(checkEditable: rest.first == "1", services: services(Array(rest.dropFirst())))
        case "disable" where rest.count <= maximumServices:
            return write(disable(services: services(rest)).flatMap(\.encoded))
        case "values" where rest.count >= 2 && rest.count <= 65:
            message = values(key: rest[0], names: Array(rest.dropFirst()))
        case "subkeys":
            guard let queries = SubkeyQuery.parse(rest) else { return fail(.usage, "bad argument") }
            message = subkeys(queries)
        case "set":
            var values: [StartSetting] = []
            for argument in rest {
                let parts = argument.split(separator: "=", omittingEmptySubsequences: false)
                guard parts.count == 2, let start = UInt32(parts[1]) else { return fail(.usage, "bad argument") }
                let names = parts[0].split(separator: "\\", omittingEmptySubsequences: false)
                guard (1...2).contains(names.count), names.allSatisfy({ !$0.isEmpty }) else { return fail(.usage, "bad argument") }
                values.append(StartSetting(controlSet: String(names[0]), service: names.count == 2 ? String(names[1]) : ServiceStart.wuauserv, start: start))
            }
            message = set(values)
        default:
            #if WUSCRUB_TEST_HOOKS
            guard let hooked = testHook(operation) else { return fail(.testHookReturned, "test hook returned") }
            return write(hooked)
            #else
            return fail(.usage, "unknown operation")
            #endif
        }
        return write(message.encoded)
    }

    /// How many services a `read` or `disable` names at most.
    static let maximumServices = 8

    /// The services named, wuauserv when none is.
    private static func services(_ names: [String]) -> [String] {
        names.isEmpty ? [ServiceStart.wuauserv] : names
    }

    /// Reads the service configuration as `ServiceConfiguration.read` and
    /// `Resetter.readStarts(checkEditable:)` do, and `HiberbootEnabled` on its own.
    static func read(checkEditable: Bool, services: [String] = [ServiceStart.wuauserv]) -> SandboxMessage {
        let hive: Hive
        do {
            hive = try Hive(sandboxName: wuscrub_sandbox_input_name(), writable: false, path: "")
        } catch {
            return .reading(starts: .failure(error), hiberbootEnabled: nil)
        }
        defer { hive.close() }
        return reading(of: hive, checkEditable: checkEditable, services: services)
    }

    /// A reading with the editability check, then (when it succeeded) Start = 4 for every service
    /// in every control set it found, committed to the output descriptor: the reading, then the
    /// edit's outcome.
    static func disable(services: [String] = [ServiceStart.wuauserv]) -> [SandboxMessage] {
        let hive: Hive
        do {
            hive = try Hive(sandboxName: wuscrub_sandbox_input_name(), writable: true, path: "")
        } catch {
            return [.reading(starts: .failure(error), hiberbootEnabled: nil), .edited(nil)]
        }
        defer { hive.close() }
        let found = reading(of: hive, checkEditable: true, services: services)
        guard case .reading(.success(let starts), _) = found else { return [found, .edited(nil)] }
        return [found, .edited(commit(starts.map { $0.setting(ServiceStart.disabled) }, in: hive))]
    }

    /// Sets the start values in an open hive and commits it to the output descriptor: the error, if any.
    private static func commit(_ settings: [StartSetting], in hive: Hive) -> HiveError? {
        do throws(HiveError) {
            try ServiceConfiguration.setStart(settings, in: hive)
            try hive.commit(toSandboxName: wuscrub_sandbox_output_name())
            return nil
        } catch {
            return error
        }
    }

    /// The reading of an open hive (see `read(checkEditable:)`).
    private static func reading(of hive: Hive, checkEditable: Bool, services: [String]) -> SandboxMessage {
        let starts: Result<[ServiceStart], HiveError> = Result { () throws(HiveError) in
            let starts = try ServiceConfiguration.read(hive, services: services)
            if checkEditable {
                for start in starts {
                    let key = ServiceStart.serviceKey(in: start.controlSet, service: start.service)
                    guard let node = try hive.node(at: key) else { throw HiveError.keyNotFound(path: hive.path, key: key) }
                    for entry in try hive.valueEntries(of: node) where entry.size > BaseBlock.maximumSingleCellData {
                        throw HiveError.bigValueOnKey(path: hive.path, key: key, value: entry.name, size: entry.size)
                    }
                }
            }
            return starts
        }
        let hiberboot = try? ServiceConfiguration.hiberbootEnabled(in: hive)
        return .reading(starts: starts, hiberbootEnabled: hiberboot ?? nil)
    }

    /// The values `names` of the key `key`, as text: strings as they are, numbers in decimal; nil
    /// for a value that is absent or of another type (any hive, read-only: `scan` reads the
    /// SOFTWARE hive's version values with it).
    static func values(key: String, names: [String]) -> SandboxMessage {
        do throws(HiveError) {
            let hive = try Hive(sandboxName: wuscrub_sandbox_input_name(), writable: false, path: "")
            defer { hive.close() }
            guard let node = try hive.node(at: key) else { throw HiveError.keyNotFound(path: "", key: key) }
            var list: [String?] = []
            for name in names {
                list.append(SubkeyQuery.text(of: try hive.value(named: name, in: node)))
            }
            return .values(.success(list))
        } catch {
            return .values(.failure(error))
        }
    }

    /// The keys each query asks for, with their values as text (docs/architecture.md §15.2): read-only,
    /// bounded in keys (`SubkeyQuery.maximumRecords` in all), name and value lengths and answer
    /// size; a listing cut at a bound says so. A key whose subkeys or values hivex cannot read
    /// below the query's own key is left out or shown without them, never fatal.
    static func subkeys(_ queries: [SubkeyQuery]) -> SandboxMessage {
        do throws(HiveError) {
            let hive = try Hive(sandboxName: wuscrub_sandbox_input_name(), writable: false, path: "")
            defer { hive.close() }
            var records = SubkeyQuery.maximumRecords
            var bytes = SubkeyQuery.maximumAnswerBytes
            var listings: [SubkeyListing] = []
            for query in queries {
                guard let top = try hive.node(at: query.key) else { listings.append(.missing); continue }
                var found: [SubkeyRecord] = []
                var truncated = false
                func visit(_ node: Hive.Node, path: String, level: Int) throws(HiveError) {
                    if level == query.depth {
                        let values = query.names.map { name in
                            SubkeyQuery.text(of: (try? hive.value(named: name, in: node)) ?? nil, limit: SubkeyQuery.maximumValueBytes)
                        }
                        // What the fields take in the answer, with their lengths and separators.
                        let size = 12 + path.utf8.count + values.reduce(0) { $0 + 12 + ($1?.utf8.count ?? 0) }
                        guard records > 0, size <= bytes else { truncated = true; return }
                        records -= 1
                        bytes -= size
                        found.append(SubkeyRecord(name: path, values: values))
                        return
                    }
                    // The query's own key must list; a damaged key below it is left out.
                    let children = level == 0 ? try hive.children(of: node) : ((try? hive.children(of: node)) ?? [])
                    for child in children {
                        let name = SubkeyQuery.cut(hive.name(of: child), to: SubkeyQuery.maximumNameBytes)
                        try visit(child, path: path.isEmpty ? name : path + "\\" + name, level: level + 1)
                        if truncated { return }
                    }
                }
                try visit(top, path: "", level: 0)
                listings.append(SubkeyListing(found: true, records: found, truncated: truncated))
            }
            return .subkeys(.success(listings))
        } catch {
            return .subkeys(.failure(error))
        }
    }

    /// Sets the start values and commits the hive to the output descriptor.
    static func set(_ values: [StartSetting]) -> SandboxMessage {
        let hive: Hive
        do {
            hive = try Hive(sandboxName: wuscrub_sandbox_input_name(), writable: true, path: "")
        } catch {
            return .edited(error)
        }
        defer { hive.close() }
        return .edited(commit(values, in: hive))
    }

    #if WUSCRUB_TEST_HOOKS
    /// Test-only operations (debug builds): each does one thing after the filter.
    static func testHook(_ operation: String) -> [UInt8]? {
        switch operation {
        case "test-identity": return SandboxMessage.identity(uid: getuid(), gid: getgid()).encoded
        case "test-open": _ = wuscrub_sandbox_test_open()
        case "test-connect": _ = wuscrub_sandbox_test_connect()
        case "test-exec": _ = wuscrub_sandbox_test_exec()
        case "test-abort": abort()
        case "test-spin":
            var counter: UInt64 = 0
            while counter != UInt64.max { counter = counter &+ UInt64(getpid() & 1) | 1 }
        case "test-garbage": return Array("7:garbage".utf8)
        default: break
        }
        return nil
    }
    #endif

    private static func write(_ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(WUSCRUB_SANDBOX_RESULT_FD, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return Status.resultUnwritable.rawValue }
            offset += written
        }
        return Status.answered.rawValue
    }

    /// Writes a short reason to standard error (the parent shows it) and returns the status.
    private static func fail(_ status: Status, _ reason: String) -> Int32 {
        let line = Array(("wuscrub hivex child: " + reason + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        return status.rawValue
    }
}
