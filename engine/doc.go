// Package engine is berth's in-process container engine: it pulls, stores,
// inspects and removes images, creates and runs containers through a
// per-container monitor process, and records what it does in the store's
// event log. The TUI and the CLI both call it as a library; there is no
// daemon.
package engine
