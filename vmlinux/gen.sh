#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF: sh vmlinux/gen.sh [x86|arm64]
set -e; a=${1:-x86}; bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$(dirname "$0")/$a/vmlinux.h"
