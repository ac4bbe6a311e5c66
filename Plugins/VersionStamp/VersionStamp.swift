import Foundation
import PackagePlugin

/// Writes `Version.swift` (`let wuscrubVersion = "…"`) from the repository's `VERSION` file, the
/// one place the version is kept: `--version`, the `--json` document and `make dist`'s archive
/// name all read it (docs/architecture.md §12).
@main
struct VersionStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let version = context.package.directoryURL.appending(path: "VERSION")
        let output = context.pluginWorkDirectoryURL.appending(path: "Version.swift")
        // A version is digits, dots, letters, '-' and '+' only (checked: it ends up in a Swift string).
        let script = """
            v=$(cat "$1") || exit 1
            case "$v" in ''|*[!0-9A-Za-z.+-]*) echo "error: VERSION must hold one version such as 1.2.3, not '$v'" >&2; exit 1;; esac
            printf '/// Generated from VERSION by the VersionStamp plugin.\\nlet wuscrubVersion = "%s"\\n' "$v" > "$2"
            """
        return [
            .buildCommand(
                displayName: "Stamping the version from VERSION",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "version-stamp", version.path, output.path],
                inputFiles: [version],
                outputFiles: [output]
            )
        ]
    }
}
