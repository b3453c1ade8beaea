import PerchCore
import PerchDecode
import PerchValidate

extension Command {
    static var inspect: Command {
        Command(
            name: "inspect",
            summary: "Decode a module and show its sections, imports, exports and sizes",
            usage: "inspect [--arena SIZE] FILE",
            options: [Option("arena", value: "SIZE", help: "arena to decode in (default 16M)")]
        ) { arguments throws(UsageError) in
            try arguments.expectPositionals(atMost: 1)
            let path = try arguments.positional(0, "FILE")
            let capacity = try arguments.size("arena") ?? 16 << 20
            let arena: Arena
            do throws(ArenaError) {
                arena = try Arena(capacity: capacity)
            } catch {
                printError("perch: \(error.message)")
                return ExitStatus.failure
            }
            let bytes: UnsafeMutableRawBufferPointer
            do throws(FileError) {
                bytes = try readFile(path, into: arena, for: .moduleBytes)
            } catch {
                throw .file(error)
            }
            var module: Module
            let recordsStart: Int
            do throws(ModuleError) {
                var decoder = try ModuleDecoder(arena: arena, adopting: bytes)
                module = try decoder.finish()
                recordsStart = arena.used
                try validate(&module, arena: arena)
            } catch {
                printError("perch: \(path): \(error.message)")
                return ExitStatus.failure
            }
            printInspection(of: module, path: path, arena: arena, decodedBytes: recordsStart)
            return ExitStatus.success
        }
    }
}

private func hex(_ value: Int) -> String { "0x" + String(UInt(bitPattern: value), radix: 16) }

private func leftAligned(_ text: String, _ width: Int) -> String {
    var result = text
    for _ in text.utf8.count..<max(width, text.utf8.count) { result += " " }
    return result
}

private func rightAligned(_ text: String, _ width: Int) -> String {
    var result = ""
    for _ in text.utf8.count..<max(width, text.utf8.count) { result += " " }
    return result + text
}

private func kindName(_ kind: ExternKind) -> StaticString {
    switch kind {
    case .function: return "func"
    case .table: return "table"
    case .memory: return "memory"
    case .global: return "global"
    }
}

private func limitsText(_ limits: Limits) -> String {
    if let max = limits.max { return "\(limits.min)..\(max)" }
    return "\(limits.min).."
}

/// `value / total` as a decimal with two places, e.g. "0.34".
private func ratio(_ value: Int, _ total: Int) -> String {
    guard total > 0, value >= 0 else { return "-" }
    let hundredths = (UInt64(value) &* 100 &+ UInt64(total / 2)) / UInt64(total)
    let fraction = hundredths % 100
    return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}

private func printInspection(of module: Module, path: String, arena: Arena, decodedBytes: Int) {
    print("\(path): \(module.bytes.count) bytes, WebAssembly version 1")
    print("sections:      offset       size")
    var codeBytes = 0
    module.forEachSection { section in
        var line = "  " + leftAligned("\(section.name)", 10) + rightAligned(hex(section.offset), 10)
            + rightAligned("\(section.body.count)", 11)
        if let name = section.customName { line += "  \"\(name.string)\"" }
        print(line)
    }
    for function in module.functions { codeBytes += function.body.count }
    let defined = module.functions.count - module.importedFunctionCount
    print("types: \(module.types.count)")
    print("functions: \(module.functions.count) (\(module.importedFunctionCount) imported, \(defined) defined)")
    var sideTableBytes = 0
    var maxStackSlots: UInt32 = 0
    var wideLocalIndices = 0
    for function in module.functions {
        guard let code = function.code else { continue }
        sideTableBytes += Int(code.sideTableBytes)
        maxStackSlots = max(maxStackSlots, code.localSlots &+ code.maxStackSlots)
        if !code.oneByteLocalIndices { wideLocalIndices += 1 }
    }
    print("code: \(codeBytes) bytes in \(defined) bodies")
    print("side table: \(sideTableBytes) bytes, \(ratio(sideTableBytes, codeBytes)) x code bytes")
    print("largest frame: \(maxStackSlots) slots (locals + operands)")
    // Which local handlers the interpreter runs the module with (docs/interpreter.md).
    print(wideLocalIndices == 0
        ? "local indices: one byte in every function"
        : "local indices: wider than a byte in \(wideLocalIndices) of \(defined) functions, so all run the slower local handlers")
    print("tables: \(module.tables.count), memories: \(module.memories.count), globals: \(module.globals.count)")
    print("element segments: \(module.elements.count), data segments: \(module.data.count)")
    if let start = module.start { print("start: function \(start)") }
    if !module.functionNames.isEmpty { print("function names: \(module.functionNames.count)") }
    if !module.imports.isEmpty {
        print("imports:")
        for item in module.imports {
            var line = "  \(item.module.string).\(item.field.string): \(kindName(item.kind)) \(item.index)"
            let index = Int(item.index)
            switch item.kind {
            case .function: line += " type \(module.functions[index].typeIndex)"
            case .table: line += " \(module.tables[index].elementType.name) \(limitsText(module.tables[index].limits))"
            case .memory: line += " pages \(limitsText(module.memories[index]))"
            case .global:
                let type = module.globals[index].type
                line += (type.mutable ? " mut " : " ") + "\(type.valueType.name)"
            }
            print(line)
        }
    }
    if !module.exports.isEmpty {
        print("exports:")
        for item in module.exports {
            print("  \(item.name.string): \(kindName(item.kind)) \(item.index)")
        }
    }
    let records = decodedBytes - module.bytes.count
    let validation = arena.used - decodedBytes
    // 64-bit sums: up to 65536 pages (4 GiB) would overflow Int on 32-bit boards.
    var memoryBytes: UInt64 = 0
    if let memory = module.memories.first { memoryBytes = UInt64(memory.min) &* UInt64(wasmPageSize) }
    print("arena: \(arena.used) bytes after validation = \(module.bytes.count) module + \(records) records"
        + " + \(validation) side tables and validation records; peak \(arena.highWaterMark)")
    print("instantiation needs at least \(UInt64(arena.used) &+ memoryBytes) bytes"
        + " (+ \(memoryBytes) initial linear memory), plus globals, tables and stacks")
}
