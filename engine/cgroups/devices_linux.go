package cgroups

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On cgroup v2 the device allow list is an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup, as runc
// does. The kernel runs it on every open and mknod of a device node with
// a struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// where access_type is (access << 16) | type; the program returns 1 to
// allow and 0 to deny.

// bpfInsn is one eBPF instruction (struct bpf_insn).
type bpfInsn struct {
	code     uint8
	dst, src uint8
	off      int16
	imm      int32
}

const (
	bpfLdxMemW  = 0x61 // dst = *(u32 *)(src + off)
	bpfAlu32And = 0x54 // dst &= imm (32 bit)
	bpfAlu32Rsh = 0x74 // dst >>= imm (32 bit)
	bpfAlu32Mov = 0xbc // dst = src (32 bit)
	bpfMov64Imm = 0xb7 // dst = imm
	bpfJneImm   = 0x55 // if dst != imm goto pc+off
	bpfJneReg   = 0x5d // if dst != src goto pc+off
	bpfExit     = 0x95

	devcgBlock = 1
	devcgChar  = 2
)

// deviceFilter compiles rules into an allow-list program: the first rule
// matching the access allows it, no match denies it.
func deviceFilter(rules []DeviceRule) []bpfInsn {
	prog := []bpfInsn{
		{code: bpfLdxMemW, dst: 2, src: 1, off: 0}, // r2 = type | access << 16
		{code: bpfAlu32And, dst: 2, imm: 0xffff},   // r2 = type
		{code: bpfLdxMemW, dst: 3, src: 1, off: 0}, // r3 = type | access << 16
		{code: bpfAlu32Rsh, dst: 3, imm: 16},       // r3 = access
		{code: bpfLdxMemW, dst: 4, src: 1, off: 4}, // r4 = major
		{code: bpfLdxMemW, dst: 5, src: 1, off: 8}, // r5 = minor
	}
	for _, r := range rules {
		var blk []bpfInsn
		var jumps []int
		switch r.Type {
		case 'b':
			jumps = append(jumps, len(blk))
			blk = append(blk, bpfInsn{code: bpfJneImm, dst: 2, imm: devcgBlock})
		case 'c':
			jumps = append(jumps, len(blk))
			blk = append(blk, bpfInsn{code: bpfJneImm, dst: 2, imm: devcgChar})
		}
		if acc := r.accessBits(); acc != 7 {
			// The requested access must be a subset of the rule's.
			blk = append(blk,
				bpfInsn{code: bpfAlu32Mov, dst: 1, src: 3},
				bpfInsn{code: bpfAlu32And, dst: 1, imm: acc})
			jumps = append(jumps, len(blk))
			blk = append(blk, bpfInsn{code: bpfJneReg, dst: 1, src: 3})
		}
		if r.Major >= 0 {
			jumps = append(jumps, len(blk))
			blk = append(blk, bpfInsn{code: bpfJneImm, dst: 4, imm: int32(r.Major)})
		}
		if r.Minor >= 0 {
			jumps = append(jumps, len(blk))
			blk = append(blk, bpfInsn{code: bpfJneImm, dst: 5, imm: int32(r.Minor)})
		}
		blk = append(blk,
			bpfInsn{code: bpfMov64Imm, dst: 0, imm: 1},
			bpfInsn{code: bpfExit})
		for _, j := range jumps {
			blk[j].off = int16(len(blk) - j - 1) // to the next rule
		}
		prog = append(prog, blk...)
	}
	return append(prog,
		bpfInsn{code: bpfMov64Imm, dst: 0, imm: 0},
		bpfInsn{code: bpfExit})
}

// encode returns the program in the kernel's struct bpf_insn layout.
func encode(prog []bpfInsn) []byte {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = append(b, in.code, in.dst&0xf|in.src<<4)
		b = binary.NativeEndian.AppendUint16(b, uint16(in.off))
		b = binary.NativeEndian.AppendUint32(b, uint32(in.imm))
	}
	return b
}

// bpf attribute layouts (union bpf_attr), for the commands used here.
type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
}

type progAttachAttr struct {
	targetFd    uint32
	attachBpfFd uint32
	attachType  uint32
	attachFlags uint32
}

type progQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type progGetFdAttr struct {
	progID uint32
	nextID uint32
	flags  uint32
}

func bpfCall(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// loadDeviceFilter loads the program for rules and returns its fd.
func loadDeviceFilter(rules []DeviceRule) (int, error) {
	code := encode(deviceFilter(rules))
	license := []byte("Apache\x00")
	logBuf := make([]byte, 16384)
	attr := progLoadAttr{
		progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:  uint32(len(code) / 8),
		insns:    uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel: 1,
		logSize:  uint32(len(logBuf)),
		logBuf:   uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	copy(attr.progName[:], "berth_devices")
	fd, err := bpfCall(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	if err != nil {
		if n := indexNUL(logBuf); n > 0 {
			return -1, fmt.Errorf("load device filter: %w: %s", err, logBuf[:n])
		}
		return -1, fmt.Errorf("load device filter: %w", err)
	}
	return fd, nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

// attachedDeviceFilters returns the ids of the device programs attached
// to the cgroup directory fd.
func attachedDeviceFilters(dirFd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	attr := progQueryAttr{
		targetFd:   uint32(dirFd),
		attachType: unix.BPF_CGROUP_DEVICE,
		progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
		progCnt:    uint32(len(ids)),
	}
	_, err := bpfCall(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(ids)
	if err != nil {
		return nil, fmt.Errorf("query device filters: %w", err)
	}
	return ids[:attr.progCnt], nil
}

// detachDeviceFilter detaches program id from the cgroup directory fd.
func detachDeviceFilter(dirFd int, id uint32) error {
	g := progGetFdAttr{progID: id}
	pfd, err := bpfCall(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&g), unsafe.Sizeof(g))
	if err != nil {
		return fmt.Errorf("open device filter %d: %w", id, err)
	}
	defer unix.Close(pfd)
	a := progAttachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(pfd), attachType: unix.BPF_CGROUP_DEVICE}
	if _, err := bpfCall(unix.BPF_PROG_DETACH, unsafe.Pointer(&a), unsafe.Sizeof(a)); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("detach device filter %d: %w", id, err)
	}
	return nil
}

// setDevicesV2 replaces the device programs attached to the cgroup with
// one compiled from rules; nil detaches them (all devices allowed). The
// new program is attached before the old ones are detached, so access is
// never wider than either list in between.
func (c *Cgroup) setDevicesV2(rules []DeviceRule) error {
	if !isCgroup2(c.unified) {
		if rules != nil {
			return fmt.Errorf("device rules on %s: %w", c.unified, ErrUnsupported)
		}
		return nil
	}
	dir, err := os.Open(c.unified)
	if err != nil {
		return fmt.Errorf("set device rules: %w", err)
	}
	defer dir.Close()
	dirFd := int(dir.Fd())
	old, err := attachedDeviceFilters(dirFd)
	if err != nil {
		return fmt.Errorf("set device rules: %w", err)
	}
	if rules != nil {
		pfd, err := loadDeviceFilter(rules)
		if err != nil {
			return fmt.Errorf("set device rules: %w", err)
		}
		defer unix.Close(pfd)
		a := progAttachAttr{
			targetFd:    uint32(dirFd),
			attachBpfFd: uint32(pfd),
			attachType:  unix.BPF_CGROUP_DEVICE,
			attachFlags: unix.BPF_F_ALLOW_MULTI,
		}
		if _, err := bpfCall(unix.BPF_PROG_ATTACH, unsafe.Pointer(&a), unsafe.Sizeof(a)); err != nil {
			return fmt.Errorf("set device rules: attach device filter: %w", err)
		}
	}
	for _, id := range old {
		if err := detachDeviceFilter(dirFd, id); err != nil {
			return fmt.Errorf("set device rules: %w", err)
		}
	}
	return nil
}
