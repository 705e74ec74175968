package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/berth-dev/berth/pty"
)

// The handover clears the screen and shows the hint before the session
// writes, so what follows is the session's own (replayed) output, and it
// returns the session's error.
func TestHandoverClearsThenHints(t *testing.T) {
	var out bytes.Buffer
	h := &handover{ctx: t.Context(), hint: "berth: attached to web — detach with Ctrl-P Ctrl-Q",
		session: func(ctx context.Context, in io.Reader, w io.Writer, _ <-chan pty.Size) error {
			b, _ := io.ReadAll(in)
			io.WriteString(w, "replayed:"+string(b))
			return pty.ErrDetached
		}}
	h.SetStdin(strings.NewReader("keys"))
	h.SetStdout(&out)
	if err := h.Run(); !errors.Is(err, pty.ErrDetached) {
		t.Fatalf("Run() = %v, want the session's ErrDetached", err)
	}
	want := "\x1b[H\x1b[2J\x1b[7m berth: attached to web — detach with Ctrl-P Ctrl-Q \x1b[0m\r\nreplayed:keys"
	if got := out.String(); got != want {
		t.Errorf("terminal got %q, want %q", got, want)
	}
}
