# Guest programs for Perch (included by the top-level Makefile): `make examples`.
#
# C: the Swift toolchain's clang for wasm32-wasi with Debian's wasi-libc (sysroot /usr)
#    and compiler-rt builtins from libclang-rt-dev-wasm32.
# Embedded Swift: swiftc for wasm32-unknown-none-wasm (the toolchain's embedded stdlib),
#    linked by wasm-ld (wasi-libc only for memset/memcpy); WASI calls come from
#    toolchain/guest-swift.
# Output: out/examples/*.wasm (ignored by git).

GUEST_BIN    ?= $(dir $(realpath $(shell command -v swiftc)))
GUEST_CC     ?= $(GUEST_BIN)clang
GUEST_SWIFTC ?= $(GUEST_BIN)swiftc
GUEST_WASMLD ?= $(GUEST_BIN)wasm-ld
WASI_SYSROOT ?= /usr
WASM_RT      ?= $(firstword $(wildcard /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a))
# MVP plus the features Perch's interpreter implements.
GUEST_CFLAGS ?= -O2 -mcpu=mvp -msign-ext -mmutable-globals -mnontrapping-fptoint -mbulk-memory
GUEST_LDFLAGS ?= -nodefaultlibs -lc $(WASM_RT) -Wl,--strip-debug
GUEST_SWIFTFLAGS ?= -Osize -enable-experimental-feature Embedded -enable-experimental-feature Extern \
	-wmo -parse-as-library -Xfrontend -disable-stack-protector -Xcc -mcpu=mvp

EXAMPLES_OUT := out/examples
EXAMPLES := $(EXAMPLES_OUT)/hello.wasm $(EXAMPLES_OUT)/files.wasm $(EXAMPLES_OUT)/swift-hello.wasm

.PHONY: examples
examples: $(EXAMPLES)
	@ls -l $(EXAMPLES)

$(EXAMPLES_OUT):
	mkdir -p $@

$(EXAMPLES_OUT)/hello.wasm: examples/hello/hello.c | $(EXAMPLES_OUT)
	@test -n "$(WASM_RT)" || { echo "no wasm32 compiler-rt: apt-get install libclang-rt-dev-wasm32" >&2; exit 1; }
	$(GUEST_CC) --target=wasm32-wasi --sysroot=$(WASI_SYSROOT) $(GUEST_CFLAGS) $< -o $@ $(GUEST_LDFLAGS)

$(EXAMPLES_OUT)/files.wasm: examples/files/files.c | $(EXAMPLES_OUT)
	@test -n "$(WASM_RT)" || { echo "no wasm32 compiler-rt: apt-get install libclang-rt-dev-wasm32" >&2; exit 1; }
	$(GUEST_CC) --target=wasm32-wasi --sysroot=$(WASI_SYSROOT) $(GUEST_CFLAGS) $< -o $@ $(GUEST_LDFLAGS)

$(EXAMPLES_OUT)/swift-hello.wasm: examples/swift-hello/Main.swift toolchain/guest-swift/WASI.swift | $(EXAMPLES_OUT)
	$(GUEST_SWIFTC) -target wasm32-unknown-none-wasm $(GUEST_SWIFTFLAGS) -c $^ -o $(EXAMPLES_OUT)/swift-hello.o
	$(GUEST_WASMLD) $(EXAMPLES_OUT)/swift-hello.o -o $@ --no-entry --export=_start --strip-debug \
		$(WASI_SYSROOT)/lib/wasm32-wasi/libc.a
