// swift-tools-version:6.0
// libFuzzer harness over decode + validate, kept out of the main package so ordinary builds
// never need `-sanitize=fuzzer`. `make fuzz` builds it with `swift build --sanitize=fuzzer`.
// The library targets are symlinks to the main package's sources, built here instrumented.
import PackageDescription

let package = Package(
    name: "PerchFuzz",
    targets: [
        .target(name: "CPerchSys"),
        .target(name: "PerchCore", dependencies: ["CPerchSys"]),
        .target(name: "PerchDecode", dependencies: ["PerchCore"]),
        .target(name: "PerchValidate", dependencies: ["PerchCore", "PerchDecode"]),
        .executableTarget(
            name: "PerchFuzz", dependencies: ["PerchCore", "PerchDecode", "PerchValidate"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)

// As in the main package: Swift 6.3's SIL dead-store elimination drops stores at negative
// pointer indices (swiftlang/swift#77558).
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-Xllvm", "-sil-disable-pass=dead-store-elimination"])
    ]
}
