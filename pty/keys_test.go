package pty

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseKeys(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []byte
	}{
		{"default", DefaultKeys, []byte{0x10, 0x11}},
		{"disabled", "", nil},
		{"single ctrl", "ctrl-a", []byte{0x01}},
		{"ctrl upper case", "ctrl-P,ctrl-Q", []byte{0x10, 0x11}},
		{"ctrl at", "ctrl-@", []byte{0x00}},
		{"ctrl brackets", `ctrl-[,ctrl-\,ctrl-]`, []byte{0x1b, 0x1c, 0x1d}},
		{"ctrl caret underscore", "ctrl-^,ctrl-_", []byte{0x1e, 0x1f}},
		{"ctrl z", "ctrl-z", []byte{0x1a}},
		{"letters", "a,Z", []byte{'a', 'Z'}},
		{"mixed", "ctrl-x,q", []byte{0x18, 'q'}},
		{"punctuation", "!,~", []byte{'!', '~'}},
		{"del", "DEL", []byte{0x7f}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeys(tt.spec)
			if err != nil {
				t.Fatalf("ParseKeys(%q) error = %v", tt.spec, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("ParseKeys(%q) = %#v, want %#v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestParseKeysInvalid(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		wantMsg string
	}{
		{"ctrl without key", "ctrl-", `invalid detach keys "ctrl-": unknown key "ctrl-"`},
		{"ctrl digit", "ctrl-1", `invalid detach keys "ctrl-1": unknown key "ctrl-1"`},
		{"ctrl two letters", "ctrl-pq", `invalid detach keys "ctrl-pq": unknown key "ctrl-pq"`},
		{"word", "ctrl-p,esc", `invalid detach keys "ctrl-p,esc": unknown key "esc"`},
		{"empty element", "ctrl-p,,ctrl-q", `invalid detach keys "ctrl-p,,ctrl-q": empty key ""`},
		{"trailing comma", "ctrl-p,", `invalid detach keys "ctrl-p,": empty key ""`},
		{"control byte", "\x01", `invalid detach keys "\x01": unprintable key "\x01"`},
		{"non ascii", "é", `invalid detach keys "é": unknown key "é"`},
		{"alt", "alt-p", `invalid detach keys "alt-p": unknown key "alt-p"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeys(tt.spec)
			if err == nil {
				t.Fatalf("ParseKeys(%q) = %#v, want error", tt.spec, got)
			}
			if !errors.Is(err, ErrInvalidKeys) {
				t.Errorf("ParseKeys(%q) error = %v, want it to wrap ErrInvalidKeys", tt.spec, err)
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Spec != tt.spec {
				t.Errorf("ParseKeys(%q) error = %#v, want *KeyError for the spec", tt.spec, err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("ParseKeys(%q) error = %q, want %q", tt.spec, err.Error(), tt.wantMsg)
			}
		})
	}
}
