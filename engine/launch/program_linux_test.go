package launch

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// startProgram runs p in a forked child and returns how the child ended
// and its failure, if any.
func startProgram(t *testing.T, p *program) (syscall.WaitStatus, *childFailure) {
	t.Helper()
	pid, cf, err := p.start(0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	return ws, cf
}

func TestProgramRunsItsCallsThenExecs(t *testing.T) {
	const sh = "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh to exec")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &program{}
	// A missing file that may be missing skips the op after it, which
	// would fail.
	op := p.add("open", unix.SYS_OPENAT, ^uintptr(99), // AT_FDCWD
		p.str(filepath.Join(dir, "missing")), unix.O_RDONLY)
	op.okErr, op.skip = unix.ENOENT, 1
	p.add("chdir", unix.SYS_CHDIR, p.str("/nonexistent"))
	p.add("stdout", unix.SYS_DUP3, f.Fd(), 1, 0)
	p.add("chdir", unix.SYS_CHDIR, p.str(dir))
	p.add(whatExec, unix.SYS_EXECVE, p.str(sh), p.strv([]string{"sh", "-c", "pwd; exit 3"}), p.strv([]string{"PATH=/bin"}))
	ws, cf := startProgram(t, p)
	if cf != nil {
		t.Fatalf("child failed at %q: %v", p.what[cf.op], cf.errno)
	}
	if ws.ExitStatus() != 3 {
		t.Errorf("exit status %d, want 3 from the exec'd shell", ws.ExitStatus())
	}
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != dir {
		t.Errorf("the shell ran in %q, want %q", got, dir)
	}
}

func TestProgramReportsTheCallThatFailed(t *testing.T) {
	p := &program{}
	p.add("get pid", unix.SYS_GETPID)
	p.add("chdir", unix.SYS_CHDIR, p.str("/nonexistent/dir"))
	p.add(whatExec, unix.SYS_EXECVE, p.str("/bin/true"), p.strv([]string{"true"}), p.strv(nil))
	ws, cf := startProgram(t, p)
	if cf == nil {
		t.Fatal("child reported no failure")
	}
	if cf.op != 1 || cf.errno != unix.ENOENT {
		t.Errorf("failure = op %d (%q), errno %v; want op 1 (chdir), ENOENT", cf.op, p.what[cf.op], cf.errno)
	}
	if ws.ExitStatus() != 125 {
		t.Errorf("exit status %d, want 125", ws.ExitStatus())
	}
}

func TestExecFailureCodes(t *testing.T) {
	b := &builder{spec: &Spec{Args: []string{"/x"}}}
	p := &program{what: []string{whatExec}}
	for _, tt := range []struct {
		errno syscall.Errno
		code  int
	}{{unix.ENOENT, 127}, {unix.EACCES, 126}, {unix.ENOEXEC, 126}} {
		err := b.failure(p, &childFailure{op: 0, errno: tt.errno})
		ee, ok := err.(*ExitError)
		if !ok || ee.Code != tt.code {
			t.Errorf("exec failing with %v = %v, want exit code %d", tt.errno, err, tt.code)
		}
	}
}
