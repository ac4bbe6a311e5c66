import ArgumentParser
import FoundationEssentials
import WUScrubCore

/// The user did not confirm.
struct Cancelled: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
