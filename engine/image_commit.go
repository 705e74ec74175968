package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/store"
)

// CommitLayer makes a new image: parent's layers (none if parent is the
// zero Image) plus one layer read from layerTar, an uncompressed layer tar
// such as archive.WriteDiff writes. It reads layerTar once, gzip-compressing
// it (fast level) into a blob and unpacking it into the layer store at the
// same time, then writes cfg as the new config: CommitLayer sets its
// RootFS to the parent's diff IDs plus the new one and appends history
// (with Created set to now if zero). OS and architecture default to the
// host's. The new image is named ref if ref is not empty (a malformed ref
// fails before anything is read). cfg is not modified.
//
// CommitLayer records no event: the caller (commit, import) does. It holds
// the shared "gc" lock while it works, so a concurrent rmi or prune cannot
// collect the new layer before the image record names it.
func (e *Engine) CommitLayer(ctx context.Context, parent store.Image, layerTar io.Reader, cfg *v1.ConfigFile, history v1.History, ref string) (ImageSummary, error) {
	var r reference
	if ref != "" {
		var err error
		if r, err = parseReference(ref); err != nil {
			return ImageSummary{}, err
		}
		if r.digest != "" {
			return ImageSummary{}, &InvalidReferenceError{Ref: ref}
		}
	}
	unlock, err := e.st.RLock("gc")
	if err != nil {
		return ImageSummary{}, err
	}
	defer unlock()
	parentDiffs := parent.DiffIDs()
	for _, c := range parent.ChainIDs() {
		if !e.st.HasLayer(c) {
			return ImageSummary{}, fmt.Errorf("commit layer: parent layer %s: %w", c, store.ErrNotFound)
		}
	}
	var parentChain store.Digest
	if len(parentDiffs) > 0 {
		parentChain = store.ChainID(parentDiffs)
	}

	bw, err := e.st.NewBlobWriter()
	if err != nil {
		return ImageSummary{}, err
	}
	defer bw.Close()
	stage, err := e.st.NewLayer()
	if err != nil {
		return ImageSummary{}, err
	}
	defer stage.Close()

	// One pass: tar -> diff ID hash -> (gzip -> blob) and (pipe -> unpack).
	gz, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return ImageSummary{}, err
	}
	diffHash := store.NewDigester()
	pr, pw := io.Pipe()
	var g errgroup.Group
	var stats archive.Stats
	g.Go(func() error {
		s, err := archive.Apply(ctx, stage.Dir(), pr)
		if err == nil {
			_, err = io.Copy(io.Discard, pr)
		}
		stats = s
		pr.CloseWithError(err)
		return err
	})
	_, copyErr := io.CopyBuffer(io.MultiWriter(diffHash, gz, pw), layerTar, make([]byte, 512<<10))
	if copyErr == nil {
		copyErr = gz.Close()
	}
	pw.CloseWithError(copyErr)
	applyErr := g.Wait()
	// A failed unpack closes the pipe with its error, which the copy then
	// returns; any other copy error is the cause.
	if copyErr != nil && copyErr != applyErr {
		return ImageSummary{}, fmt.Errorf("commit layer: copy layer: %w", copyErr)
	}
	if applyErr != nil {
		return ImageSummary{}, fmt.Errorf("commit layer: unpack: %w", applyErr)
	}
	diffID := store.FromHash(diffHash)
	blobSize := bw.Size()
	blob, err := bw.Commit("", -1)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("commit layer: %w", err)
	}
	diffIDs := append(parentDiffs, diffID)
	chainID := store.ChainID(diffIDs)
	if err := stage.Commit(store.Layer{ChainID: chainID, DiffID: diffID, Parent: parentChain, Size: stats.Size}); err != nil {
		return ImageSummary{}, fmt.Errorf("commit layer: %w", err)
	}

	nc := cfg.DeepCopy()
	if nc.OS == "" {
		nc.OS = "linux"
	}
	if nc.Architecture == "" {
		nc.Architecture = runtime.GOARCH
	}
	if history.Created.IsZero() {
		history.Created = v1.Time{Time: time.Now().UTC()}
	}
	history.EmptyLayer = false
	nc.Created = history.Created
	nc.RootFS.Type = "layers"
	nc.RootFS.DiffIDs = nil
	for _, d := range diffIDs {
		h, err := v1.NewHash(string(d))
		if err != nil {
			return ImageSummary{}, fmt.Errorf("commit layer: %w", err)
		}
		nc.RootFS.DiffIDs = append(nc.RootFS.DiffIDs, h)
	}
	nc.History = append(nc.History, history)

	layers := append([]store.ImageLayer(nil), parent.Layers...)
	layers = append(layers, store.ImageLayer{Digest: blob, MediaType: string(types.DockerLayer), Size: blobSize, DiffID: diffID})
	rec, err := e.writeImage(nc, layers)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("commit layer: %w", err)
	}
	if ref != "" {
		if err := e.st.UpdateImageRefs(func(refs *store.Refs) error {
			refs.Tags[r.tagged()] = rec.ID
			return nil
		}); err != nil {
			return ImageSummary{}, fmt.Errorf("commit layer: %w", err)
		}
	}
	ix, err := e.loadIndex()
	if err != nil {
		return ImageSummary{}, err
	}
	return ix.summary(rec, 0), nil
}

// writeImage stores cfg and a Docker schema 2 manifest for layers (all
// already stored and unpacked) and records the image.
func (e *Engine) writeImage(cfg *v1.ConfigFile, layers []store.ImageLayer) (store.Image, error) {
	rawConfig, err := json.Marshal(cfg)
	if err != nil {
		return store.Image{}, err
	}
	return e.writeImageRaw(rawConfig, cfg, layers)
}

// writeImageRaw is writeImage for a config already encoded as rawConfig,
// which is stored byte for byte so the image ID stays the same.
func (e *Engine) writeImageRaw(rawConfig []byte, cfg *v1.ConfigFile, layers []store.ImageLayer) (store.Image, error) {
	mf := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config: v1.Descriptor{
			MediaType: types.DockerConfigJSON,
			Size:      int64(len(rawConfig)),
			Digest:    mustHash(store.FromBytes(rawConfig)),
		},
	}
	jobs := make([]layerJob, len(layers))
	diffIDs := make([]store.Digest, len(layers))
	for i, l := range layers {
		diffIDs[i] = l.DiffID
	}
	chains := store.ChainIDs(diffIDs)
	for i, l := range layers {
		d := v1.Descriptor{MediaType: types.MediaType(l.MediaType), Size: l.Size, Digest: mustHash(l.Digest)}
		mf.Layers = append(mf.Layers, d)
		jobs[i] = layerJob{desc: d, diffID: l.DiffID, chainID: chains[i]}
	}
	rawManifest, err := json.Marshal(mf)
	if err != nil {
		return store.Image{}, err
	}
	return e.recordImage(rawManifest, string(types.DockerManifestSchema2), rawConfig, cfg, jobs)
}

// mustHash converts a validated store digest.
func mustHash(d store.Digest) v1.Hash {
	h, err := v1.NewHash(string(d))
	if err != nil {
		panic(fmt.Sprintf("digest %q: %v", d, err))
	}
	return h
}
