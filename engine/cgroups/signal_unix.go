//go:build unix

package cgroups

import "syscall"

// signal sends sig to process pid.
func signal(pid int, sig syscall.Signal) error {
	return syscall.Kill(pid, sig)
}
