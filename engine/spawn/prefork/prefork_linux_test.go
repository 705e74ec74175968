package prefork

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestSealedKey checks the hand-made hex formatting against fmt's, on this
// test binary's stat data (read by this package's stat and by syscall's)
// and on extreme values.
func TestSealedKey(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat(os.Args[0], &st); err != nil {
		t.Fatal(err)
	}
	own, err := stat(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := (FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, ModNs: st.Mtim.Sec*1e9 + st.Mtim.Nsec}); own != want {
		t.Errorf("stat = %+v, want %+v", own, want)
	}
	for _, id := range []FileID{own, {}, {Dev: ^uint64(0), Ino: 1 << 63, Size: 1<<63 - 1}} {
		want := fmt.Sprintf("berth-%x-%x-%x-%x", id.Dev, id.Ino, id.Size, id.ModNs)
		if got := SealedKey(id); got != want {
			t.Errorf("SealedKey = %q, want %q", got, want)
		}
	}
}

// TestForkExec starts a shell as Fork starts a monitor: its descriptors
// are the ones asked for (one closed), it leads a session of its own, and
// it starts with no signal blocked; a program that cannot be
// executed is an error, and leaves no child behind.
func TestForkExec(t *testing.T) {
	dir := t.TempDir()
	out, err := os.Create(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	high, err := dupHigh(int(out.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeFd(high)
	// The shell reads its own status before it forks anything: around a
	// fork it blocks its signals for a moment.
	script := `exec >&3; while read -r k v; do [ "$k" = SigBlk: ] && echo "$k $v"; done </proc/$$/status; echo "$$ $(cut -d' ' -f6 /proc/$$/stat)"; [ -e /proc/$$/fd/4 ] && echo fd4 open; echo "$GOMAXPROCS"`
	pid, err := forkExec("/bin/sh", []string{"sh", "-c", script}, []string{"GOMAXPROCS=3"}, []int{-1, -1, -1, high, -1, -1, -1}, true)
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 0 {
		t.Fatalf("wait: %v, status %v", err, ws)
	}
	b, err := os.ReadFile(dir + "/out")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("SigBlk: 0000000000000000\n%d %d\n3\n", pid, pid)
	if string(b) != want {
		t.Errorf("the child wrote %q, want %q", b, want)
	}
	if _, err := forkExec(dir+"/missing", []string{"missing"}, nil, nil, false); err != Errno(syscall.ENOENT) {
		t.Errorf("forkExec of a missing program: %v, want ENOENT", err)
	}
	if _, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); err != syscall.ECHILD {
		t.Errorf("a failed forkExec left a child (wait4: %v)", err)
	}
}

func TestCmdline(t *testing.T) {
	args, ok := cmdline()
	if !ok || !slices.Equal(args, os.Args) {
		t.Errorf("cmdline() = %q, %v; want %q", args, ok, os.Args)
	}
}

func TestMonitorEnv(t *testing.T) {
	if got, want := MonitorEnv(), fmt.Sprintf("GOMAXPROCS=%d", runtime.NumCPU()); got != want {
		t.Errorf("MonitorEnv() = %q, want %q", got, want)
	}
}

func TestNewID(t *testing.T) {
	id, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 64 || slices.ContainsFunc([]byte(id), func(c byte) bool { return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') }) {
		t.Errorf("NewID() = %q, want 64 hex digits", id)
	}
}

// heapChild is set in a copy of this test binary that TestHugeHeap runs
// as a monitor or an init would run, to report the advice on its heap.
const heapChild = "BERTH_PREFORK_HEAP_CHILD"

var sink *[64]byte

// TestHugeHeap checks that a command's heap is advised huge pages and a
// monitor's or an init's is not, from the flags the kernel shows for the
// mapping holding a heap object.
func TestHugeHeap(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
	if os.Getenv(heapChild) != "" {
		sink = new([64]byte)
		flags, err := vmFlags(uintptr(unsafe.Pointer(sink)))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("flags: %s\n", strings.Join(flags, " "))
		return
	}
	if heapMark == nil {
		t.Fatal("this test binary's start did not advise its heap")
	}
	flags, err := vmFlags(uintptr(unsafe.Pointer(heapMark)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(flags, "hg") {
		t.Errorf("the heap of a command is mapped with flags %q, want hg (MADV_HUGEPAGE)", flags)
	}
	for _, arg0 := range []string{MonitorArg0, InitArg0} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHugeHeap$", "-test.v")
		cmd.Args[0] = arg0
		cmd.Env = append(os.Environ(), heapChild+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", arg0, err, out)
		}
		_, line, ok := strings.Cut(string(out), "flags: ")
		line, _, _ = strings.Cut(line, "\n")
		if !ok {
			t.Fatalf("%s reported no flags:\n%s", arg0, out)
		}
		if slices.Contains(strings.Fields(line), "hg") {
			t.Errorf("the heap of a process named %s is mapped with flags %q; it must keep small pages", arg0, line)
		}
	}
}

// vmFlags returns the VmFlags of this process's mapping holding addr.
func vmFlags(addr uintptr) ([]string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h
			continue
		}
		if in && fields[0] == "VmFlags:" {
			return fields[1:], nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no mapping holds %#x", addr)
}
