import CSandbox
#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// How a hivex child ended.
public enum SandboxTermination: Sendable, Equatable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it (SIGSYS: its filter; SIGABRT: a failed assertion; SIGXCPU or SIGKILL:
    /// its CPU limit).
    case signaled(Int32)
    /// It ran past the parent's timeout and was killed.
    case timedOut
}
