package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/engine/cgroups"
)

// TopResult is the process table of a container: a header and one row
// per process, as docker top returns it.
type TopResult struct {
	Titles    []string
	Processes [][]string
}

// topColumns are the columns Top can show, by the ps -o name.
var topColumns = map[string]string{
	"uid": "UID", "user": "USER", "pid": "PID", "ppid": "PPID", "cpid": "CPID",
	"c": "C", "pcpu": "%CPU", "rss": "RSS", "vsz": "VSZ", "stime": "STIME",
	"tty": "TTY", "time": "TIME", "comm": "COMMAND", "args": "CMD", "cmd": "CMD", "stat": "STAT",
}

// defaultTopColumns is docker's ps -ef, plus the PID inside the
// container, %CPU and RSS.
var defaultTopColumns = []string{"uid", "pid", "ppid", "cpid", "c", "pcpu", "rss", "stime", "tty", "time", "args"}

// Top lists the processes of running container ref from /proc and its
// cgroup: host PID, PID inside the container (NSpid), user (named from the
// container's /etc/passwd), CPU, memory and command. psArgs may be empty,
// "-ef", "aux" or "-o col,col..." with the columns uid, user, pid, ppid,
// cpid, c, pcpu, rss, vsz, stime, tty, time, stat, comm, args.
func (e *Engine) Top(ctx context.Context, ref string, psArgs string) (TopResult, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return TopResult{}, err
	}
	st, err := e.readState(id)
	if err != nil {
		return TopResult{}, err
	}
	if st.Status != StateRunning && st.Status != StatePaused {
		return TopResult{}, &StateError{ID: id, State: st.Status, Msg: fmt.Sprintf("container %s is not running", id)}
	}
	cols, err := parsePsArgs(psArgs)
	if err != nil {
		return TopResult{}, err
	}
	cg, err := cgroups.Load(id)
	if err != nil {
		return TopResult{}, fmt.Errorf("top %s: %w", id[:12], err)
	}
	pids, err := cg.Pids()
	if err != nil {
		return TopResult{}, fmt.Errorf("top %s: %w", id[:12], err)
	}
	res := TopResult{}
	for _, c := range cols {
		res.Titles = append(res.Titles, topColumns[c])
	}
	users := passwdNames(filepath.Join("/proc", strconv.Itoa(st.Pid), "root", "etc", "passwd"))
	sys := readSysInfo()
	for _, pid := range pids {
		p, err := readProc(pid)
		if err != nil {
			continue // exited meanwhile
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = p.column(c, users, sys)
		}
		res.Processes = append(res.Processes, row)
	}
	return res, nil
}

func parsePsArgs(s string) ([]string, error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 0 || s == "-ef" || s == "aux" || s == "-e" || s == "-f":
		return defaultTopColumns, nil
	case f[0] == "-o" && len(f) == 2:
		var cols []string
		for _, c := range strings.Split(f[1], ",") {
			if _, ok := topColumns[c]; !ok {
				return nil, invalidf("top: unknown column %q", c)
			}
			cols = append(cols, c)
		}
		return cols, nil
	}
	return nil, invalidf("top: unsupported ps options %q (use -ef, aux or -o COLUMNS)", s)
}

// procInfo is what Top reads about one process.
type procInfo struct {
	pid, ppid, cpid, uid int
	comm, args, state    string
	utime, stime         uint64 // clock ticks
	start                uint64 // clock ticks after boot
	rssKB, vszKB         uint64
	tty                  int
}

type sysInfo struct {
	uptime float64 // seconds
	btime  int64   // boot time, Unix seconds
}

// clockTicks is USER_HZ, 100 on every Linux architecture berth runs on.
const clockTicks = 100

func readSysInfo() sysInfo {
	var s sysInfo
	if b, err := os.ReadFile("/proc/uptime"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			s.uptime, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "btime "); ok {
				s.btime, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	return s
}

func readProc(pid int) (procInfo, error) {
	p := procInfo{pid: pid, cpid: pid}
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return p, err
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return p, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	p.comm = s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) < 22 {
		return p, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	num := func(i int) uint64 { v, _ := strconv.ParseUint(f[i], 10, 64); return v }
	p.state = f[0]
	p.ppid = int(num(1))
	p.tty = int(num(4))
	p.utime, p.stime = num(11), num(12)
	p.start = num(19)
	p.vszKB = num(20) / 1024
	p.rssKB = num(21) * uint64(os.Getpagesize()) / 1024
	if sf, err := os.Open(filepath.Join(dir, "status")); err == nil {
		sc := bufio.NewScanner(sf)
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if fs := strings.Fields(v); len(fs) > 0 {
					p.uid, _ = strconv.Atoi(fs[0])
				}
			}
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				if fs := strings.Fields(v); len(fs) > 0 {
					p.cpid, _ = strconv.Atoi(fs[len(fs)-1])
				}
			}
		}
		sf.Close()
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil && len(b) > 0 {
		p.args = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	} else {
		p.args = "[" + p.comm + "]"
	}
	return p, nil
}

func (p procInfo) column(c string, users map[int]string, sys sysInfo) string {
	elapsed := sys.uptime - float64(p.start)/clockTicks
	cpu := float64(p.utime+p.stime) / clockTicks
	pcpu := 0.0
	if elapsed > 0 {
		pcpu = 100 * cpu / elapsed
	}
	switch c {
	case "uid":
		return strconv.Itoa(p.uid)
	case "user":
		if n, ok := users[p.uid]; ok {
			return n
		}
		return strconv.Itoa(p.uid)
	case "pid":
		return strconv.Itoa(p.pid)
	case "ppid":
		return strconv.Itoa(p.ppid)
	case "cpid":
		return strconv.Itoa(p.cpid)
	case "c":
		return strconv.Itoa(int(pcpu))
	case "pcpu":
		return strconv.FormatFloat(pcpu, 'f', 1, 64)
	case "rss":
		return strconv.FormatUint(p.rssKB, 10)
	case "vsz":
		return strconv.FormatUint(p.vszKB, 10)
	case "stime":
		t := time.Unix(sys.btime+int64(p.start/clockTicks), 0)
		if time.Since(t) < 24*time.Hour {
			return t.Format("15:04")
		}
		return t.Format("Jan02")
	case "tty":
		if p.tty == 0 {
			return "?"
		}
		major, minor := (p.tty>>8)&0xfff, (p.tty&0xff)|((p.tty>>12)&0xfff00)
		if major == 136 {
			return "pts/" + strconv.Itoa(minor)
		}
		return "?"
	case "time":
		s := int(cpu)
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	case "stat":
		return p.state
	case "comm":
		return p.comm
	}
	return p.args
}

// passwdNames maps the UIDs of a passwd file to names; a missing file
// gives an empty map.
func passwdNames(path string) map[int]string {
	out := map[int]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 {
			if uid, err := strconv.Atoi(f[2]); err == nil {
				if _, dup := out[uid]; !dup {
					out[uid] = f[0]
				}
			}
		}
	}
	return out
}
