// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "wuscrub",
    platforms: [.macOS(.v13)],
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
        .target(
            name: "WUScrubCore",
            dependencies: [
                "CHivex",
                "CPosixShims",
                "CSandbox",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))]
        ),
        .executableTarget(
            name: "wuscrub",
            dependencies: [
                "WUScrubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
            dependencies: ["WUScrubCore"]
        ),
        .executableTarget(
            name: "wuscrub-fuzz",
            dependencies: [
                "WUScrubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "WUScrubCoreTests",
            dependencies: ["WUScrubCore", "WUScrubFixtures", "WUScrubTestSupport"],
            swiftSettings: [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))]
        ),
        .testTarget(
            name: "wuscrubTests",
            dependencies: ["WUScrubCore", "WUScrubFixtures", "WUScrubTestSupport", "CPosixShims"],
            swiftSettings: [.define("WUSCRUB_TEST_HOOKS", .when(configuration: .debug))]
        ),
    ]
)
