#!/bin/sh
# bench/run.sh: wall time of `berth run --rm IMG true` (median and p95 over
# N runs, --network none, image already stored) and the memory of M
# containers' monitors.
#
#   bench/run.sh [BERTH_BINARY] [N] [M]
#
# It uses a fresh store in a temporary directory and imports a busybox
# root filesystem (/bin/busybox from Debian's busybox-static) as image bb.
set -eu
BIN=${1:-./berth}
N=${2:-50}
ROOT=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
B="$BIN --root $ROOT/store"

mkdir -p "$ROOT/rootfs/bin" "$ROOT/rootfs/etc" "$ROOT/rootfs/tmp"
cp /bin/busybox "$ROOT/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$ROOT/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/rootfs/etc/passwd"
echo 'root:x:0:' > "$ROOT/rootfs/etc/group"
$B import -c 'CMD ["sh"]' "$ROOT/rootfs" bb >/dev/null

# Warm up: the first run seals the binary copy the containers start from.
$B run --rm --network none bb true

i=0
while [ "$i" -lt "$N" ]; do
	s=$(date +%s%N)
	$B run --rm --network none bb true
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 ))
	i=$((i + 1))
done | sort -n | awk -v n="$N" '
	{ v[NR] = $1 }
	END {
		p50 = v[int((n + 1) / 2)]; p95 = v[int(n * 0.95 + 0.5)]
		printf "berth run --rm --network none bb true: n=%d median=%.1fms p95=%.1fms min=%.1fms max=%.1fms\n", n, p50 / 1000, p95 / 1000, v[1] / 1000, v[n] / 1000
	}'

# Memory of M monitors (default 20), measured 2 s after their start,
# once each has dropped its start-up pages: RSS (anonymous, file-backed
# and shared memory: the binary's copy is on /run, a tmpfs on most hosts)
# and PSS, which shares the binary's pages among the monitors mapping them.
M=${3:-20}
i=0
while [ "$i" -lt "$M" ]; do
	$B run -d --network none bb sleep 60 >/dev/null
	i=$((i + 1))
done
sleep 2
for d in "$ROOT"/store/containers/*/; do
	mon=$(sed -n 's/.*"monitorPid": \([0-9]*\).*/\1/p' "$d/state.json")
	[ -n "$mon" ] || continue
	printf '%s %s %s %s\n' \
		"$(awk '/^RssAnon:/ {print $2}' /proc/$mon/status)" \
		"$(awk '/^RssFile:/ {print $2}' /proc/$mon/status)" \
		"$(awk '/^RssShmem:/ {print $2}' /proc/$mon/status)" \
		"$(awk '/^Pss:/ {print $2}' /proc/$mon/smaps_rollup)"
done | awk '{ a += $1; f += $2; s += $3; p += $4; n++ }
	END { printf "monitor memory (%d monitors, average): RSS=%.1fMB (anon %.1fMB + file %.1fMB + shmem %.1fMB) PSS=%.1fMB\n", n, (a + f + s) / n / 1024, a / n / 1024, f / n / 1024, s / n / 1024, p / n / 1024 }'
$B rm -f $($B ps -q) >/dev/null
