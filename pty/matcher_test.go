package pty

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

const (
	ctrlP = 0x10
	ctrlQ = 0x11
)

// feedAll feeds chunks in order and returns the concatenated output, whether
// the Matcher detached, and what Flush released at the end.
func feedAll(m *Matcher, chunks ...[]byte) (out []byte, detached bool) {
	for _, c := range chunks {
		o, d := m.Feed(c)
		out = append(out, o...)
		if d {
			return out, true
		}
	}
	return append(out, m.Flush()...), false
}

func TestMatcher(t *testing.T) {
	pq := []byte{ctrlP, ctrlQ}
	tests := []struct {
		name     string
		keys     []byte
		chunks   []string
		want     string
		detached bool
	}{
		{"plain text", pq, []string{"hello"}, "hello", false},
		{"sequence in one chunk", pq, []string{"ab\x10\x11cd"}, "ab", true},
		{"sequence across chunks", pq, []string{"ab\x10", "\x11cd"}, "ab", true},
		{"sequence as separate keys", pq, []string{"\x10", "\x11"}, "", true},
		{"double prefix then second key", pq, []string{"\x10", "\x10", "\x11"}, "\x10", true},
		{"double prefix in one chunk", pq, []string{"\x10\x10\x11"}, "\x10", true},
		{"mismatch flushes prefix then key", pq, []string{"\x10", "x"}, "\x10x", false},
		{"second key alone", pq, []string{"\x11"}, "\x11", false},
		{"reversed order", pq, []string{"\x11\x10"}, "\x11\x10", false},
		{"held prefix flushed at end", pq, []string{"a\x10"}, "a\x10", false},
		{"text after detach dropped", pq, []string{"x\x10\x11y\x10"}, "x", true},
		{"empty keys never detach", nil, []string{"\x10\x11"}, "\x10\x11", false},
		{"single key", []byte{ctrlP}, []string{"ab\x10c"}, "ab", true},
		{"overlapping aab", []byte("aab"), []string{"a", "a", "a", "b"}, "a", true},
		{"overlapping abac", []byte("abac"), []string{"ababac"}, "ab", true},
		{"overlapping abab", []byte("abab"), []string{"abaabab"}, "aba", true},
		{"three keys mismatch", []byte("abc"), []string{"ab", "x"}, "abx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := make([][]byte, len(tt.chunks))
			for i, c := range tt.chunks {
				chunks[i] = []byte(c)
			}
			got, detached := feedAll(NewMatcher(tt.keys), chunks...)
			if string(got) != tt.want || detached != tt.detached {
				t.Errorf("Feed(%q) = %q, detached %v; want %q, detached %v",
					tt.chunks, got, detached, tt.want, tt.detached)
			}
		})
	}
}

func TestMatcherHolding(t *testing.T) {
	m := NewMatcher([]byte{ctrlP, ctrlQ})
	if out, _ := m.Feed([]byte("a\x10")); string(out) != "a" {
		t.Fatalf("Feed(a^P) = %q, want %q", out, "a")
	}
	if !m.Holding() {
		t.Fatal("Holding() = false after a prefix, want true")
	}
	if got := m.Flush(); string(got) != "\x10" {
		t.Errorf("Flush() = %q, want ^P", got)
	}
	if m.Holding() {
		t.Error("Holding() = true after Flush, want false")
	}
	if got := m.Flush(); got != nil {
		t.Errorf("second Flush() = %q, want nil", got)
	}
}

// TestMatcherAgainstSearch checks, for random input split at random points,
// that the output is exactly the input before the first occurrence of the
// sequence and that the Matcher detaches exactly when there is one.
func TestMatcherAgainstSearch(t *testing.T) {
	keySets := [][]byte{
		{ctrlP, ctrlQ},
		{ctrlP},
		[]byte("aab"),
		[]byte("abab"),
		[]byte("abac"),
		[]byte("aaa"),
	}
	alphabet := []byte{ctrlP, ctrlQ, 'a', 'b', 'c'}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, keys := range keySets {
		t.Run(string(keys), func(t *testing.T) {
			for range 2000 {
				in := make([]byte, rng.IntN(24))
				for i := range in {
					in[i] = alphabet[rng.IntN(len(alphabet))]
				}
				var chunks [][]byte
				for rest := in; len(rest) > 0; {
					n := 1 + rng.IntN(len(rest))
					chunks = append(chunks, rest[:n])
					rest = rest[n:]
				}
				want, wantDetach := in, false
				if i := bytes.Index(in, keys); i >= 0 {
					want, wantDetach = in[:i], true
				}
				got, detached := feedAll(NewMatcher(keys), chunks...)
				if !bytes.Equal(got, want) || detached != wantDetach {
					t.Fatalf("keys %q, chunks %q: got %q, detached %v; want %q, detached %v",
						keys, chunks, got, detached, want, wantDetach)
				}
			}
		})
	}
}
