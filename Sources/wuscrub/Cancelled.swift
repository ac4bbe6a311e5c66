import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WUScrubCore

/// The user did not confirm.
struct Cancelled: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
