// swift-tools-version:6.0
import PackageDescription

// Targets follow ../shared/DESIGN.md §3. Dependencies point one way:
// hostwatch → HostwatchIO → HostwatchCore ← HostwatchTestKit. No package dependencies.
let package = Package(
    name: "hostwatch",
    products: [
        .executable(name: "hostwatch", targets: ["hostwatch"]),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "HostwatchCore"),
        .target(name: "HostwatchIO", dependencies: ["HostwatchCore", "CCurl"]),
        .target(name: "HostwatchTestKit", dependencies: ["HostwatchCore"]),
        .executableTarget(name: "hostwatch", dependencies: ["HostwatchCore", "HostwatchIO"]),
        .executableTarget(name: "hostwatch-bench", dependencies: ["HostwatchCore", "HostwatchIO"]),
        .testTarget(name: "HostwatchCoreTests", dependencies: ["HostwatchCore", "HostwatchTestKit"],
                    exclude: ["Discovery/Fixtures"]),
        .testTarget(name: "HostwatchIOTests", dependencies: ["HostwatchIO", "HostwatchCore", "HostwatchTestKit"]),
        .testTarget(name: "IntegrationTests", dependencies: ["hostwatch", "hostwatch-bench", "HostwatchCore", "HostwatchIO", "HostwatchTestKit"]),
    ],
    swiftLanguageModes: [.v6]
)
