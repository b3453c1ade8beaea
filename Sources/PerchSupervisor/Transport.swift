import CPerchLinkSys
import PerchLink

/// Why a link could not be used.
public enum LinkIOError: Error {
    case badTarget(String)
    case system(operation: StaticString, errno: Int32)
    case timedOut(waitingFor: StaticString)
    case closed
    /// The serial driver set another speed than asked (read back after setting).
    case baudMismatch(requested: Int, actual: Int)
    /// No termios speed constant for this baud rate.
    case unsupportedBaud(Int)
    /// The peer answered with something that is not the reply expected.
    case unexpectedReply(String)
    /// Test hook: the connection was cut on purpose after a number of bytes.
    case dropped

    public var message: String {
        switch self {
        case .badTarget(let t): return "bad link target '\(t)' (use tcp://HOST:PORT or serial:/dev/ttyX[@BAUD])"
        case .system(let op, let errno): return "\(op) failed (errno \(errno))"
        case .timedOut(let what): return "timed out waiting for \(what)"
        case .closed: return "link closed by the other side"
        case .baudMismatch(let requested, let actual):
            return "serial line runs at \(actual) baud, not the \(requested) asked for"
        case .unsupportedBaud(let baud): return "\(baud) baud is not a standard serial speed (e.g. 9600, 115200, 921600)"
        case .unexpectedReply(let what): return "unexpected reply: \(what)"
        case .dropped: return "link dropped (test hook)"
        }
    }
}

/// Where `perch push` and friends connect: `tcp://HOST:PORT` or `serial:PATH[@BAUD]`.
public enum LinkTarget {
    case tcp(host: String, port: Int)
    case serial(path: String, baud: Int)

    public static let defaultBaud = 115_200

    public static func parse(_ text: String) -> LinkTarget? {
        let bytes = Array(text.utf8)
        if bytes.starts(with: Array("tcp://".utf8)) {
            let rest = Array(bytes[6...])
            guard let colon = rest.lastIndex(of: UInt8(ascii: ":")), colon > 0,
                let port = parseInt(Array(rest[(colon + 1)...])), port > 0, port < 65536
            else { return nil }
            return .tcp(host: String(decoding: rest[0..<colon], as: UTF8.self), port: port)
        }
        if bytes.starts(with: Array("serial:".utf8)) {
            let rest = Array(bytes[7...])
            guard !rest.isEmpty else { return nil }
            if let at = rest.lastIndex(of: UInt8(ascii: "@")) {
                guard at > 0, let baud = parseInt(Array(rest[(at + 1)...])) else { return nil }
                return .serial(path: String(decoding: rest[0..<at], as: UTF8.self), baud: baud)
            }
            return .serial(path: String(decoding: rest, as: UTF8.self), baud: defaultBaud)
        }
        return nil
    }

    /// `ADDR:PORT` for `serve --listen`; port 0 asks for any free port.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let bytes = Array(text.utf8)
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")), colon > 0,
            let port = parseInt(Array(bytes[(colon + 1)...])), port < 65536
        else { return nil }
        return (String(decoding: bytes[0..<colon], as: UTF8.self), port)
    }
}

func parseInt(_ digits: [UInt8]) -> Int? {
    guard !digits.isEmpty, digits.count <= 9 else { return nil }
    var v = 0
    for d in digits {
        guard d >= 0x30, d <= 0x39 else { return nil }
        v = v * 10 + Int(d - 0x30)
    }
    return v
}

/// Opens a serial line raw at `baud` and checks the speed the driver reports back.
public func openSerial(_ path: String, baud: Int) throws(LinkIOError) -> Int32 {
    guard let speed = Int32(exactly: baud), perch_link_baud_supported(speed) != 0 else { throw .unsupportedBaud(baud) }
    var actual: Int32 = 0
    let fd = path.withCString { perch_link_serial_open($0, Int32(truncatingIfNeeded: baud), &actual) }
    guard fd >= 0 else { throw .system(operation: "open serial line", errno: -fd) }
    guard Int(actual) == baud else {
        perch_link_close(fd)
        throw .baudMismatch(requested: baud, actual: Int(actual))
    }
    return fd
}

public func monotonicNanoseconds() -> UInt64 { perch_link_monotonic_ns() }

/// The device side of the links: one listening TCP socket and/or one serial line, polled
/// between fuel slices by `perch serve`'s loop. No threads: `service` does one poll.
public final class LinkServer {
    let supervisor: Supervisor
    var listener: Int32 = -1
    var connections: [Connection] = []
    var nextSession = 1
    /// A partial frame left this long without more bytes is given up (see FrameParser.linkIdle).
    public var idleNanoseconds: UInt64 = 500_000_000
    var readBuffer = [UInt8](repeating: 0, count: 4096)

    final class Connection {
        let fd: Int32
        let isSerial: Bool
        var session: Int
        let parser = FrameParser()
        var output: [UInt8] = []
        var lastInput: UInt64 = 0
        var closed = false

        init(fd: Int32, isSerial: Bool, session: Int) {
            self.fd = fd
            self.isSerial = isSerial
            self.session = session
        }
    }

    public init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    deinit {
        if listener >= 0 { perch_link_close(listener) }
        for c in connections { perch_link_close(c.fd) }
    }

    /// Listens on `host:port` (port 0: any); returns the port.
    public func listen(host: String, port: Int) throws(LinkIOError) -> Int {
        let fd = host.withCString { perch_link_tcp_listen($0, Int32(truncatingIfNeeded: port)) }
        guard fd >= 0 else { throw .system(operation: "listen", errno: -fd) }
        listener = fd
        let bound = perch_link_tcp_port(fd)
        return bound > 0 ? Int(bound) : port
    }

    /// Serves the link protocol on an open serial line (or any byte-stream descriptor).
    public func attach(serialDescriptor fd: Int32) {
        connections.append(Connection(fd: fd, isSerial: true, session: newSession()))
    }

    public var connectionCount: Int { connections.filter { !$0.isSerial }.count }

    private func newSession() -> Int {
        nextSession += 1
        return nextSession
    }

    /// The most descriptors one `service` polls (perch_link_poll's table).
    static let pollCapacity = 64
    /// How soon wake descriptors left out of a full poll table are looked at again.
    static let overflowWaitMs = 5

    /// One round: waits up to `timeoutMs` for link activity or for one of `wakeDescriptors`
    /// to become readable, accepts, reads, answers, and sends whatever the supervisor has
    /// queued. Returns the indices of the readable `wakeDescriptors` (one poll covers
    /// both, so an app's GPIO edge ends the wait at once).
    @discardableResult
    public func service(timeoutMs: Int, wakeDescriptors: [Int32] = []) -> [Int] {
        flushOutbox()
        var fds: [Int32] = []
        var events: [Int16] = []
        if listener >= 0 {
            fds.append(listener)
            events.append(Int16(PERCH_POLL_IN))
        }
        let polled = connections
        for c in polled {
            fds.append(c.fd)
            events.append(Int16(PERCH_POLL_IN) | (c.output.isEmpty ? 0 : Int16(PERCH_POLL_OUT)))
        }
        let linkCount = fds.count
        // Links (at most 18) and GPIO lines (LinuxGPIO holds 32) fit; should more ever
        // come, those left out are looked at again soon instead of at their edge.
        let wakeCount = max(0, min(wakeDescriptors.count, Self.pollCapacity - linkCount))
        for index in 0..<wakeCount {
            fds.append(wakeDescriptors[index])
            events.append(Int16(PERCH_POLL_IN))
        }
        let timeout = wakeCount < wakeDescriptors.count ? min(timeoutMs, Self.overflowWaitMs) : timeoutMs
        var revents = [Int16](repeating: 0, count: fds.count)
        let n = perch_link_poll(fds, events, &revents, Int32(fds.count), Int32(timeout))
        var readable: [Int] = []
        if n > 0 {
            var index = 0
            if listener >= 0 {
                if revents[0] & Int16(PERCH_POLL_IN) != 0 { acceptAll() }
                index = 1
            }
            for c in polled {
                let r = revents[index]
                index += 1
                if r & Int16(PERCH_POLL_IN | PERCH_POLL_ERROR) != 0 { readAvailable(c) }
                if r & Int16(PERCH_POLL_OUT) != 0 { writePending(c) }
            }
            // An error on a line's descriptor (it was closed) also resumes its app, whose
            // next gpio call then reports the failure.
            for wake in 0..<wakeCount where revents[linkCount + wake] & Int16(PERCH_POLL_IN | PERCH_POLL_ERROR) != 0 {
                readable.append(wake)
            }
        }
        // Those left out of the table get their apps resumed to look for themselves.
        for wake in wakeCount..<wakeDescriptors.count { readable.append(wake) }
        let now = monotonicNanoseconds()
        for c in connections where !c.closed && c.parser.pendingBytes > 0 && now &- c.lastInput > idleNanoseconds {
            c.parser.linkIdle { event in self.onFrameEvent(event, c) }
            c.lastInput = now
        }
        flushOutbox()
        for c in connections where c.closed {
            supervisor.sessionClosed(c.session)
            perch_link_close(c.fd)
        }
        connections.removeAll { $0.closed }
        return readable
    }

    private func acceptAll() {
        while connections.count < 16 {
            let fd = perch_link_tcp_accept(listener)
            if fd < 0 { return }
            connections.append(Connection(fd: fd, isSerial: false, session: newSession()))
        }
    }

    private func readAvailable(_ c: Connection) {
        while !c.closed {
            let n = readBuffer.withUnsafeMutableBytes { perch_link_read(c.fd, $0.baseAddress, $0.count) }
            if n == -11 { return }  // EAGAIN: nothing more for now
            if n <= 0 {
                if c.isSerial {
                    // A serial line has no end: a hang-up on the other side just loses the
                    // partial frame; the next session starts clean on the same line.
                    c.parser.reset()
                    supervisor.sessionClosed(c.session)
                    c.session = newSession()
                    return
                }
                c.closed = true
                return
            }
            c.lastInput = monotonicNanoseconds()
            readBuffer.withUnsafeBytes { raw in
                c.parser.feed(UnsafeRawBufferPointer(rebasing: raw[0..<Int(n)])) { event in self.onFrameEvent(event, c) }
            }
            flushOutbox()
            if n < readBuffer.count { return }
        }
    }

    private func onFrameEvent(_ event: FrameEvent, _ c: Connection) {
        switch event {
        case .frame(let frame):
            do throws(DecodeError) {
                supervisor.handle(try Message.decode(frame), session: c.session, sequence: frame.sequence)
            } catch {
                let code: LinkErrorCode = MessageType(rawValue: frame.type) == nil ? .unknownMessage : .malformedMessage
                queue(.error(code: code, reason: error.message), sequence: frame.sequence, on: c)
            }
        case .rejected(let error):
            // Corrupt frames get no reply (their sequence cannot be trusted); the sender's
            // timeout resends. Garbage is only logged when it is more than line noise.
            if case .skippedGarbage(let n) = error, n < 4 { return }
            supervisor.log("link", error.message)
        }
    }

    private func queue(_ message: Message, sequence: UInt16, on c: Connection) {
        if !message.encode(sequence: sequence, into: &c.output) {
            _ = Message.error(code: .malformedMessage, reason: "reply too large").encode(sequence: sequence, into: &c.output)
        }
    }

    private func flushOutbox() {
        for item in supervisor.takeOutbox() {
            guard let c = connections.first(where: { $0.session == item.session && !$0.closed }) else { continue }
            queue(item.message, sequence: item.sequence, on: c)
            writePending(c)
        }
    }

    private func writePending(_ c: Connection) {
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { perch_link_write(c.fd, $0.baseAddress, $0.count) }
            if n == -11 { return }
            if n <= 0 {
                if !c.isSerial { c.closed = true }
                c.output.removeAll()
                return
            }
            c.output.removeFirst(Int(n))
        }
    }
}

/// The pusher's side of a link: one request at a time, each answered by a reply with the
/// same sequence number.
public final class LinkClient {
    let fd: Int32
    let parser = FrameParser()
    var sequence: UInt16 = 0
    var closed = false
    var sentBytes = 0
    /// Test hook: cut the connection once this many bytes have been written.
    public var dropAfterBytes: Int?
    /// Called while waiting for a reply, so a test can run the server in the same thread.
    public var whileWaiting: (() -> Void)?

    public init(descriptor: Int32) { fd = descriptor }

    public static func connect(_ target: LinkTarget, timeoutMs: Int = 3000) throws(LinkIOError) -> LinkClient {
        switch target {
        case .tcp(let host, let port):
            let fd = host.withCString { perch_link_tcp_connect($0, Int32(truncatingIfNeeded: port), Int32(timeoutMs)) }
            guard fd >= 0 else { throw .system(operation: "connect", errno: -fd) }
            return LinkClient(descriptor: fd)
        case .serial(let path, let baud):
            return LinkClient(descriptor: try openSerial(path, baud: baud))
        }
    }

    deinit { close() }

    public func close() {
        if !closed {
            closed = true
            perch_link_close(fd)
        }
    }

    /// Writes bytes without waiting for anything (tests send requests they do not await).
    public func writeRaw(_ bytes: UnsafeRawBufferPointer) -> Int {
        Int(perch_link_write(fd, bytes.baseAddress, bytes.count))
    }

    /// Sends `message` and waits for its reply; `error` replies are returned, not thrown.
    public func request(_ message: Message, timeoutMs: Int = 5000) throws(LinkIOError) -> Message {
        guard !closed else { throw .closed }
        sequence &+= 1
        var frame: [UInt8] = []
        guard message.encode(sequence: sequence, into: &frame) else { throw .unexpectedReply("request too large to frame") }
        try writeAll(frame)
        return try awaitReply(sequence: sequence, timeoutMs: timeoutMs)
    }

    private func writeAll(_ bytes: [UInt8]) throws(LinkIOError) {
        var offset = 0
        var limit = bytes.count
        var dropping = false
        if let drop = dropAfterBytes, sentBytes + bytes.count > drop {
            limit = max(0, drop - sentBytes)
            dropping = true
        }
        let deadline = monotonicNanoseconds() &+ 5_000_000_000
        while offset < limit {
            let n = bytes.withUnsafeBytes { perch_link_write(fd, $0.baseAddress! + offset, limit - offset) }
            if n == -11 {
                if monotonicNanoseconds() > deadline { throw .timedOut(waitingFor: "the link to accept data") }
                var revents: [Int16] = [0]
                _ = perch_link_poll([fd], [Int16(PERCH_POLL_OUT)], &revents, 1, 10)
                whileWaiting?()
                continue
            }
            if n <= 0 { close(); throw .system(operation: "write", errno: Int32(truncatingIfNeeded: -n)) }
            offset += Int(n)
        }
        sentBytes += offset
        if dropping {
            close()
            throw .dropped
        }
    }

    private func awaitReply(sequence: UInt16, timeoutMs: Int) throws(LinkIOError) -> Message {
        let deadline = monotonicNanoseconds() &+ UInt64(timeoutMs) &* 1_000_000
        var buffer = [UInt8](repeating: 0, count: 4096)
        var reply: Message? = nil
        var replyError: LinkIOError? = nil
        while reply == nil, replyError == nil {
            if monotonicNanoseconds() > deadline { throw .timedOut(waitingFor: "a reply") }
            whileWaiting?()
            var revents: [Int16] = [0]
            let ready = perch_link_poll([fd], [Int16(PERCH_POLL_IN)], &revents, 1, whileWaiting == nil ? 50 : 1)
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { perch_link_read(fd, $0.baseAddress, $0.count) }
            if n == -11 { continue }
            if n == 0 { close(); throw .closed }
            if n < 0 { close(); throw .system(operation: "read", errno: Int32(truncatingIfNeeded: -n)) }
            buffer.withUnsafeBytes { raw in
                parser.feed(UnsafeRawBufferPointer(rebasing: raw[0..<Int(n)])) { event in
                    guard case .frame(let frame) = event, frame.sequence == sequence, reply == nil else { return }
                    do throws(DecodeError) {
                        reply = try Message.decode(frame)
                    } catch {
                        replyError = .unexpectedReply(error.message)
                    }
                }
            }
        }
        if let replyError { throw replyError }
        guard let reply else { throw .timedOut(waitingFor: "a reply") }
        return reply
    }
}
