import Foundation
import WUScrubCore

/// Points `HiveSandbox` at the built `wuscrub` binary, which runs the hivex child.
public enum SandboxSupport {
    /// Whether the binary exists; reading it sets `HiveSandbox.executable` (once, thread-safe).
    public static let ready: Bool = {
        HiveSandbox.executable = Repository.binary
        return FileManager.default.isExecutableFile(atPath: Repository.binary)
    }()
}
