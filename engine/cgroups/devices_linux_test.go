package cgroups

import "testing"

// runFilter interprets the instructions deviceFilter emits for one access
// request and returns the program's verdict.
func runFilter(t *testing.T, prog []bpfInsn, typ, access, major, minor uint32) uint64 {
	t.Helper()
	ctx := [3]uint32{access<<16 | typ, major, minor}
	var r [11]uint64
	for pc, steps := 0, 0; steps < 10000; steps++ {
		if pc < 0 || pc >= len(prog) {
			t.Fatalf("pc %d out of program of %d", pc, len(prog))
		}
		in := prog[pc]
		pc++
		switch in.code {
		case bpfLdxMemW:
			if in.src != 1 || in.off%4 != 0 {
				t.Fatalf("load from r%d%+d", in.src, in.off)
			}
			r[in.dst] = uint64(ctx[in.off/4])
		case bpfAlu32And:
			r[in.dst] = uint64(uint32(r[in.dst]) & uint32(in.imm))
		case bpfAlu32Rsh:
			r[in.dst] = uint64(uint32(r[in.dst]) >> uint32(in.imm))
		case bpfAlu32Mov:
			r[in.dst] = uint64(uint32(r[in.src]))
		case bpfMov64Imm:
			r[in.dst] = uint64(int64(in.imm))
		case bpfJneImm:
			if r[in.dst] != uint64(int64(in.imm)) {
				pc += int(in.off)
			}
		case bpfJneReg:
			if r[in.dst] != r[in.src] {
				pc += int(in.off)
			}
		case bpfExit:
			return r[0]
		default:
			t.Fatalf("unknown opcode %#x", in.code)
		}
	}
	t.Fatal("program does not terminate")
	return 0
}

func TestDeviceFilter(t *testing.T) {
	const (
		m, rd, wr = 1, 2, 4
		blk, chr  = devcgBlock, devcgChar
	)
	def := deviceFilter(DefaultDevices())
	custom := deviceFilter([]DeviceRule{
		{Type: 'a', Major: 10, Minor: -1, Access: "rw"},
		{Type: 'c', Major: 1, Minor: 5, Access: "r"},
	})
	tests := []struct {
		name                      string
		prog                      []bpfInsn
		typ, access, major, minor uint32
		want                      uint64
	}{
		{"read null", def, chr, rd, 1, 3, 1},
		{"write full", def, chr, wr, 1, 7, 1},
		{"read write pts", def, chr, rd | wr, 136, 5, 1},
		{"read disk", def, blk, rd, 254, 0, 0},
		{"mknod disk", def, blk, m, 254, 0, 1},
		{"mknod and read disk", def, blk, m | rd, 254, 0, 0},
		{"read tty1", def, chr, rd, 4, 1, 0},
		{"read mem", def, chr, rd, 1, 1, 0},
		{"any type char", custom, chr, rd, 10, 3, 1},
		{"any type block", custom, blk, wr, 10, 99, 1},
		{"mknod not granted", custom, chr, m, 10, 3, 0},
		{"read only zero", custom, chr, rd, 1, 5, 1},
		{"write to read-only zero", custom, chr, wr, 1, 5, 0},
		{"other major", custom, chr, rd, 11, 3, 0},
		{"empty list denies", deviceFilter([]DeviceRule{}), chr, rd, 1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runFilter(t, tt.prog, tt.typ, tt.access, tt.major, tt.minor); got != tt.want {
				t.Fatalf("filter(%d %d:%d access %d) = %d, want %d", tt.typ, tt.major, tt.minor, tt.access, got, tt.want)
			}
		})
	}
}
