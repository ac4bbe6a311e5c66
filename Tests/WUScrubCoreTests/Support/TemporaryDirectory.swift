#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

/// A fresh, uniquely named directory under `/tmp` for one test.
///
/// Call `remove()` in a `defer` right after creating it: that both cleans up and keeps the
/// object alive until the end of the test (Swift may otherwise release it after its last use,
/// and `deinit` removes the directory as a backstop). Unmount anything mounted inside first.
final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    let path: String

    /// Creates the directory.
    ///
    /// - Parameter label: A word for the directory's name, to recognise leftovers.
    /// - Throws: `POSIXError` when `mkdtemp` fails.
    init(_ label: String = "test") throws {
        let safeLabel = String(label.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.prefix(40))
        var template = Array("/tmp/wuscrub-\(safeLabel)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: created)
    }

    /// The path of `relative` inside the directory.
    ///
    /// - Parameter relative: A path relative to the directory, such as `"root/Windows"`.
    /// - Returns: The absolute path.
    func path(_ relative: String) -> String {
        relative.isEmpty ? path : path + "/" + relative
    }

    /// Removes the directory and everything in it; symbolic links inside are removed, not followed.
    ///
    /// Safe to call more than once.
    func remove() {
        guard path.hasPrefix("/tmp/wuscrub-") else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit {
        remove()
    }
}
