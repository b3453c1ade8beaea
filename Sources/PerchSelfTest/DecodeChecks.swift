import PerchCore
import PerchDecode

/// A module with one import, one function (`add`, exported), a memory, a global, a data
/// segment and a name section: `(func $add (param i32 i32) (result i32) ...)`.
private let sampleModule: StaticString = """
    \0asm\u{1}\0\0\0\
    \u{1}\u{7}\u{1}\u{60}\u{2}\u{7F}\u{7F}\u{1}\u{7F}\
    \u{2}\u{B}\u{1}\u{3}env\u{3}log\0\0\
    \u{3}\u{2}\u{1}\0\
    \u{5}\u{3}\u{1}\0\u{1}\
    \u{6}\u{6}\u{1}\u{7F}\u{1}\u{41}\u{2A}\u{B}\
    \u{7}\u{7}\u{1}\u{3}add\0\u{1}\
    \u{A}\u{9}\u{1}\u{7}\0\u{20}\0\u{20}\u{1}\u{6A}\u{B}\
    \u{B}\u{7}\u{1}\0\u{41}\0\u{B}\u{1}\u{21}\
    \0\u{D}\u{4}name\u{1}\u{6}\u{1}\u{1}\u{3}add
    """

func decodeChecks(_ t: inout SelfTest) {
    let bytes = UnsafeRawBufferPointer(start: sampleModule.utf8Start, count: sampleModule.utf8CodeUnitCount)
    let arena: Arena
    do throws(ArenaError) {
        arena = try Arena(capacity: 16384)
    } catch {
        t.fail(error.message)
        return
    }
    // Fed one byte at a time: decoding resumes across every chunk boundary.
    do throws(ModuleError) {
        var decoder = try ModuleDecoder(arena: arena)
        for index in 0..<bytes.count {
            try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[index..<index + 1]))
        }
        let module = try decoder.finish()
        t.check(module.bytes.count == bytes.count, "all bytes received")
        t.check(module.types.count == 1 && module.types[0].paramSlots == 2, "type (i32 i32) -> i32")
        t.check(module.imports.count == 1 && module.imports[0].field == "log", "import env.log")
        t.check(module.functions.count == 2 && module.importedFunctionCount == 1, "imported + defined functions")
        t.check(module.functions[1].body.count == 7, "function body recorded in place")
        t.check(module.memories.count == 1 && module.memories[0] == Limits(min: 1, max: nil), "memory limits")
        t.check(module.globals.count == 1 && module.globals[0].type.mutable, "mutable global")
        t.check(module.exports.count == 1 && module.exports[0].name == "add", "export add")
        t.check(module.data.count == 1 && module.data[0].bytes.count == 1, "data segment")
        t.check(module.functionNames.count == 1 && module.functionNames[0].name == "add", "name section")
    } catch {
        t.fail("sample module: " + error.message)
    }
    // Truncated: a prefix is a module exactly when it ends at a section boundary outside
    // function..code (a function section needs its code section); every other cut is a
    // typed error, never a trap.
    let boundaries: [Int] = [8, 0x11, 0x1E, 0x43, 0x4C]
    var prefixesRight = true
    for length in 0..<bytes.count {
        let mark = arena.mark
        var accepted = false
        do throws(ModuleError) {
            var decoder = try ModuleDecoder(arena: arena)
            try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
            _ = try decoder.finish()
            accepted = true
        } catch {}
        if accepted != boundaries.contains(length) { prefixesRight = false }
        arena.reset(to: mark)
    }
    t.check(prefixesRight, "truncations are rejected unless they end at a section boundary")
}
