package engine

import (
	"io"
	"os"
	"sync"

	"github.com/berth-dev/berth/engine/logfile"
)

// attachHub connects the container's streams to attach clients.
type attachHub struct {
	mu    sync.Mutex
	input io.Writer
	tty   bool
}

func (m *monitor) newHub(attach *os.File) *attachHub {
	if attach != nil {
		attach.Close()
	}
	return &attachHub{}
}

// writer returns where output of stream s goes for attach clients.
func (h *attachHub) writer(s logfile.Stream) io.Writer { return io.Discard }

// setInput sets where attach clients' input goes: the PTY master (tty) or
// the stdin pipe; nil between runs.
func (h *attachHub) setInput(w io.Writer, tty bool) {
	h.mu.Lock()
	h.input, h.tty = w, tty
	h.mu.Unlock()
}

// close ends every attach session with the container's exit code.
func (h *attachHub) close(code int) {}
