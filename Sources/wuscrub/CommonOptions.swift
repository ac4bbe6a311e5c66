import ArgumentParser
import FoundationEssentials
import WUScrubCore

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Argument(help: "The mount point of the Windows partition (the folder that holds Windows).")
    var root: String

    @Flag(help: "Print one JSON document on standard output (schema version 1, described in docs/json-schema.md of wuscrub's source).")
    var json = false

    @Flag(help: "Show no progress line on standard error (shown only on a terminal, without --json, TERM not dumb).")
    var noProgress = false
}
