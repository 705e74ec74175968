#!/usr/bin/env bash
# bench/exec.sh: interactive-session numbers for berth on this machine.
#
#   bench/exec.sh [BERTH_BINARY]
#
# Prints the median (and p95) of `berth exec C true` measured with
# hyperfine, then the Go benchmarks of bench/exec_test.go: exec start-up
# percentiles, keystroke-to-echo latency through `berth run -it` and the
# container's monitor, and time to first output when attaching to a
# container that has written 1 GiB. Needs root, hyperfine and the go tool.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
W=$(mktemp -d /tmp/berth-exec-bench.XXXXXX)
if [ -z "$BIN" ]; then
	BIN=$W/berth
	CGO_ENABLED=0 go build -o "$BIN" .
fi
BIN=$(readlink -f "$BIN")
B="$BIN --root $W/root"
RUNS=${RUNS:-200}
cleanup() {
	$B rm -f bench-exec >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

# A busybox image from the host's busybox-static.
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/rootfs/tmp"
cp /bin/busybox "$W/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$W/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/rootfs/etc/passwd"
echo 'root:x:0:' >"$W/rootfs/etc/group"
$B import "$W/rootfs" bench-busybox >/dev/null
$B run -d --network none --name bench-exec bench-busybox sleep 100000 >/dev/null

hyperfine -N -w 5 -r "$RUNS" --export-json "$W/h.json" -- "$B exec bench-exec true" >/dev/null
python3 - "$W/h.json" <<'PY'
import json, sys
t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
print("berth exec C true: median %.1f ms, p95 %.1f ms (%d runs, hyperfine -N)" % (
    t[len(t)//2]*1e3, t[int(len(t)*0.95)-1]*1e3, len(t)))
PY

go test -run '^$' -bench 'ExecTrue|AttachEcho' -benchtime "${RUNS}x" ./bench/ | grep '^Benchmark'
go test -run '^$' -bench 'AttachAfter1GB' -benchtime 10x ./bench/ | grep '^Benchmark'
go test -run '^$' -bench 'EchoLatency' ./pty/ | grep '^Benchmark'
