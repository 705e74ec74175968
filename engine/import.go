package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/store"
)

// ImportOptions configures Import and ImportDir.
type ImportOptions struct {
	// Changes are Dockerfile instructions applied to the new config; see
	// ApplyChanges.
	Changes []string
	// Message is the history comment; default "Imported from SOURCE".
	Message string
	// Source names where the content came from, for the default message
	// ("-" for standard input).
	Source string
}

// Import makes a one-layer image from a root filesystem tarball read from
// r (uncompressed, gzip or zstd, sniffed) and names it ref if not empty.
func (e *Engine) Import(ctx context.Context, r io.Reader, ref string, opts ImportOptions) (ImageSummary, error) {
	cfg, err := importConfig(opts.Changes)
	if err != nil {
		return ImageSummary{}, err
	}
	if ref != "" {
		if _, err := parseReference(ref); err != nil {
			return ImageSummary{}, err
		}
	}
	dec, err := decompressor(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return ImageSummary{}, fmt.Errorf("import: %w", err)
	}
	defer dec.Close()
	src := opts.Source
	if src == "" {
		src = "-"
	}
	msg := opts.Message
	if msg == "" {
		msg = "Imported from " + src
	}
	s, err := e.CommitLayer(ctx, store.Image{}, dec, cfg, v1.History{Created: v1.Time{Time: time.Now().UTC()}, Comment: msg}, ref)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("import %s: %w", src, err)
	}
	e.emit("image", "import", s.ID, map[string]string{"name": familiarOrEmpty(ref)})
	return s, nil
}

// ImportDir makes a one-layer image from the directory tree dir (which
// must not change meanwhile) and names it ref if not empty.
func (e *Engine) ImportDir(ctx context.Context, dir, ref string, opts ImportOptions) (ImageSummary, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("import %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return ImageSummary{}, fmt.Errorf("import %s: %w: not a directory", dir, ErrInvalid)
	}
	if opts.Source == "" {
		opts.Source = dir
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(archive.WriteDir(ctx, pw, dir))
	}()
	s, err := e.Import(ctx, pr, ref, opts)
	pr.CloseWithError(io.ErrClosedPipe)
	<-done
	return s, err
}

func importConfig(changes []string) (*v1.ConfigFile, error) {
	cfg := &v1.ConfigFile{}
	if err := ApplyChanges(&cfg.Config, changes); err != nil {
		return nil, err
	}
	return cfg, nil
}

func familiarOrEmpty(ref string) string {
	if ref == "" {
		return ""
	}
	if r, err := parseReference(ref); err == nil {
		return r.Familiar()
	}
	return ref
}
