import CPerchLinkSys
import Foundation
@testable import PerchLink
@testable import PerchSupervisor

/// A fresh directory under the system temp dir, removed when the value goes away.
final class TempDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "perch-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func fileMode(_ path: String) -> Int32 { path.withCString { perch_link_file_mode($0) } }
func chmod(_ path: String, _ mode: Int) {
    try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

let testSigner = Ed25519.keyPair(seed: [UInt8](repeating: 0x42, count: 32))!
let otherSigner = Ed25519.keyPair(seed: [UInt8](repeating: 0x24, count: 32))!

/// A module-like blob (contents do not matter to the store) and its signed deployment.
func makeDeploy(app: String = "blinky", version: UInt64, size: Int = 5000, seed: UInt8 = 1,
                signer: Ed25519.KeyPair = testSigner) -> (module: [UInt8], deploy: Deploy) {
    let module = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 13) }
    let manifest = Manifest(app: app, version: version, moduleSize: UInt32(size), moduleSHA256: SHA256.hash(module),
                            arenaSize: 1 << 20, fuelSlice: 10_000, grants: ["gpio:17"])
    let bytes = manifest.encoded()!
    return (module, Deploy(manifestBytes: bytes, signature: Ed25519.sign(bytes, with: signer), manifest: manifest))
}
