package engine

import (
	"log/slog"
	"os"

	"github.com/berth-dev/berth/store"
)

// Engine runs images and containers on one store. Its methods are safe for
// concurrent use, and several processes may each hold an Engine on the same
// store: state shared between them lives in the store, guarded by its locks.
type Engine struct {
	st   *store.Store
	log  *slog.Logger
	opts options
}

// Option configures New.
type Option func(*options)

type options struct {
	// parallel is how many layers a pull fetches at once.
	parallel int
	// insecure lists registries reached over plain HTTP or unverified TLS.
	insecure []string
	// self is the path of the berth binary, re-executed as the monitor.
	self string
}

func makeOptions(opts []Option) options {
	o := options{parallel: 3}
	if exe, err := os.Executable(); err == nil {
		o.self = exe
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.parallel < 1 {
		o.parallel = 1
	}
	return o
}

// WithParallelPulls sets how many layers a pull fetches at once (default 3).
func WithParallelPulls(n int) Option {
	return func(o *options) { o.parallel = n }
}

// WithInsecureRegistries names registries (host[:port]) that are reached
// over plain HTTP, as docker's insecure-registries setting does. Loopback
// registries are always reached over plain HTTP.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithBinary sets the berth binary the engine re-executes for container
// monitors (default: the running executable).
func WithBinary(path string) Option {
	return func(o *options) { o.self = path }
}

// New returns an engine on st that logs to log.
func New(st *store.Store, log *slog.Logger, opts ...Option) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{st: st, log: log, opts: makeOptions(opts)}
}

// Store returns the engine's store.
func (e *Engine) Store() *store.Store { return e.st }
