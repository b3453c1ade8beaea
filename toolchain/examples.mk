# Guest programs for Perch (included by the top-level Makefile): `make examples`.
#
# C: the Swift toolchain's clang for wasm32-wasi with Debian's wasi-libc (sysroot /usr)
#    and compiler-rt builtins from libclang-rt-dev-wasm32.
# Embedded Swift: each example is a target of the SwiftPM package examples/Package.swift,
#    which depends on the guest SDK package toolchain/guest-swift (module PerchGuest),
#    built for wasm32-unknown-none-wasm (the toolchain's embedded stdlib; wasi-libc only
#    for memset/memcpy) in out/.build-guest/.
# Output: out/examples/*.wasm (ignored by git).

GUEST_BIN    ?= $(dir $(realpath $(shell command -v swiftc)))
GUEST_CC     ?= $(GUEST_BIN)clang
GUEST_SWIFT_BUILD ?= $(GUEST_BIN)swift build -c release --triple wasm32-unknown-none-wasm
GUEST_SWIFT_SDK := toolchain/guest-swift/Package.swift $(wildcard toolchain/guest-swift/Sources/PerchGuest/*.swift)
WASI_SYSROOT ?= /usr
WASM_RT      ?= $(firstword $(wildcard /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a))
# MVP plus the features Perch's interpreter implements.
GUEST_CFLAGS ?= -O2 -mcpu=mvp -msign-ext -mmutable-globals -mnontrapping-fptoint -mbulk-memory
GUEST_LDFLAGS ?= -nodefaultlibs -lc $(WASM_RT) -Wl,--strip-debug

EXAMPLES_OUT := out/examples
EXAMPLES := $(EXAMPLES_OUT)/hello.wasm $(EXAMPLES_OUT)/files.wasm $(EXAMPLES_OUT)/swift-hello.wasm

.PHONY: examples
examples: $(EXAMPLES)
	@ls -l $(EXAMPLES)

$(EXAMPLES_OUT):
	mkdir -p $@

# A C example, examples/NAME/NAME.c, built against the guest SDK header (toolchain/sdk/perch.h:
# the device imports; plain WASI examples just do not include it). The one recipe for
# every C example; toolchain/sdk/devices.mk names the device ones.
define c_example
$(EXAMPLES_OUT)/$(1).wasm: examples/$(1)/$(1).c toolchain/sdk/perch.h | $(EXAMPLES_OUT)
	@test -n "$(WASM_RT)" || { echo "no wasm32 compiler-rt: apt-get install libclang-rt-dev-wasm32" >&2; exit 1; }
	$(GUEST_CC) --target=wasm32-wasi --sysroot=$(WASI_SYSROOT) $(GUEST_CFLAGS) -I toolchain/sdk $$< -o $$@ $(GUEST_LDFLAGS)
endef
$(foreach example,hello files,$(eval $(call c_example,$(example))))

# An Embedded Swift example: its product of examples/Package.swift.
$(EXAMPLES_OUT)/swift-%.wasm: examples/swift-%/Main.swift examples/Package.swift $(GUEST_SWIFT_SDK) | $(EXAMPLES_OUT)
	$(GUEST_SWIFT_BUILD) --package-path examples --scratch-path out/.build-guest --product swift-$*
	cp out/.build-guest/release/swift-$*.wasm $@
