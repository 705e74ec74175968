package engine

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/engine/launch"
)

// defaultCaps is docker's default capability set for containers.
var defaultCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
}

// containerCaps applies docker's rules to compute a container's capability
// set: privileged containers get every capability; otherwise the default
// set, plus --cap-add, minus --cap-drop, where ALL stands for every
// capability and a drop of ALL is applied before the adds.
func containerCaps(privileged bool, add, drop []string) ([]string, error) {
	if privileged {
		return launch.CapNames(), nil
	}
	known := launch.CapNames()
	set := map[string]bool{}
	for _, c := range defaultCaps {
		set[c] = true
	}
	norm := func(list []string) ([]string, bool, error) {
		var out []string
		all := false
		for _, c := range list {
			if strings.EqualFold(c, "ALL") {
				all = true
				continue
			}
			n, ok := launch.CapNumber(c)
			if !ok {
				return nil, false, fmt.Errorf("capability %q: %w: unknown capability", c, ErrInvalid)
			}
			out = append(out, known[n])
		}
		return out, all, nil
	}
	drops, dropAll, err := norm(drop)
	if err != nil {
		return nil, err
	}
	adds, addAll, err := norm(add)
	if err != nil {
		return nil, err
	}
	if dropAll {
		set = map[string]bool{}
	}
	if addAll {
		for _, c := range known {
			set[c] = true
		}
	}
	for _, c := range adds {
		set[c] = true
	}
	for _, c := range drops {
		delete(set, c)
	}
	var out []string
	for _, c := range known {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}
