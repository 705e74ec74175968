package engine

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berth-dev/berth/store"
)

// archiveManifest is one entry of a docker-archive manifest.json.
type archiveManifest struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// Annotations that name an image in an OCI layout's index.json.
const (
	annotationRefName   = "org.opencontainers.image.ref.name"
	annotationImageName = "io.containerd.image.name"
)

// Save writes the images refs as one tar to w, in the layout docker save
// writes since docker 25: manifest.json and repositories (docker-archive,
// read by docker load) plus index.json and oci-layout (an OCI image layout),
// all pointing into blobs/sha256/. Blobs are written as stored (layers
// compressed, manifests and configs byte for byte), so manifest digests
// survive a save and load. A ref given by name is saved with that name;
// one given by ID without a name, as docker does.
func (e *Engine) Save(ctx context.Context, w io.Writer, refs []string) error {
	if len(refs) == 0 {
		return fmt.Errorf("save: %w: no image given", ErrInvalid)
	}
	type item struct {
		img  store.Image
		tags []string // normalized name:tag
	}
	var items []*item
	byID := map[store.Digest]*item{}
	for _, ref := range refs {
		id, name, err := e.resolveForRemove(ref)
		if err != nil {
			return err
		}
		it := byID[id]
		if it == nil {
			img, err := e.st.Image(id)
			if err != nil {
				return &ImageNotFoundError{Ref: ref}
			}
			it = &item{img: img}
			byID[id] = it
			items = append(items, it)
		}
		if name != "" {
			if _, _, isDigest := cutDigest(name); !isDigest {
				it.tags = append(it.tags, name)
			}
		}
	}

	tw := tar.NewWriter(w)
	written := map[store.Digest]bool{}
	putBlob := func(d store.Digest) error {
		if written[d] {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, size, err := e.st.OpenBlob(d)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		defer rc.Close()
		if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + d.Hex(), Mode: 0o444, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if _, err := io.Copy(tw, rc); err != nil {
			return fmt.Errorf("save: blob %s: %w", d, err)
		}
		written[d] = true
		return nil
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	var manifests []archiveManifest
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	repos := map[string]map[string]string{}
	for _, it := range items {
		img := it.img
		m := archiveManifest{Config: "blobs/sha256/" + img.ID.Hex(), RepoTags: []string{}}
		if err := putBlob(img.ID); err != nil {
			return err
		}
		for _, l := range img.Layers {
			if err := putBlob(l.Digest); err != nil {
				return err
			}
			m.Layers = append(m.Layers, "blobs/sha256/"+l.Digest.Hex())
		}
		if img.Manifest != "" {
			if err := putBlob(img.Manifest); err != nil {
				return err
			}
		}
		size, _ := e.st.HasBlob(img.Manifest)
		desc := v1.Descriptor{MediaType: types.MediaType(img.ManifestMediaType), Size: size, Digest: mustHash(img.Manifest)}
		if desc.MediaType == "" {
			desc.MediaType = types.DockerManifestSchema2
		}
		if len(it.tags) == 0 {
			index.Manifests = append(index.Manifests, desc)
		}
		for _, t := range it.tags {
			r, err := parseReference(t)
			if err != nil {
				return err
			}
			m.RepoTags = append(m.RepoTags, r.Familiar())
			d := desc
			d.Annotations = map[string]string{annotationImageName: r.String(), annotationRefName: r.tag}
			index.Manifests = append(index.Manifests, d)
			fam := familiar(r.Name())
			if repos[fam] == nil {
				repos[fam] = map[string]string{}
			}
			repos[fam][r.tag] = img.ID.Hex()
		}
		manifests = append(manifests, m)
	}
	files := []struct {
		name string
		v    any
	}{
		{"index.json", index},
		{"manifest.json", manifests},
		{"oci-layout", map[string]string{"imageLayoutVersion": "1.0.0"}},
		{"repositories", repos},
	}
	for _, f := range files {
		b, err := json.Marshal(f.v)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o444, Size: int64(len(b)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			return fmt.Errorf("save: %w", err)
		}
		if _, err := tw.Write(b); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}
