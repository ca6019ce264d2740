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
        // The TLS session slots (C: OpenSSL callbacks through libcurl's CURLOPT_SSL_CTX_FUNCTION),
        // compiled once so their shared state exists once.
        .target(name: "CTLS", dependencies: ["CCurl"], linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "HostwatchCore"),
        .target(name: "HostwatchIO", dependencies: ["HostwatchCore", "CCurl", "CTLS"]),
        .target(name: "HostwatchTestKit", dependencies: ["HostwatchCore"]),
        .executableTarget(name: "hostwatch", dependencies: ["HostwatchCore", "HostwatchIO"]),
        .executableTarget(name: "hostwatch-bench", dependencies: ["HostwatchCore", "HostwatchIO", "CTLS"]),
        .testTarget(name: "HostwatchCoreTests", dependencies: ["HostwatchCore", "HostwatchTestKit"],
                    exclude: ["Discovery/Fixtures"]),
        .testTarget(name: "HostwatchIOTests", dependencies: ["HostwatchIO", "HostwatchCore", "HostwatchTestKit"]),
        // libFuzzer entry points (Tests/Fuzz/README.md, run by packaging/fuzz). No main: a plain
        // `swift build` makes binaries that do nothing; `--sanitize=fuzzer` links libFuzzer's main.
        .executableTarget(name: "JSON5Fuzz", dependencies: ["HostwatchCore"], path: "Tests/Fuzz/Targets/JSON5Fuzz"),
        .executableTarget(name: "ConfigFuzz", dependencies: ["HostwatchCore"], path: "Tests/Fuzz/Targets/ConfigFuzz"),
        .executableTarget(name: "DNSMessageFuzz", dependencies: ["HostwatchCore"], path: "Tests/Fuzz/Targets/DNSMessageFuzz"),
        .executableTarget(name: "MailReplyFuzz", dependencies: ["HostwatchCore"], path: "Tests/Fuzz/Targets/MailReplyFuzz"),
        .testTarget(name: "IntegrationTests", dependencies: ["hostwatch", "hostwatch-bench", "HostwatchCore", "HostwatchIO", "HostwatchTestKit"]),
    ],
    swiftLanguageModes: [.v6]
)
