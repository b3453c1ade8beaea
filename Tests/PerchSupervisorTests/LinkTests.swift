import CPerchLinkSys
import Glibc
import Testing
@testable import PerchLink
@testable import PerchSupervisor

/// A supervisor behind a real LinkServer; the client pumps it while waiting, so the whole
/// exchange runs in one thread over real sockets/ptys.
final class ServedHarness {
    let h: Harness
    let server: LinkServer

    init() throws {
        h = try Harness()
        server = LinkServer(supervisor: h.supervisor)
    }

    func pump() {
        server.service(timeoutMs: 0)
        _ = h.supervisor.runRound()
        h.clock.advance(ms: 1)
    }

    func client(_ target: LinkTarget) throws -> LinkClient {
        let c = try LinkClient.connect(target)
        c.whileWaiting = { [self] in pump() }
        return c
    }
}

@Suite struct LinkTests {
    @Test func tcpLoopbackUploadSurvivesADroppedLinkAndResumes() throws {
        let served = try ServedHarness()
        let port = try served.server.listen(host: "127.0.0.1", port: 0)
        let target = LinkTarget.tcp(host: "127.0.0.1", port: port)
        let module = fakeModule(.healthy, size: 20_000)
        let deploy = signedDeploy(module, version: 1)
        var connections = 0
        var progress: [String] = []
        var options = PushOptions()
        options.chunkSize = 1000
        let result = push(module: module, deploy: deploy, options: options, connect: { () throws(LinkIOError) -> LinkClient in
            connections += 1
            let c: LinkClient
            do { c = try served.client(target) } catch { throw .closed }
            // First connection: cut in the middle of the 9th chunk frame.
            if connections == 1 { c.dropAfterBytes = 8 * 1014 + 400 + 200 }
            return c
        }, progress: { progress.append($0) })
        switch result {
        case .success(let note): #expect(note.contains("v1"))
        case .failure(let e): Issue.record("push failed: \(e.message)")
        }
        #expect(connections == 2)
        #expect(progress.contains { $0.contains("resuming") && !$0.contains("at byte 0 ") })
        #expect(served.h.status()?.committedVersion == 1)
        let installed = try served.h.supervisor.store.loadModule("blinky", .a).bytes
        #expect(installed == module)
    }

    @Test func corruptFramesOverTcpAreDroppedAndTheLinkKeepsWorking() throws {
        let served = try ServedHarness()
        let port = try served.server.listen(host: "127.0.0.1", port: 0)
        let c = try served.client(.tcp(host: "127.0.0.1", port: port))
        // A hello frame with one payload bit flipped, sent raw, then garbage.
        var bad: [UInt8] = []
        _ = Message.hello(client: "x").encode(sequence: 99, into: &bad)
        bad[9] ^= 0x10
        bad += [0x00, 0x13, 0x37, 0x50, 0x50]
        let written = bad.withUnsafeBytes { perch_link_write(c.fd, $0.baseAddress, $0.count) }
        #expect(written == Int64(bad.count))
        guard case .helloReply(_, let maxPayload, _) = try c.request(.hello(client: "test")) else {
            Issue.record("no hello reply"); return
        }
        #expect(Int(maxPayload) == Frame.maxPayload)
        #expect(served.h.supervisor.logs(app: "link", since: 0).text.contains("CRC mismatch"))
        guard case .statusReply(let apps) = try c.request(.status(app: "")) else { Issue.record("status"); return }
        #expect(apps.isEmpty)
    }

    @Test func truncatedUploadIsNotCommittedAndWrongKeyIsReportedToThePusher() throws {
        let served = try ServedHarness()
        let port = try served.server.listen(host: "127.0.0.1", port: 0)
        let target = LinkTarget.tcp(host: "127.0.0.1", port: port)
        let module = fakeModule(.healthy, size: 5000)
        let wrong = signedDeploy(module, version: 1, signer: otherSigner)
        let refused = push(module: module, deploy: wrong, connect: { () throws(LinkIOError) -> LinkClient in
            do { return try served.client(target) } catch { throw .closed }
        })
        guard case .failure(.refused(let code, _)) = refused else { Issue.record("expected refusal"); return }
        #expect(code == .untrustedSignature)
        // Truncated: the link dies after half the module and never comes back.
        var options = PushOptions()
        options.reconnects = 0
        let good = signedDeploy(module, version: 1)
        let truncated = push(module: module, deploy: good, options: options, connect: { () throws(LinkIOError) -> LinkClient in
            let c: LinkClient
            do { c = try served.client(target) } catch { throw .closed }
            c.dropAfterBytes = 2500
            return c
        })
        guard case .failure(.link) = truncated else { Issue.record("expected a link failure"); return }
        for _ in 0..<5 { served.pump() }
        #expect(served.h.status()?.committedVersion == 0)
        #expect(served.server.connectionCount == 0)
    }

    @Test func serialLineOverAPtyPair() throws {
        let served = try ServedHarness()
        var name = [CChar](repeating: 0, count: 128)
        let master = perch_link_open_pty(&name, name.count)
        try #require(master >= 0)
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let slave = try openSerial(slavePath, baud: 115_200)
        served.server.attach(serialDescriptor: slave)
        let client = LinkClient(descriptor: master)
        client.whileWaiting = { served.pump() }
        let module = fakeModule(.healthy, size: 6000)
        let result = push(module: module, deploy: signedDeploy(module, version: 1), connect: { client })
        switch result {
        case .success(let note): #expect(note.contains("committed"))
        case .failure(let e): Issue.record("serial push failed: \(e.message)")
        }
        #expect(served.h.status()?.committedVersion == 1)
        // A speed with no termios constant is refused up front.
        #expect(throws: LinkIOError.self) { try openSerial(slavePath, baud: 12345) }
    }

    /// `service` polls extra descriptors (apps' GPIO edge fds) in the same poll as the
    /// links and says which were readable: a readable one ends a long wait.
    @Test func serviceReportsReadableWakeDescriptorsFromTheSamePoll() throws {
        let served = try ServedHarness()
        _ = try served.server.listen(host: "127.0.0.1", port: 0)
        var quiet: [Int32] = [0, 0]
        var ready: [Int32] = [0, 0]
        #expect(pipe(&quiet) == 0 && pipe(&ready) == 0)
        defer { for fd in quiet + ready { close(fd) } }
        #expect(served.server.service(timeoutMs: 0, wakeDescriptors: [quiet[0], ready[0]]).isEmpty)
        var byte: UInt8 = 1
        #expect(write(ready[1], &byte, 1) == 1)
        #expect(served.server.service(timeoutMs: 60_000, wakeDescriptors: [quiet[0], ready[0]]) == [1])
        // More than the poll table holds (64, the listener included): those left out
        // are reported too, so their apps look for themselves.
        let many = [Int32](repeating: quiet[0], count: 70)
        #expect(served.server.service(timeoutMs: 60_000, wakeDescriptors: many) == Array(63..<70))
    }

    @Test func linkTargetsParse() {
        guard case .tcp(let host, let port)? = LinkTarget.parse("tcp://127.0.0.1:7878") else { Issue.record("tcp"); return }
        #expect(host == "127.0.0.1" && port == 7878)
        guard case .serial(let path, let baud)? = LinkTarget.parse("serial:/dev/ttyAMA0@9600") else { Issue.record("serial"); return }
        #expect(path == "/dev/ttyAMA0" && baud == 9600)
        guard case .serial(_, let defaultBaud)? = LinkTarget.parse("serial:/dev/ttyUSB0") else { Issue.record("serial"); return }
        #expect(defaultBaud == 115_200)
        #expect(LinkTarget.parse("tcp://nohost") == nil)
        #expect(LinkTarget.parse("tcp://h:99999") == nil)
        #expect(LinkTarget.parse("udp://h:1") == nil)
        #expect(LinkTarget.parse("serial:@9600") == nil)
        #expect(LinkTarget.parseListen("127.0.0.1:0")?.port == 0)
        #expect(LinkTarget.parseListen("0.0.0.0:7878")?.host == "0.0.0.0")
        #expect(LinkTarget.parseListen(":7878") == nil)
    }
}
