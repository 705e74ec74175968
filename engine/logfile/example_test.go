package logfile_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/engine/logfile"
)

// The monitor captures a container's output; `logs` reads it back.
func Example() {
	dir, err := os.MkdirTemp("", "berth-log")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ctr.log")

	// In the monitor: one Writer, one io.Copy per stream.
	w, err := logfile.Create(path, logfile.MaxSize(10<<20), logfile.MaxFiles(3))
	if err != nil {
		panic(err)
	}
	io.Copy(w.StreamWriter(logfile.Stdout), strings.NewReader("hello\nworld\n"))
	io.Copy(w.StreamWriter(logfile.Stderr), strings.NewReader("oops\n"))
	w.Close()

	// In `berth logs --tail 2`.
	err = logfile.Copy(context.Background(), path, logfile.ReadOptions{Tail: 2}, os.Stdout, os.Stdout)
	fmt.Println(err)
	// Output:
	// world
	// oops
	// <nil>
}

// The TUI's logs pane shows the last lines and searches back from them.
func ExampleLines() {
	dir, err := os.MkdirTemp("", "berth-log")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ctr.log")
	w, err := logfile.Create(path)
	if err != nil {
		panic(err)
	}
	w.Write(logfile.Stdout, []byte("starting\nlistening on :80\nGET /\nGET /favicon.ico\n"))
	w.Close()

	l, err := logfile.OpenLines(path)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	window, _ := l.Last(2)
	for _, ln := range window {
		fmt.Println(ln.Stream, ln.Text)
	}
	hit, err := l.Search(context.Background(), logfile.Contains("listening"), window[0].Pos, false)
	fmt.Println(hit.Text, err)
	// Output:
	// stdout GET /
	// stdout GET /favicon.ico
	// listening on :80 <nil>
}
