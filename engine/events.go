package engine

import (
	"context"
	"time"

	"github.com/berth-dev/berth/store"
)

// Event is one thing that happened in the engine, as recorded in the
// store's event log.
type Event = store.Event

// emit records an event. Losing an event never fails the operation that
// caused it; the failure is logged.
func (e *Engine) emit(typ, action, id string, attrs map[string]string) {
	ev := store.Event{Time: time.Now().UTC(), Type: typ, Action: action, ID: id, Attributes: attrs}
	if err := e.st.AppendEvent(ev); err != nil {
		e.log.Warn("record event", "type", typ, "action", action, "id", id, "err", err)
	}
}

// Events sends the events recorded from now on (or, with since non-zero,
// those recorded at or after since) until ctx is done, then closes the
// channel. It waits on the log with inotify, so following costs nothing
// while nothing happens. Errors reading the log end the stream.
func (e *Engine) Events(ctx context.Context, since time.Time) (<-chan Event, error) {
	return e.EventsBetween(ctx, since, time.Time{})
}

// EventsBetween is Events that, with until non-zero, also ends at until:
// the events recorded up to it are sent first, even when it has passed
// (events --since 1h --until 10m lists the fifty minutes between).
func (e *Engine) EventsBetween(ctx context.Context, since, until time.Time) (<-chan Event, error) {
	var offset int64
	if since.IsZero() {
		end, err := e.st.EventsEnd()
		if err != nil {
			return nil, err
		}
		offset = end
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		// Only the wait for new events ends at until.
		wait := ctx
		if !until.IsZero() {
			var cancel context.CancelFunc
			wait, cancel = context.WithDeadline(ctx, until)
			defer cancel()
		}
		for {
			evs, next, err := e.st.ReadEvents(offset)
			if err != nil {
				e.log.Warn("read events", "err", err)
				return
			}
			offset = next
			for _, ev := range evs {
				if !since.IsZero() && ev.Time.Before(since) {
					continue
				}
				if !until.IsZero() && ev.Time.After(until) {
					return
				}
				select {
				case ch <- ev:
				case <-ctx.Done():
					return
				}
			}
			if err := e.st.WaitEvents(wait, offset); err != nil {
				return
			}
		}
	}()
	return ch, nil
}
