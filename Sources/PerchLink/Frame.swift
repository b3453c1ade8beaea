/// The frame every link message travels in, on TCP and on a serial line alike.
///
/// ```
///  offset  size  field
///  0       2     magic 0x50 0xE7 ("P", then a byte that never occurs in ASCII text)
///  2       1     protocol version (1)
///  3       1     message type (MessageType)
///  4       2     sequence number, little-endian; a reply carries its request's number
///  6       2     payload length n, little-endian, at most `Frame.maxPayload`
///  8       n     payload
///  8+n     4     CRC-32 (IEEE) of bytes 2 ..< 8+n, little-endian
/// ```
/// The CRC covers everything after the magic, so a flipped bit anywhere in version, type,
/// sequence, length or payload is caught; the magic is what a receiver resynchronises on.
public struct Frame {
    public static let magic0: UInt8 = 0x50
    public static let magic1: UInt8 = 0xE7
    public static let version: UInt8 = 1
    public static let headerSize = 8
    public static let trailerSize = 4
    /// Protocol limit on a payload; keeps a receiver's buffer small and fixed.
    public static let maxPayload = 4096
    public static let maxFrameSize = headerSize + maxPayload + trailerSize

    public let type: UInt8
    public let sequence: UInt16
    /// Valid only while the parser's callback runs: it points into the parser's buffer.
    public let payload: UnsafeRawBufferPointer

    public init(type: UInt8, sequence: UInt16, payload: UnsafeRawBufferPointer) {
        self.type = type
        self.sequence = sequence
        self.payload = payload
    }

    /// Appends one frame to `output`. Payloads longer than `maxPayload` are a programming
    /// error of the sender; they are refused here rather than sent.
    public static func encode(
        type: UInt8, sequence: UInt16, payload: UnsafeRawBufferPointer, into output: inout [UInt8]
    ) -> Bool {
        guard payload.count <= maxPayload else { return false }
        let start = output.count
        output.append(magic0)
        output.append(magic1)
        output.append(version)
        output.append(type)
        output.append(UInt8(truncatingIfNeeded: sequence))
        output.append(UInt8(truncatingIfNeeded: sequence >> 8))
        output.append(UInt8(truncatingIfNeeded: payload.count))
        output.append(UInt8(truncatingIfNeeded: payload.count >> 8))
        output.append(contentsOf: payload)
        var crc = CRC32()
        for i in (start &+ 2)..<output.count { crc.update(output[i]) }
        let value = crc.value
        output.append(UInt8(truncatingIfNeeded: value))
        output.append(UInt8(truncatingIfNeeded: value >> 8))
        output.append(UInt8(truncatingIfNeeded: value >> 16))
        output.append(UInt8(truncatingIfNeeded: value >> 24))
        return true
    }

    public static func encode(type: UInt8, sequence: UInt16, payload: [UInt8], into output: inout [UInt8]) -> Bool {
        payload.withUnsafeBytes { encode(type: type, sequence: sequence, payload: $0, into: &output) }
    }
}

/// Why bytes on a link were not delivered as a frame. The parser reports these and carries
/// on with the next byte; none of them ends a connection by itself.
public enum FrameError: Error, Sendable, Equatable {
    /// Bytes before a magic were discarded.
    case skippedGarbage(bytes: Int)
    case unsupportedVersion(UInt8)
    case payloadTooLong(Int)
    case checksumMismatch(received: UInt32, computed: UInt32)
    /// The link went idle in the middle of a frame (see `FrameParser.linkIdle`).
    case incompleteFrame(bytes: Int)

    public var message: String {
        switch self {
        case .skippedGarbage(let n): return "skipped \(n) bytes of garbage before a frame"
        case .unsupportedVersion(let v): return "unsupported link protocol version \(v)"
        case .payloadTooLong(let n): return "frame payload of \(n) bytes exceeds \(Frame.maxPayload)"
        case .incompleteFrame(let n): return "link idle with an incomplete frame (\(n) bytes buffered)"
        case .checksumMismatch(let r, let c):
            return "frame CRC mismatch: received 0x" + String(r, radix: 16) + ", computed 0x" + String(c, radix: 16)
        }
    }
}

public enum FrameEvent {
    case frame(Frame)
    case rejected(FrameError)
}
