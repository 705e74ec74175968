package pty

import "bytes"

// Matcher is the pure state machine that finds a detach-key sequence in a
// stream of input bytes. It holds back a partial match (a "prefix") until it
// knows whether the sequence completes, and passes every other byte through.
//
// Unlike docker's and podman's proxies, Matcher is a proper string-search
// automaton: after a mismatch it keeps the longest suffix of what it held that
// is still a prefix of the sequence. With the default Ctrl-P Ctrl-Q, typing
// ^P ^P ^Q therefore passes the first ^P through and detaches, where a naive
// matcher would flush both ^P and miss the sequence.
//
// The bytes Feed and Flush return, concatenated, are exactly the input up to
// the start of the first occurrence of the sequence. A Matcher is not safe for
// concurrent use.
type Matcher struct {
	keys []byte
	held int // keys[:held] is the partial match held back
	out  []byte
}

// NewMatcher returns a Matcher for the sequence keys (as returned by
// ParseKeys). With empty keys the Matcher never detaches and passes all input
// through unchanged.
func NewMatcher(keys []byte) *Matcher {
	return &Matcher{keys: bytes.Clone(keys)}
}

// Feed consumes b and returns the bytes that are now known not to belong to
// the detach sequence, in input order, and whether the sequence completed.
// Once detached is true, the rest of b after the sequence is discarded and the
// Matcher starts over. The returned slice may alias b or an internal buffer and
// is valid only until the next call to Feed or Flush.
func (m *Matcher) Feed(b []byte) (out []byte, detached bool) {
	if len(m.keys) == 0 {
		return b, false
	}
	if m.held == 0 && bytes.IndexByte(b, m.keys[0]) < 0 {
		return b, false
	}
	m.out = m.out[:0]
	for _, c := range b {
		if c == m.keys[m.held] {
			m.held++
			if m.held == len(m.keys) {
				m.held = 0
				return m.out, true
			}
			continue
		}
		// Mismatch: keep the longest suffix of keys[:held]+c that is a
		// proper prefix of keys and release everything before it.
		n := m.fallback(c)
		if n == 0 {
			m.out = append(m.out, m.keys[:m.held]...)
			m.out = append(m.out, c)
		} else {
			m.out = append(m.out, m.keys[:m.held+1-n]...)
		}
		m.held = n
	}
	return m.out, false
}

// fallback returns the length of the longest suffix of keys[:held]+c that is
// a prefix of keys. keys[held] != c, so the result is at most held.
func (m *Matcher) fallback(c byte) int {
	for n := m.held; n > 0; n-- {
		// Candidate: keys[held+1-n:held] + c == keys[:n]
		if m.keys[n-1] == c && bytes.Equal(m.keys[m.held+1-n:m.held], m.keys[:n-1]) {
			return n
		}
	}
	return 0
}

// Flush releases a held partial match, for example after a timeout without
// further input or at end of input, and resets the Matcher. It returns nil if
// nothing is held. The returned slice is valid until the next call.
func (m *Matcher) Flush() []byte {
	if m.held == 0 {
		return nil
	}
	m.out = append(m.out[:0], m.keys[:m.held]...)
	m.held = 0
	return m.out
}

// Holding reports whether the Matcher holds back a partial match.
func (m *Matcher) Holding() bool { return m.held > 0 }
