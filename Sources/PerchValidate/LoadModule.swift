import PerchCore
import PerchDecode

/// Decodes and validates a module whose bytes are all at hand (an embedded module, a
/// script's module); bytes arriving in pieces go through `ModuleDecoder` directly.
public func loadModule(_ bytes: UnsafeRawBufferPointer, into arena: Arena) throws(ModuleError) -> Module {
    var decoder = try ModuleDecoder(arena: arena)
    try decoder.feed(bytes)
    var module = try decoder.finish()
    try validate(&module, arena: arena)
    return module
}

public func loadModule(_ bytes: [UInt8], into arena: Arena) throws(ModuleError) -> Module {
    // `withUnsafeBytes` does not carry a typed error out of its closure, so a Result does.
    let loaded: Result<Module, ModuleError> = bytes.withUnsafeBytes { raw in
        do throws(ModuleError) {
            return .success(try loadModule(raw, into: arena))
        } catch {
            return .failure(error)
        }
    }
    return try loaded.get()
}
