// Package cmd implements berth's docker-style command line: a thin layer of
// flag parsing and output formatting over the engine.
package cmd
