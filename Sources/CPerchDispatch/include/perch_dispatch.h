// The interpreter's dispatch: one C function per opcode, each running the opcode's Swift
// handler inlined and then jumping to the next opcode's function with a guaranteed tail
// call. Swift has no guaranteed tail call; clang's `musttail` is one, enforced at every
// optimisation level (a call it cannot turn into a jump is a compile error, not a silent
// native call), so the native stack stays flat however long a run is.
//
// How the Swift code gets inside: this header is imported into PerchInterp, and ClangImporter
// emits its `static inline` functions into the LLVM module of the Swift file that uses
// `perch_enter` (Interpreter.swift, which also defines every `perch_op_XX`). In that one
// module each call marked `always_inline` below is inlined, so a handler is one function
// whose registers are its own: pc, sp, fp, the `Registers` pointer, the side-table
// pointer, the top operand and a pending operand arrive in argument registers and leave
// in the same ones.
//
// Invariants (Swift side, Interpreter.swift): `perch_op_XX` implements opcode byte 0xXX,
// steps pc past it and returns true to continue at pc, or stores the run's state and
// outcome in `Registers` and returns false. The code it runs was validated, so pc always
// reaches a listed opcode; every other byte maps to `perch_tc_invalid`.
#ifndef PERCH_DISPATCH_H
#define PERCH_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

typedef const void *_Nonnull PerchCode;
typedef uint64_t *_Nonnull PerchSlots;
typedef void *_Nonnull PerchRegisters;

// 32-bit ARM passes four arguments in registers: there the side-table pointer lives in
// memory, in the first field of `Registers`, and its handlers update it in place.
//
// The top operand, `tos`, travels in a register too: a handler that reads the top takes it
// from there rather than from memory, so a value one handler computes reaches the next
// without a store and a load on its way (the latency of that round trip, not the count of
// instructions, is what bounds a chain of dependent operations). Memory stays the truth:
// handlers still store every value they produce, and each wrapper reloads `tos` from
// `sp[-1]` after its handler, a load that the compiler forwards from the handler's own
// store when it made one. Two slots beneath the value stack exist, so `sp[-1]` and the
// second operand's `sp[-2]` always do.
//
// A pending operand: local.get, local.tee with what it takes along, i32.const and i64.const
// (the "producers") pass their value in the register `pending` to the next opcode's
// handler in the second half of the dispatch table, its slot the one above the stack, not
// counted in `sp`. That handler counts the slot, and the top beneath it, which arrived in
// `tos`, becomes its second operand: in `x; local.get y; i32.add` or `x; i32.const k;
// i32.shl`, both operands reach the add or shift in registers. Its slot is written only by
// a handler that leaves the value on the stack (a "keeping" entry: a producer, block, end)
// or reads it from there (a cold opcode's entry); a "popping" entry, an operation's or a
// test's, takes it from `tos` alone, and the store it saves is one per producer.
//
// The dispatch table's address travels in a register as well: a dispatch is then a load
// from it and a jump, where materialising a global's address took one instruction more on
// x86-64 (two on AArch64) at every dispatch.
//
// Code, side table and dispatch table never change while handlers run (linear memory
// and the value stack are other arena memory): `restrict` says so, so a store to a
// value-stack slot no longer makes the compiler read an opcode byte it already has again
// (a plain local.get re-read its next opcode for the dispatch: -0.3% to -1.0% executed
// instructions on the benchmarks). `regs` is not marked: the call's loop that zeroes
// locals re-reads its bound from `Registers` on purpose (see `call`), and marked, that
// loop became a vectorised one (fib +8.5%).
//
// The order of the arguments is the order of registers they take. On x86-64 `pending` comes
// last, in %rcx: a variable shift or rotate takes its count in %cl, and in `x; i32.const k;
// i32.rotl` the count is the pending operand (with the table there, each such handler moved
// it out and back: sha256 24.11 G -> 23.56 G executed instructions, crc32 14.93 -> 14.49 G).
#if __SIZEOF_POINTER__ == 8
#define PERCH_PARAMETERS                                                                     \
    PerchCode restrict pc, PerchSlots sp, PerchSlots fp, PerchRegisters regs,                \
        PerchCode restrict stp, uint64_t tos, PerchCode restrict table, uint64_t pending
#define PERCH_ARGUMENTS pc, sp, fp, regs, stp, tos, table, pending
#define PERCH_PENDING_ARGUMENTS(VALUE) pc, sp, fp, regs, stp, tos, table, VALUE
#define PERCH_TABLE ((const PerchHandler *)table)
#define PERCH_STP_ADDRESS (&stp)
#define PERCH_ENTRY uint64_t second = sp[-2];
#define PERCH_PENDING_COUNT                                                                  \
    tos = pending;                                                                           \
    sp += 1;
#define PERCH_PENDING_FLUSH                                                                  \
    sp[0] = pending;                                                                         \
    PERCH_PENDING_COUNT
#define PERCH_POPPING_ENTRY                                                                  \
    uint64_t second = tos;                                                                   \
    PERCH_PENDING_COUNT
#define PERCH_KEEPING_ENTRY                                                                  \
    uint64_t second = tos;                                                                   \
    PERCH_PENDING_FLUSH
#define PERCH_TOS_RELOAD tos = sp[-1];
#else
// Here the pending operand travels in its slot, where the producer stored it.
#define PERCH_PARAMETERS PerchCode restrict pc, PerchSlots sp, PerchSlots fp, PerchRegisters regs
#define PERCH_ARGUMENTS pc, sp, fp, regs
#define PERCH_PENDING_ARGUMENTS(VALUE) pc, sp, fp, regs
#define PERCH_STP_ADDRESS ((PerchCode *)regs)
#define PERCH_ENTRY                                                                          \
    uint64_t tos = sp[-1];                                                                   \
    uint64_t second = sp[-2];
#define PERCH_PENDING_FLUSH sp += 1;
#define PERCH_TOS_RELOAD
#define PERCH_TABLE perch_dispatch_table
#endif

// Handlers keep no register for a caller: the chain never returns into one of them, so
// with clang's `preserve_none` (x86-64, AArch64) every register is theirs to use without
// saving it, and the arguments travel in registers no ordinary call clobbers.
#if defined(__x86_64__) || defined(__aarch64__)
#define PERCH_HANDLER_CC __attribute__((preserve_none))
// Each handler starts a cache line: where handlers fell otherwise moved with every change
// to the code before them, and a change to `call` alone made matmul_i32, which makes no
// calls, 10% slower (minima of 15 runs: 1.01 s before, 1.11 after, 1.03 aligned).
#define PERCH_HANDLER_ALIGN __attribute__((aligned(64)))
#else
#define PERCH_HANDLER_CC
#define PERCH_HANDLER_ALIGN /* 32-bit ARM: code size first */
#endif

// One table of handlers of one type (`musttail` needs caller and callee alike): entry
// 0xXX is opcode XX's ordinary handler, entry 256 + 0xXX its handler after a pending
// operand. An ordinary handler ignores `pending`. On 64-bit targets a second such set of
// 512 follows, for code whose local indices are all one byte: its local.get, local.set
// and local.tee entries skip the multi-byte case (Interpreter.swift, "Variable
// instructions"); the handler set is the table the run enters with, and every dispatch
// stays in it. 32-bit ARM keeps one set: code size first, and its table is a global.
typedef PERCH_HANDLER_CC void (*_Nonnull PerchHandler)(PERCH_PARAMETERS);
#if __SIZEOF_POINTER__ == 8
#define PERCH_HANDLER_SETS 2
#else
#define PERCH_HANDLER_SETS 1
#endif
static const PerchHandler perch_dispatch_table[512 * PERCH_HANDLER_SETS];

// An ordinary handler's `pending` is any value: the one received passes on, mostly in the
// register it came in (a value made up for it costs an instruction per dispatch).
// The next opcode's entry, ordinary or after a pending operand.
#define PERCH_NEXT_INDEX (*(const uint8_t *)pc)
#define PERCH_PENDING_INDEX (256 + *(const uint8_t *)pc)
#define PERCH_NEXT PERCH_TABLE[PERCH_NEXT_INDEX](PERCH_ARGUMENTS)

// The Swift handler of opcode XX, returning RESULT, and its call with the wrapper's state.
#define PERCH_SWIFT_HANDLER(XX, RESULT)                                                      \
    __attribute__((swiftcall)) RESULT perch_op_##XX(                                         \
        PerchCode restrict *_Nonnull pc, PerchSlots *_Nonnull sp, PerchSlots *_Nonnull fp,   \
        PerchCode restrict *_Nonnull stp, PerchRegisters regs, uint64_t tos, uint64_t second);
#define PERCH_RUN(XX) perch_op_##XX(&pc, &sp, &fp, PERCH_STP_ADDRESS, regs, tos, second)

#define PERCH_SIMPLE_BODY(XX)                                                                \
    bool proceed;                                                                            \
    [[clang::always_inline]] proceed = PERCH_RUN(XX);                                        \
    if (__builtin_expect(proceed, 1)) {                                                      \
        PERCH_TOS_RELOAD                                                                     \
        __attribute__((musttail)) return PERCH_NEXT;                                         \
    }

// The ordinary wrapper of opcode XX around BODY.
#define PERCH_ORDINARY(XX, BODY)                                                             \
    static inline PERCH_HANDLER_CC PERCH_HANDLER_ALIGN void perch_tc_##XX(PERCH_PARAMETERS) { \
        PERCH_ENTRY                                                                          \
        BODY(XX)                                                                             \
    }
// A pending entry that counts the slot and runs the ordinary handler: a cold opcode's on
// every target, and every opcode's on 32-bit ARM, where the pending operand travels in
// memory anyway and a second copy of each handler would only cost code space.
#define PERCH_FLUSHING_WRAPPER(XX)                                                           \
    static inline PERCH_HANDLER_CC PERCH_HANDLER_ALIGN void perch_pending_##XX(PERCH_PARAMETERS) { \
        PERCH_PENDING_FLUSH                                                                  \
        __attribute__((musttail)) return perch_tc_##XX(PERCH_ARGUMENTS);                     \
    }
#if __SIZEOF_POINTER__ == 8
#define PERCH_PENDING_WRAPPER(XX, ENTRY, BODY)                                               \
    static inline PERCH_HANDLER_CC PERCH_HANDLER_ALIGN void perch_pending_##XX(PERCH_PARAMETERS) { \
        ENTRY                                                                                \
        BODY(XX)                                                                             \
    }
#else
#define PERCH_PENDING_WRAPPER(XX, ENTRY, BODY) PERCH_FLUSHING_WRAPPER(XX)
#endif
// Both wrappers of opcode XX around BODY: the ordinary one and its pending-table entry,
// which begins with ENTRY (popping or keeping).
#define PERCH_WRAPPERS(XX, ENTRY, BODY)                                                      \
    PERCH_ORDINARY(XX, BODY)                                                                 \
    PERCH_PENDING_WRAPPER(XX, ENTRY, BODY)

#define PERCH_HANDLER(XX)                                                                    \
    PERCH_SWIFT_HANDLER(XX, bool)                                                            \
    PERCH_WRAPPERS(XX, PERCH_POPPING_ENTRY, PERCH_SIMPLE_BODY)

#define PERCH_KEEPING_HANDLER(XX)                                                            \
    PERCH_SWIFT_HANDLER(XX, bool)                                                            \
    PERCH_WRAPPERS(XX, PERCH_KEEPING_ENTRY, PERCH_SIMPLE_BODY)

#define PERCH_COLD_HANDLER(XX)                                                               \
    PERCH_SWIFT_HANDLER(XX, bool)                                                            \
    PERCH_ORDINARY(XX, PERCH_SIMPLE_BODY)                                                    \
    PERCH_FLUSHING_WRAPPER(XX)

// A branching handler returns which way it went (`Way` in Branches.swift): 0 stops,
// 1 to 3 continue at pc, each from a dispatch jump of its own. A taken branch and a fall
// through lead to different opcodes; with one jump for both, the CPU's prediction of
// where it goes was wrong far more often. 5 continues with the stack untouched, `tos`
// kept instead of read back from `sp[-1]` (one load fewer a block, loop, else or inner
// `end`). A handler's every path returns a constant, so these tests fold away.
// Way N continues from a dispatch jump of its own, to table entry INDEX with PENDING (a
// variable) as the pending operand. Ways whose last instructions are alike (load the
// entry, move the operands into their registers, jump) would be merged by the compiler
// into one jump; an empty `asm` that claims to change the entry's address and the operands
// in their argument registers, different for each way, keeps them apart at no cost in
// instructions. It names every register a way's last instructions may still move a value
// into: pc's, sp's, tos's and pending's under `preserve_none` (the 1st, 2nd, 6th and 8th
// arguments); were they others, the values would only move once more. Naming only tos's
// and pending's let a move into pc's register stay after it, and the taken and fall-through
// ways of `if`, and of `br_if` after a pending operand, merged into one jump through it.
// 32-bit ARM lets the ways merge: code size first.
#if __SIZEOF_POINTER__ != 8
#define PERCH_KEEP_APART(HANDLER, PENDING, N)
#elif defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#define PERCH_PC_REGISTER "r12"
#define PERCH_SP_REGISTER "r13"
#define PERCH_KEEP_OPERANDS(HANDLER, PENDING, N)                                             \
    __asm__("" : "+r"(HANDLER), "+r"(perch_pc), "+r"(perch_sp), "+S"(tos), "+c"(PENDING) : "i"(N))
#elif defined(__aarch64__)
#define PERCH_PC_REGISTER "x20"
#define PERCH_SP_REGISTER "x21"
#define PERCH_KEEP_OPERANDS(HANDLER, PENDING, N)                                             \
    register uint64_t perch_tos __asm__("x25") = tos;                                        \
    register uint64_t perch_pending __asm__("x27") = PENDING;                                \
    __asm__("" : "+r"(HANDLER), "+r"(perch_pc), "+r"(perch_sp), "+r"(perch_tos), "+r"(perch_pending) \
            : "i"(N));                                                                       \
    tos = perch_tos;                                                                         \
    PENDING = perch_pending
#endif
#define PERCH_KEEP_APART(HANDLER, PENDING, N)                                                \
    register PerchCode perch_pc __asm__(PERCH_PC_REGISTER) = pc;                             \
    register PerchSlots perch_sp __asm__(PERCH_SP_REGISTER) = sp;                            \
    PERCH_KEEP_OPERANDS(HANDLER, PENDING, N);                                                \
    pc = perch_pc;                                                                           \
    sp = perch_sp
#else
#define PERCH_KEEP_APART(HANDLER, PENDING, N) __asm__("" : "+r"(HANDLER) : "i"(N))
#endif
#define PERCH_WAY(N, INDEX, PENDING)                                                         \
    if (way == N) {                                                                          \
        PerchHandler next = PERCH_TABLE[INDEX];                                              \
        PERCH_KEEP_APART(next, PENDING, N);                                                  \
        __attribute__((musttail)) return next(PERCH_PENDING_ARGUMENTS(PENDING));             \
    }

// Ways 1 to 3, each continuing at pc with the top read back.
#define PERCH_THREE_WAYS                                                                     \
    PERCH_TOS_RELOAD                                                                         \
    PERCH_WAY(1, PERCH_NEXT_INDEX, pending)                                                  \
    PERCH_WAY(2, PERCH_NEXT_INDEX, pending)                                                  \
    PERCH_WAY(3, PERCH_NEXT_INDEX, pending)

#define PERCH_BRANCHING_BODY(XX)                                                             \
    uint8_t way;                                                                             \
    [[clang::always_inline]] way = PERCH_RUN(XX);                                            \
    PERCH_WAY(5, PERCH_NEXT_INDEX, pending)                                                  \
    PERCH_THREE_WAYS

#define PERCH_BRANCHING_HANDLER(XX)                                                          \
    PERCH_SWIFT_HANDLER(XX, uint8_t)                                                         \
    PERCH_WRAPPERS(XX, PERCH_POPPING_ENTRY, PERCH_BRANCHING_BODY)

// An i64 operation's ways (a result on the stack, or in a local, with a value read after
// it or not). On x86-64 a division leaves its remainder in %rdx, the table's register:
// the compiler moved the table back once, after the ways had joined, and so made them
// share one jump. Pinned there before they part, each keeps its own.
#if defined(__x86_64__)
#define PERCH_PIN_TABLE __asm__("" : "+d"(table));
#else
#define PERCH_PIN_TABLE
#endif
#define PERCH_RESULT_BODY(XX)                                                                \
    uint8_t way;                                                                             \
    [[clang::always_inline]] way = PERCH_RUN(XX);                                            \
    PERCH_PIN_TABLE                                                                          \
    PERCH_THREE_WAYS

#define PERCH_RESULT_HANDLER(XX)                                                             \
    PERCH_SWIFT_HANDLER(XX, uint8_t)                                                         \
    PERCH_WRAPPERS(XX, PERCH_POPPING_ENTRY, PERCH_RESULT_BODY)

#define PERCH_KEEPING_BRANCHING_HANDLER(XX)                                                  \
    PERCH_SWIFT_HANDLER(XX, uint8_t)                                                         \
    PERCH_WRAPPERS(XX, PERCH_KEEPING_ENTRY, PERCH_BRANCHING_BODY)

// A producer's Swift handler returns a way too, 1 to 3, 6 or 7 with a value staged in
// `staged` (continuing in the pending table), 4 with none; it never stops. It updates
// `tos` when it pushes a value beneath the staged one.
#define PERCH_PRODUCER_BODY(XX)                                                              \
    uint64_t staged;                                                                         \
    uint8_t way;                                                                             \
    [[clang::always_inline]] way = perch_op_##XX(                                            \
        &pc, &sp, &fp, PERCH_STP_ADDRESS, regs, &tos, second, &staged);                      \
    PERCH_WAY(1, PERCH_PENDING_INDEX, staged)                                                \
    PERCH_WAY(2, PERCH_PENDING_INDEX, staged)                                                \
    PERCH_WAY(3, PERCH_PENDING_INDEX, staged)                                                \
    PERCH_WAY(6, PERCH_PENDING_INDEX, staged)                                                \
    PERCH_WAY(7, PERCH_PENDING_INDEX, staged)                                                \
    __attribute__((musttail)) return PERCH_NEXT;

#define PERCH_PRODUCER(XX)                                                                   \
    __attribute__((swiftcall)) uint8_t perch_op_##XX(                                        \
        PerchCode restrict *_Nonnull pc, PerchSlots *_Nonnull sp, PerchSlots *_Nonnull fp,   \
        PerchCode restrict *_Nonnull stp, PerchRegisters regs, uint64_t *_Nonnull tos,       \
        uint64_t second, uint64_t *_Nonnull staged);                                         \
    PERCH_WRAPPERS(XX, PERCH_KEEPING_ENTRY, PERCH_PRODUCER_BODY)

// Opcodes with a handler of their own; the ones sharing another's are in PERCH_SHARED.
// Each of these pops its pending operand or overwrites its slot, and reads it only from
// `tos` (the loads, the stores, drop, select and the numeric instructions).
#define PERCH_OPCODES(X)                                                                     \
    X(1A) X(1B) X(1C) X(28) X(29) X(2C) X(2D) X(2E) X(2F)                                    \
    X(30) X(32) X(34) X(36) X(37) X(3A) X(3B)                                                \
    X(5B) X(5C) X(5D) X(5E) X(5F) \
    X(60) X(61) X(62) X(63) X(64) X(65) X(66) X(67) X(68) X(69) X(6A) X(6B) X(6C) X(6D) X(6E) X(6F) \
    X(70) X(71) X(72) X(73) X(74) X(75) X(76) X(77) X(78) X(79) X(7A) X(7B) \
    X(8B) X(8C) X(8D) X(8E) X(8F) \
    X(90) X(91) X(92) X(93) X(94) X(95) X(96) X(97) X(98) X(99) X(9A) X(9B) X(9C) X(9D) X(9E) X(9F) \
    X(A0) X(A1) X(A2) X(A3) X(A4) X(A5) X(A6) X(A7) X(A8) X(A9) X(AA) X(AB) X(AC) X(AE) X(AF) \
    X(B0) X(B1) X(B2) X(B3) X(B4) X(B5) X(B6) X(B7) X(B8) X(B9) X(BA) X(BB)                 \
    X(C0) X(C1) X(C2) X(C3)

// Opcodes that leave a pending operand on the stack beneath what they push (nop,
// global.get, the float constants, the reinterpretations), or read it from its slot
// (global.set): their pending entry stores it first.
#define PERCH_KEEPING(X) X(01) X(23) X(24) X(43) X(44) X(BC)

// Opcodes whose code is large or rare after a pending operand: their pending entry jumps
// to the ordinary handler.
#define PERCH_COLD(X)                                                                        \
    X(00) X(0C) X(0E) X(0F) X(10) X(11) X(25) X(26) X(3F) X(40) X(D0) X(D1) X(D2) X(FC) X(FD)

// Opcodes whose handler branches: if, br_if, the integer tests, which take a following
// br_if or if with them, and local.set, which takes a following local.get; and block,
// else and end (which may return, its results read from their slots), whose pending
// entry stores the operand.
#define PERCH_KEEPING_BRANCHING(X) X(02) X(05) X(0B)
#define PERCH_BRANCHING(X)                                                                   \
    X(04) X(0D) X(21) X(45) X(46) X(47) X(48) X(49) X(4A) X(4B) X(4C) X(4D) X(4E) X(4F) \
    X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57) X(58) X(59) X(5A)

// The i64 operations on two operands, which take a following local.set with them.
#define PERCH_RESULTS(X)                                                                     \
    X(7C) X(7D) X(7E) X(7F) X(80) X(81) X(82) X(83) X(84) X(85) X(86) X(87) X(88) X(89) X(8A)

// Opcodes that stage a pending operand.
#define PERCH_PRODUCERS(X) X(20) X(22) X(41) X(42)

// (opcode, the opcode whose handler it shares): same stack effect and bytes.
#define PERCH_SHARED(X)                                                                      \
    X(03, 02) /* loop: as block */                                                           \
    X(2A, 28) X(2B, 29) /* f32/f64.load: as i32/i64.load, slots hold the bits */            \
    X(38, 36) X(3E, 36) /* f32.store, i64.store32: as i32.store */                          \
    X(39, 37) /* f64.store: as i64.store */                                                  \
    X(3C, 3A) X(3D, 3B) /* i64.store8/16: as i32.store8/16 */                               \
    X(BD, BC) X(BE, BC) X(BF, BC) /* reinterpretations: a no-op on slots */            \
    X(31, 2D) X(33, 2F) X(35, 28) /* i64.load8/16/32_u: as the i32 loads, zero-extended */ \
    X(AD, A7) /* i64.extend_i32_u: as i32.wrap_i64, the low half zero-extended */        \
    X(C4, AC) /* i64.extend32_s: as i64.extend_i32_s, the low half sign-extended */

PERCH_OPCODES(PERCH_HANDLER)
PERCH_KEEPING(PERCH_KEEPING_HANDLER)
PERCH_COLD(PERCH_COLD_HANDLER)
PERCH_BRANCHING(PERCH_BRANCHING_HANDLER)
PERCH_RESULTS(PERCH_RESULT_HANDLER)
PERCH_KEEPING_BRANCHING(PERCH_KEEPING_BRANCHING_HANDLER)
PERCH_PRODUCERS(PERCH_PRODUCER)
PERCH_COLD_HANDLER(invalid)
#if __SIZEOF_POINTER__ == 8
PERCH_PRODUCER(20_short)
PERCH_BRANCHING_HANDLER(21_short)
PERCH_PRODUCER(22_short)
#endif

// One handler set's 512 entries, from PERCH_SET_BASE (defined around each use below).
#define PERCH_ENTRY_OF(XX) [PERCH_SET_BASE + 0x##XX] = perch_tc_##XX,
#define PERCH_SHARED_ENTRY(XX, YY) [PERCH_SET_BASE + 0x##XX] = perch_tc_##YY,
#define PERCH_PENDING_ENTRY_OF(XX) [PERCH_SET_BASE + 256 + 0x##XX] = perch_pending_##XX,
#define PERCH_PENDING_SHARED_ENTRY(XX, YY) [PERCH_SET_BASE + 256 + 0x##XX] = perch_pending_##YY,
#define PERCH_ALL(X)                                                                         \
    PERCH_OPCODES(X) PERCH_KEEPING(X) PERCH_COLD(X) PERCH_BRANCHING(X) PERCH_KEEPING_BRANCHING(X) \
    PERCH_RESULTS(X) PERCH_PRODUCERS(X)
#define PERCH_HANDLER_SET                                                                    \
    [PERCH_SET_BASE ... PERCH_SET_BASE + 255] = perch_tc_invalid,                           \
    [PERCH_SET_BASE + 256 ... PERCH_SET_BASE + 511] = perch_pending_invalid,                \
    PERCH_ALL(PERCH_ENTRY_OF)                                                                \
    PERCH_SHARED(PERCH_SHARED_ENTRY)                                                         \
    PERCH_ALL(PERCH_PENDING_ENTRY_OF)                                                        \
    PERCH_SHARED(PERCH_PENDING_SHARED_ENTRY)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
static const PerchHandler perch_dispatch_table[512 * PERCH_HANDLER_SETS] = {
#define PERCH_SET_BASE 0
    PERCH_HANDLER_SET
#undef PERCH_SET_BASE
#if __SIZEOF_POINTER__ == 8
#define PERCH_SET_BASE 512
    PERCH_HANDLER_SET
#undef PERCH_SET_BASE
    [512 + 0x20] = perch_tc_20_short,
    [512 + 0x21] = perch_tc_21_short,
    [512 + 0x22] = perch_tc_22_short,
    [768 + 0x20] = perch_pending_20_short,
    [768 + 0x21] = perch_pending_21_short,
    [768 + 0x22] = perch_pending_22_short,
#endif
};
#pragma clang diagnostic pop

/// Runs from `pc` until a handler stops the run (see `Registers.outcome`), with the handler
/// set for one-byte local indices when `one_byte_local_indices`.
static inline void perch_enter(
    PerchCode pc, PerchSlots sp, PerchSlots fp, PerchRegisters regs, PerchCode stp, bool one_byte_local_indices) {
#if __SIZEOF_POINTER__ == 8
    const PerchHandler *table = perch_dispatch_table + (one_byte_local_indices ? 512 : 0);
    table[*(const uint8_t *)pc](pc, sp, fp, regs, stp, sp[-1], table, 0);
#else
    (void)one_byte_local_indices;
    *(PerchCode *)regs = stp;
    perch_dispatch_table[*(const uint8_t *)pc](pc, sp, fp, regs);
#endif
}

#endif
