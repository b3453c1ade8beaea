import CPerchLinkSys
import PerchLink

/// Key files, text so they can be inspected and diffed:
/// ```
/// perch-ed25519-secret-key          perch-ed25519-public-key
/// seed: <64 hex digits>             public: <64 hex digits>
/// public: <64 hex digits>           public: <64 hex digits>   (more keys: any number)
/// ```
/// `perch keygen FILE` writes the secret file with mode 0600 and `FILE.pub` with 0644.
/// A secret file's `public:` line must match the key its seed derives (catches edits).
/// A trust file (`--trust`) may be either kind: every `public:` line is a trusted key.
public struct KeyFile {
    public static let secretHeader = "perch-ed25519-secret-key"
    public static let publicHeader = "perch-ed25519-public-key"

    public var keyPair: Ed25519.KeyPair?
    public var publicKeys: [[UInt8]]

    public enum Failure: Error {
        case unreadable(path: String, errno: Int32)
        case malformed(path: String, line: Int, what: StaticString)
        case seedDoesNotMatchPublicKey(path: String)
        case readableByOthers(path: String, mode: Int32)
        case writeFailed(path: String, errno: Int32)
        case cryptoUnavailable

        public var message: String {
            switch self {
            case .unreadable(let path, let errno): return "cannot read key file '\(path)' (errno \(errno))"
            case .malformed(let path, let line, let what): return "key file '\(path)' line \(line): \(what)"
            case .seedDoesNotMatchPublicKey(let path): return "key file '\(path)': public key does not match the seed"
            case .readableByOthers(let path, let mode):
                return "secret key file '\(path)' is readable by others (mode 0" + String(mode, radix: 8) + "); chmod 600 it"
            case .writeFailed(let path, let errno): return "cannot write key file '\(path)' (errno \(errno))"
            case .cryptoUnavailable: return Ed25519.unavailableMessage
            }
        }
    }

    public static func render(secret pair: Ed25519.KeyPair) -> String {
        "\(secretHeader)\nseed: \(hexString(pair.seed))\npublic: \(hexString(pair.publicKey))\n"
    }

    public static func render(publicKey: [UInt8]) -> String {
        "\(publicHeader)\npublic: \(hexString(publicKey))\n"
    }

    /// Parses key-file text; `path` only names the file in errors.
    public static func parse(_ text: [UInt8], path: String) throws(Failure) -> KeyFile {
        var lines: [[UInt8]] = [[]]
        for c in text {
            if c == UInt8(ascii: "\n") { lines.append([]) } else if c != UInt8(ascii: "\r") { lines[lines.count - 1].append(c) }
        }
        let header = String(decoding: lines[0], as: UTF8.self)
        let isSecret = sameBytes(header, secretHeader)
        guard isSecret || sameBytes(header, publicHeader) else {
            throw .malformed(path: path, line: 1, what: "first line must be perch-ed25519-secret-key or perch-ed25519-public-key")
        }
        var seed: [UInt8]? = nil
        var keys: [[UInt8]] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            if let value = field(line, "seed: ") {
                guard isSecret, seed == nil, let bytes = parseHex(value), bytes.count == Ed25519.seedSize else {
                    throw .malformed(path: path, line: index + 1, what: "seed must be 64 hex digits, once, in a secret key file")
                }
                seed = bytes
            } else if let value = field(line, "public: ") {
                guard let bytes = parseHex(value), bytes.count == Ed25519.publicKeySize else {
                    throw .malformed(path: path, line: index + 1, what: "public key must be 64 hex digits")
                }
                keys.append(bytes)
            } else {
                throw .malformed(path: path, line: index + 1, what: "expected 'seed: HEX' or 'public: HEX'")
            }
        }
        var pair: Ed25519.KeyPair? = nil
        if isSecret {
            guard let seed else { throw .malformed(path: path, line: 1, what: "secret key file has no seed") }
            guard let derived = Ed25519.keyPair(seed: seed) else { throw .cryptoUnavailable }
            guard keys.count == 1, keys[0] == derived.publicKey else { throw .seedDoesNotMatchPublicKey(path: path) }
            pair = derived
        } else if keys.isEmpty {
            throw .malformed(path: path, line: 1, what: "public key file has no 'public:' line")
        }
        return KeyFile(keyPair: pair, publicKeys: keys)
    }

    /// Reads a key file; a secret key file must not be readable by group or others.
    public static func load(_ path: String) throws(Failure) -> KeyFile {
        var text = [UInt8](repeating: 0, count: 1024)
        let n = path.withCString { p in
            text.withUnsafeMutableBytes { perch_link_read_file(p, 0, $0.baseAddress, $0.count) }
        }
        guard n >= 0 else { throw .unreadable(path: path, errno: Int32(truncatingIfNeeded: -n)) }
        let file = try parse(Array(text[0..<Int(n)]), path: path)
        if file.keyPair != nil {
            let mode = path.withCString { perch_link_file_mode($0) }
            if mode >= 0, mode & 0o077 != 0 { throw .readableByOthers(path: path, mode: mode) }
        }
        return file
    }

    /// Writes a new keypair: `path` (secret, 0600) and `path.pub` (public, 0644).
    public static func generate(to path: String) throws(Failure) -> Ed25519.KeyPair {
        guard let pair = Ed25519.generate() else { throw .cryptoUnavailable }
        try write(render(secret: pair), to: path, mode: 0o600)
        try write(render(publicKey: pair.publicKey), to: path + ".pub", mode: 0o644)
        return pair
    }

    private static func write(_ text: String, to path: String, mode: UInt32) throws(Failure) {
        let bytes = Array(text.utf8)
        // Refuse to replace an existing key: losing a signing key strands deployed devices.
        let exists = path.withCString { perch_link_file_size($0) } >= 0
        if exists { throw .writeFailed(path: path, errno: 17) }
        let r = path.withCString { p in
            bytes.withUnsafeBytes { perch_link_write_file(p, 0, $0.baseAddress, $0.count, 1, 1, mode) }
        }
        guard r == 0 else { throw .writeFailed(path: path, errno: -r) }
    }

    private static func field(_ line: [UInt8], _ prefix: StaticString) -> [UInt8]? {
        let p = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        guard line.count >= p.count, line[0..<p.count].elementsEqual(p) else { return nil }
        return Array(line[p.count...])
    }
}

public func hexString(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(hexDigit(b >> 4))
        out.append(hexDigit(b & 15))
    }
    return String(decoding: out, as: UTF8.self)
}

private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

public func parseHex(_ text: [UInt8]) -> [UInt8]? {
    guard text.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < text.count {
        guard let hi = hexValue(text[i]), let lo = hexValue(text[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x61...0x66: return c - 0x57
    case 0x41...0x46: return c - 0x37
    default: return nil
    }
}
