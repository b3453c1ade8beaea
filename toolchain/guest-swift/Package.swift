// swift-tools-version:6.0
// PerchGuest: the Embedded Swift SDK for Perch modules (wasm32-unknown-none-wasm): WASI
// output, time and exit, and the gpio/i2c/sensor/time imports of docs/devices-abi.md.
// A module is an executable target that depends on this package, built with
//   swift build -c release --triple wasm32-unknown-none-wasm
// (examples/Package.swift is the template; `make examples` builds its targets).
import PackageDescription

let package = Package(
    name: "guest-swift",
    products: [.library(name: "PerchGuest", targets: ["PerchGuest"])],
    targets: [
        .target(name: "PerchGuest", swiftSettings: [
            .enableExperimentalFeature("Embedded"), .enableExperimentalFeature("Extern"),
            // Perch runs MVP wasm plus a few features; no stack protector without a libc.
            .unsafeFlags(["-wmo", "-Osize", "-Xfrontend", "-disable-stack-protector", "-Xcc", "-mcpu=mvp"]),
        ]),
    ]
)
