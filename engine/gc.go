package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/store"
)

// RemovedImage is one line of what RemoveImage did: a name it removed
// (Untagged) or an image or layer it deleted (Deleted).
type RemovedImage struct {
	Untagged string
	Deleted  string
}

// PruneReport is what a prune removed and how many bytes it freed.
type PruneReport struct {
	// Deleted lists the IDs of the removed objects.
	Deleted []string
	// SpaceReclaimed is the size of the removed layers and blobs.
	SpaceReclaimed int64
}

// gcResult is what one garbage collection removed.
type gcResult struct {
	layers    []store.Digest
	reclaimed int64
}

// gc removes the unpacked layers and blobs that no image record and no
// container record uses.
// Pulls, loads and commits hold the shared "gc" lock while they write
// blobs and layers that no record names yet; gc takes it exclusively. With
// wait false, gc gives up at once when the lock is busy: what it would have
// removed stays until the next collection.
func (e *Engine) gc(wait bool) (gcResult, error) {
	var res gcResult
	var unlock func()
	if wait {
		u, err := e.st.Lock("gc")
		if err != nil {
			return res, err
		}
		unlock = u
	} else {
		u, ok, err := e.st.TryLock("gc")
		if err != nil || !ok {
			return res, err
		}
		unlock = u
	}
	defer unlock()
	imgs, err := e.st.Images()
	if err != nil {
		return res, err
	}
	keepBlobs := map[store.Digest]bool{}
	_, keepLayers := e.containerRefs()
	for _, img := range imgs {
		keepBlobs[img.ID] = true
		keepBlobs[img.Manifest] = true
		for _, l := range img.Layers {
			keepBlobs[l.Digest] = true
		}
		for _, c := range img.ChainIDs() {
			keepLayers[c] = true
		}
	}
	layers, err := e.st.Layers()
	if err != nil {
		return res, err
	}
	for _, l := range layers {
		if keepLayers[l.ChainID] {
			continue
		}
		if err := e.st.DeleteLayer(l.ChainID); err != nil {
			return res, err
		}
		res.layers = append(res.layers, l.ChainID)
		res.reclaimed += l.Size
	}
	blobs, err := e.st.Blobs()
	if err != nil {
		return res, err
	}
	for _, b := range blobs {
		if keepBlobs[b] {
			continue
		}
		size, _ := e.st.HasBlob(b)
		if err := e.st.DeleteBlob(b); err != nil {
			return res, err
		}
		res.reclaimed += size
	}
	return res, nil
}

// namesOf returns the normalized tag and digest names of image id.
func namesOf(refs store.Refs, id store.Digest) (tags, digests []string) {
	for k, v := range refs.Tags {
		if v == id {
			tags = append(tags, k)
		}
	}
	for k, v := range refs.Digests {
		if v == id {
			digests = append(digests, k)
		}
	}
	sort.Strings(tags)
	sort.Strings(digests)
	return tags, digests
}

// RemoveImage removes the name ref or, when ref is an ID or the image's
// last name, the image, as docker rmi does:
//
//   - by name: the name goes; the image goes too if no other tag is left.
//   - by ID: all names go and the image goes; an image with tags in
//     several repositories needs force.
//
// An image a container was created from is never deleted: without force
// RemoveImage fails with ErrConflict; with force it removes the names and
// leaves the image, dangling, until the container is removed and the
// image pruned. Unused layers and blobs are collected at once unless a
// pull is writing, then by a later collection.
func (e *Engine) RemoveImage(ctx context.Context, ref string, force bool) ([]RemovedImage, error) {
	id, byName, err := e.resolveForRemove(ref)
	if err != nil {
		return nil, err
	}
	img, err := e.st.Image(id)
	if err != nil {
		return nil, &ImageNotFoundError{Ref: ref}
	}
	refs, err := e.st.ImageRefs()
	if err != nil {
		return nil, err
	}
	tags, digests := namesOf(refs, id)
	user, used := e.imageInUse(id)
	var untag []string
	deleteImage := false
	if byName != "" {
		untag = []string{byName}
		remaining := slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return t == byName })
		if len(remaining) == 0 {
			if used && !force {
				return nil, conflictf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s", ref, shortHex(user), id.Short())
			}
			untag = append(untag, digests...)
			untag = slices.Compact(untag)
			deleteImage = !used
		}
	} else {
		if used && !force {
			return nil, conflictf("conflict: unable to delete %s (must be forced) - image is being used by container %s", id.Short(), shortHex(user))
		}
		if !force && len(repositories(tags)) > 1 {
			return nil, conflictf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", id.Short())
		}
		untag = append(slices.Clone(tags), digests...)
		deleteImage = !used
	}
	var out []RemovedImage
	if err := e.st.UpdateImageRefs(func(r *store.Refs) error {
		for _, n := range untag {
			delete(r.Tags, n)
			delete(r.Digests, n)
		}
		if deleteImage {
			// Names added since the table was read go with the image.
			for k, v := range r.Tags {
				if v == id {
					delete(r.Tags, k)
				}
			}
			for k, v := range r.Digests {
				if v == id {
					delete(r.Digests, k)
				}
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("remove image %s: %w", ref, err)
	}
	for _, n := range untag {
		out = append(out, RemovedImage{Untagged: familiar(n)})
		e.emit("image", "untag", string(id), map[string]string{"name": familiar(n)})
	}
	if !deleteImage {
		return out, nil
	}
	if err := e.st.DeleteImage(img.ID); err != nil {
		return out, fmt.Errorf("remove image %s: %w", ref, err)
	}
	out = append(out, RemovedImage{Deleted: string(img.ID)})
	e.emit("image", "delete", string(img.ID), nil)
	res, err := e.gc(false)
	if err != nil {
		e.log.Warn("collect unused layers", "err", err)
	}
	for _, l := range res.layers {
		out = append(out, RemovedImage{Deleted: string(l)})
	}
	return out, nil
}

// repositories returns the distinct repository names of tags.
func repositories(tags []string) []string {
	var out []string
	for _, t := range tags {
		if i := strings.LastIndexByte(t, ':'); i > 0 {
			t = t[:i]
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// resolveForRemove resolves ref to an image ID and, if ref is a name, the
// normalized name (tag or digest key) it matched.
func (e *Engine) resolveForRemove(ref string) (store.Digest, string, error) {
	if r, err := parseReference(ref); err == nil && !strings.HasPrefix(ref, "sha256:") {
		refs, err := e.st.ImageRefs()
		if err != nil {
			return "", "", err
		}
		if r.digest != "" {
			if id, ok := refs.Digests[r.digested()]; ok {
				return id, r.digested(), nil
			}
		} else if id, ok := refs.Tags[r.tagged()]; ok {
			return id, r.tagged(), nil
		}
	}
	id, err := e.resolveImage(ref)
	return id, "", err
}

// PruneImages removes dangling images (without tags) or, with all, every
// image no container uses, then collects the layers and blobs they
// leave unused. The build cache (intermediate images) goes only with all.
func (e *Engine) PruneImages(ctx context.Context, all bool, f PruneFilter) (PruneReport, error) {
	return e.pruneImages(ctx, "prune images", func(img store.Image, tagged bool) bool {
		if !all && (tagged || img.Intermediate) {
			return false
		}
		if f.Labels == nil && f.NotLabels == nil {
			return f.match(img.Created, nil)
		}
		cfg, err := e.readConfig(img.ID)
		return err == nil && f.match(img.Created, cfg.Config.Labels)
	})
}

// PruneFilter narrows a prune, as docker's --filter does: Until keeps
// only what was created before it (zero: no limit), every one of Labels
// must match and none of NotLabels (label!=), each KEY or KEY=VALUE.
type PruneFilter struct {
	Until             time.Time
	Labels, NotLabels []string
}

// match reports whether something created then with labels passes f.
func (f PruneFilter) match(created time.Time, labels map[string]string) bool {
	if !f.Until.IsZero() && !created.Before(f.Until) {
		return false
	}
	for _, l := range f.Labels {
		if !HasLabel(labels, l) {
			return false
		}
	}
	for _, l := range f.NotLabels {
		if HasLabel(labels, l) {
			return false
		}
	}
	return true
}

// HasLabel reports whether labels has the label a filter names: KEY, or
// KEY=VALUE.
func HasLabel(labels map[string]string, filter string) bool {
	k, v, hasValue := strings.Cut(filter, "=")
	got, ok := labels[k]
	return ok && (!hasValue || got == v)
}

// PruneBuildCache removes the build cache: the intermediate images of
// builds that no tag names and that were made before until (zero: no
// limit), then the layers and blobs they leave unused. It takes no label
// filter: docker's build cache prune accepts label filters and ignores
// them, so system prune --filter label= empties the cache there too.
func (e *Engine) PruneBuildCache(ctx context.Context, until time.Time) (PruneReport, error) {
	return e.pruneImages(ctx, "prune build cache", func(img store.Image, tagged bool) bool {
		return img.Intermediate && !tagged && PruneFilter{Until: until}.match(img.Created, nil)
	})
}

// pruneImages removes the images no container uses that pick chooses
// (tagged tells whether a tag names the image).
func (e *Engine) pruneImages(ctx context.Context, what string, pick func(img store.Image, tagged bool) bool) (PruneReport, error) {
	var rep PruneReport
	imgs, err := e.st.Images()
	if err != nil {
		return rep, err
	}
	refs, err := e.st.ImageRefs()
	if err != nil {
		return rep, err
	}
	users := e.imageUsers()
	var victims []store.Digest
	for _, img := range imgs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if len(users[img.ID]) > 0 {
			continue
		}
		tags, _ := namesOf(refs, img.ID)
		if !pick(img, len(tags) > 0) {
			continue
		}
		victims = append(victims, img.ID)
	}
	if len(victims) > 0 {
		if err := e.st.UpdateImageRefs(func(r *store.Refs) error {
			for _, m := range []map[string]store.Digest{r.Tags, r.Digests} {
				for k, v := range m {
					if slices.Contains(victims, v) {
						delete(m, k)
					}
				}
			}
			return nil
		}); err != nil {
			return rep, fmt.Errorf("%s: %w", what, err)
		}
	}
	for _, id := range victims {
		if err := e.st.DeleteImage(id); err != nil {
			return rep, fmt.Errorf("%s: %w", what, err)
		}
		rep.Deleted = append(rep.Deleted, string(id))
		e.emit("image", "delete", string(id), nil)
	}
	res, err := e.gc(true)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", what, err)
	}
	for _, l := range res.layers {
		rep.Deleted = append(rep.Deleted, string(l))
	}
	rep.SpaceReclaimed = res.reclaimed
	e.emit("image", "prune", "", map[string]string{"reclaimed": fmt.Sprint(res.reclaimed)})
	return rep, nil
}
