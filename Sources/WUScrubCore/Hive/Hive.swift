import CHivex
#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// An open registry hive, backed by a hivex handle that it owns and closes exactly once.
///
/// hivex runs in this process: use a `Hive` only on trusted input (fixture generation, tests)
/// and inside the sandboxed hivex child. A hive from the Windows volume is untrusted: read and
/// edit it through `HiveSandbox`, which runs hivex in a child process under a seccomp filter.
///
/// A `Hive` is not thread-safe: use it from one task at a time.
public final class Hive {
    /// A key in the hive (a hivex node handle, valid while the hive is open).
    public struct Node: Hashable, Sendable {
        let raw: hive_node_h
    }

    /// The file the hive was opened from.
    public let path: String
    /// Whether edits are allowed (the file is never written until `commit(to:)`).
    public let isWritable: Bool
    private var handle: OpaquePointer?

    /// Opens a hive with hivex.
    ///
    /// A writable hive is first checked with `HiveLayout.validate`: hivex opens truncated files
    /// and files whose hive-bin chain stops short, and then commits corrupt output.
    /// - Parameters:
    ///   - path: The hive file.
    ///   - writable: Whether to allow edits (hivex then reads the whole file into memory).
    /// - Throws: `HiveError.cannotOpen` with hivex's errno, or the layout check's error.
    ///
    /// The corresponding hivex function is `hivex_open`.
    public init(path: String, writable: Bool = false) throws(HiveError) {
        self.path = path
        self.isWritable = writable
        if writable {
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path) } catch { throw .io(error) }
            try HiveLayout.validateHive(bytes, path: path)
        }
        // A spec-correct checksum of 1 or 0xFFFFFFFE (docs/registry-format.md §11.2) is refused by hivex: open a copy that
        // carries hivex's plain XOR instead. A commit recomputes the correct checksum again.
        let copy: String?
        do { copy = try HiveFile.hivexCompatibleCopy(of: path) } catch { throw .io(error) }
        defer { if let copy { unlink(copy) } }
        chivex_clear_errno()
        guard let opened = hivex_open(copy ?? path, writable ? HIVEX_OPEN_WRITE : 0) else {
            throw .cannotOpen(path: path, errno: Errno(rawValue: chivex_errno()))
        }
        handle = opened
    }

    /// Opens the sandbox's input hive (inside the hivex child only).
    ///
    /// - Parameters:
    ///   - name: `wuscrub_sandbox_input_name()` itself: the filter lets hivex open only that
    ///     pointer, and the SIGSYS handler answers with a duplicate of the input descriptor.
    ///   - writable: Whether to allow edits.
    ///   - path: The hive's path, for messages.
    /// - Throws: `HiveError.cannotOpen` with hivex's errno.
    ///
    /// The corresponding hivex function is `hivex_open`.
    init(sandboxName name: UnsafePointer<CChar>, writable: Bool, path: String) throws(HiveError) {
        self.path = path
        self.isWritable = writable
        chivex_clear_errno()
        guard let opened = hivex_open(name, writable ? HIVEX_OPEN_WRITE : 0) else {
            throw .cannotOpen(path: path, errno: Errno(rawValue: chivex_errno()))
        }
        handle = opened
    }

    deinit { close() }

    /// Releases the hivex handle; later calls do nothing. Uncommitted edits are discarded.
    ///
    /// The corresponding hivex function is `hivex_close`.
    public func close() {
        if let handle {
            _ = hivex_close(handle)
            self.handle = nil
        }
    }

    private var h: OpaquePointer {
        guard let handle else { preconditionFailure("hive '\(path)' used after close()") }
        return handle
    }

    // MARK: - Keys

    /// The root key.
    ///
    /// The corresponding hivex function is `hivex_root`.
    public var root: Node { Node(raw: hivex_root(h)) }

    /// The name of a key.
    ///
    /// The corresponding hivex function is `hivex_node_name`.
    public func name(of node: Node) -> String {
        guard let raw = hivex_node_name(h, node.raw) else { return "" }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// The subkeys of a key.
    ///
    /// - Throws: `HiveError.operationFailed` when hivex cannot read the subkey list.
    /// The corresponding hivex function is `hivex_node_children`.
    public func children(of node: Node) throws(HiveError) -> [Node] {
        chivex_clear_errno()
        guard let list = hivex_node_children(h, node.raw) else {
            throw failure("node_children")
        }
        defer { free(list) }
        var result: [Node] = []
        var index = 0
        while list[index] != 0 {
            result.append(Node(raw: list[index]))
            index += 1
        }
        return result
    }

    /// Finds a subkey by name, ignoring case as Windows does.
    ///
    /// - Returns: The subkey, or nil when there is none.
    /// - Throws: `HiveError.operationFailed` when the subkey list cannot be read.
    public func child(of node: Node, named name: String) throws(HiveError) -> Node? {
        let wanted = name.lowercased()
        for child in try children(of: node) where self.name(of: child).lowercased() == wanted {
            return child
        }
        return nil
    }

    /// Follows a backslash-separated key path from the root, ignoring case.
    ///
    /// - Parameter keyPath: For example `ControlSet001\Services\wuauserv`.
    /// - Returns: The key, or nil when a component is missing.
    public func node(at keyPath: String) throws(HiveError) -> Node? {
        var current = root
        for component in keyPath.split(separator: "\\") {
            guard let next = try child(of: current, named: String(component)) else { return nil }
            current = next
        }
        return current
    }

    /// Adds a subkey (used to build fixtures).
    ///
    /// The corresponding hivex function is `hivex_node_add_child`.
    @discardableResult
    public func addChild(named name: String, to parent: Node) throws(HiveError) -> Node {
        chivex_clear_errno()
        let node = hivex_node_add_child(h, parent.raw, name)
        guard node != 0 else { throw failure("node_add_child") }
        return Node(raw: node)
    }

    // MARK: - Values

    /// The names of a key's values, with their types and data sizes.
    ///
    /// The corresponding hivex functions are `hivex_node_values` and `hivex_value_type`.
    public func valueEntries(of node: Node) throws(HiveError) -> [(name: String, type: UInt32, size: Int)] {
        chivex_clear_errno()
        guard let list = hivex_node_values(h, node.raw) else { throw failure("node_values") }
        defer { free(list) }
        var result: [(String, UInt32, Int)] = []
        var index = 0
        while list[index] != 0 {
            let value = list[index]
            var type = hive_type(0)
            var length = 0
            guard hivex_value_type(h, value, &type, &length) == 0 else { throw failure("value_type") }
            let key = hivex_value_key(h, value)
            defer { free(key) }
            result.append((key.map { String(cString: $0) } ?? "", type.rawValue, length))
            index += 1
        }
        return result
    }

    /// Reads one value of a key, ignoring the case of its name.
    ///
    /// - Parameters:
    ///   - name: The value name ("" for the default value).
    ///   - node: The key.
    /// - Returns: The decoded value, or nil when the key has no such value.
    /// - Throws: `HiveError.operationFailed` when hivex cannot read it.
    /// The corresponding hivex functions are `hivex_node_get_value` and `hivex_value_value`.
    public func value(named name: String, in node: Node) throws(HiveError) -> HiveValue? {
        chivex_clear_errno()
        let value = hivex_node_get_value(h, node.raw, name)
        if value == 0 {
            if chivex_errno() != 0 { throw failure("node_get_value") }
            return nil
        }
        var type = hive_type(0)
        var length = 0
        chivex_clear_errno()
        guard let raw = hivex_value_value(h, value, &type, &length) else { throw failure("value_value") }
        defer { free(raw) }
        let data = raw.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        return HiveValue(type: type.rawValue, data: data)
    }

    /// Sets (adds or replaces) one value of a key, keeping the key's other values.
    ///
    /// hivex rewrites every value of the key when it sets one, and would turn a big-data (`db`)
    /// value into a plain cell (docs/registry-format.md §11.5): a key holding any value larger than
    /// 16,344 bytes is refused before anything changes in memory.
    /// - Parameters:
    ///   - value: The new value.
    ///   - name: The value name.
    ///   - node: The key.
    ///   - keyPath: The key's path, for messages.
    /// - Throws: `HiveError.bigValueOnKey`, or `.operationFailed` from hivex.
    /// The corresponding hivex function is `hivex_node_set_value`.
    public func setValue(_ value: HiveValue, named name: String, in node: Node, keyPath: String) throws(HiveError) {
        for entry in try valueEntries(of: node) where entry.size > BaseBlock.maximumSingleCellData {
            throw .bigValueOnKey(path: path, key: keyPath, value: entry.name, size: entry.size)
        }
        var data = value.data
        let status = name.withCString { key in
            data.withUnsafeMutableBytes { buffer in
                var setting = hive_set_value(
                    key: UnsafeMutablePointer(mutating: key),
                    t: hive_type(value.type),
                    len: buffer.count,
                    value: buffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                )
                chivex_clear_errno()
                return hivex_node_set_value(h, node.raw, &setting, 0)
            }
        }
        guard status == 0 else { throw failure("node_set_value") }
    }

    // MARK: - Writing

    /// Writes the hive to a new file and gives it a correct checksum.
    ///
    /// hivex truncates its target and rewrites it without fsync, and omits the checksum's special
    /// cases: this writes to `target` (which should be a fresh temporary file), then recomputes
    /// the checksum with the special cases and fsyncs the file.
    /// - Parameter target: The file to write.
    /// - Throws: `HiveError.operationFailed` from hivex or `.io` from the checksum fix.
    /// The corresponding hivex function is `hivex_commit`.
    public func commit(to target: String) throws(HiveError) {
        chivex_clear_errno()
        guard hivex_commit(h, target, 0) == 0 else {
            throw .operationFailed(operation: "commit to '\(target)'", path: path, errno: Errno(rawValue: chivex_errno()))
        }
        do {
            try HiveFile.fixChecksum(at: target)
        } catch {
            throw .io(error)
        }
    }

    /// Writes the hive to the sandbox's output (inside the hivex child only); the parent fixes
    /// the checksum.
    ///
    /// - Parameter name: `wuscrub_sandbox_output_name()` itself.
    /// - Throws: `HiveError.operationFailed` from hivex.
    /// The corresponding hivex function is `hivex_commit`.
    func commit(toSandboxName name: UnsafePointer<CChar>) throws(HiveError) {
        chivex_clear_errno()
        guard hivex_commit(h, name, 0) == 0 else {
            throw .operationFailed(operation: "commit", path: path, errno: Errno(rawValue: chivex_errno()))
        }
    }

    private func failure(_ operation: String) -> HiveError {
        let code = chivex_errno()
        return .operationFailed(operation: "hivex_" + operation, path: path, errno: Errno(rawValue: code == 0 ? EINVAL : code))
    }
}
