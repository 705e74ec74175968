package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/store"
)

// ImageNotFoundError is returned, wrapped around ErrNotFound, when a
// reference names no stored image.
type ImageNotFoundError struct {
	Ref string
	// Wanted and Actual, when set, say that an image named Ref is here
	// but for platform Actual, not the Wanted one (--platform).
	Wanted, Actual string
}

func (e *ImageNotFoundError) Error() string {
	if e.Wanted != "" {
		return fmt.Sprintf("image with reference %s was found but does not match the specified platform: wanted %s, actual: %s", e.Ref, e.Wanted, e.Actual)
	}
	return "no such image: " + e.Ref
}

// Unwrap returns ErrNotFound.
func (e *ImageNotFoundError) Unwrap() error { return ErrNotFound }

// ImageSummary is one row of the image list.
type ImageSummary struct {
	// ID is the image ID, the digest of its config: sha256:...
	ID string
	// RepoTags are the image's names in docker's short form:
	// busybox:latest, localhost:5000/x:y.
	RepoTags []string
	// RepoDigests are the manifest digests it was pulled by, in short
	// form: busybox@sha256:...
	RepoDigests []string
	// Created is when the image was built (from its config).
	Created time.Time
	// Size is the unpacked size of all its layers.
	Size int64
	// Containers is how many containers use the image.
	Containers int
	// Dangling reports an image without tags.
	Dangling bool
}

// ListImagesOptions selects the images Images returns.
type ListImagesOptions struct {
	// All includes intermediate images: the build cache's, which no tag
	// names.
	All bool
	// Filters are docker's image filters: "dangling=true|false",
	// "reference=PATTERN" (glob on name or name:tag), "label=KEY[=VALUE]",
	// "before=IMAGE", "since=IMAGE".
	Filters []string
}

// imageIndex is the name table inverted: image ID -> its tags and digests.
type imageIndex struct {
	refs    store.Refs
	tags    map[store.Digest][]string
	digests map[store.Digest][]string
}

func (e *Engine) loadIndex() (imageIndex, error) {
	refs, err := e.st.ImageRefs()
	if err != nil {
		return imageIndex{}, err
	}
	ix := imageIndex{refs: refs, tags: map[store.Digest][]string{}, digests: map[store.Digest][]string{}}
	for k, id := range refs.Tags {
		ix.tags[id] = append(ix.tags[id], familiar(k))
	}
	for k, id := range refs.Digests {
		ix.digests[id] = append(ix.digests[id], familiar(k))
	}
	for _, m := range []map[store.Digest][]string{ix.tags, ix.digests} {
		for _, v := range m {
			sort.Strings(v)
		}
	}
	return ix, nil
}

func (ix imageIndex) summary(img store.Image, containers int) ImageSummary {
	tags := ix.tags[img.ID]
	return ImageSummary{
		ID:          string(img.ID),
		RepoTags:    slices.Clone(tags),
		RepoDigests: slices.Clone(ix.digests[img.ID]),
		Created:     img.Created,
		Size:        img.Size,
		Containers:  containers,
		Dangling:    len(tags) == 0,
	}
}

// imageFilter is a parsed ListImagesOptions.Filters.
type imageFilter struct {
	dangling      *bool
	references    []string
	labels        []string
	before, since time.Time
	hasBefore     bool
	hasSince      bool
}

func (e *Engine) parseImageFilters(ctx context.Context, fs []string) (imageFilter, error) {
	var f imageFilter
	for _, s := range fs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return f, fmt.Errorf("parse filter %q: %w: want KEY=VALUE", s, ErrInvalid)
		}
		switch strings.ToLower(k) {
		case "dangling":
			b, err := parseBool(v)
			if err != nil {
				return f, fmt.Errorf("parse filter %q: %w", s, err)
			}
			f.dangling = &b
		case "reference":
			if _, err := path.Match(v, ""); err != nil {
				return f, fmt.Errorf("parse filter %q: %w: bad pattern", s, ErrInvalid)
			}
			f.references = append(f.references, v)
		case "label":
			f.labels = append(f.labels, v)
		case "before", "since":
			img, _, err := e.LookupImage(ctx, v)
			if err != nil {
				return f, err
			}
			if k == "before" {
				f.before, f.hasBefore = img.Created, true
			} else {
				f.since, f.hasSince = img.Created, true
			}
		default:
			return f, fmt.Errorf("parse filter %q: %w: unknown filter %q", s, ErrInvalid, k)
		}
	}
	return f, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean", ErrInvalid, v)
}

// match reports whether summary s (of image img) passes the filter.
func (e *Engine) match(f imageFilter, s *ImageSummary, img store.Image) bool {
	if f.dangling != nil && s.Dangling != *f.dangling {
		return false
	}
	if f.hasBefore && !img.Created.Before(f.before) {
		return false
	}
	if f.hasSince && !img.Created.After(f.since) {
		return false
	}
	if len(f.references) > 0 {
		var kept []string
		for _, t := range s.RepoTags {
			repo, _, _ := strings.Cut(t, ":")
			if i := strings.LastIndexByte(t, ':'); i > 0 && !strings.Contains(t[i:], "/") {
				repo = t[:i]
			}
			for _, p := range f.references {
				if ok, _ := path.Match(p, t); ok {
					kept = append(kept, t)
					break
				}
				if ok, _ := path.Match(p, repo); ok {
					kept = append(kept, t)
					break
				}
			}
		}
		if len(kept) == 0 {
			return false
		}
		// docker lists only the matching tags of a matched image.
		s.RepoTags = kept
	}
	if len(f.labels) > 0 {
		cfg, err := e.readConfig(img.ID)
		if err != nil {
			return false
		}
		for _, l := range f.labels {
			if !HasLabel(cfg.Config.Labels, l) {
				return false
			}
		}
	}
	return true
}

// Images lists the stored images, newest first, that pass opts.Filters.
func (e *Engine) Images(ctx context.Context, opts ListImagesOptions) ([]ImageSummary, error) {
	f, err := e.parseImageFilters(ctx, opts.Filters)
	if err != nil {
		return nil, err
	}
	imgs, err := e.st.Images()
	if err != nil {
		return nil, err
	}
	ix, err := e.loadIndex()
	if err != nil {
		return nil, err
	}
	// Newest first; images created at the same time in name order, so
	// the list is stable.
	sort.SliceStable(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return firstName(ix, imgs[i].ID) < firstName(ix, imgs[j].ID)
	})
	users := e.imageUsers()
	out := make([]ImageSummary, 0, len(imgs))
	for _, img := range imgs {
		s := ix.summary(img, len(users[img.ID]))
		if inBuildCache(img, s) && !opts.All {
			continue
		}
		if !e.match(f, &s, img) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// inBuildCache reports whether img (summed up as s) is only build cache:
// an intermediate image of a build that no tag names.
func inBuildCache(img store.Image, s ImageSummary) bool { return img.Intermediate && s.Dangling }

// firstName returns the first tag of image id, or its ID.
func firstName(ix imageIndex, id store.Digest) string {
	if t := ix.tags[id]; len(t) > 0 {
		return t[0]
	}
	return "~" + string(id)
}

// containerImageRef is the part of a container's config.json the image
// code reads: the image the container was created from.
type containerImageRef struct {
	ImageID string `json:"imageID"`
	// Layers are the chain IDs of the image's layers, which the
	// container's root filesystem stacks.
	Layers []store.Digest `json:"layers"`
}

// imageUsers maps image IDs to the IDs of the containers created from
// them, read from each container's config.json field "imageID".
func (e *Engine) imageUsers() map[store.Digest][]string {
	users, _ := e.containerRefs()
	return users
}

// containerRefs reads every container's config.json and returns the
// containers of each image ID and the layer chain IDs containers stack.
func (e *Engine) containerRefs() (map[store.Digest][]string, map[store.Digest]bool) {
	users := map[store.Digest][]string{}
	layers := map[store.Digest]bool{}
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return users, layers
	}
	for _, id := range ids {
		var c containerImageRef
		if err := e.st.ReadContainerConfig(id, &c); err != nil {
			continue
		}
		for _, l := range c.Layers {
			layers[l] = true
		}
		if c.ImageID != "" {
			users[store.Digest(c.ImageID)] = append(users[store.Digest(c.ImageID)], id)
		}
	}
	return users, layers
}

// imageInUse returns the ID of a container created from image id, if any.
func (e *Engine) imageInUse(id store.Digest) (string, bool) {
	users := e.imageUsers()[id]
	if len(users) == 0 {
		return "", false
	}
	sort.Strings(users)
	return users[0], true
}

// LookupImage finds a stored image by name[:tag], name@digest, full ID
// (sha256:...) or a unique prefix of the hex ID, and returns its record
// and config. An unknown reference gives an *ImageNotFoundError wrapping
// ErrNotFound ("no such image: busybox:latest"); a malformed one an
// *InvalidReferenceError wrapping ErrInvalid; a prefix matching several
// images an error wrapping ErrConflict. It only reads the store, takes
// no lock, and is safe to call concurrently with pulls.
func (e *Engine) LookupImage(ctx context.Context, ref string) (store.Image, *v1.ConfigFile, error) {
	id, err := e.resolveImage(ref)
	if err != nil {
		return store.Image{}, nil, err
	}
	img, err := e.st.Image(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Image{}, nil, &ImageNotFoundError{Ref: ref}
	}
	if err != nil {
		return store.Image{}, nil, err
	}
	cfg, err := e.readConfig(id)
	if err != nil {
		return store.Image{}, nil, err
	}
	return img, cfg, nil
}

// readConfig reads and decodes the config blob of image id.
func (e *Engine) readConfig(id store.Digest) (*v1.ConfigFile, error) {
	b, err := e.st.ReadBlob(id)
	if err != nil {
		return nil, fmt.Errorf("read config of image %s: %w", id.Short(), err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode config of image %s: %w", id.Short(), err)
	}
	return cfg, nil
}

// isHex reports whether s is made of lowercase hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// resolveImage maps ref to an image ID, the way docker does: a name (tag
// or digest) first, then an ID or ID prefix.
func (e *Engine) resolveImage(ref string) (store.Digest, error) {
	if hexPart, ok := strings.CutPrefix(ref, "sha256:"); ok {
		if !isHex(hexPart) {
			return "", &InvalidReferenceError{Ref: ref}
		}
		return e.resolveID(ref, hexPart)
	}
	r, perr := parseReference(ref)
	if perr == nil {
		refs, err := e.st.ImageRefs()
		if err != nil {
			return "", err
		}
		if r.digest != "" {
			if id, ok := refs.Digests[r.digested()]; ok {
				return id, nil
			}
			// An image pulled by tag is also known by name@digest.
			if r.tag != "" {
				if id, ok := refs.Tags[r.tagged()]; ok {
					return id, nil
				}
			}
		} else if id, ok := refs.Tags[r.tagged()]; ok {
			return id, nil
		}
	}
	if isHex(ref) && len(ref) <= 64 {
		id, err := e.resolveID(ref, ref)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return id, err
		}
	}
	if perr != nil {
		return "", perr
	}
	return "", &ImageNotFoundError{Ref: r.Familiar()}
}

// resolveID finds the one image whose hex ID starts with prefix.
func (e *Engine) resolveID(ref, prefix string) (store.Digest, error) {
	if len(prefix) == 64 {
		id := store.Digest("sha256:" + prefix)
		if _, err := e.st.Image(id); err != nil {
			return "", &ImageNotFoundError{Ref: ref}
		}
		return id, nil
	}
	imgs, err := e.st.Images()
	if err != nil {
		return "", err
	}
	var found store.Digest
	for _, img := range imgs {
		if strings.HasPrefix(img.ID.Hex(), prefix) {
			if found != "" {
				return "", fmt.Errorf("resolve image %s: %w: the prefix matches several images", ref, ErrConflict)
			}
			found = img.ID
		}
	}
	if found == "" {
		return "", &ImageNotFoundError{Ref: ref}
	}
	return found, nil
}

// ImageInspect is the docker-compatible description of an image, as
// `docker image inspect` prints it.
type ImageInspect struct {
	ID            string          `json:"Id"`
	RepoTags      []string        `json:"RepoTags"`
	RepoDigests   []string        `json:"RepoDigests"`
	Parent        string          `json:"Parent"`
	Comment       string          `json:"Comment"`
	Created       time.Time       `json:"Created"`
	DockerVersion string          `json:"DockerVersion"`
	Author        string          `json:"Author"`
	Config        v1.Config       `json:"Config"`
	Architecture  string          `json:"Architecture"`
	Variant       string          `json:"Variant,omitempty"`
	Os            string          `json:"Os"`
	OsVersion     string          `json:"OsVersion,omitempty"`
	Size          int64           `json:"Size"`
	GraphDriver   GraphDriverData `json:"GraphDriver"`
	RootFS        RootFS          `json:"RootFS"`
	Metadata      ImageMetadata   `json:"Metadata"`
	// Manifest is the digest of the stored image manifest (berth's
	// addition; docker has no such field).
	Manifest string `json:"Manifest,omitempty"`
}

// GraphDriverData names the storage driver and its directories.
type GraphDriverData struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// RootFS lists the diff IDs of an image's layers, bottom first.
type RootFS struct {
	Type   string   `json:"Type"`
	Layers []string `json:"Layers"`
}

// ImageMetadata holds local facts about an image.
type ImageMetadata struct {
	LastTagTime time.Time `json:"LastTagTime"`
}

// InspectImage describes the image ref (any form LookupImage accepts).
func (e *Engine) InspectImage(ctx context.Context, ref string) (ImageInspect, error) {
	img, cfg, err := e.LookupImage(ctx, ref)
	if err != nil {
		return ImageInspect{}, err
	}
	ix, err := e.loadIndex()
	if err != nil {
		return ImageInspect{}, err
	}
	s := ix.summary(img, 0)
	out := ImageInspect{
		ID:            string(img.ID),
		RepoTags:      nonNil(s.RepoTags),
		RepoDigests:   nonNil(s.RepoDigests),
		Created:       cfg.Created.Time,
		DockerVersion: cfg.DockerVersion,
		Author:        cfg.Author,
		Config:        cfg.Config,
		Architecture:  cfg.Architecture,
		Variant:       cfg.Variant,
		Os:            cfg.OS,
		OsVersion:     cfg.OSVersion,
		Size:          img.Size,
		RootFS:        RootFS{Type: "layers", Layers: []string{}},
		Metadata:      ImageMetadata{LastTagTime: img.Added},
		Manifest:      string(img.Manifest),
	}
	if n := len(cfg.History); n > 0 {
		out.Comment = cfg.History[n-1].Comment
	}
	for _, d := range cfg.RootFS.DiffIDs {
		out.RootFS.Layers = append(out.RootFS.Layers, d.String())
	}
	chains := img.ChainIDs()
	gd := GraphDriverData{Name: "overlay2", Data: map[string]string{}}
	if n := len(chains); n > 0 {
		gd.Data["UpperDir"] = e.st.LayerDir(chains[n-1])
		var lowers []string
		for i := n - 2; i >= 0; i-- {
			lowers = append(lowers, e.st.LayerDir(chains[i]))
		}
		if len(lowers) > 0 {
			gd.Data["LowerDir"] = strings.Join(lowers, ":")
		}
	}
	out.GraphDriver = gd
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// HistoryEntry is one line of an image's history, newest first.
type HistoryEntry struct {
	// ID is the image ID for the top entry and "<missing>" for the others,
	// as docker shows pulled images.
	ID        string
	Created   time.Time
	CreatedBy string
	Comment   string
	// Size is the unpacked size of the layer the step made; 0 for steps
	// that made none.
	Size       int64
	EmptyLayer bool
	// Layer is the diff ID of the layer the step made, if any.
	Layer string
}

// History returns the build history of image ref, newest first. Each step
// that made a layer carries that layer's diff ID and size. An image whose
// config has no history gets one synthetic entry per layer.
func (e *Engine) History(ctx context.Context, ref string) ([]HistoryEntry, error) {
	img, cfg, err := e.LookupImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	sizes := e.layerSizes(img)
	hist := cfg.History
	if len(hist) == 0 {
		for range cfg.RootFS.DiffIDs {
			hist = append(hist, v1.History{Created: cfg.Created})
		}
	}
	var out []HistoryEntry
	layer := 0
	for _, h := range hist {
		he := HistoryEntry{
			ID:         "<missing>",
			Created:    h.Created.Time,
			CreatedBy:  h.CreatedBy,
			Comment:    h.Comment,
			EmptyLayer: h.EmptyLayer,
		}
		if !h.EmptyLayer && layer < len(cfg.RootFS.DiffIDs) {
			he.Layer = cfg.RootFS.DiffIDs[layer].String()
			he.Size = sizes[layer]
			layer++
		}
		out = append(out, he)
	}
	slices.Reverse(out)
	if len(out) > 0 {
		out[0].ID = string(img.ID)
	}
	return out, nil
}

// layerSizes returns the unpacked size of each of img's layers, from the
// layer records (0 for a layer whose record is missing).
func (e *Engine) layerSizes(img store.Image) []int64 {
	chains := img.ChainIDs()
	out := make([]int64, len(chains))
	for i, c := range chains {
		if l, err := e.st.Layer(c); err == nil {
			out[i] = l.Size
		}
	}
	return out
}

// Tag gives the image src the name target (name[:tag], no digest),
// moving the name from any image that held it.
func (e *Engine) Tag(ctx context.Context, src, target string) error {
	img, _, err := e.LookupImage(ctx, src)
	if err != nil {
		return err
	}
	r, err := parseReference(target)
	if err != nil {
		return err
	}
	if r.digest != "" {
		return fmt.Errorf("tag %s: %w: a tag target cannot hold a digest", target, &InvalidReferenceError{Ref: target})
	}
	if err := e.st.UpdateImageRefs(func(refs *store.Refs) error {
		refs.Tags[r.tagged()] = img.ID
		return nil
	}); err != nil {
		return fmt.Errorf("tag %s: %w", target, err)
	}
	e.touchImage(img)
	e.emit("image", "tag", string(img.ID), map[string]string{"name": r.Familiar()})
	return nil
}

// touchImage records the time an image was last tagged.
func (e *Engine) touchImage(img store.Image) {
	img.Added = time.Now().UTC()
	if err := e.st.PutImage(img); err != nil {
		e.log.Warn("record tag time", "image", img.ID, "err", err)
	}
}

// LayerInfo describes one layer of an image for the layer browser.
type LayerInfo struct {
	// Index is the layer's position, 0 for the bottom layer.
	Index int
	// DiffID is the digest of the uncompressed layer tar.
	DiffID string
	// Digest is the digest of the stored (compressed) blob.
	Digest string
	// Size is the unpacked size of the layer's files.
	Size int64
	// CompressedSize is the size of the stored blob.
	CompressedSize int64
	// MediaType is the blob's media type.
	MediaType string
	// CreatedBy and Comment come from the history step that made the layer.
	CreatedBy string
	Comment   string
}

// ImageLayers lists the layers of image ref, bottom first.
func (e *Engine) ImageLayers(ctx context.Context, ref string) ([]LayerInfo, error) {
	img, cfg, err := e.LookupImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	sizes := e.layerSizes(img)
	var steps []v1.History
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			steps = append(steps, h)
		}
	}
	out := make([]LayerInfo, len(img.Layers))
	for i, l := range img.Layers {
		out[i] = LayerInfo{
			Index:          i,
			DiffID:         string(l.DiffID),
			Digest:         string(l.Digest),
			Size:           sizes[i],
			CompressedSize: l.Size,
			MediaType:      l.MediaType,
		}
		if i < len(steps) {
			out[i].CreatedBy, out[i].Comment = steps[i].CreatedBy, steps[i].Comment
		}
	}
	return out, nil
}

// MarshalJSON encodes missing tag and digest lists as [] rather than
// null.
func (s ImageSummary) MarshalJSON() ([]byte, error) {
	type plain ImageSummary
	p := plain(s)
	p.RepoTags, p.RepoDigests = nonNil(p.RepoTags), nonNil(p.RepoDigests)
	return json.Marshal(p)
}

// LayerFiles lists the entries of layer index (0 = bottom) of image ref,
// in tar order, read from the stored blob without touching the unpacked
// layer. Whiteouts and opaque markers appear as such.
func (e *Engine) LayerFiles(ctx context.Context, ref string, index int) ([]archive.Entry, error) {
	img, _, err := e.LookupImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(img.Layers) {
		return nil, fmt.Errorf("list layer %d of %s: %w: the image has %d layers", index, ref, ErrInvalid, len(img.Layers))
	}
	rc, _, err := e.st.OpenBlob(img.Layers[index].Digest)
	if err != nil {
		return nil, fmt.Errorf("list layer %d of %s: %w", index, ref, err)
	}
	defer rc.Close()
	dec, err := decompressor(bufio.NewReaderSize(rc, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("list layer %d of %s: %w", index, ref, err)
	}
	defer dec.Close()
	var out []archive.Entry
	if err := archive.ListTar(ctx, dec, func(en archive.Entry) error {
		out = append(out, en)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list layer %d of %s: %w", index, ref, err)
	}
	return out, nil
}
