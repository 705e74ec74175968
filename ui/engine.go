package ui

import (
	"context"
	"time"

	"github.com/berth-dev/berth/engine"
)

// The interfaces below are the engine methods the interface calls, so
// tests drive it with fakes. *engine.Engine implements all of them.

// ImageLister lists images and reads what the image panes show.
type ImageLister interface {
	// Images lists the stored images that pass opts.
	Images(ctx context.Context, opts engine.ListImagesOptions) ([]engine.ImageSummary, error)
	// InspectImage returns the docker-shaped description of ref.
	InspectImage(ctx context.Context, ref string) (engine.ImageInspect, error)
	// History returns the build steps of ref, newest first.
	History(ctx context.Context, ref string) ([]engine.HistoryEntry, error)
	// ImageLayers returns the layers of ref, bottom first.
	ImageLayers(ctx context.Context, ref string) ([]engine.LayerInfo, error)
}

// ImageChanger changes the set of images.
type ImageChanger interface {
	// Pull fetches ref from its registry, reporting per-layer progress.
	Pull(ctx context.Context, ref string, opts engine.PullOptions) (engine.ImageSummary, error)
	// Tag names the image src target.
	Tag(ctx context.Context, src, target string) error
	// RemoveImage removes the name or image ref.
	RemoveImage(ctx context.Context, ref string, force bool) ([]engine.RemovedImage, error)
	// PruneImages removes dangling (with all, unused) images.
	PruneImages(ctx context.Context, all bool, f engine.PruneFilter) (engine.PruneReport, error)
}

// EventSource follows the engine's event log.
type EventSource interface {
	// Events sends events recorded at or after since (from now on when
	// since is zero) until ctx is done, then closes the channel.
	Events(ctx context.Context, since time.Time) (<-chan engine.Event, error)
}

// Engine is everything the interface needs from the engine.
type Engine interface {
	ImageLister
	ImageChanger
	ContainerLister
	ContainerChanger
	VolumeLister
	VolumeChanger
	NetworkLister
	NetworkChanger
	EventSource
}

var (
	_ Engine       = (*engine.Engine)(nil)
	_ LogLocator   = (*engine.Engine)(nil)
	_ AttachDialer = (*engine.Engine)(nil)
	_ StatsReader  = (*engine.Engine)(nil)
	_ ShellExecer  = (*engine.Engine)(nil)
	_ LayerFiler   = (*engine.Engine)(nil)
)
