import PerchLink

/// Builds and signs the deployment for `module`.
public func makeDeploy(
    module: [UInt8], app: String, version: UInt64, grants: [String], arenaSize: UInt32, fuelSlice: UInt32,
    signer: Ed25519.KeyPair
) -> Deploy? {
    guard let moduleSize = UInt32(exactly: module.count) else { return nil }
    let manifest = Manifest(
        app: app, version: version, moduleSize: moduleSize, moduleSHA256: SHA256.hash(module),
        arenaSize: arenaSize, fuelSlice: fuelSlice, grants: grants)
    guard let bytes = manifest.encoded() else { return nil }
    return Deploy(manifestBytes: bytes, signature: Ed25519.sign(bytes, with: signer), manifest: manifest)
}

public struct PushOptions {
    public var chunkSize = 1024
    public var replyTimeoutMs = 5000
    /// Reconnections allowed after the link drops mid-upload.
    public var reconnects = 5
    /// The commit reply comes after the health window, so it may take a while.
    public var commitTimeoutMs = 60_000

    public init() {}
}

public enum PushFailure: Error {
    case link(LinkIOError)
    case refused(LinkErrorCode, String)

    public var message: String {
        switch self {
        case .link(let e): return e.message
        case .refused(let code, let reason): return "\(code.name): \(reason)"
        }
    }
}

/// Uploads and commits a deployment: hello, upload-begin (answered with the offset to
/// start from), acknowledged chunks, commit (answered after the health window). When the
/// link drops, it reconnects through `connect` and continues from the offset the device
/// reports, up to `options.reconnects` times. Returns the device's note on success.
public func push(
    module: [UInt8], deploy: Deploy, options: PushOptions = PushOptions(),
    connect: () throws(LinkIOError) -> LinkClient, progress: (String) -> Void = { _ in }
) -> Result<String, PushFailure> {
    var attemptsLeft = options.reconnects
    var resumedFrom: Int? = nil
    while true {
        let client: LinkClient
        do throws(LinkIOError) {
            client = try connect()
        } catch {
            if attemptsLeft > 0 { attemptsLeft -= 1; continue }
            return .failure(.link(error))
        }
        do throws(PushFailure) {
            return .success(try pushOnce(client, module, deploy, options, &resumedFrom, progress))
        } catch {
            guard case .link(let linkError) = error, attemptsLeft > 0 else { return .failure(error) }
            attemptsLeft -= 1
            progress("link lost (\(linkError.message)); reconnecting")
        }
    }
}

private func pushOnce(
    _ client: LinkClient, _ module: [UInt8], _ deploy: Deploy, _ options: PushOptions,
    _ resumedFrom: inout Int?, _ progress: (String) -> Void
) throws(PushFailure) -> String {
    func ask(_ m: Message, _ timeout: Int) throws(PushFailure) -> Message {
        let reply: Message
        do throws(LinkIOError) {
            reply = try client.request(m, timeoutMs: timeout)
        } catch {
            throw .link(error)
        }
        if case .error(let code, let reason) = reply { throw .refused(code, reason) }
        return reply
    }
    let app = deploy.manifest.app
    guard case .helloReply(let version, _, let device) = try ask(.hello(client: "perch push"), options.replyTimeoutMs) else {
        throw .link(.unexpectedReply("hello"))
    }
    if resumedFrom == nil { progress("connected to \(device) (perch \(version))") }
    guard case .uploadAccepted(let start) = try ask(.uploadBegin(manifest: deploy.manifestBytes, signature: deploy.signature), options.replyTimeoutMs) else {
        throw .link(.unexpectedReply("upload-begin"))
    }
    guard UInt(start) <= UInt(module.count) else { throw .link(.unexpectedReply("upload-begin")) }
    var offset = Int(start)
    if offset > 0 { progress("resuming \(app) v\(deploy.manifest.version) at byte \(offset) of \(module.count)") }
    resumedFrom = offset
    while offset < module.count {
        let end = min(module.count, offset + max(1, min(options.chunkSize, Frame.maxPayload - 4)))
        let piece = Array(module[offset..<end])
        let result: Result<Message, PushFailure> = piece.withUnsafeBytes { raw in
            do throws(PushFailure) {
                return .success(try ask(.chunk(offset: UInt32(offset), data: raw), options.replyTimeoutMs))
            } catch {
                return .failure(error)
            }
        }
        let reply = try result.get()
        guard case .chunkAck(let next) = reply, UInt(next) <= UInt(module.count) else {
            throw .link(.unexpectedReply("chunk"))
        }
        offset = Int(next)
    }
    progress("sent \(module.count) bytes; verifying and swapping")
    switch try ask(.commit(app: app), options.commitTimeoutMs) {
    case .swapResult(_, let note): return note
    default: throw .link(.unexpectedReply("commit"))
    }
}
