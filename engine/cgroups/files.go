package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// writeFile writes s to the control file name in dir. Control files take
// one value per write(2), so the value is written in a single call. The
// file is created if missing, which only happens when the root is a plain
// directory standing in for a cgroup filesystem.
func writeFile(dir, name, s string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	return f.Close()
}

// writeValues writes each value to the control file name in dir, one
// write(2) each on one open file: a file like devices.allow takes one
// rule per write.
func writeValues(dir, name string, values []string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	for _, v := range values {
		if _, err := f.WriteString(v); err != nil {
			f.Close()
			return fmt.Errorf("write %q to %s: %w", v, p, err)
		}
	}
	return f.Close()
}

// exists reports whether the control file name exists in dir.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// readString returns the trimmed content of a control file.
func readString(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// readFields returns the whitespace-separated words of a control file.
func readFields(p string) ([]string, error) {
	s, err := readString(p)
	if err != nil {
		return nil, err
	}
	return strings.Fields(s), nil
}

// readUint reads a control file holding one number; "max" reads as
// maxValue.
func readUint(p string) (uint64, error) {
	s, err := readString(p)
	if err != nil {
		return 0, err
	}
	return parseUint(s)
}

// maxValue stands for "max" (no limit) in parsed numbers.
const maxValue = ^uint64(0)

func parseUint(s string) (uint64, error) {
	if s == "max" {
		return maxValue, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// v1 reports some counters as negative when unset ("-1").
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return maxValue, nil
		}
		return 0, fmt.Errorf("parse cgroup value %q: %w", s, err)
	}
	return v, nil
}

// parseKeyValues parses "key value" lines (memory.stat, cpu.stat,
// memory.events, memory.oom_control). Lines that do not parse are skipped.
func parseKeyValues(r io.Reader) (map[string]uint64, error) {
	m := map[string]uint64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := parseUint(f[1])
		if err != nil {
			continue
		}
		m[f[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// readKeyValues opens p and parses it with parseKeyValues.
func readKeyValues(p string) (map[string]uint64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := parseKeyValues(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return m, nil
}

// gone adds ErrNotExist to an error caused by a missing cgroup directory
// or control file, so callers can tell a deleted cgroup by errors.Is.
func gone(err error) error {
	if err != nil && errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotExist, err)
	}
	return err
}
