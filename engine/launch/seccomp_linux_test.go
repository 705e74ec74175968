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
