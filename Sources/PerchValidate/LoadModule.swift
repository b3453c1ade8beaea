import PerchCore
import PerchDecode

/// Decodes and validates a module as its bytes arrive, in chunks of any size: each function
/// body is validated as soon as the decoder has all of it, so a bad module is refused
/// before the rest arrives and validation scratch is only ever one function's. Feeding
/// every byte at once is the same path.
///
/// ```
/// var loader = try ModuleLoader(arena: arena)
/// try loader.feed(chunk)           // or reserve/commit; any number of times
/// let module = try loader.finish()  // decoded, validated, ready to instantiate
/// ```
///
/// Two errors are worded by what follows a body, so they wait for it: a missing `end` in
/// the last body (the last body is validated once something after the code section, or
/// the end, has arrived), and a data index without a data count section ("data count
/// section required" if data segments follow, else "unknown data segment"), which is kept
/// and given once the module is complete; no more bodies are validated after it.
///
/// # Invariants
/// - As `ModuleDecoder`'s: nothing else takes the arena's low end until `finish()`.
///   Validation takes only high-end memory (side tables stay, scratch is given back).
/// - After an error every call fails with it.
public struct ModuleLoader: ~Copyable {
    private var decoder: ModuleDecoder
    private var validator: ModuleValidator?
    /// Defined functions validated so far.
    private var validated = 0
    /// A validation error whose wording waits for the data section.
    private var heldError: ModuleError?
    private var failure: ModuleError?

    public init(arena: Arena) throws(ModuleError) {
        self.init(decoder: try ModuleDecoder(arena: arena))
    }

    private init(decoder: consuming ModuleDecoder) {
        self.decoder = decoder
    }

    /// Loads bytes already read into the arena: they must be its most recent low-end
    /// allocation (see `ModuleDecoder(arena:adopting:)`). Their bodies are validated by the
    /// next `feed`, `commit` or `finish`.
    public init(arena: Arena, adopting existing: UnsafeMutableRawBufferPointer) throws(ModuleError) {
        self.init(decoder: try ModuleDecoder(arena: arena, adopting: existing))
    }

    public var received: Int { decoder.received }

    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(ModuleError) {
        try step { (loader: inout ModuleLoader) throws(ModuleError) in
            try loader.decoder.feed(chunk)
            try loader.validateArrivedBodies()
        }
    }

    /// Room for up to `count` more bytes in place; follow with `commit`.
    public mutating func reserve(_ count: Int) throws(ModuleError) -> UnsafeMutableRawBufferPointer {
        if let failure { throw failure }
        return try decoder.reserve(count)
    }

    public mutating func commit(_ written: Int) throws(ModuleError) {
        try step { (loader: inout ModuleLoader) throws(ModuleError) in
            try loader.decoder.commit(written)
            try loader.validateArrivedBodies()
        }
    }

    /// Checks that the module is complete and valid and returns it.
    public mutating func finish() throws(ModuleError) -> Module {
        try step { (loader: inout ModuleLoader) throws(ModuleError) in
            let module = try loader.decoder.finish()
            try loader.validateRemainingBodies(of: module)
            return module
        }
    }

    /// Runs `body`; an error it throws is the loader's from then on.
    private mutating func step<Result>(
        _ body: (inout ModuleLoader) throws(ModuleError) -> Result
    ) throws(ModuleError) -> Result {
        if let failure { throw failure }
        do {
            return try body(&self)
        } catch {
            failure = error
            throw error
        }
    }

    /// Validates every body decoded so far whose error wording cannot change any more.
    private mutating func validateArrivedBodies() throws(ModuleError) {
        guard decoder.bodiesDecoded > 0, heldError == nil else { return }
        let module = decoder.decodedSoFar
        let defined = module.functions.count &- module.importedFunctionCount
        var ready = min(decoder.bodiesDecoded, defined)
        if ready == defined, ready > 0 {
            // The last body waits until what follows the code section is known.
            let followed = decoder.codeSectionEnd.map { decoder.received > $0 } ?? false
            if !followed { ready &-= 1 }
        }
        try validateBodies(upTo: ready, of: module)
    }

    private mutating func validateRemainingBodies(of module: Module) throws(ModuleError) {
        let defined = module.functions.count &- module.importedFunctionCount
        try validateBodies(upTo: defined, of: module)
        if let held = heldError {
            guard case .invalid(.unknownDataSegment) = held.kind, module.data.count > 0 else { throw held }
            throw ModuleError(.invalid(.dataCountSectionRequired), at: held.offset, function: held.function)
        }
        try validator?.finish(module)
    }

    /// Validates defined functions `validated ..< count`, creating the validator (which
    /// checks everything before the code section) first if need be.
    private mutating func validateBodies(upTo count: Int, of module: Module) throws(ModuleError) {
        if validator == nil { validator = try ModuleValidator(module, arena: decoder.arena) }
        guard let validator, heldError == nil else { return }
        while validated < count {
            let index = module.importedFunctionCount &+ validated
            do {
                module.functions[index].code = try validator.validateFunction(index, in: module)
            } catch {
                guard case .invalid(.unknownDataSegment) = error.kind, module.dataCount == nil else { throw error }
                heldError = error
                return
            }
            validated &+= 1
        }
    }
}

/// Decodes and validates a module whose bytes are all at hand (an embedded module, a
/// script's module): `ModuleLoader` fed once.
public func loadModule(_ bytes: UnsafeRawBufferPointer, into arena: Arena) throws(ModuleError) -> Module {
    var loader = try ModuleLoader(arena: arena)
    try loader.feed(bytes)
    return try loader.finish()
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
