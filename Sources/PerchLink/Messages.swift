/// Message types. A reply's type is its request's type with the high bit set; `done` and
/// `error` may answer any request. The sequence number ties a reply to its request.
public enum MessageType: UInt8, Sendable {
    case hello = 0x01
    case uploadBegin = 0x02
    case chunk = 0x03
    case resumeQuery = 0x04
    case commit = 0x05
    case status = 0x06
    case logs = 0x07
    case stop = 0x08
    case start = 0x09
    case rollback = 0x0A
    case remove = 0x0B

    case helloReply = 0x81
    case uploadAccepted = 0x82
    case chunkAck = 0x83
    case resumeOffset = 0x84
    case swapResult = 0x85
    case statusReply = 0x86
    case logsReply = 0x87
    case done = 0xF0
    case error = 0xFF
}

/// Why a request was refused; sent in `error` replies and printed by `perch push`.
public enum LinkErrorCode: UInt16, Sendable {
    case malformedMessage = 1
    case unknownMessage = 2
    case manifestInvalid = 3
    case untrustedSignature = 4
    case replayedVersion = 5
    case noUpload = 6
    case wrongOffset = 7
    case moduleTooLarge = 8
    case hashMismatch = 9
    case invalidModule = 10
    case instantiateFailed = 11
    case healthCheckFailed = 12
    case storageFailed = 13
    case unknownApp = 14
    case busy = 15
    case nothingToRollBack = 16
    case notInstalled = 17

    public var name: StaticString {
        switch self {
        case .malformedMessage: return "malformed message"
        case .unknownMessage: return "unknown message type"
        case .manifestInvalid: return "invalid manifest"
        case .untrustedSignature: return "signature not valid for a trusted key"
        case .replayedVersion: return "version not newer than the installed one (replay)"
        case .noUpload: return "no upload in progress"
        case .wrongOffset: return "chunk offset does not match"
        case .moduleTooLarge: return "module larger than its manifest says"
        case .hashMismatch: return "module SHA-256 does not match the manifest"
        case .invalidModule: return "module failed decoding or validation"
        case .instantiateFailed: return "module failed to instantiate"
        case .healthCheckFailed: return "new module failed its health window"
        case .storageFailed: return "storage failed"
        case .unknownApp: return "no such app"
        case .busy: return "another upload or swap is in progress"
        case .nothingToRollBack: return "no previous version to roll back to"
        case .notInstalled: return "no version of the app is installed"
        }
    }
}

/// What an app is doing, as `status` reports it.
public enum AppRunState: UInt8, Sendable {
    case stopped = 0
    case running = 1
    case swapping = 2
    case failed = 3
}

public struct AppStatus: Sendable, Equatable {
    public var app: String
    public var state: AppRunState
    public var committedVersion: UInt64
    /// 0 when there is no previous version to roll back to.
    public var previousVersion: UInt64
    /// The newest version the device turned down (rejected, or swapped back out) that is
    /// newer than the committed one; 0 when none. `lastError` then says why.
    public var refusedVersion: UInt64
    public var restarts: UInt32
    public var lastError: String

    public init(
        app: String, state: AppRunState, committedVersion: UInt64, previousVersion: UInt64,
        refusedVersion: UInt64, restarts: UInt32, lastError: String
    ) {
        self.app = app
        self.state = state
        self.committedVersion = committedVersion
        self.previousVersion = previousVersion
        self.refusedVersion = refusedVersion
        self.restarts = restarts
        self.lastError = lastError
    }

    public static func == (a: AppStatus, b: AppStatus) -> Bool {
        sameBytes(a.app, b.app) && a.state == b.state && a.committedVersion == b.committedVersion
            && a.previousVersion == b.previousVersion && a.refusedVersion == b.refusedVersion
            && a.restarts == b.restarts && sameBytes(a.lastError, b.lastError)
    }
}

/// A decoded link message. `chunk` data points into the parser's buffer and is valid only
/// while the frame callback runs, so receiving a chunk copies nothing.
public enum Message {
    case hello(client: String)
    case uploadBegin(manifest: [UInt8], signature: [UInt8])
    case chunk(offset: UInt32, data: UnsafeRawBufferPointer)
    case resumeQuery(app: String, version: UInt64, moduleSHA256: [UInt8])
    case commit(app: String)
    case status(app: String)
    case logs(app: String, since: UInt32)
    case stop(app: String)
    case start(app: String)
    case rollback(app: String)
    case remove(app: String)

    case helloReply(perchVersion: String, maxPayload: UInt16, device: String)
    case uploadAccepted(offset: UInt32)
    case chunkAck(nextOffset: UInt32)
    case resumeOffset(UInt32)
    case swapResult(version: UInt64, note: String)
    case statusReply([AppStatus])
    case logsReply(next: UInt32, text: String)
    case done(String)
    case error(code: LinkErrorCode, reason: String)

    public static let signatureSize = 64

    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .uploadBegin: return .uploadBegin
        case .chunk: return .chunk
        case .resumeQuery: return .resumeQuery
        case .commit: return .commit
        case .status: return .status
        case .logs: return .logs
        case .stop: return .stop
        case .start: return .start
        case .rollback: return .rollback
        case .remove: return .remove
        case .helloReply: return .helloReply
        case .uploadAccepted: return .uploadAccepted
        case .chunkAck: return .chunkAck
        case .resumeOffset: return .resumeOffset
        case .swapResult: return .swapResult
        case .statusReply: return .statusReply
        case .logsReply: return .logsReply
        case .done: return .done
        case .error: return .error
        }
    }

    public func payload() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .hello(let client): w.shortString(client)
        case .uploadBegin(let manifest, let signature):
            w.u16(UInt16(truncatingIfNeeded: manifest.count))
            w.raw(manifest)
            w.raw(signature)
        case .chunk(let offset, let data):
            w.u32(offset)
            w.raw(data)
        case .resumeQuery(let app, let version, let hash):
            w.shortString(app)
            w.u64(version)
            w.raw(hash)
        case .commit(let app), .status(let app), .stop(let app), .start(let app),
            .rollback(let app), .remove(let app):
            w.shortString(app)
        case .logs(let app, let since):
            w.shortString(app)
            w.u32(since)
        case .helloReply(let version, let maxPayload, let device):
            w.shortString(version)
            w.u16(maxPayload)
            w.shortString(device)
        case .uploadAccepted(let offset), .chunkAck(let offset), .resumeOffset(let offset):
            w.u32(offset)
        case .swapResult(let version, let note):
            w.u64(version)
            w.longString(note)
        case .statusReply(let apps):
            w.u8(UInt8(truncatingIfNeeded: min(apps.count, 255)))
            for s in apps.prefix(255) {
                w.shortString(s.app)
                w.u8(s.state.rawValue)
                w.u64(s.committedVersion)
                w.u64(s.previousVersion)
                w.u64(s.refusedVersion)
                w.u32(s.restarts)
                w.shortString(s.lastError)
            }
        case .logsReply(let next, let text):
            w.u32(next)
            w.longString(text)
        case .done(let text): w.longString(text)
        case .error(let code, let reason):
            w.u16(code.rawValue)
            w.longString(reason)
        }
        return w.bytes
    }

    /// Appends this message as one frame; false if it does not fit a frame.
    public func encode(sequence: UInt16, into output: inout [UInt8]) -> Bool {
        Frame.encode(type: type.rawValue, sequence: sequence, payload: payload(), into: &output)
    }

    /// Reads a frame's payload as a message of the frame's type, checking every length.
    public static func decode(_ frame: Frame) throws(DecodeError) -> Message {
        guard let type = MessageType(rawValue: frame.type) else {
            throw DecodeError(offset: 3, what: "message type")
        }
        var r = ByteReader(frame.payload)
        let message: Message
        switch type {
        case .hello: message = .hello(client: try r.shortString("client name"))
        case .uploadBegin:
            let n = Int(try r.u16("manifest length"))
            let manifest = try r.array(n, "manifest")
            message = .uploadBegin(manifest: manifest, signature: try r.array(signatureSize, "signature"))
        case .chunk:
            let offset = try r.u32("chunk offset")
            message = .chunk(offset: offset, data: try r.raw(r.remaining, "chunk data"))
        case .resumeQuery:
            let app = try r.shortString("app name")
            let version = try r.u64("version")
            message = .resumeQuery(app: app, version: version, moduleSHA256: try r.array(SHA256.digestSize, "module SHA-256"))
        case .commit: message = .commit(app: try r.shortString("app name"))
        case .status: message = .status(app: try r.shortString("app name"))
        case .logs:
            let app = try r.shortString("app name")
            message = .logs(app: app, since: try r.u32("log position"))
        case .stop: message = .stop(app: try r.shortString("app name"))
        case .start: message = .start(app: try r.shortString("app name"))
        case .rollback: message = .rollback(app: try r.shortString("app name"))
        case .remove: message = .remove(app: try r.shortString("app name"))
        case .helloReply:
            let version = try r.shortString("perch version")
            let maxPayload = try r.u16("max payload")
            message = .helloReply(perchVersion: version, maxPayload: maxPayload, device: try r.shortString("device name"))
        case .uploadAccepted: message = .uploadAccepted(offset: try r.u32("offset"))
        case .chunkAck: message = .chunkAck(nextOffset: try r.u32("offset"))
        case .resumeOffset: message = .resumeOffset(try r.u32("offset"))
        case .swapResult:
            let version = try r.u64("version")
            message = .swapResult(version: version, note: try r.longString("note"))
        case .statusReply:
            let count = Int(try r.u8("app count"))
            var apps: [AppStatus] = []
            for _ in 0..<count {
                let app = try r.shortString("app name")
                let stateAt = r.offset
                guard let state = AppRunState(rawValue: try r.u8("app state")) else {
                    throw DecodeError(offset: stateAt, what: "app state")
                }
                let committed = try r.u64("committed version")
                let previous = try r.u64("previous version")
                let refused = try r.u64("refused version")
                let restarts = try r.u32("restarts")
                let lastError = try r.shortString("last error")
                apps.append(AppStatus(
                    app: app, state: state, committedVersion: committed, previousVersion: previous,
                    refusedVersion: refused, restarts: restarts, lastError: lastError))
            }
            message = .statusReply(apps)
        case .logsReply:
            let next = try r.u32("log position")
            message = .logsReply(next: next, text: try r.longString("log text"))
        case .done: message = .done(try r.longString("text"))
        case .error:
            let at = r.offset
            guard let code = LinkErrorCode(rawValue: try r.u16("error code")) else {
                throw DecodeError(offset: at, what: "error code")
            }
            message = .error(code: code, reason: try r.longString("reason"))
        }
        try r.expectEnd("end of message")
        return message
    }
}
