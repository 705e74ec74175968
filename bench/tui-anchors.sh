#!/bin/sh
# bench/tui-anchors.sh: berth's TUI side by side with lazydocker driving
# dockerd, on the same N containers made from the same busybox image (created,
# not started, unless RUN says how many to start in each).
#
# For each TUI, in a 120x40 tmux pane:
#   - startup: from starting it until the pane shows a container of the list;
#   - RSS of the TUI process 5 s later, and of dockerd, which lazydocker
#     needs running (berth needs no daemon);
#   - idle CPU of the TUI (and of dockerd) over IDLE seconds, measured after
#     65 s without input (berth pauses its sampling after a minute).
# Also `ps -a` of each CLI on the same containers, for scale.
#
# Usage (as root): bench/tui-anchors.sh [N=500] [IDLE=30]
#   LAZYDOCKER=/path/to/lazydocker (default: lazydocker on PATH, then
#   /tmp/anchors/lazydocker; build it with
#   GOBIN=/tmp/anchors go install github.com/jesseduffield/lazydocker@latest)
#   RUN=k starts the first k containers in both engines.
# Needs tmux, dockerd and /usr/bin/docker (Debian's docker.io) and
# /bin/busybox. dockerd runs here with its own data root and socket, without
# touching iptables or making a bridge, and is stopped at the end.
set -eu
N=${1:-500}
IDLE=${2:-30}
RUN=${RUN:-0}
DOCKER=/usr/bin/docker
LD=${LAZYDOCKER:-$(command -v lazydocker || echo /tmp/anchors/lazydocker)}

here=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/berth-tui-anchors.XXXXXX)
bin=$W/berth
root=$W/root
sock=$W/tmux.sock
export DOCKER_HOST=unix://$W/docker.sock
dpid=
fwd=$(iptables -S FORWARD 2>/dev/null | sed -n 's/^-P FORWARD //p')
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	if [ -n "$dpid" ]; then
		$DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1 || true
		kill "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	[ -n "$fwd" ] && iptables -P FORWARD "$fwd" 2>/dev/null || true
	"$bin" --root "$root" ps -aq 2>/dev/null | xargs -r "$bin" --root "$root" rm -f >/dev/null 2>&1 || true
	umount -R "$W/docker" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

(cd "$here" && go build -o "$bin" .)
b() { "$bin" --root "$root" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu PID...: percent of one CPU the processes use over IDLE seconds.
cpu() {
	t0=0
	for p in "$@"; do t0=$((t0 + $(ticks "$p"))); done
	sleep "$IDLE"
	t1=0
	for p in "$@"; do t1=$((t1 + $(ticks "$p"))); done
	awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE" 'BEGIN { printf "%.2f%%", 100 * d / hz / s }'
}
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }
# tui NAME PATTERN CMD: run CMD in tmux, time until the pane matches the
# extended regexp PATTERN, then measure RSS and idle CPU. Sets startup,
# tui_rss, tui_cpu and tui_pid.
tui() {
	name=$1 pattern=$2
	shift 2
	start=$(now_ms)
	tmux -S "$sock" new-session -d -s "$name" -x 120 -y 40 "$*"
	until tmux -S "$sock" capture-pane -p -t "$name" 2>/dev/null | grep -Eq "$pattern"; do
		if [ $(($(now_ms) - start)) -gt 60000 ]; then
			echo "$name never showed /$pattern/:" >&2
			tmux -S "$sock" capture-pane -p -t "$name" >&2 || true
			startup=failed tui_rss=- tui_cpu=-
			return
		fi
		sleep 0.005
	done
	startup="$(($(now_ms) - start)) ms"
	tui_pid=$(tmux -S "$sock" display -p -t "$name" '#{pane_pid}')
	sleep 5
	tui_rss=$(rss "$tui_pid")
	sleep 60
	tui_cpu=$(cpu "$tui_pid")
	tmux -S "$sock" kill-session -t "$name"
}

rootfs=$W/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for a in sh sleep echo ls cat; do ln -s busybox "$rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
b import -c 'CMD ["sh"]' "$rootfs" bench/bb:1 >/dev/null
b save -o "$W/bb.tar" bench/bb:1

echo "making $N containers in berth..." >&2
i=1
while [ "$i" -le "$N" ]; do
	b create --name "c$i" --network none bench/bb:1 sleep 1000000 >/dev/null
	i=$((i + 1))
done
[ "$RUN" -gt 0 ] && b start $(seq -f 'c%g' 1 "$RUN") >/dev/null

dockerd_up=no
if command -v dockerd >/dev/null && [ -x "$DOCKER" ]; then
	dockerd --data-root "$W/docker" --exec-root "$W/docker-exec" -p "$W/docker.pid" \
		-H "$DOCKER_HOST" --iptables=false --bridge=none >"$W/dockerd.log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do $DOCKER info >/dev/null 2>&1 && { dockerd_up=yes; break; }; sleep 0.2; done
fi
if [ $dockerd_up = yes ]; then
	$DOCKER load -q -i "$W/bb.tar" >/dev/null
	echo "making $N containers in dockerd..." >&2
	i=1
	while [ "$i" -le "$N" ]; do
		$DOCKER create --name "c$i" --network none bench/bb:1 sleep 1000000 >/dev/null
		i=$((i + 1))
	done
	[ "$RUN" -gt 0 ] && $DOCKER start $(seq -f 'c%g' 1 "$RUN") >/dev/null
fi

echo "berth TUI..." >&2
tui berth "Containers \($N\)" "$bin --root $root"
b_start=$startup b_rss=$tui_rss b_cpu=$tui_cpu
b_ps=$(/usr/bin/time -f "%e s" "$bin" --root "$root" ps -a 2>&1 >/dev/null)

l_start="not available" l_rss=- l_cpu=- d_rss=- d_cpu=- d_ps=-
if [ $dockerd_up = yes ]; then
	d_ps=$(/usr/bin/time -f "%e s" $DOCKER ps -a 2>&1 >/dev/null)
	d_rss=$(rss "$dpid")
	if [ -x "$LD" ]; then
		echo "lazydocker..." >&2
		# lazydocker keeps its config (and a first-run screen) under HOME.
		tui lazydocker ' c[0-9]+ ' "HOME=$W/home XDG_CONFIG_HOME=$W/home $LD"
		l_start=$startup l_rss=$tui_rss l_cpu=$tui_cpu
	else
		echo "lazydocker not found at $LD: only dockerd is measured" >&2
	fi
	d_rss=$(rss "$dpid")
	d_cpu=$(cpu "$dpid")
else
	l_start="dockerd not available"
fi

echo "| $N containers ($RUN running), 120x40 | berth | lazydocker + dockerd |"
echo "|---|---|---|"
echo "| startup to a frame with the list | $b_start | $l_start |"
echo "| TUI RSS | $b_rss | $l_rss |"
echo "| daemon RSS | none | dockerd $d_rss |"
echo "| TUI idle CPU (${IDLE} s, after 65 s) | $b_cpu | $l_cpu |"
echo "| daemon idle CPU (${IDLE} s) | none | dockerd $d_cpu |"
echo "| ps -a | $b_ps | $d_ps |"
