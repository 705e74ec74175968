package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/berth-dev/berth/store"
)

// PushProgress hears how a push goes; either function may be nil.
type PushProgress struct {
	// Begin hears of the push's start, once the image is found: the
	// repository it goes to, normalized (docker.io/library/busybox).
	Begin func(repository string)
	// Layer hears of each layer: its short digest (12 hex digits) and
	// "Pushed" or "Layer already exists".
	Layer func(blob, state string)
}

// PushResult is what docker push reports at its end.
type PushResult struct {
	Tag    string
	Digest string
	Size   int64
}

// Push uploads the image named ref to its registry as the store holds
// it: its layers (compressed), its config and its manifest, byte for
// byte, so that its digest there is the one it had when pulled (an image
// made here has the docker manifest berth wrote for it).
// progress hears how it goes.
func (e *Engine) Push(ctx context.Context, ref string, progress PushProgress) (PushResult, error) {
	r, err := parseReference(ref)
	if err != nil {
		return PushResult{}, err
	}
	if r.digest != "" {
		return PushResult{}, invalidf("push %s: push a tag, not a digest", ref)
	}
	id, _, err := e.resolveForRemove(ref)
	if err != nil {
		return PushResult{}, err
	}
	img, err := e.st.Image(id)
	if err != nil {
		return PushResult{}, &ImageNotFoundError{Ref: ref}
	}
	rref, err := e.remoteRef(r)
	if err != nil {
		return PushResult{}, err
	}
	if progress.Begin != nil {
		progress.Begin(r.Name())
	}
	repo := rref.Context()
	auth, err := authn.DefaultKeychain.Resolve(repo.Registry)
	if err != nil {
		return PushResult{}, fmt.Errorf("resolve credentials for %s: %w", repo.RegistryStr(), err)
	}
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, http.DefaultTransport, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return PushResult{}, registryError("push", r.Familiar(), err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(tr)}
	client := &http.Client{Transport: tr}
	blobs := append([]store.ImageLayer{}, img.Layers...)
	blobs = append(blobs, store.ImageLayer{Digest: img.ID, MediaType: string(types.DockerConfigJSON)})
	for _, b := range blobs {
		l, err := partial.CompressedToLayer(storedBlob{e.st, b})
		if err != nil {
			return PushResult{}, err
		}
		state := "Layer already exists"
		if exists, err := blobExists(ctx, client, repo, b.Digest); err != nil {
			return PushResult{}, registryError("push", r.Familiar(), err)
		} else if !exists {
			if err := remote.WriteLayer(repo, l, opts...); err != nil {
				return PushResult{}, registryError("push", r.Familiar(), err)
			}
			state = "Pushed"
		}
		if progress.Layer != nil && b.Digest != img.ID {
			progress.Layer(b.Digest.Short(), state)
		}
	}
	manifest, mediaType, err := e.manifestOf(img)
	if err != nil {
		return PushResult{}, err
	}
	if err := remote.Put(rref, rawManifest{manifest, mediaType}, opts...); err != nil {
		return PushResult{}, registryError("push", r.Familiar(), err)
	}
	digest, _, err := v1.SHA256(bytes.NewReader(manifest))
	if err != nil {
		return PushResult{}, err
	}
	e.emit("image", "push", r.String(), map[string]string{"name": r.String()})
	return PushResult{Tag: r.tag, Digest: digest.String(), Size: int64(len(manifest))}, nil
}

// blobExists asks the registry whether repo holds the blob d.
func blobExists(ctx context.Context, client *http.Client, repo name.Repository, d store.Digest) (bool, error) {
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/" + d.String()}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, transport.CheckError(resp, http.StatusOK, http.StatusNotFound)
}

// manifestOf returns the manifest of img as stored: the registry's for a
// pulled image, the one berth wrote for an imported, committed or built
// one.
func (e *Engine) manifestOf(img store.Image) ([]byte, types.MediaType, error) {
	b, err := e.st.ReadBlob(img.Manifest)
	if err != nil {
		return nil, "", fmt.Errorf("push: the manifest of image %s: %w", img.ID.Short(), err)
	}
	mt := types.MediaType(img.ManifestMediaType)
	if mt == "" {
		mt = types.DockerManifestSchema2
	}
	return b, mt, nil
}

// storedBlob is a blob of the store as go-containerregistry uploads one.
type storedBlob struct {
	st *store.Store
	l  store.ImageLayer
}

func (b storedBlob) Digest() (v1.Hash, error)            { return v1.NewHash(b.l.Digest.String()) }
func (b storedBlob) MediaType() (types.MediaType, error) { return types.MediaType(b.l.MediaType), nil }
func (b storedBlob) Compressed() (io.ReadCloser, error) {
	rc, _, err := b.st.OpenBlob(b.l.Digest)
	return rc, err
}
func (b storedBlob) Size() (int64, error) {
	if b.l.Size > 0 {
		return b.l.Size, nil
	}
	n, ok := b.st.HasBlob(b.l.Digest)
	if !ok {
		return 0, fmt.Errorf("push: layer %s is missing from the store; pull the image again", b.l.Digest.Short())
	}
	return n, nil
}

// rawManifest is a manifest uploaded byte for byte.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
