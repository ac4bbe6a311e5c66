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

extension Resetter {
    /// A resetter whose hivex calls run in the built binary's sandboxed child (as in the tool).
    public init(sandboxed install: WindowsInstall, toolVersion: String) {
        _ = SandboxSupport.ready
        self.init(install: install, toolVersion: toolVersion)
    }
}
