// swift-tools-version:6.0
// The Embedded Swift examples: Perch modules written against the guest SDK package
// (toolchain/guest-swift, module PerchGuest), one executable target each:
//   swift build -c release --triple wasm32-unknown-none-wasm --package-path examples --product swift-blink
// gives .build/release/swift-blink.wasm (`make examples` puts it in out/examples/).
// The C examples beside them are built by toolchain/*.mk, not by this package.
import PackageDescription

/// A Perch module: Embedded Swift for wasm32, exporting `_start` itself (no libc start
/// files; wasi-libc only supplies memset/memcpy).
func module(_ name: String) -> Target {
    .executableTarget(
        name: name, dependencies: [.product(name: "PerchGuest", package: "guest-swift")],
        path: name, sources: ["Main.swift"],
        swiftSettings: [
            .enableExperimentalFeature("Embedded"), .enableExperimentalFeature("Extern"),
            .unsafeFlags(["-wmo", "-Osize", "-parse-as-library", "-Xfrontend", "-disable-stack-protector", "-Xcc", "-mcpu=mvp"]),
        ],
        linkerSettings: [.unsafeFlags([
            "-Xclang-linker", "-nostdlib", "-Xlinker", "--no-entry", "-Xlinker", "--export=_start",
            "-Xlinker", "--strip-debug", "/usr/lib/wasm32-wasi/libc.a",
        ])])
}

let package = Package(
    name: "perch-examples",
    dependencies: [.package(path: "../toolchain/guest-swift")],
    targets: [module("swift-blink"), module("swift-hello")]
)
