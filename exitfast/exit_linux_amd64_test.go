package exitfast

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A copy of the test binary run with this variable set starts its heir,
// prints the heir's PID, waits for a line on stdin and exits 7.
const childEnv = "EXITFAST_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		fmt.Println(startHeir())
		bufio.NewReader(os.Stdin).ReadString('\n')
		Exit(7)
	}
	os.Exit(m.Run())
}

// procStatus returns the fields of /proc/PID/status.
func procStatus(pid int) (map[string]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	st := map[string]string{}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st, nil
}

func TestHeirOutlivesItsParentOnlyToDie(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	heir, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || heir <= 0 {
		t.Fatalf("heir = %q, %v; want a PID", line, err)
	}
	// While the parent lives: the heir shares its memory but holds no
	// descriptor and takes no signal.
	st, err := procStatus(heir)
	if err != nil {
		t.Fatalf("heir %d: %v", heir, err)
	}
	// Every signal but SIGKILL and SIGSTOP, which cannot be blocked.
	const all = "fffffffffffbfeff"
	if st["PPid"] != strconv.Itoa(cmd.Process.Pid) || st["SigBlk"] != all {
		t.Errorf("heir's status: PPid %s (parent %d), SigBlk %s; want the parent and %s", st["PPid"], cmd.Process.Pid, st["SigBlk"], all)
	}
	// The heir closes the descriptors it was born with first thing, once
	// it gets a CPU: on a loaded machine, a moment after its PID is out.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", heir))
		if err == nil && len(fds) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("heir's descriptors: %d (%v), want none", len(fds), err)
			break
		}
	}
	stdin.Write([]byte("\n"))
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Errorf("exit = %v, want code 7", err)
	}
	// Its parent dead, the heir dies: gone, or a zombie for its new
	// parent to reap.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := procStatus(heir)
		if err != nil || strings.HasPrefix(st["State"], "Z") || st["Tgid"] != strconv.Itoa(heir) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("heir %d still alive (%s) after its parent's exit", heir, st["State"])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
