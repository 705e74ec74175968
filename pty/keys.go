package pty

import (
	"fmt"
	"strings"
)

// DefaultKeys is the detach-key sequence used when none is configured:
// Ctrl-P followed by Ctrl-Q, as in docker and podman.
const DefaultKeys = "ctrl-p,ctrl-q"

// KeyError reports a detach-key specification that ParseKeys rejected.
// It unwraps to ErrInvalidKeys.
type KeyError struct {
	Spec   string // the whole specification as given
	Key    string // the offending comma-separated element
	Reason string // why Key was rejected
}

// Error returns a message in docker's wording, e.g.
// `invalid detach keys "ctrl-": unknown key "ctrl-"`.
func (e *KeyError) Error() string {
	return fmt.Sprintf("invalid detach keys %q: %s %q", e.Spec, e.Reason, e.Key)
}

// Unwrap returns ErrInvalidKeys.
func (e *KeyError) Unwrap() error { return ErrInvalidKeys }

// ParseKeys converts a detach-key specification in docker's grammar into the
// byte sequence the terminal sends for it. The specification is a
// comma-separated list whose elements are either "ctrl-<c>" with c one of
// a-z, @, [, \, ], ^ or _ (the letter may also be upper case), "DEL", or a
// single printable ASCII character such as "a", "Z" or "!".
//
// An empty specification disables detaching: ParseKeys returns nil, nil.
// Any other malformed input returns a *KeyError wrapping ErrInvalidKeys.
func ParseKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var keys []byte
	for key := range strings.SplitSeq(s, ",") {
		b, reason := parseKey(key)
		if reason != "" {
			return nil, &KeyError{Spec: s, Key: key, Reason: reason}
		}
		keys = append(keys, b)
	}
	return keys, nil
}

// parseKey converts one element of a detach-key list. It returns a non-empty
// reason when the element is not valid.
func parseKey(key string) (byte, string) {
	switch {
	case key == "":
		return 0, "empty key"
	case len(key) == 1:
		c := key[0]
		if c < 0x20 || c > 0x7e {
			return 0, "unprintable key"
		}
		return c, ""
	case key == "DEL":
		return 0x7f, ""
	case strings.HasPrefix(key, "ctrl-") && len(key) == len("ctrl-")+1:
		c := key[len(key)-1]
		switch {
		case c >= 'a' && c <= 'z':
			return c - 'a' + 1, ""
		case c >= 'A' && c <= 'Z':
			return c - 'A' + 1, ""
		case c == '@' || (c >= '[' && c <= '_'):
			// @ [ \ ] ^ _ are 0x40 and 0x5b..0x5f; Ctrl clears bit 6.
			return c &^ 0x40, ""
		}
	}
	return 0, "unknown key"
}
