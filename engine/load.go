package engine

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/berth-dev/berth/store"
)

// maxLoadMetadata bounds the metadata files (manifest.json, index.json...)
// Load keeps in memory.
const maxLoadMetadata = 16 << 20

// loadedBlob is a file of the archive, stored as a blob.
type loadedBlob struct {
	digest store.Digest
	size   int64
}

// Load reads images from a tar stream r, as docker load does, and returns
// what it loaded: "name:tag" for each tag and the image ID for an image
// without one. It reads docker-archive tarballs (manifest.json, layers as
// uncompressed, gzip or zstd tars) and OCI image layouts (index.json and
// blobs/sha256/); an archive holding both is read through manifest.json.
// Every file is stored as a blob while the tar is read; layers are then
// unpacked in parallel and checked against the config's diff IDs. Blobs
// no loaded image uses are removed again. A failed load records no image.
func (e *Engine) Load(ctx context.Context, r io.Reader) ([]string, error) {
	unlock, err := e.st.RLock("gc")
	if err != nil {
		return nil, err
	}
	defer unlock()
	files := map[string]loadedBlob{}
	meta := map[string][]byte{}
	var added []store.Digest
	defer func() {
		// Blobs this load stored that no image record names go again.
		e.dropUnused(added)
	}()

	tr := tar.NewReader(bufio.NewReaderSize(r, 1<<20))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load: read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		switch name {
		case "manifest.json", "index.json", "oci-layout", "repositories":
			b, err := io.ReadAll(io.LimitReader(tr, maxLoadMetadata+1))
			if err != nil {
				return nil, fmt.Errorf("load: read %s: %w", name, err)
			}
			if len(b) > maxLoadMetadata {
				return nil, fmt.Errorf("load: %s: %w: larger than %d bytes", name, ErrInvalid, maxLoadMetadata)
			}
			meta[name] = b
			continue
		}
		bw, err := e.st.NewBlobWriter()
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(bw, tr); err != nil {
			bw.Close()
			return nil, fmt.Errorf("load: read %s: %w", name, err)
		}
		d := bw.Digest()
		_, existed := e.st.HasBlob(d)
		d, err = bw.Commit("", h.Size)
		if err != nil {
			return nil, fmt.Errorf("load: %s: %w", name, err)
		}
		if !existed {
			added = append(added, d)
		}
		if hexPart, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && hexPart != d.Hex() {
			return nil, fmt.Errorf("load: %s: %w: content is %s", name, store.ErrDigestMismatch, d)
		}
		files[name] = loadedBlob{digest: d, size: h.Size}
	}

	var loaded []string
	switch {
	case meta["manifest.json"] != nil:
		loaded, err = e.loadDockerArchive(ctx, meta["manifest.json"], meta["index.json"], files)
	case meta["index.json"] != nil:
		loaded, err = e.loadOCILayout(ctx, meta["index.json"])
	default:
		return nil, fmt.Errorf("load: %w: neither manifest.json nor index.json in the archive", ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return loaded, nil
}

// dropUnused deletes the blobs among ds that no image record uses, unless
// a collection or another writer is busy (then the next gc will).
func (e *Engine) dropUnused(ds []store.Digest) {
	if len(ds) == 0 {
		return
	}
	imgs, err := e.st.Images()
	if err != nil {
		return
	}
	used := map[store.Digest]bool{}
	for _, img := range imgs {
		used[img.ID], used[img.Manifest] = true, true
		for _, l := range img.Layers {
			used[l.Digest] = true
		}
	}
	for _, d := range ds {
		if !used[d] {
			if err := e.st.DeleteBlob(d); err != nil {
				e.log.Warn("drop unused blob", "digest", d, "err", err)
			}
		}
	}
}

// loadDockerArchive records the images a docker-archive manifest.json
// lists. An OCI index.json in the same archive (docker 25 and later, and
// berth save) supplies the original manifests, so their digests survive.
func (e *Engine) loadDockerArchive(ctx context.Context, raw, rawIndex []byte, files map[string]loadedBlob) ([]string, error) {
	var ms []archiveManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("decode manifest.json: %w", err)
	}
	// Original manifests by config digest, from index.json.
	originals := map[store.Digest]store.Digest{}
	originalTypes := map[store.Digest]string{}
	if rawIndex != nil {
		if idx, err := v1.ParseIndexManifest(bytes.NewReader(rawIndex)); err == nil {
			for _, d := range idx.Manifests {
				md := store.Digest(d.Digest.String())
				b, err := e.st.ReadBlob(md)
				if err != nil {
					continue
				}
				mf, err := v1.ParseManifest(bytes.NewReader(b))
				if err != nil {
					continue
				}
				originals[store.Digest(mf.Config.Digest.String())] = md
				originalTypes[md] = string(d.MediaType)
			}
		}
	}
	var out []string
	for _, m := range ms {
		cfgBlob, ok := files[path.Clean(m.Config)]
		if !ok {
			return nil, fmt.Errorf("%w: config %s is not in the archive", ErrInvalid, m.Config)
		}
		rawConfig, err := e.st.ReadBlob(cfgBlob.digest)
		if err != nil {
			return nil, err
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
		if err != nil {
			return nil, fmt.Errorf("decode config %s: %w", m.Config, err)
		}
		mf := &v1.Manifest{}
		for _, lp := range m.Layers {
			lb, ok := files[path.Clean(lp)]
			if !ok {
				return nil, fmt.Errorf("%w: layer %s is not in the archive", ErrInvalid, lp)
			}
			mt, err := e.sniffLayerType(lb.digest)
			if err != nil {
				return nil, err
			}
			mf.Layers = append(mf.Layers, v1.Descriptor{MediaType: mt, Size: lb.size, Digest: mustHash(lb.digest)})
		}
		jobs, err := layerJobs(mf, cfg)
		if err != nil {
			return nil, err
		}
		if err := e.unpackStored(ctx, jobs); err != nil {
			return nil, err
		}
		var rec store.Image
		if md, ok := originals[cfgBlob.digest]; ok && e.manifestMatches(md, jobs) {
			b, err := e.st.ReadBlob(md)
			if err != nil {
				return nil, err
			}
			mt := originalTypes[md]
			if mt == "" {
				mt = string(types.DockerManifestSchema2)
			}
			rec, err = e.recordImage(b, mt, rawConfig, cfg, jobs)
			if err != nil {
				return nil, err
			}
		} else {
			layers := make([]store.ImageLayer, len(jobs))
			for i, j := range jobs {
				layers[i] = store.ImageLayer{Digest: store.Digest(j.desc.Digest.String()), MediaType: string(j.desc.MediaType), Size: j.desc.Size, DiffID: j.diffID}
			}
			rec, err = e.writeImageRaw(rawConfig, cfg, layers)
			if err != nil {
				return nil, err
			}
		}
		names, err := e.nameLoaded(rec.ID, m.RepoTags)
		if err != nil {
			return nil, err
		}
		out = append(out, names...)
	}
	return out, nil
}

// manifestMatches reports whether the stored manifest md lists exactly the
// layers of jobs.
func (e *Engine) manifestMatches(md store.Digest, jobs []layerJob) bool {
	b, err := e.st.ReadBlob(md)
	if err != nil {
		return false
	}
	mf, err := v1.ParseManifest(bytes.NewReader(b))
	if err != nil || len(mf.Layers) != len(jobs) {
		return false
	}
	for i, l := range mf.Layers {
		if l.Digest != jobs[i].desc.Digest {
			return false
		}
	}
	return true
}

// nameLoaded tags image id with tags (familiar or full) and returns what
// Load reports for it.
func (e *Engine) nameLoaded(id store.Digest, tags []string) ([]string, error) {
	var rs []reference
	for _, t := range tags {
		r, err := parseReference(t)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		e.emit("image", "load", string(id), nil)
		return []string{string(id)}, nil
	}
	if err := e.st.UpdateImageRefs(func(refs *store.Refs) error {
		for _, r := range rs {
			refs.Tags[r.tagged()] = id
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Familiar())
		e.emit("image", "load", string(id), map[string]string{"name": r.Familiar()})
	}
	return out, nil
}

// sniffLayerType returns the layer media type matching the compression of
// the stored blob d.
func (e *Engine) sniffLayerType(d store.Digest) (types.MediaType, error) {
	rc, _, err := e.st.OpenBlob(d)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(rc, head)
	switch compressionOf(head[:n]) {
	case "gzip":
		return types.DockerLayer, nil
	case "zstd":
		return types.OCILayerZStd, nil
	}
	return types.DockerUncompressedLayer, nil
}

// unpackStored unpacks, in parallel, the layers of jobs that are not
// unpacked yet, from their stored blobs.
func (e *Engine) unpackStored(ctx context.Context, jobs []layerJob) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.parallel)
	for _, j := range jobs {
		if e.st.HasLayer(j.chainID) {
			continue
		}
		g.Go(func() error {
			rc, _, err := e.st.OpenBlob(store.Digest(j.desc.Digest.String()))
			if err != nil {
				return err
			}
			defer rc.Close()
			if err := e.applyLayer(gctx, rc, nil, j, true); err != nil {
				return fmt.Errorf("layer %s: %w", shortHex(j.desc.Digest.Hex), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// loadOCILayout records the images an OCI layout's index.json lists; its
// blobs are already stored. A nested index contributes the image for this
// host's platform.
func (e *Engine) loadOCILayout(ctx context.Context, rawIndex []byte) ([]string, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(rawIndex))
	if err != nil {
		return nil, fmt.Errorf("decode index.json: %w", err)
	}
	var out []string
	for _, d := range idx.Manifests {
		desc := d
		if desc.MediaType.IsIndex() {
			child, err := e.pickFromIndex(store.Digest(d.Digest.String()))
			if err != nil {
				return nil, err
			}
			desc = child
		}
		md := store.Digest(desc.Digest.String())
		raw, err := e.st.ReadBlob(md)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", md, err)
		}
		mf, err := v1.ParseManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("decode manifest %s: %w", md, err)
		}
		rawConfig, err := e.st.ReadBlob(store.Digest(mf.Config.Digest.String()))
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", mf.Config.Digest, err)
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
		if err != nil {
			return nil, fmt.Errorf("decode config %s: %w", mf.Config.Digest, err)
		}
		jobs, err := layerJobs(mf, cfg)
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			if _, ok := e.st.HasBlob(store.Digest(j.desc.Digest.String())); !ok {
				return nil, fmt.Errorf("layer %s: %w: not in the archive", j.desc.Digest, store.ErrNotFound)
			}
		}
		if err := e.unpackStored(ctx, jobs); err != nil {
			return nil, err
		}
		mt := string(desc.MediaType)
		if mt == "" {
			mt = string(mf.MediaType)
		}
		rec, err := e.recordImage(raw, mt, rawConfig, cfg, jobs)
		if err != nil {
			return nil, err
		}
		var tags []string
		if n := d.Annotations[annotationImageName]; n != "" {
			tags = append(tags, n)
		} else if n := d.Annotations[annotationRefName]; n != "" {
			if _, err := parseReference(n); err == nil && (strings.Contains(n, "/") || strings.Contains(n, ":")) {
				tags = append(tags, n)
			}
		}
		names, err := e.nameLoaded(rec.ID, tags)
		if err != nil {
			return nil, err
		}
		out = append(out, names...)
	}
	return out, nil
}

// pickFromIndex returns the descriptor of the image for this host in the
// stored index d.
func (e *Engine) pickFromIndex(d store.Digest) (v1.Descriptor, error) {
	raw, err := e.st.ReadBlob(d)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("index %s: %w", d, err)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("decode index %s: %w", d, err)
	}
	want := hostPlatform()
	for _, m := range idx.Manifests {
		if m.MediaType.IsImage() && (m.Platform == nil || m.Platform.Satisfies(want)) {
			return m, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("index %s: %w: no image for %s", d, ErrNotFound, want)
}
