package launch

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// underFilter installs SeccompFilter(caps) on a thread of its own, makes
// each call there and returns their errors. The thread is never unlocked,
// so it ends with the goroutine and its filter with it.
func underFilter(t *testing.T, caps []string, calls map[string]func() error) map[string]error {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installing a filter without no_new_privs needs root")
	}
	type result struct {
		errs map[string]error
		err  error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		f := SeccompFilter(caps)
		if f == nil {
			done <- result{err: errNoFilter}
			return
		}
		prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
		if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
			done <- result{err: e}
			return
		}
		errs := map[string]error{}
		for name, call := range calls {
			errs[name] = call()
		}
		done <- result{errs: errs}
	}()
	r := <-done
	if r.err == errNoFilter {
		t.Skip("berth has no seccomp filter for this architecture")
	}
	if r.err != nil {
		t.Fatalf("install the filter: %v", r.err)
	}
	return r.errs
}

var errNoFilter = errors.New("no filter")

func rawErr(trap uintptr, args ...uintptr) func() error {
	return func() error {
		var a [6]uintptr
		copy(a[:], args)
		if _, _, e := unix.RawSyscall6(trap, a[0], a[1], a[2], a[3], a[4], a[5]); e != 0 {
			return e
		}
		return nil
	}
}

var filterCalls = map[string]func() error{
	// A thread of a multi-threaded process cannot make a user
	// namespace: the kernel says EINVAL, the filter EPERM.
	"unshare user namespace": rawErr(unix.SYS_UNSHARE, unix.CLONE_NEWUSER),
	// clone3 with no arguments: EINVAL from the kernel, ENOSYS from
	// the filter.
	"clone3":            rawErr(unix.SYS_CLONE3, 0, 0),
	"keyctl":            rawErr(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, uintptr(0xfffffffc), 0),
	"query personality": rawErr(unix.SYS_PERSONALITY, 0xffffffff),
	// ADDR_NO_RANDOMIZE, which docker's profile refuses.
	"no randomization": rawErr(unix.SYS_PERSONALITY, 0x0040000),
	"getpid":           rawErr(unix.SYS_GETPID),
	"unshare files":    rawErr(unix.SYS_UNSHARE, unix.CLONE_FILES),
}

func TestSeccompFilterRefusesWhatDockerRefuses(t *testing.T) {
	errs := underFilter(t, []string{"CHOWN", "SETUID", "SETGID", "KILL"}, filterCalls)
	want := map[string]error{
		"unshare user namespace": unix.EPERM,
		"clone3":                 unix.ENOSYS,
		"keyctl":                 unix.EPERM,
		"query personality":      nil,
		"no randomization":       unix.EPERM,
		"getpid":                 nil,
		"unshare files":          nil,
	}
	for name, w := range want {
		if errs[name] != w {
			t.Errorf("%s: %v, want %v", name, errs[name], w)
		}
	}
}

func TestSeccompFilterLetsSysAdminMakeNamespaces(t *testing.T) {
	errs := underFilter(t, []string{"SYS_ADMIN"}, filterCalls)
	for _, name := range []string{"unshare user namespace", "clone3"} {
		if errs[name] != unix.EINVAL {
			t.Errorf("%s with CAP_SYS_ADMIN: %v, want the kernel's EINVAL", name, errs[name])
		}
	}
	if errs["keyctl"] != unix.EPERM {
		t.Errorf("keyctl with CAP_SYS_ADMIN: %v, want EPERM (no capability lifts it)", errs["keyctl"])
	}
}

func TestSeccompFilterFitsItsJumps(t *testing.T) {
	for _, a := range sysArches() {
		if n := len(a.rules(func([]string) bool { return false })); n > 255 {
			t.Errorf("architecture %#x: %d instructions, more than a jump can skip", a.audit, n)
		}
		for _, name := range []string{"clone", "unshare", "clone3", "personality"} {
			if _, ok := a.nums[name]; !ok {
				t.Errorf("architecture %#x has no number for %s", a.audit, name)
			}
		}
	}
}

// verdict runs filter f, as the kernel would, on a call of architecture
// audit with number nr and first argument arg0.
func verdict(t *testing.T, f []unix.SockFilter, audit, nr, arg0 uint32) uint32 {
	t.Helper()
	var acc uint32
	for pc := 0; pc < len(f); pc++ {
		in := f[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = map[uint32]uint32{dataNr: nr, dataArch: audit, dataArg0: arg0}[in.K]
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			var holds bool
			switch in.Code {
			case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
				holds = acc == in.K
			case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
				holds = acc >= in.K
			case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
				holds = acc > in.K
			case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
				holds = acc&in.K != 0
			default:
				t.Fatalf("instruction %d: unknown code %#x", pc, in.Code)
			}
			if holds {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		}
	}
	t.Fatal("the filter ran off its end")
	return 0
}

// Every call number of each architecture gets the verdict the refusal
// list gives it, however the filter packs the list.
func TestSeccompFilterRefusesExactlyTheList(t *testing.T) {
	for _, caps := range [][]string{{"CHOWN", "KILL"}, {"SYS_ADMIN", "SYS_TIME"}} {
		f := SeccompFilter(caps)
		if f == nil {
			t.Skip("berth has no seccomp filter for this architecture")
		}
		has := holdsAny(caps)
		for _, a := range sysArches() {
			want := map[uint32]uint32{}
			for _, r := range refusals {
				if nr, ok := a.nums[r.name]; ok && (r.caps == nil || !has(r.caps)) {
					want[nr] = retEPERM
				}
			}
			special := map[uint32]bool{a.nums["clone"]: true, a.nums["unshare"]: true, a.nums["clone3"]: true, a.nums["personality"]: true}
			for nr := uint32(0); nr < 600; nr++ {
				if special[nr] {
					continue
				}
				w, ok := want[nr]
				if !ok {
					w = retAllow
				}
				if got := verdict(t, f, a.audit, nr, 0); got != w {
					t.Errorf("caps %v, architecture %#x, call %d: verdict %#x, want %#x", caps, a.audit, nr, got, w)
				}
			}
			nsWant := uint32(retEPERM)
			if has(sysAdmin) {
				nsWant = retAllow
			}
			if got := verdict(t, f, a.audit, a.nums["unshare"], unix.CLONE_NEWUSER); got != nsWant {
				t.Errorf("caps %v, architecture %#x: unshare of a user namespace: verdict %#x, want %#x", caps, a.audit, got, nsWant)
			}
			if got := verdict(t, f, a.audit, a.nums["clone"], unix.CLONE_FILES); got != retAllow {
				t.Errorf("caps %v, architecture %#x: clone without namespaces: verdict %#x, want allowed", caps, a.audit, got)
			}
		}
		if got := verdict(t, f, 0x12345, 39, 0); got != retEPERM {
			t.Errorf("a call of an unknown architecture: verdict %#x, want EPERM", got)
		}
	}
}
