import PerchCore
import PerchDecode

/// One execution context: a value stack and a call-frame stack in an arena, and the
/// registers of a suspended run. Wasm calls never recurse on the native stack: a call
/// pushes a `Frame` here, so deep recursion ends in the trap "call stack exhausted" at
/// `callDepth` (or when the value stack is full), never in a native stack overflow.
///
/// ```
/// value stack (8-byte slots)                       frames (one per active call)
/// | f0 params | f0 locals | f0 operands | f1 params | ...   | entry | f0 caller | ...
///  ^fp of f0                             ^fp of f1    ^sp
/// ```
/// The callee's parameters are the caller's top operands, left in place.
///
/// # Invariants
/// - `stackBase ..< stackEnd` and `frames ..< frames + callDepth` lie in the arena and
///   outlive the machine.
/// - While a run is suspended, `registers` point into those stacks and into validated
///   code; nothing else changes them until `run` resumes or `abandon`.
/// - A function is entered only when `fp + frameSlots <= stackEnd`, and the validator's
///   `maxStackSlots` bounds its operands, so no handler needs a per-push check.
public final class Machine {
    public let stackBase: UnsafeMutablePointer<UInt64>
    /// The stacks' bounds are kept once, in `Registers`, where calls and returns read them.
    public var stackEnd: UnsafeMutablePointer<UInt64> { registers.pointee.stackEnd }
    var frames: UnsafeMutablePointer<Frame> { registers.pointee.frames }
    public let callDepth: Int
    /// The interpreter's registers, in the arena (see `Registers`).
    let registers: UnsafeMutablePointer<Registers>
    /// Keeps the stacks' memory alive.
    let arena: Arena

    public enum Status: Sendable, Equatable {
        /// Nothing to run: start a call with `start`.
        case idle
        /// A call is ready or suspended: `run` continues it.
        case runnable
    }

    public internal(set) var status: Status = .idle
    /// The function `start` was given when it is a host function (run calls it directly).
    var pendingHost: UnsafeMutablePointer<FunctionRecord>?
    var resultSlots: Int = 0

    public init(arena: Arena, valueStackSlots: Int, callDepth: Int) throws(ArenaError) {
        // Not zero-filled: slots are written before they are read, and untouched stack
        // pages cost no resident memory.
        // Slots beneath the stack: handlers read `sp[-1]` and `sp[-2]` (the top and the
        // second operand, see perch_dispatch.h) even when a function's frame is empty at
        // the stack's base.
        let guardSlots = 2
        let (stackBytes, stackOverflow) = (valueStackSlots &+ guardSlots).multipliedReportingOverflow(by: 8)
        let (frameBytes, frameOverflow) = max(callDepth, 1).multipliedReportingOverflow(by: MemoryLayout<Frame>.stride)
        // Below `FunctionRecord.frameSlotsCap`, so a function whose frame was capped there
        // can never fit and every call of it is refused.
        guard valueStackSlots > 0, valueStackSlots < FunctionRecord.frameSlotsCap, !stackOverflow, !frameOverflow else {
            throw ArenaError(use: .valueStack, requested: Int.max, available: arena.free)
        }
        let slots = try arena.allocateHigh(stackBytes, alignment: 8, for: .valueStack)
            .bindMemory(to: UInt64.self, capacity: valueStackSlots &+ guardSlots)
        slots.initialize(repeating: 0, count: guardSlots)
        let stack = slots + guardSlots
        let frames = try arena.allocateHigh(frameBytes, alignment: MemoryLayout<Frame>.alignment, for: .callStack)
            .bindMemory(to: Frame.self, capacity: max(callDepth, 1))
        let registers = try arena.allocateHigh(
            MemoryLayout<Registers>.stride, alignment: MemoryLayout<Registers>.alignment, for: .callStack
        ).bindMemory(to: Registers.self, capacity: 1)
        self.callDepth = max(callDepth, 1)
        registers.initialize(to: Registers(
            idleOn: stack, stackEnd: stack + valueStackSlots, frames: frames, framesEnd: frames + self.callDepth))
        self.stackBase = stack
        self.registers = registers
        self.arena = arena
    }

    /// Prepares a call of `function` with `arguments` (one slot each, v128 two).
    /// The call runs, possibly in several slices, through `run`.
    public func start(
        _ function: UnsafeMutablePointer<FunctionRecord>, arguments: UnsafeBufferPointer<UInt64>
    ) throws(Trap) {
        let f = function.pointee
        resultSlots = Int(f.resultSlots)
        let needed = max(Int(f.paramSlots), Int(f.resultSlots)) + Int(f.frameSlots)
        guard needed <= stackEnd - stackBase else {
            throw Trap(.callStackExhausted, function: f.index, functionName: nil, offset: 0)
        }
        for i in 0..<min(arguments.count, Int(f.paramSlots)) { stackBase[i] = arguments[i] }
        status = .runnable
        if f.entry == nil {
            pendingHost = function
            return
        }
        pendingHost = nil
        let locals = stackBase + Int(f.paramSlots)
        locals.initialize(repeating: 0, count: Int(f.localSlots))
        let regs = registers
        regs.pointee.pc = f.entry.unsafelyUnwrapped
        regs.pointee.stp = f.sideTable.unsafelyUnwrapped
        regs.pointee.sp = locals + Int(f.localSlots)
        regs.pointee.fp = stackBase
        regs.pointee.frameTop = frames
        regs.pointee.function = function
        regs.pointee.loadInstance(of: function)
    }

    /// Forgets a suspended run; the machine can start another call.
    public func abandon() {
        status = .idle
        pendingHost = nil
    }

    /// The results of the call that just finished, in the first slots of the stack.
    public var results: UnsafeBufferPointer<UInt64> {
        UnsafeBufferPointer(start: stackBase, count: resultSlots)
    }

    /// Runs the started call to completion with unlimited fuel; for embedders and tests
    /// that do not need suspension. A host suspension is honoured by resuming at once.
    public func invoke(
        _ function: UnsafeMutablePointer<FunctionRecord>, arguments: UnsafeBufferPointer<UInt64>
    ) throws(Trap) -> RunOutcome {
        try start(function, arguments: arguments)
        while true {
            let outcome = try run(fuel: .max)
            if case .hostSuspended = outcome { continue }
            return outcome
        }
    }
}

/// How a slice of execution ended (traps are thrown).
public enum RunOutcome: Sendable, Equatable {
    /// The call returned; its values are in `Machine.results`.
    case finished
    /// The fuel ran out at a loop back-edge or call; `run` again to continue.
    case outOfFuel
    /// A host function asked the caller to regain control; `run` again to continue
    /// after the host call.
    case hostSuspended(wakeAfterNanoseconds: UInt64)
    /// A host function ended the program (WASI `proc_exit`).
    case exited(code: UInt32)
}

/// A call frame: where to continue in the caller.
struct Frame {
    var returnPC: UnsafeRawPointer
    var returnSTP: UnsafeRawPointer
    var fp: UnsafeMutablePointer<UInt64>
    var function: UnsafeMutablePointer<FunctionRecord>
}

/// The interpreter's registers, kept in the arena so a run can stop anywhere and resume.
///
/// While a run executes, `pc`, `stp`, `sp` and `fp` travel in CPU registers from handler
/// to handler (written back here when it stops); every other field is read and written
/// here directly, behind the one pointer every handler gets (Interpreter.swift).
///
/// # Invariants
/// - `stp` is the first field: on 32-bit ARM it is the side-table pointer's home while a
///   run executes (perch_dispatch.h passes only four arguments in registers there).
/// - While a call is runnable, every pointer points into the machine's stacks, into
///   validated code or at live records; `frames ..< frameTop` are the callers' frames
///   (empty: returning ends the run).
/// - `instance`, `functionEnd`, `globals`, `functions`, `memBase` and `memSize` are those of
///   `function` (a call or return of another instance reloads them with `loadInstance`).
/// - When a run stops, `trap` says it trapped, `hostCallee` that it calls a host function;
///   otherwise `outcome` says how it stopped.
struct Registers {
    var stp: UnsafeRawPointer
    var pc: UnsafeRawPointer
    var sp: UnsafeMutablePointer<UInt64>
    var fp: UnsafeMutablePointer<UInt64>
    var function: UnsafeMutablePointer<FunctionRecord>
    /// The next free frame.
    var frameTop: UnsafeMutablePointer<Frame>
    // The machine's stacks (constant; `Machine` reads them here too), kept here so that
    // calls and returns read them beside the rest rather than through the machine object.
    let stackEnd: UnsafeMutablePointer<UInt64>
    let frames: UnsafeMutablePointer<Frame>
    /// One past the last frame: a call that would store a frame here is refused.
    let framesEnd: UnsafeMutablePointer<Frame>
    /// Units left in the current slice (see `run(fuel:)`).
    var fuel: Int
    var functionEnd: UnsafeRawPointer
    var instance: UnsafeMutablePointer<InstanceRecord>
    var globals: UnsafeMutablePointer<UnsafeMutablePointer<GlobalRecord>>
    var functions: UnsafeMutablePointer<UnsafeMutablePointer<FunctionRecord>>
    var memBase: UnsafeMutableRawPointer
    var memSize: UInt64
    /// Scratch for a call: the end of the callee's locals while they are zeroed.
    var localsEnd: UnsafeMutablePointer<UInt64>
    /// How the last run stopped, set by the handler that stopped it.
    var outcome: RunOutcome
    var trap: Trap?
    /// Set when the run stopped to call this host function from the call instruction at
    /// `hostCallSite` (`run` calls it and continues).
    var hostCallee: UnsafeMutablePointer<FunctionRecord>?
    var hostCallSite: UnsafeRawPointer
    /// Set when the run stopped to continue with the other set of local handlers.
    var handlerSetChanged: Bool

    /// Registers of an idle machine: never read before `start` sets them.
    init(
        idleOn stack: UnsafeMutablePointer<UInt64>, stackEnd: UnsafeMutablePointer<UInt64>,
        frames: UnsafeMutablePointer<Frame>, framesEnd: UnsafeMutablePointer<Frame>
    ) {
        let placeholder = UnsafeMutableRawPointer(stack)
        pc = UnsafeRawPointer(placeholder)
        stp = UnsafeRawPointer(placeholder)
        sp = stack
        fp = stack
        function = placeholder.assumingMemoryBound(to: FunctionRecord.self)
        frameTop = frames
        self.stackEnd = stackEnd
        self.frames = frames
        self.framesEnd = framesEnd
        fuel = 0
        functionEnd = UnsafeRawPointer(placeholder)
        instance = placeholder.assumingMemoryBound(to: InstanceRecord.self)
        globals = placeholder.assumingMemoryBound(to: UnsafeMutablePointer<GlobalRecord>.self)
        functions = placeholder.assumingMemoryBound(to: UnsafeMutablePointer<FunctionRecord>.self)
        memBase = placeholder
        memSize = 0
        localsEnd = stack
        outcome = .finished
        trap = nil
        hostCallee = nil
        hostCallSite = UnsafeRawPointer(placeholder)
        handlerSetChanged = false
    }

    /// Loads the state of `function`'s instance unconditionally.
    @inline(__always) mutating func loadInstance(of function: UnsafeMutablePointer<FunctionRecord>) {
        functionEnd = function.pointee.end.unsafelyUnwrapped
        instance = function.pointee.instance
        globals = instance.pointee.globals
        functions = instance.pointee.functions
        reloadMemory()
    }

    /// Re-reads the instance's memory base and size (after memory.grow or a host call).
    @inline(__always) mutating func reloadMemory() {
        if let memory = instance.pointee.memory {
            memBase = memory.pointee.base
            memSize = slot(extending: memory.pointee.byteCount)
        } else {
            memSize = 0
        }
    }
}
