// swift-tools-version:6.0
// Perch: a WebAssembly runtime for small ARM boards.
//
// Imports point one way: PerchCore <- PerchDecode <- PerchValidate <- PerchInterp;
// host modules (PerchWASI, devices) depend only on PerchCore; PerchCLI wires it all.
// Every target except the tests is written in the Embedded Swift subset, so the same
// sources build for the host and, through toolchain/*.json toolsets, for ARM devices.
import PackageDescription

// The interpreter is built for speed in every release build, also where the toolset asks
// for size (`-Osize` in toolchain/*-linux.json); measured in docs/interpreter.md ("Device
// build flags"). Each flag:
// - `-Xfrontend -O`: under -Osize (LLVM `minsize`) the one-loop interpreter before the
//   handlers ran 56% more instructions (constants rebuilt at every dispatch, spills). The
//   toolset's `-Osize` comes after a target's flags on the swiftc line, but `-Xfrontend`
//   flags come after it on the frontend's, where the last `-O*` wins.
// - `-sil-inline-block-limit-denominator`: the SIL inliner stops inlining even trivial
//   callees into a large caller, and a stdlib specialisation that Embedded Swift emits in
//   another file's object can then not be inlined by LLVM either; a large denominator
//   removes that size penalty.
// The Cortex-M4 image (PERCH_MCU_IMAGE) stays size-first: flash is its limit.
let interpreterSpeedSettings: [SwiftSetting] =
    Context.environment["PERCH_MCU_IMAGE"] != nil ? [] : [
        .unsafeFlags([
            "-Xfrontend", "-O",
            "-Xllvm", "-sil-inline-block-limit-denominator=100000000",
        ], .when(configuration: .release))
    ]

// Every build of the interpreter, the Cortex-M4 image's too: no Swift function merging.
// That LLVM pass folds functions that differ only in a few constants into one taking them
// as extra parameters; two dispatch functions of perch_dispatch.h so folded have one
// parameter more than the handler they `musttail`-call, and LLVM rejects the module
// ("cannot guarantee tail call due to mismatched parameter counts"; seen on armv7, where
// i32.load and i64.load32_s differed only in the widening function they called).
let interpreterDispatchSettings: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-llvm-merge-functions-pass"])
]

let package = Package(
    name: "Perch",
    products: [
        .executable(name: "perch", targets: ["perch"]),
    ],
    targets: [
        .target(name: "CPerchSys"),
        .target(name: "PerchCore", dependencies: ["CPerchSys"]),
        .target(name: "PerchDecode", dependencies: ["PerchCore"]),
        .target(name: "PerchValidate", dependencies: ["PerchCore", "PerchDecode"]),
        // The interpreter's dispatch: C functions joined by guaranteed tail calls, each with
        // a Swift handler of PerchInterp inlined (perch_dispatch.h).
        .target(name: "CPerchDispatch"),
        .target(
            name: "PerchInterp", dependencies: ["CPerchDispatch", "PerchCore", "PerchDecode", "PerchValidate"],
            swiftSettings: interpreterDispatchSettings + interpreterSpeedSettings,
            // f32/f64.sqrt call sqrtf/sqrt; bare-metal builds supply them from their own libm.
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        .target(name: "PerchWASI", dependencies: ["PerchCore"]),
        .target(name: "PerchHAL", dependencies: ["PerchCore"]),
        .target(name: "PerchHALSim", dependencies: ["PerchCore", "PerchHAL"]),
        .target(name: "PerchDevices", dependencies: ["PerchCore", "PerchHAL"]),
        // libgpiod is dlopen()ed by CPerchHALLinux, not linked: perch builds and runs without it.
        .target(name: "CPerchHALLinux"),
        .target(name: "PerchHALLinux", dependencies: ["PerchCore", "PerchHAL", "CPerchHALLinux"]),
        // Host-only benchmark of device host calls (heap allocations counted by CPerchAllocCount).
        .target(name: "CPerchAllocCount"),
        .executableTarget(
            name: "perch-devices-bench",
            dependencies: [
                "CPerchAllocCount", "PerchCore", "PerchDecode", "PerchValidate", "PerchInterp", "PerchHAL",
                "PerchHALSim", "PerchDevices",
            ],
            exclude: ["toggle.wat"]),
        .target(name: "CPerchLinux"),
        .target(name: "PerchPlatform", dependencies: ["PerchCore", "CPerchLinux"]),
        .target(name: "PerchSpecTest", dependencies: ["PerchCore", "PerchDecode", "PerchValidate", "PerchInterp"]),
        .target(name: "PerchLink", dependencies: ["PerchCore"]),
        // libsodium is dlopen()ed by CPerchSodium at the first signature call, not linked:
        // only the supervisor and key commands need it, so `perch run` never loads it.
        .target(name: "CPerchSodium"),
        .target(name: "CPerchLinkSys"),
        .target(name: "PerchSupervisor", dependencies: ["PerchCore", "PerchLink", "CPerchSodium", "CPerchLinkSys"]),
        // Checks with no platform dependencies: run by `perch selftest` and the Cortex-M4 image.
        .target(name: "PerchSelfTest", dependencies: ["PerchCore", "PerchDecode", "PerchValidate", "PerchInterp"]),
        .target(
            name: "PerchCLI",
            dependencies: [
                "CPerchSys", "PerchCore", "PerchDecode", "PerchValidate", "PerchInterp", "PerchWASI",
                "PerchSelfTest", "PerchLink", "PerchSupervisor", "PerchPlatform", "PerchSpecTest",
                "CPerchLinkSys", "PerchHAL", "PerchHALSim", "PerchDevices", "PerchHALLinux",
            ]),
        .executableTarget(
            name: "perch", dependencies: ["PerchCLI"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .testTarget(name: "PerchCoreTests", dependencies: ["PerchCore"]),
        .testTarget(
            name: "PerchInterpTests",
            dependencies: [
                "PerchInterp", "PerchDecode", "PerchValidate", "PerchSpecTest", "PerchWASI", "PerchPlatform", "PerchSelfTest",
                "CAllocCounter",
            ]),
        // Test-only malloc counter (glibc), for the zero-allocation proof.
        .target(name: "CAllocCounter", path: "Tests/CAllocCounter"),
        .testTarget(name: "PerchDevicesTests", dependencies: ["PerchCore", "PerchHAL", "PerchHALSim", "PerchDevices"]),
        .testTarget(name: "PerchHALLinuxTests", dependencies: ["PerchCore", "PerchHAL", "PerchHALLinux"]),
        .testTarget(name: "PerchExamplesTests", dependencies: ["PerchCLI", "PerchCore", "PerchPlatform", "PerchHALSim"]),
        .testTarget(name: "PerchWASITests", dependencies: ["PerchCore", "PerchWASI", "PerchPlatform"]),
        .testTarget(name: "PerchRunTests", dependencies: ["PerchCLI", "PerchCore", "PerchPlatform"]),
        .testTarget(name: "PerchDecodeTests", dependencies: ["PerchCore", "PerchDecode"]),
        .testTarget(name: "PerchSpecTests", dependencies: ["PerchCore", "PerchDecode", "PerchSpecTest"]),
        .testTarget(name: "PerchCLITests", dependencies: ["PerchCLI", "PerchSelfTest"]),
        .testTarget(name: "PerchLinkTests", dependencies: ["PerchLink"]),
        .testTarget(name: "PerchSupervisorTests", dependencies: ["PerchSupervisor", "PerchLink", "CPerchLinkSys"]),
        // Host-only load benchmark (`make bench-load`); uses Foundation, never built for devices.
        .executableTarget(
            name: "perch-bench-load", dependencies: ["PerchCore", "PerchDecode", "PerchValidate"], path: "Sources/perch-bench-load"),
        .testTarget(name: "PerchValidateTests", dependencies: ["PerchCore", "PerchDecode", "PerchValidate"]),
    ]
)

// Perch's own Swift code uses neither Swift Concurrency nor regex literals. Not importing
// them implicitly keeps libswift_Concurrency, libswift_StringProcessing and what they load
// (libdispatch, libswift_RegexParser) out of the full-Swift perch, whose every start they slowed.
for target in package.targets
where target.type != .test && !target.name.hasPrefix("C") && target.name != "perch-bench-load" {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags([
            "-Xfrontend", "-disable-implicit-concurrency-module-import",
            "-Xfrontend", "-disable-implicit-string-processing-module-import",
        ])
    ]
}

// The bare-metal image (a Cortex-M4F firmware that runs the self-test) exists only in the
// build `make cortex-m4` runs, which sets PERCH_MCU_IMAGE: its C runtime defines the C
// library symbols and startup code that must not be linked into any hosted build.
if Context.environment["PERCH_MCU_IMAGE"] != nil {
    package.targets += [
        .target(name: "PerchMCURuntime", path: "toolchain/cortex-m4/runtime"),
        .executableTarget(
            name: "perch-mcu", dependencies: ["PerchCore", "PerchSelfTest", "PerchMCURuntime"],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "-T", "-Xlinker", Context.packageDirectory + "/toolchain/cortex-m4/mps2-an386.ld"])
            ]),
    ]
    package.products += [.executable(name: "perch-mcu", targets: ["perch-mcu"])]
}

// Every Swift target of every build: no SIL dead-store elimination. In Swift 6.3 that pass
// deletes a store through a typed pointer at a constant negative index when a store at
// index 0 of the same pointer follows (`sp[-1] = a; sp[0] = b` keeps only `b`), and the
// value stack is written exactly so (swiftlang/swift#77558, fixed in 6.4). LLVM's own
// dead-store elimination still runs; the interpreter's handlers compile to the same code.
// `perch selftest` checks the pattern on every target.
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-Xllvm", "-sil-disable-pass=dead-store-elimination"])
    ]
}
