import ArgumentParser
import Foundation
import WUScrubCore

/// The user did not confirm.
struct Cancelled: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
