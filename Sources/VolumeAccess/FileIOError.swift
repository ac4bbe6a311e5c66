import SystemPackage

/// A failed file operation: what was attempted, on which path, and the system's reason.
public struct FileIOError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Errno

    public init(operation: String, path: String, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "cannot \(operation) '\(path)': \(errno.description)"
    }
}
