/// Push-based frame parser: bytes arrive in pieces of any size (one byte from a UART
/// interrupt, a whole TCP segment), frames come out through a callback. Garbage and corrupt
/// frames are reported and skipped by resynchronising on the next magic, so one bad byte
/// costs one frame, never the link. Memory is one buffer of `Frame.maxFrameSize` bytes,
/// taken once at creation: parsing allocates nothing.
///
/// # Invariants
/// - `buffer` has `Frame.maxFrameSize` bytes, owned by the parser for its whole life.
/// - `0 <= start <= end <= buffer.count`; unparsed bytes are `buffer[start ..< end]`.
/// - A `Frame` handed to the callback points into `buffer[start ..< end]` and is valid only
///   during the callback (the parser moves bytes afterwards).
public final class FrameParser {
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private let maxPayload: Int

    /// `maxPayload` may be set below the protocol limit for a smaller device.
    public init(maxPayload: Int = Frame.maxPayload) {
        self.maxPayload = min(max(0, maxPayload), Frame.maxPayload)
        buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Frame.headerSize + self.maxPayload + Frame.trailerSize, alignment: 8)
    }

    deinit { buffer.deallocate() }

    /// Bytes received but not yet part of a delivered frame.
    public var pendingBytes: Int { end &- start }

    /// Forgets any partial frame (after a link drop: the next connection starts clean).
    public func reset() {
        start = 0
        end = 0
    }

    /// The link went quiet with a partial frame buffered. A corrupted length field makes
    /// the parser wait for bytes that will never come, and frames sent after it sit behind
    /// it; this gives up on the partial frame and rescans what follows its first byte.
    /// Call it when no byte has arrived for a while (the event loop's idle timeout).
    public func linkIdle(_ onEvent: (FrameEvent) -> Void) {
        guard end &- start >= Frame.headerSize else { return }
        onEvent(.rejected(.incompleteFrame(bytes: end &- start)))
        start &+= 1
        parseBuffered(onEvent)
    }

    public func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (FrameEvent) -> Void) {
        var consumed = 0
        while consumed < bytes.count {
            if end == buffer.count, start > 0 { compact() }
            let room = buffer.count &- end
            let n = min(room, bytes.count &- consumed)
            // SAFETY: `end + n <= buffer.count` (room), and `consumed + n <= bytes.count`.
            (buffer.baseAddress! + end).copyMemory(from: bytes.baseAddress! + consumed, byteCount: n)
            end &+= n
            consumed &+= n
            parseBuffered(onEvent)
        }
    }

    public func feed(_ bytes: [UInt8], _ onEvent: (FrameEvent) -> Void) {
        bytes.withUnsafeBytes { feed($0, onEvent) }
    }

    private func compact() {
        let n = end &- start
        if n > 0 {
            // SAFETY: both ranges lie in `buffer` (invariant); memmove semantics.
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: n)
        }
        start = 0
        end = n
    }

    private func parseBuffered(_ onEvent: (FrameEvent) -> Void) {
        while true {
            let available = end &- start
            if available == 0 {
                start = 0
                end = 0
                return
            }
            if buffer[start] != Frame.magic0 || (available >= 2 && buffer[start &+ 1] != Frame.magic1) {
                var i = start &+ 1
                while i < end {
                    if buffer[i] == Frame.magic0, i &+ 1 == end || buffer[i &+ 1] == Frame.magic1 { break }
                    i &+= 1
                }
                onEvent(.rejected(.skippedGarbage(bytes: i &- start)))
                start = i
                continue
            }
            if available < Frame.headerSize { break }
            let version = buffer[start &+ 2]
            if version != Frame.version {
                onEvent(.rejected(.unsupportedVersion(version)))
                start &+= 1
                continue
            }
            let length = Int(buffer[start &+ 6]) | Int(buffer[start &+ 7]) << 8
            if length > maxPayload {
                onEvent(.rejected(.payloadTooLong(length)))
                start &+= 1
                continue
            }
            let total = Frame.headerSize &+ length &+ Frame.trailerSize
            if available < total { break }
            let checked = UnsafeRawBufferPointer(rebasing: buffer[(start &+ 2)..<(start &+ 8 &+ length)])
            let computed = CRC32.checksum(checked)
            let t = start &+ 8 &+ length
            let received = UInt32(buffer[t]) | UInt32(buffer[t &+ 1]) << 8
                | UInt32(buffer[t &+ 2]) << 16 | UInt32(buffer[t &+ 3]) << 24
            if computed != received {
                onEvent(.rejected(.checksumMismatch(received: received, computed: computed)))
                start &+= 1
                continue
            }
            let frame = Frame(
                type: buffer[start &+ 3],
                sequence: UInt16(buffer[start &+ 4]) | UInt16(buffer[start &+ 5]) << 8,
                payload: UnsafeRawBufferPointer(rebasing: buffer[(start &+ 8)..<t]))
            start &+= total
            onEvent(.frame(frame))
        }
        // A partial frame at the end of a full buffer cannot happen: the buffer holds a
        // maximal frame, so a full buffer always starts with a complete frame or garbage.
    }
}
