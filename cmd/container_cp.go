package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/archive"
)

// cpCmd is docker cp: a path between a container and the host, either
// way, or a tar stream on stdin or stdout ("-").
func cpCmd(a *app) *cobra.Command {
	var archiveMode, follow bool
	c := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n  berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			src, dst := splitCopyArg(args[0]), splitCopyArg(args[1])
			switch {
			case src.container != "" && dst.container != "":
				return &ExitError{Code: 1, Err: errors.New("copying between containers is not supported")}
			case src.container == "" && dst.container == "":
				return &ExitError{Code: 1, Err: errors.New("must specify at least one container source")}
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			cp := copier{eng: eng, ctx: c.Context(), in: a.io.In, out: a.io.Out, archive: archiveMode, follow: follow}
			if src.container != "" {
				err = cp.fromContainer(src, dst.path)
			} else {
				err = cp.toContainer(src.path, dst)
			}
			if err != nil {
				return &ExitError{Code: 1, Err: err}
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&archiveMode, "archive", "a", false, "archive mode (copy all uid/gid information)")
	c.Flags().BoolVarP(&follow, "follow-link", "L", false, "always follow symbol link in SRC_PATH")
	return c
}

// copyArg is one side of a copy: a container's path, or a local one
// (container "").
type copyArg struct {
	container, path string
}

// splitCopyArg splits CONTAINER:PATH; a local path that holds a colon
// starts with / or . (as docker reads it).
func splitCopyArg(arg string) copyArg {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return copyArg{path: arg}
	}
	name, path, ok := strings.Cut(arg, ":")
	if !ok {
		return copyArg{path: arg}
	}
	return copyArg{container: name, path: path}
}

type copier struct {
	eng     *engine.Engine
	ctx     context.Context
	in      io.Reader
	out     io.Writer
	archive bool
	follow  bool
}

// contentsOnly reports whether a source path asks for a directory's
// contents rather than the directory (it ends in "/.").
func contentsOnly(p string) bool {
	return strings.HasSuffix(p, "/.") || p == "."
}

// destination works out where a copy of a source (a directory or not)
// lands, by docker's rules for a destination path that may exist (isDir)
// or not: the directory to unpack into and the name the source takes
// there ("." for a directory's contents).
func destination(srcPath string, srcIsDir bool, dst string, exists, isDir bool) (dir, name string, err error) {
	base := filepath.Base(srcPath)
	switch {
	case exists && isDir:
		if srcIsDir && contentsOnly(srcPath) {
			return dst, ".", nil
		}
		return dst, base, nil
	case exists:
		if srcIsDir {
			return "", "", fmt.Errorf("cannot copy a directory to a file: %s", dst)
		}
		return filepath.Dir(dst), filepath.Base(dst), nil
	case strings.HasSuffix(dst, "/") && !srcIsDir:
		return "", "", fmt.Errorf("destination directory %s must exist", dst)
	}
	return filepath.Dir(strings.TrimSuffix(dst, "/")), filepath.Base(dst), nil
}

// fromContainer copies src out of its container to the local path dst,
// or as a tar to stdout for "-".
func (cp *copier) fromContainer(src copyArg, dst string) error {
	st, err := cp.eng.StatPath(cp.ctx, src.container, src.path, cp.follow)
	if err != nil {
		return err
	}
	if dst == "-" {
		return cp.eng.CopyFrom(cp.ctx, src.container, src.path, st.Name, cp.follow, cp.out)
	}
	var exists, isDir bool
	if fi, err := os.Stat(dst); err == nil {
		exists, isDir = true, fi.IsDir()
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dir, name, err := destination(src.path, st.Mode.IsDir(), dst, exists, isDir)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("destination directory %s does not exist", dir)
	}
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := cp.eng.CopyFrom(cp.ctx, src.container, src.path, name, cp.follow, pw)
		pw.CloseWithError(err)
		errc <- err
	}()
	opts := []archive.Option{archive.WithPlainNames()}
	if !cp.archive {
		opts = append(opts, archive.WithOwner(os.Getuid(), os.Getgid()))
	}
	_, aerr := archive.Apply(cp.ctx, dir, pr, opts...)
	pr.CloseWithError(aerr)
	if err := <-errc; err != nil {
		return err
	}
	return aerr
}

// toContainer copies the local path src (a tar on stdin for "-") into
// its container at dst.
func (cp *copier) toContainer(src string, dst copyArg) error {
	if src == "-" {
		return cp.eng.CopyTo(cp.ctx, dst.container, dst.path, cp.in, cp.archive)
	}
	stat := os.Lstat
	if cp.follow {
		stat = os.Stat
	}
	fi, err := stat(src)
	if err != nil {
		return err
	}
	var exists, isDir bool
	var missing *engine.PathNotFoundError
	if st, err := cp.eng.StatPath(cp.ctx, dst.container, dst.path, true); err == nil {
		exists, isDir = true, st.Mode.IsDir()
	} else if !errors.As(err, &missing) {
		return err
	}
	dir, name, err := destination(src, fi.IsDir(), dst.path, exists, isDir)
	if err != nil {
		return err
	}
	path := src
	if cp.follow {
		if path, err = filepath.EvalSymlinks(src); err != nil {
			return err
		}
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(archive.WritePath(cp.ctx, pw, path, name))
	}()
	err = cp.eng.CopyTo(cp.ctx, dst.container, dir, pr, cp.archive)
	pr.CloseWithError(err)
	return err
}
