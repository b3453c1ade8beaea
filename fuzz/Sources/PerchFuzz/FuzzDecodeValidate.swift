import PerchCore
import PerchDecode
import PerchValidate

/// One arena for the whole run, given back after every input (as a device reuses its arena
/// for each module it loads).
nonisolated(unsafe) private var arena: Arena? = nil

/// libFuzzer's entry: decode and then validate the input in one chunk, and stream it through
/// `ModuleLoader` (each body validated as it arrives) in chunks whose size the input's
/// first byte picks. Any verdict is fine; a crash, hang or Swift trap is the bug. Both
/// paths must agree on accepting the module.
///
/// An input whose first byte is odd is a function body instead (after that byte): it is
/// wrapped in a module with types, a table, a memory, a global, a declared function
/// reference and a data segment, so mutations reach the validator's instruction checks
/// rather than stopping in the decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecodeValidate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if arena == nil { arena = try? Arena(capacity: 64 << 20) }
    guard let arena else { return 0 }
    if size > 0 && data[0] & 1 == 1 {
        let module = wrapBody(UnsafeBufferPointer(start: data + 1, count: size - 1))
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: module.count, alignment: 8)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: module)
        let whole = loadInOneGo(UnsafeRawBufferPointer(bytes), arena: arena)
        let pushed = stream(UnsafeRawBufferPointer(bytes), chunk: Int(data[0] % 29) + 1, arena: arena)
        if whole != pushed { fatalError("push decoding disagrees with one-chunk decoding") }
        return 0
    }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = loadInOneGo(input, arena: arena)
    let chunk = size > 0 ? Int(data[0] % 13) + 1 : 1
    let pushed = stream(input, chunk: chunk, arena: arena)
    if whole != pushed { fatalError("push decoding disagrees with one-chunk decoding (chunk \(chunk))") }
    return 0
}

/// True if the module decodes and then validates.
private func loadInOneGo(_ input: UnsafeRawBufferPointer, arena: Arena) -> Bool {
    let mark = arena.mark
    defer { arena.reset(to: mark) }
    do throws(ModuleError) {
        var decoder = try ModuleDecoder(arena: arena)
        try decoder.feed(input)
        var module = try decoder.finish()
        try validate(&module, arena: arena)
        return true
    } catch {
        _ = error.message
        return false
    }
}

/// True if the module loads streamed in `chunk`-byte pieces.
private func stream(_ input: UnsafeRawBufferPointer, chunk: Int, arena: Arena) -> Bool {
    let mark = arena.mark
    defer { arena.reset(to: mark) }
    do throws(ModuleError) {
        var loader = try ModuleLoader(arena: arena)
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            try loader.feed(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            offset = end
        }
        _ = try loader.finish()
        return true
    } catch {
        _ = error.message
        return false
    }
}

/// A module around one function of type (i32) -> (i32) whose body is `body`.
private func wrapBody(_ body: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
    // Types: [] -> [], [i32] -> [i32], [v128 i64] -> [i32 v128].
    bytes += [0x01, 0x10, 0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x60, 0x02, 0x7B, 0x7E, 0x02, 0x7F, 0x7B]
    bytes += [0x03, 0x02, 0x01, 0x01]  // one function of type 1
    bytes += [0x04, 0x04, 0x01, 0x70, 0x00, 0x01]  // table funcref 1
    bytes += [0x05, 0x03, 0x01, 0x00, 0x01]  // memory 1
    bytes += [0x06, 0x06, 0x01, 0x7F, 0x01, 0x41, 0x00, 0x0B]  // global (mut i32) = 0
    bytes += [0x09, 0x05, 0x01, 0x03, 0x00, 0x01, 0x00]  // declarative elem: ref.func 0
    bytes += [0x0C, 0x01, 0x01]  // data count 1
    var code: [UInt8] = [0x01]
    code += leb(body.count)
    code += Array(body)
    bytes += [0x0A] + leb(code.count) + code
    bytes += [0x0B, 0x03, 0x01, 0x01, 0x00]  // one passive data segment
    return bytes
}

private func leb(_ value: Int) -> [UInt8] {
    var value = value
    var out: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        out.append(byte)
    } while value != 0
    return out
}
