#!/bin/sh
# bench/tui.sh measures the TUI on a store with many containers and images:
#   - first frame: from starting berth in a 120x40 tmux pane until the pane
#     shows the full container list (polled every 5 ms);
#   - RSS of the berth process once it has settled;
#   - CPU of the berth process over IDLE seconds with RUN containers running
#     (their monitors are separate processes and not counted): first while
#     it samples the CPU/MEM sparklines of the running rows on screen, then
#     idle, after sampling pauses (a minute without input).
# Usage (as root): bench/tui.sh [containers=500] [images=200] [running=200] [idle=30]
# Needs tmux and /bin/busybox (Debian's busybox-static).
set -eu
N=${1:-500}
I=${2:-200}
RUN=${3:-200}
IDLE=${4:-30}

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
bin=$work/berth
# ROOT=DIR reuses a store an earlier run kept (KEEP=1) instead of making one.
root=${ROOT:-$work/root}
sock=$work/tmux.sock
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	if [ -z "${ROOT:-}" ]; then
		"$bin" --root "$root" ps -aq 2>/dev/null | xargs -r "$bin" --root "$root" rm -f >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
if [ -z "${KEEP:-}" ]; then trap cleanup EXIT INT TERM; fi

(cd "$here" && go build -o "$bin" .)
b() { "$bin" --root "$root" "$@"; }

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh sleep echo ls cat; do ln -s busybox "$rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"

if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
	echo "reusing the store in $ROOT" >&2
else
echo "making $I images, $N containers, $RUN running..." >&2
i=1
while [ "$i" -le "$I" ]; do
	b import -m "bench image $i" -c 'CMD ["sh"]' "$rootfs" "bench/img$i:latest" >/dev/null
	i=$((i + 1))
done
i=1
while [ "$i" -le "$N" ]; do
	b create --name "c$i" --stop-signal KILL "bench/img$(( (i - 1) % I + 1 )):latest" sleep 1000000 >/dev/null
	i=$((i + 1))
done
i=1
names=""
while [ "$i" -le "$RUN" ]; do
	names="$names c$i"
	i=$((i + 1))
done
[ -n "$names" ] && b start $names >/dev/null
fi

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
start=$(now_ms)
tmux -S "$sock" new-session -d -x 120 -y 40 "XDG_CONFIG_HOME=${XDG_CONFIG_HOME:-} $bin --root $root"
while ! tmux -S "$sock" capture-pane -p 2>/dev/null | grep -q "berth"; do
	sleep 0.005
done
paint=$(( $(now_ms) - start ))
while ! tmux -S "$sock" capture-pane -p 2>/dev/null | grep -q "Containers ($N)"; do
	sleep 0.005
done
first=$(( $(now_ms) - start ))
pid=$(tmux -S "$sock" display -p '#{pane_pid}')
sleep 3
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
pct() { awk -v d="$1" -v hz="$hz" -v s="$IDLE" 'BEGIN { printf "%.2f", 100 * d / hz / s }'; }
t0=$(ticks)
sleep "$IDLE"
t1=$(ticks)
active=$(pct $((t1 - t0)))
sleep $((65 - IDLE > 0 ? 65 - IDLE : 0))
t0=$(ticks)
sleep "$IDLE"
t1=$(ticks)
cpu=$(pct $((t1 - t0)))

echo "containers=$N images=$I running=$RUN"
echo "first paint: ${paint} ms"
echo "first frame with the full list: ${first} ms"
echo "for comparison, berth ps -a on the same store:"
/usr/bin/time -f "  %e s, max RSS %M kB" "$bin" --root "$root" ps -a >/dev/null
echo "rss: $((rss_kb / 1024)) MB"
echo "cpu while sampling sparklines, over ${IDLE}s: ${active}%"
echo "idle cpu over ${IDLE}s: ${cpu}%"
if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; fi
