#!/bin/sh
# bench/tui-logs.sh: the TUI's logs pane on a container that has written a
# huge log (default 2048 MiB of ~100-byte lines through the real monitor into
# ctr.log) and keeps writing a line every half second. In a 120x40 tmux pane it
# times, from the moment berth starts or the key is sent until the screen shows
# the result:
#   - the container list, then the log's tail in the logs pane (opening);
#   - the next line arriving while following;
#   - g: the first line of the log (scrolling to the top);
#   - / for a line in the middle of the log, then for text that is nowhere
#     (read from the match to the end, then from the top again, as less does);
#   - G: back to the tail;
# and reports berth's RSS after each step and its peak (VmHWM).
# Usage (as root): bench/tui-logs.sh [MiB=2048]
# Needs tmux and /bin/busybox (Debian's busybox-static).
set -eu
MB=${1:-2048}

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/berth-logs.XXXXXX)
bin=$work/berth
root=$work/root
sock=$work/tmux.sock
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	"$bin" --root "$root" rm -f biglog >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

(cd "$here" && go build -o "$bin" .)
b() { "$bin" --root "$root" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
scr() { tmux -S "$sock" capture-pane -p; }
# waitfor TEXT: wait (up to 120 s) until the pane shows TEXT; print the ms it took.
waitfor() {
	t0=$(now_ms)
	while ! scr | grep -qF -- "$1"; do
		if [ $(($(now_ms) - t0)) -gt 120000 ]; then
			echo "timed out waiting for $1; screen:" >&2
			scr >&2
			exit 1
		fi
		sleep 0.01
	done
	echo $(($(now_ms) - t0))
}
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status"; }

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh yes head echo sleep; do ln -s busybox "$rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
b import -c 'CMD ["sh"]' "$rootfs" bench/bb:1 >/dev/null

half=$((MB * 1024 * 1024 / 2))
line='2025-06-01T12:00:00Z INFO handled GET /api/v1/items/12345 status=200 bytes=5120 duration=3ms'
script="echo first-line-of-the-log; yes '$line' | head -c $half; echo needle-in-the-middle; yes '$line' | head -c $half; i=0; while true; do echo tick-\$i; i=\$((i+1)); sleep 0.5; done"
echo "writing ${MB} MiB of log..." >&2
t0=$(now_ms)
b run -d --name biglog bench/bb:1 sh -c "$script" >/dev/null
until b logs --tail 1 biglog 2>/dev/null | grep -q '^tick-'; do sleep 0.5; done
wrote=$(($(now_ms) - t0))
size=$(du -cb "$root"/containers/*/ctr.log* | awk 'END {print $1}')

start=$(now_ms)
tmux -S "$sock" new-session -d -x 120 -y 40 "$bin --root $root"
pid=$(tmux -S "$sock" display -p '#{pane_pid}')
waitfor "Containers (1)" >/dev/null
list=$(($(now_ms) - start))
waitfor "tick-" >/dev/null
open=$(($(now_ms) - start))
rss_open=$(rss)

last=$(scr | grep -o 'tick-[0-9]*' | tail -1)
n=${last#tick-}
follow=$(waitfor "tick-$((n + 2))")

tmux -S "$sock" send-keys Enter g
top=$(waitfor "first-line-of-the-log")
rss_top=$(rss)

tmux -S "$sock" send-keys / && tmux -S "$sock" send-keys -l needle-in-the && tmux -S "$sock" send-keys Enter
hit=$(waitfor "needle-in-the-middle")
scr | grep -qF "(n next, N previous)" || { echo "the search is not done" >&2; scr >&2; exit 1; }
rss_hit=$(rss)

tmux -S "$sock" send-keys / C-u && tmux -S "$sock" send-keys -l nowhere-in-this-log && tmux -S "$sock" send-keys Enter
miss=$(waitfor "no match")
rss_miss=$(rss)

tmux -S "$sock" send-keys G
tail=$(waitfor "tick-")
peak=$(awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")

echo "log: $((size / 1024 / 1024)) MiB on disk, written by the container in $((wrote / 1000)) s"
echo "container list shown:            ${list} ms after start"
echo "logs pane shows the tail:        ${open} ms after start (rss $rss_open)"
echo "next line while following:       ${follow} ms (one line every 500 ms)"
echo "g, first line of the log:        ${top} ms (rss $rss_top)"
echo "/ match in the middle (1 GiB in): ${hit} ms (rss $rss_hit)"
echo "/ no match (to the end, around):  ${miss} ms (rss $rss_miss)"
echo "G, back to the tail:             ${tail} ms"
echo "peak rss (VmHWM):                $peak"
