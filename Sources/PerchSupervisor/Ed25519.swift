import CPerchSodium

/// Ed25519 signatures (libsodium through `CPerchSodium`, loaded at the first use). Keys and
/// signatures are plain byte arrays of the sizes below; anything of another size is simply
/// not valid.
public enum Ed25519 {
    public static let publicKeySize = 32
    public static let secretKeySize = 64
    public static let seedSize = 32
    public static let signatureSize = 64

    /// Loads and starts libsodium (once); false if it cannot be loaded or started.
    public static func start() -> Bool { perch_crypto_init() == 0 }

    /// Why `start()` failed.
    public static let unavailableMessage = "libsodium (libsodium.so.23) could not be loaded or started"

    public struct KeyPair: Sendable {
        public let publicKey: [UInt8]
        public let secretKey: [UInt8]
        public let seed: [UInt8]
    }

    public static func keyPair(seed: [UInt8]) -> KeyPair? {
        guard seed.count == seedSize, start() else { return nil }
        var pk = [UInt8](repeating: 0, count: publicKeySize)
        var sk = [UInt8](repeating: 0, count: secretKeySize)
        let ok = seed.withUnsafeBufferPointer { s in
            pk.withUnsafeMutableBufferPointer { p in
                sk.withUnsafeMutableBufferPointer { k in
                    perch_ed25519_keypair_from_seed(p.baseAddress, k.baseAddress, s.baseAddress) == 0
                }
            }
        }
        return ok ? KeyPair(publicKey: pk, secretKey: sk, seed: seed) : nil
    }

    /// A fresh keypair from the system's CSPRNG.
    public static func generate() -> KeyPair? {
        guard start() else { return nil }
        var seed = [UInt8](repeating: 0, count: seedSize)
        guard seed.withUnsafeMutableBufferPointer({ perch_crypto_random($0.baseAddress, seedSize) }) == 0 else { return nil }
        return keyPair(seed: seed)
    }

    public static func sign(_ message: [UInt8], with pair: KeyPair) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: signatureSize)
        _ = message.withUnsafeBufferPointer { m in
            signature.withUnsafeMutableBufferPointer { s in
                pair.secretKey.withUnsafeBufferPointer { k in
                    perch_ed25519_sign(s.baseAddress, m.baseAddress, m.count, k.baseAddress)
                }
            }
        }
        return signature
    }

    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureSize, publicKey.count == publicKeySize, start() else { return false }
        return signature.withUnsafeBufferPointer { s in
            message.withUnsafeBufferPointer { m in
                publicKey.withUnsafeBufferPointer { k in
                    perch_ed25519_verify(s.baseAddress, m.baseAddress, m.count, k.baseAddress) == 0
                }
            }
        }
    }
}
