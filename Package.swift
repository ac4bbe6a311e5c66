// swift-tools-version: 6.1
import PackageDescription

// The layers, each a target so that the compiler enforces them (docs/architecture.md §2):
//   RegistryFormat  pure registry format code: no I/O, no hivex
//   VolumeAccess    the only way to touch the untrusted volume, and host-file I/O
//   WUScrubCore     hivex and its sandbox, the install, the purge, the reset state machine
//   wuscrub         argument parsing, the error → exit code mapping, rendering
//
// WUSCRUB_TEST_HOOKS (debug builds only, which `make test` and the test targets use) compiles in
// the fault-injection hook and the sandbox's test switches; a release build has neither
// (docs/testing.md §6).
let testHooks: [SwiftSetting] = [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))]

let package = Package(
    name: "wuscrub",
    products: [
        .executable(name: "wuscrub", targets: ["wuscrub"]),
        .library(name: "WUScrubCore", targets: ["WUScrubCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 4.x imports FoundationEssentials, not Foundation: no ICU in the binary (docs/architecture.md §12).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // hivex's header only: the library is linked from its static archive by WUScrubCore, so
        // the binary runs where libhivex is not installed (docs/architecture.md §12).
        .systemLibrary(
            name: "CHivex",
            providers: [.apt(["libhivex-dev"])]
        ),
        .target(name: "CPosixShims"),
        // The hivex child's sandbox (seccomp, rlimits, uid drop); apt libseccomp-dev, whose
        // static archive is linked (`-l:libseccomp.a`: the linker takes that file, never the .so).
        .target(
            name: "CSandbox",
            cSettings: [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))],
            linkerSettings: [.linkedLibrary(":libseccomp.a")]
        ),
        .target(name: "RegistryFormat"),
        .target(
            name: "VolumeAccess",
            dependencies: [
                "CPosixShims",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "WUScrubCore",
            dependencies: [
                "RegistryFormat",
                "VolumeAccess",
                "CHivex",
                "CSandbox",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: testHooks,
            // libhivex.a needs only libc (its iconv included); see CHivex above.
            linkerSettings: [.linkedLibrary(":libhivex.a")]
        ),
        .executableTarget(
            name: "wuscrub",
            dependencies: [
                "WUScrubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: testHooks,
            plugins: ["VersionStamp"]
        ),
        // VERSION → Version.swift for the executable: the version's one source.
        .plugin(name: "VersionStamp", capability: .buildTool()),
        .target(
            name: "WUScrubFixtures",
            dependencies: ["WUScrubCore"]
        ),
        .executableTarget(
            name: "wuscrub-fixtures",
            dependencies: [
                "WUScrubCore",
                "WUScrubFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "WUScrubTestSupport",
            dependencies: ["WUScrubCore", "WUScrubFixtures", "CPosixShims"],
            path: "Tests/Support"
        ),
        .executableTarget(
            name: "wuscrub-bench",
            dependencies: [
                "WUScrubCore",
                "WUScrubFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The C baseline of the hive phase: compiled by the harness at run time, not part of the target.
            exclude: ["hive_baseline.c"]
        ),
        .executableTarget(
            name: "wuscrub-fuzz",
            dependencies: [
                "WUScrubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "RegistryFormatTests",
            dependencies: ["RegistryFormat", "WUScrubCore", "WUScrubFixtures", "WUScrubTestSupport"]
        ),
        .testTarget(
            name: "WUScrubCoreTests",
            dependencies: ["WUScrubCore", "RegistryFormat", "VolumeAccess", "WUScrubFixtures", "WUScrubTestSupport"],
            swiftSettings: testHooks
        ),
        .testTarget(
            name: "wuscrubTests",
            dependencies: ["wuscrub", "WUScrubCore", "WUScrubFixtures", "WUScrubTestSupport", "CPosixShims"],
            swiftSettings: testHooks
        ),
    ]
)
