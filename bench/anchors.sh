#!/usr/bin/env bash
# bench/anchors.sh: berth side by side with docker and podman on this
# machine, same images, same loopback registry. Prints one markdown table.
#
#   bench/anchors.sh [BERTH_BINARY]
#
# Needs root and Debian's docker.io, podman, runc, docker-registry, skopeo
# and hyperfine (apt-get install docker.io podman runc docker-registry
# skopeo hyperfine). An anchor that is not installed is reported as such.
# dockerd is started here with its own data root and stopped at the end;
# podman needs cgroup_manager = "cgroupfs", runtime = "runc" and
# default_ulimits no higher than the hard limits (e.g. nofile=1024:1024,
# nproc=1024:1024) in /etc/containers/containers.conf, and 127.0.0.1:5000
# marked insecure in /etc/containers/registries.conf.
set -euo pipefail
BIN=$(readlink -f "${1:-bin/berth}")
RUNS=${RUNS:-20}
W=$(mktemp -d /tmp/berth-anchors.XXXXXX)
B="$BIN --root $W/berth"
REG=127.0.0.1:5000
DOCKER=/usr/bin/docker
pids=()
fwd=$(iptables -S FORWARD | sed -n 's/^-P FORWARD //p')
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "$fwd" ] && iptables -P FORWARD "$fwd"
	$B rm -f $($B ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	podman rm -af >/dev/null 2>&1 || true
	umount -R "$W/docker" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
have() { command -v "$1" >/dev/null 2>&1; }
row() { printf '| %s | %s | %s | %s |\n' "$@"; }
# ms CMD...: median wall time in ms of RUNS runs of CMD, via hyperfine.
ms() {
	hyperfine -N -w 2 -r "$RUNS" --export-json "$W/h.json" -- "$*" >/dev/null 2>&1 || { echo "failed"; return; }
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f ms (p95 %.1f)" % (r["median"]*1e3, sorted(r["times"])[int(len(r["times"])*0.95)-1]*1e3))' "$W/h.json"
}
# secs CMD...: wall time in seconds of one run.
secs() {
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "failed"; return; }
	e=$(date +%s%N)
	awk -v d=$((e - s)) 'BEGIN { printf "%.2f s", d / 1e9 }'
}

# Images: busybox (small) and a one-layer ~200 MB image of mixed files.
mkdir -p "$W/bb/bin" "$W/bb/etc" "$W/bb/tmp"
cp /bin/busybox "$W/bb/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$W/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/bb/etc/passwd"
echo 'root:x:0:' >"$W/bb/etc/group"
$B import -c 'CMD ["sh"]' "$W/bb" bench/bb:1 >/dev/null
mkdir -p "$W/big"
python3 - "$W/big" <<'EOF'
import os, random, sys
random.seed(1)
root, total, i = sys.argv[1], 0, 0
text = b"the quick brown fox jumps over the lazy dog; " * 400
while total < 200 << 20:
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    r = random.random()
    n = random.randint(512, 16 << 10) if r < 0.7 else random.randint(64 << 10, 1 << 20) if r < 0.97 else random.randint(4 << 20, 12 << 20)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        while n > 0:
            k = min(n, 16384)
            f.write(random.randbytes(k) if random.random() < 0.5 else text[:k])
            n -= k
            total += k
    i += 1
EOF
$B import "$W/big" bench/big:1 >/dev/null
$B save -o "$W/images.tar" bench/bb:1 bench/big:1

# A loopback registry holding both images.
cat >"$W/registry.yml" <<EOF
version: 0.1
storage: { filesystem: { rootdirectory: $W/registry } }
http: { addr: $REG }
log: { level: error }
EOF
docker-registry serve "$W/registry.yml" >/dev/null 2>&1 &
pids+=($!)
sleep 1
for img in bb:1 big:1; do
	skopeo copy -q --dest-tls-verify=false "docker-archive:$W/images.tar:bench/$img" "docker://$REG/bench/$img"
done

dockerd_up=no
if have dockerd && [ -x "$DOCKER" ]; then
	# dockerd reaches registries on 127.0.0.0/8 over plain HTTP by default.
	dockerd --data-root "$W/docker" --exec-root "$W/docker-exec" -p "$W/docker.pid" >"$W/dockerd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do $DOCKER info >/dev/null 2>&1 && { dockerd_up=yes; break; }; sleep 0.2; done
fi

# From here on a failing anchor is reported in its cell, not fatal.
set +e
echo "| what | berth | docker | podman |"
echo "|---|---|---|---|"

# Pull of the ~200 MB image from the loopback registry, cold each time.
bp=$(rm -rf "$W/pull"; secs $BIN --root "$W/pull" pull -q "$REG/bench/big:1")
dp="not installed"; pp="not installed"
[ $dockerd_up = yes ] && dp=$($DOCKER rmi -f "$REG/bench/big:1" >/dev/null 2>&1; secs $DOCKER pull -q "$REG/bench/big:1")
have podman && pp=$(podman rmi -f "$REG/bench/big:1" >/dev/null 2>&1; secs podman pull -q --tls-verify=false "$REG/bench/big:1")
row "pull ~200 MB one-layer image (loopback registry)" "$bp" "$dp" "$pp"

# run --rm IMG true, image cached, no network.
$B pull -q "$REG/bench/bb:1" >/dev/null
[ $dockerd_up = yes ] && $DOCKER pull -q "$REG/bench/bb:1" >/dev/null
have podman && podman pull -q --tls-verify=false "$REG/bench/bb:1" >/dev/null
# The pulls leave hundreds of MB to write back; no run below should pay
# for that.
sync
br=$(ms $B run --rm --network none "$REG/bench/bb:1" true)
dr="not installed"; pr="not installed"
[ $dockerd_up = yes ] && dr=$(ms $DOCKER run --rm --network none "$REG/bench/bb:1" true)
have podman && pr=$(ms podman run --rm --network none "$REG/bench/bb:1" true)
row "run --rm --network none IMG true (median)" "$br" "$dr" "$pr"

# The same with the default bridge network.
br=$(ms $B run --rm "$REG/bench/bb:1" true)
dr="not installed"; pr="not installed"
[ $dockerd_up = yes ] && dr=$(ms $DOCKER run --rm "$REG/bench/bb:1" true)
have podman && pr=$(ms podman run --rm "$REG/bench/bb:1" true)
row "run --rm (bridge network) IMG true (median)" "$br" "$dr" "$pr"

# exec C true into a running container.
$B run -d --name bx "$REG/bench/bb:1" sleep 600 >/dev/null
be=$(ms $B exec bx true)
de="not installed"; pe="not installed"
if [ $dockerd_up = yes ]; then
	$DOCKER run -d --name dx "$REG/bench/bb:1" sleep 600 >/dev/null
	de=$(ms $DOCKER exec dx true)
fi
if have podman; then
	podman run -d --name px "$REG/bench/bb:1" sleep 600 >/dev/null
	pe=$(ms podman exec px true)
fi
row "exec C true (median)" "$be" "$de" "$pe"

# Log capture: a detached container writing 512 MiB to stdout, timed from
# run -d to the end of wait; then reading it all back with logs.
writer='dd if=/dev/zero bs=65536 count=8192 2>/dev/null'
capture() { # capture CLI NAME: run the writer detached and wait for it
	local cli=$1 name=$2
	shift 2
	$cli run -d --name "$name" "$@" "$REG/bench/bb:1" sh -c "$writer" >/dev/null && $cli wait "$name"
}
bc=$(secs capture "$B" bl)
bl=$(secs $B logs bl)
dc="not installed"; dl="not installed"; pc="not installed"; pl="not installed"
if [ $dockerd_up = yes ]; then
	dc=$(secs capture "$DOCKER" dl)
	dl=$(secs $DOCKER logs dl)
fi
if have podman; then
	pc=$(secs capture podman pl)
	pl=$(secs podman logs pl)
fi
row "capture 512 MiB of output (run -d to wait)" "$bc" "$dc" "$pc"
row "logs of 512 MiB to /dev/null" "$bl" "$dl" "$pl"
