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

// checkSecurityOpts accepts the --security-opt settings berth honours:
// seccomp=unconfined (no seccomp filter, see launch.SeccompFilter), and
// no-new-privileges, apparmor=unconfined and label=disable, which ask for
// what every berth container already has (berth sets no_new_privs and
// applies no AppArmor or SELinux policy).
func checkSecurityOpts(opts []string) error {
	for _, o := range opts {
		k, v := splitSecurityOpt(o)
		switch {
		case k == "seccomp" && v == "unconfined",
			k == "no-new-privileges" && (v == "" || v == "true"),
			k == "apparmor" && v == "unconfined",
			k == "label" && v == "disable":
		case k == "seccomp":
			return invalidf("invalid --security-opt %q: seccomp profiles are not supported; berth applies its default filter, or none with seccomp=unconfined", o)
		default:
			return invalidf("invalid --security-opt %q: berth takes seccomp=unconfined, no-new-privileges, apparmor=unconfined and label=disable", o)
		}
	}
	return nil
}

// seccompConfined reports whether a container's processes run under the
// default seccomp filter: unless privileged or seccomp=unconfined.
func seccompConfined(h HostConfig) bool {
	if h.Privileged {
		return false
	}
	for _, o := range h.SecurityOpt {
		if k, v := splitSecurityOpt(o); k == "seccomp" && v == "unconfined" {
			return false
		}
	}
	return true
}

// splitSecurityOpt splits a --security-opt setting into key and value, at
// "=" or, in docker's older form, ":".
func splitSecurityOpt(o string) (k, v string) {
	if k, v, ok := strings.Cut(o, "="); ok {
		return k, v
	}
	k, v, _ = strings.Cut(o, ":")
	return k, v
}
