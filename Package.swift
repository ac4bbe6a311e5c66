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
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CHivex",
            pkgConfig: "hivex",
            providers: [.apt(["libhivex-dev"])]
        ),
        .target(name: "CPosixShims"),
        // The hivex child's sandbox (seccomp, rlimits, uid drop); apt libseccomp-dev.
        .target(
            name: "CSandbox",
            cSettings: [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))],
            linkerSettings: [.linkedLibrary("seccomp")]
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
            swiftSettings: testHooks
        ),
        .executableTarget(
            name: "wuscrub",
            dependencies: [
                "WUScrubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: testHooks
        ),
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
