#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Runs a system call until it stops failing with `EINTR`.
///
/// - Parameter body: The call; it returns -1 and sets `errno` on failure.
/// - Returns: The call's result, or the `Errno` it failed with.
@inline(__always)
func valueOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<I, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let code = Errno(rawValue: errno)
        if retryOnInterrupt && code == .interrupted { continue }
        return .failure(code)
    }
}

/// Runs a system call that returns 0 on success until it stops failing with `EINTR`.
@inline(__always)
func nothingOrErrno<I: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ body: () -> I) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
}
