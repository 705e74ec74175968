package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Event is one entry of the engine's event log.
type Event struct {
	Time time.Time `json:"time"`
	// Type is what the event is about: container, image, volume, network.
	Type string `json:"type"`
	// Action is what happened: create, start, die, pull, delete...
	Action string `json:"action"`
	// ID is the container or image ID, or the volume or network name.
	ID string `json:"id"`
	// Attributes carries details such as name, image, exitCode.
	Attributes map[string]string `json:"attributes,omitempty"`
}

func (s *Store) eventsPath() string { return filepath.Join(s.root, "events.log") }

// AppendEvent appends e to the event log. Each event is one write(2) to a
// file opened with O_APPEND, so concurrent writers never interleave.
func (s *Store) AppendEvent(e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(s.eventsPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// EventsEnd returns the current end offset of the event log, where a
// follower that wants only new events starts.
func (s *Store) EventsEnd() (int64, error) {
	fi, err := os.Stat(s.eventsPath())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stat events: %w", err)
	}
	return fi.Size(), nil
}

// ReadEvents returns the complete events stored from offset on and the
// offset after the last one. A partly written last line is left for the
// next call.
func (s *Store) ReadEvents(offset int64) ([]Event, int64, error) {
	f, err := os.Open(s.eventsPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, offset, nil
	}
	if err != nil {
		return nil, offset, fmt.Errorf("read events: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, offset, fmt.Errorf("read events: %w", err)
	}
	var out []Event
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return out, offset, nil
		}
		if err != nil {
			return out, offset, fmt.Errorf("read events: %w", err)
		}
		offset += int64(len(line))
		var e Event
		if json.Unmarshal(bytes.TrimSpace(line), &e) == nil {
			out = append(out, e)
		}
	}
}

// WaitEvents blocks until the event log grows past offset or ctx is done.
// It uses inotify, so a waiting follower costs no CPU.
func (s *Store) WaitEvents(ctx context.Context, offset int64) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("watch events: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	// Watch the directory: the log may not exist yet.
	if _, err := unix.InotifyAddWatch(fd, s.root, unix.IN_MODIFY|unix.IN_CREATE); err != nil {
		return fmt.Errorf("watch events: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 4096)
	for {
		if end, err := s.EventsEnd(); err != nil || end > offset {
			return err
		}
		if _, err := f.Read(buf); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch events: %w", err)
		}
	}
}
