# Sourced by the emulated boards' host scripts (fetch.sh, build.sh, vm.sh, test.sh,
# tests/supervisor-e2e.sh) after they set REPO: the board they work for, PERCH_VM_BOARD
# (a boards/ folder with a vm.conf; default qemu-virt-arm64), with its machine (vm.conf)
# and where its downloads and image go:
#   VM_BOARD, VM_BOARD_DIR, VM_* from vm.conf,
#   CACHE  $PERCH_VM_CACHE/<board> (default ~/.cache/perch/<board>)
#   OUT    $PERCH_VM_OUT/<board> (default <repo>/out/<board>)
VM_BOARD=${PERCH_VM_BOARD:-qemu-virt-arm64}
VM_BOARD_DIR=$REPO/boards/$VM_BOARD
if [ ! -f "$VM_BOARD_DIR/vm.conf" ]; then
    echo "${0##*/}: no boards/$VM_BOARD/vm.conf (PERCH_VM_BOARD names an emulated board)" >&2
    exit 2
fi
# shellcheck disable=SC1091
. "$VM_BOARD_DIR/vm.conf"
CACHE=${PERCH_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perch}/$VM_BOARD
OUT=${PERCH_VM_OUT:-$REPO/out}/$VM_BOARD
