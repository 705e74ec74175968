package engine

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/engine/cgroups"
	"github.com/berth-dev/berth/store"
)

// CommitOptions are docker commit's flags.
type CommitOptions struct {
	// Ref names the new image (REPO[:TAG]); empty leaves it untagged.
	Ref     string
	Message string
	Author  string
	// Changes are Dockerfile instructions applied to the new image's
	// config (CMD, ENTRYPOINT, ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR,
	// STOPSIGNAL).
	Changes []string
	// Pause freezes a running container while its changes are read.
	Pause bool
}

// Commit makes a new image of container ref: its image's layers plus one
// layer holding what the container changed (its overlay upper directory,
// whiteouts turned back into .wh. entries), with the container's config
// (Cmd, Entrypoint, Env, ...) and Changes applied.
func (e *Engine) Commit(ctx context.Context, ref string, o CommitOptions) (ImageSummary, error) {
	id, err := e.ResolveContainer(ctx, ref)
	if err != nil {
		return ImageSummary{}, err
	}
	rec, err := e.readRecord(id)
	if err != nil {
		return ImageSummary{}, err
	}
	parent, icfg, err := e.LookupImage(ctx, rec.ImageID)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("commit %s: image of the container: %w", id[:12], err)
	}
	cfg := icfg.DeepCopy()
	cc := rec.Config
	cfg.Config.Cmd, cfg.Config.Entrypoint = cc.Cmd, cc.Entrypoint
	cfg.Config.Env, cfg.Config.WorkingDir, cfg.Config.User = cc.Env, cc.WorkingDir, cc.User
	cfg.Config.Labels, cfg.Config.StopSignal = cc.Labels, cc.StopSignal
	cfg.Config.ExposedPorts, cfg.Config.Volumes = cc.ExposedPorts, cc.Volumes
	cfg.Config.Tty, cfg.Config.OpenStdin, cfg.Config.StdinOnce = cc.Tty, cc.OpenStdin, cc.StdinOnce
	cfg.Config.Hostname, cfg.Config.Image = cc.Hostname, rec.ImageID
	if err := ApplyChanges(&cfg.Config, o.Changes); err != nil {
		return ImageSummary{}, err
	}
	cfg.Author = o.Author
	cfg.Container = id
	if o.Pause {
		if st, err := e.readState(id); err == nil && st.Status == StateRunning {
			if cg, err := cgroups.Load(id); err == nil {
				if err := cg.Freeze(ctx); err == nil {
					defer cg.Thaw()
				}
			}
		}
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(archive.WriteDiff(ctx, pw, e.st.Container(id).Upper))
	}()
	hist := v1.History{Created: v1.Time{Time: time.Now().UTC()}, Author: o.Author, Comment: o.Message,
		CreatedBy: commandString(rec.Path, rec.Args)}
	sum, err := e.CommitLayer(ctx, parent, pr, cfg, hist, o.Ref)
	pr.CloseWithError(err)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("commit %s: %w", id[:12], err)
	}
	e.emit("container", "commit", id, map[string]string{"name": rec.Name, "imageID": sum.ID, "imageRef": o.Ref})
	return sum, nil
}

// Diff lists what container ref changed in its filesystem relative to its
// image (docker diff's A, C and D).
func (e *Engine) Diff(ctx context.Context, ref string) ([]archive.Change, error) {
	rec, err := e.lookupRecord(ctx, ref)
	if err != nil {
		return nil, err
	}
	id := rec.ID
	var lowers []string
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, e.st.LayerDir(rec.Layers[i]))
	}
	ch, err := archive.Changes(e.st.Container(id).Upper, lowers)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", id[:12], err)
	}
	return ch, nil
}

// Export writes container ref's root filesystem (image layers plus its
// changes, without volumes and mounts) to w as a tar. It mounts a
// read-only overlay of the container's layers for the time it reads.
func (e *Engine) Export(ctx context.Context, ref string, w io.Writer) error {
	rec, err := e.lookupRecord(ctx, ref)
	if err != nil {
		return err
	}
	id := rec.ID
	// merged is only ever mounted inside the container's own mount
	// namespace, so in the host's it is free; rm unmounts it in case an
	// export was killed.
	dir := e.st.Container(id).Merged
	if err := e.mountReadOnly(rec, dir); err != nil {
		return fmt.Errorf("export %s: %w", id[:12], err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	if err := archive.WriteDir(ctx, w, dir); err != nil {
		return fmt.Errorf("export %s: %w", id[:12], err)
	}
	e.emit("container", "export", id, map[string]string{"name": rec.Name})
	return nil
}

// mountReadOnly mounts a read-only overlay of the container's upper
// directory over its image layers on dir (the upper directory becomes the
// top lower layer, so no work directory is needed).
func (e *Engine) mountReadOnly(rec *containerRecord, dir string) error {
	lowers := []string{e.st.Container(rec.ID).Upper}
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, e.st.LayerDir(store.Digest(rec.Layers[i])))
	}
	opts := "lowerdir=" + joinColon(lowers) + ",redirect_dir=off,metacopy=off,index=off"
	if err := unix.Mount("overlay", dir, "overlay", unix.MS_RDONLY, opts); err != nil {
		return fmt.Errorf("mount %s: %w", filepath.Base(dir), err)
	}
	return nil
}

func joinColon(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ":"
		}
		out += v
	}
	return out
}
