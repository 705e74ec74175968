package launch

import "golang.org/x/sys/unix"

// Rlimit is a resource limit of a container's process (--ulimit).
type Rlimit struct {
	Name       string // docker's name for it: nofile, nproc...
	Resource   int
	Soft, Hard uint64
}

// rlimits maps docker's --ulimit names to resources.
var rlimits = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

// RlimitNumber returns the resource docker's --ulimit name stands for.
func RlimitNumber(name string) (int, bool) {
	r, ok := rlimits[name]
	return r, ok
}
