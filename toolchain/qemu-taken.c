/* qemu-taken: a QEMU TCG plugin (plugin API v1, Debian 12's qemu 7.2) that counts executed
 * guest instructions and taken control transfers: translation blocks that do not start
 * where the previous one ended (taken conditional branches, jumps, dispatches, calls and
 * returns). A second deterministic measure beside the instruction count, for code layout
 * (docs/interpreter.md, "Session 11").
 * Build: gcc -O2 -shared -fPIC -o libqemu-taken.so toolchain/qemu-taken.c
 * Use:   qemu-x86_64 -plugin ./libqemu-taken.so,out=counts.txt out/x86_64/perch run prog.wasm
 *        (counts.txt: instructions, then taken transfers)
 * Only the API entry points used here are declared (ABI of API version 1). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <stddef.h>
#define EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t {
    const char *target_name;
    struct { int min; int cur; } version;
    _Bool system_emulation;
    union { struct { int smp_vcpus; int max_vcpus; } system; };
} qemu_info_t;
struct qemu_plugin_tb; struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb_t)(qemu_plugin_id_t, void *);
typedef void (*vcpu_udata_cb_t)(unsigned int, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op, void *, uint64_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, vcpu_udata_cb_t, enum qemu_plugin_cb_flags, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, udata_cb_t, void *);
EXPORT int qemu_plugin_version = 1;
// Each translation block: where it starts and where falling through from it would go.
struct span { uint64_t start, end; };
static uint64_t insns, taken, prev_end;
static char out_path[4096];
static void on_exec(unsigned int cpu, void *p) {
    struct span *s = p;
    taken += s->start != prev_end;
    prev_end = s->end;
}
static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct qemu_plugin_insn *last = qemu_plugin_tb_get_insn(tb, n - 1);
    struct span *s = malloc(sizeof *s);
    s->start = qemu_plugin_tb_vaddr(tb);
    s->end = qemu_plugin_insn_vaddr(last) + qemu_plugin_insn_size(last);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, n);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, s);
}
static void on_exit_cb(qemu_plugin_id_t id, void *p) {
    FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
    if (out_path[0] && !f) perror(out_path);
    fprintf(f ? f : stderr, "%llu %llu\n", (unsigned long long)insns, (unsigned long long)taken);
    if (f) fclose(f);
}
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0) snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
