package engine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/berth-dev/berth/store"
)

// UsageRow is one line of `system df`: how many objects of a kind there
// are, how many are in use, their size and how much a prune would free.
type UsageRow struct {
	Total       int
	Active      int
	Size        int64
	Reclaimable int64
}

// ImageUsage is an image's line in `system df -v`.
type ImageUsage struct {
	ImageSummary
	// SharedSize is the size of its layers other images also use;
	// UniqueSize that of the layers only it uses.
	SharedSize, UniqueSize int64
}

// ContainerUsage is a container's line in `system df -v`.
type ContainerUsage struct {
	ID      string
	Name    string
	Image   string
	Status  string
	Size    int64 // bytes in its writable layer
	Created string
}

// VolumeUsage is a volume's line in `system df -v`.
type VolumeUsage struct {
	Name  string
	Links int // containers that mount it
	Size  int64
}

// DiskUsage is what `system df` reports.
type DiskUsage struct {
	Images, Containers, Volumes, BuildCache UsageRow
	ImageDetails                            []ImageUsage
	ContainerDetails                        []ContainerUsage
	VolumeDetails                           []VolumeUsage
}

// diskRecord is the part of a container's config.json and state.json
// DiskUsage reads.
type diskRecord struct {
	Name    string `json:"name"`
	Image   string `json:"image"`
	ImageID string `json:"imageID"`
	Mounts  []struct {
		Type string
		Name string
	} `json:"mounts"`
}

type diskState struct {
	Status string `json:"status"`
}

// DiskUsage measures the store as docker system df does: images (layers
// shared between images counted once; active = used by a container,
// reclaimable = layers only unused images hold), containers (their
// writable layers; active = running), volumes (active = mounted by a
// container) and the build cache (the layers only its intermediate
// images hold; all of it reclaimable).
func (e *Engine) DiskUsage(ctx context.Context) (DiskUsage, error) {
	var du DiskUsage
	all, err := e.Images(ctx, ListImagesOptions{All: true})
	if err != nil {
		return du, err
	}
	layerSize := map[store.Digest]int64{}
	layers, err := e.st.Layers()
	if err != nil {
		return du, err
	}
	for _, l := range layers {
		layerSize[l.ChainID] = l.Size
	}
	// The images images lists, and the build cache's.
	var imgs []ImageSummary
	var cache [][]store.Digest
	usedBy := map[store.Digest]int{}       // chain ID -> listed images using it
	activeLayer := map[store.Digest]bool{} // held by an image a container uses
	chains := map[string][]store.Digest{}
	for _, s := range all {
		rec, err := e.st.Image(store.Digest(s.ID))
		if err != nil {
			continue
		}
		if inBuildCache(rec, s) {
			cache = append(cache, rec.ChainIDs())
			continue
		}
		imgs = append(imgs, s)
		chains[s.ID] = rec.ChainIDs()
		for _, c := range chains[s.ID] {
			usedBy[c]++
			if s.Containers > 0 {
				activeLayer[c] = true
			}
		}
	}
	cacheLayers := map[store.Digest]bool{}
	for _, cs := range cache {
		du.BuildCache.Total++
		for _, c := range cs {
			if usedBy[c] == 0 && !cacheLayers[c] {
				cacheLayers[c] = true
				du.BuildCache.Size += layerSize[c]
			}
		}
	}
	du.BuildCache.Reclaimable = du.BuildCache.Size
	du.Images.Total = len(imgs)
	for c := range usedBy {
		du.Images.Size += layerSize[c]
		if !activeLayer[c] {
			du.Images.Reclaimable += layerSize[c]
		}
	}
	for _, s := range imgs {
		if s.Containers > 0 {
			du.Images.Active++
		}
		iu := ImageUsage{ImageSummary: s}
		for _, c := range chains[s.ID] {
			if usedBy[c] > 1 {
				iu.SharedSize += layerSize[c]
			} else {
				iu.UniqueSize += layerSize[c]
			}
		}
		du.ImageDetails = append(du.ImageDetails, iu)
	}

	links := map[string]int{}
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return du, err
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return du, err
		}
		var rec diskRecord
		if err := e.st.ReadContainerConfig(id, &rec); err != nil {
			continue
		}
		var st diskState
		if e.st.ReadContainerState(id, &st) != nil || st.Status == "" {
			st.Status = "created"
		}
		for _, m := range rec.Mounts {
			if m.Type == "volume" {
				links[m.Name]++
			}
		}
		size := dirSize(e.st.Container(id).Upper)
		du.Containers.Total++
		du.Containers.Size += size
		if st.Status == "running" || st.Status == "paused" || st.Status == "restarting" {
			du.Containers.Active++
		} else {
			du.Containers.Reclaimable += size
		}
		du.ContainerDetails = append(du.ContainerDetails, ContainerUsage{
			ID: id, Name: rec.Name, Image: rec.Image, Status: st.Status, Size: size,
		})
	}
	vols, err := e.st.Volumes()
	if err != nil {
		return du, err
	}
	for _, v := range vols {
		size := dirSize(e.st.VolumePath(v.Name))
		du.Volumes.Total++
		du.Volumes.Size += size
		if links[v.Name] > 0 {
			du.Volumes.Active++
		} else {
			du.Volumes.Reclaimable += size
		}
		du.VolumeDetails = append(du.VolumeDetails, VolumeUsage{Name: v.Name, Links: links[v.Name], Size: size})
	}
	sort.Slice(du.ContainerDetails, func(i, j int) bool { return du.ContainerDetails[i].ID < du.ContainerDetails[j].ID })
	return du, nil
}

// dirSize sums the sizes of the regular files and symlinks under dir,
// counting a hardlinked inode once. It never follows symlinks. Unreadable
// entries are skipped.
func dirSize(dir string) int64 {
	var total int64
	seen := map[uint64]bool{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		if fi.Mode().IsRegular() || fi.Mode()&fs.ModeSymlink != 0 {
			total += fi.Size()
		}
		return nil
	})
	return total
}

// Info is what `berth info` reports about the engine and the host.
type Info struct {
	Containers, ContainersRunning, ContainersPaused, ContainersStopped int
	Images                                                             int
	StorageDriver                                                      string
	BackingFilesystem                                                  string
	RootDir                                                            string
	CgroupVersion                                                      string
	KernelVersion                                                      string
	OperatingSystem                                                    string
	OSType, Architecture                                               string
	NCPU                                                               int
	MemTotal                                                           int64
	Name                                                               string
	InsecureRegistries                                                 []string
	ParallelPulls                                                      int
}

// Info describes the engine, its store and the host.
func (e *Engine) Info(ctx context.Context) (Info, error) {
	in := Info{
		StorageDriver:      "overlay2",
		RootDir:            e.st.Root(),
		OSType:             runtime.GOOS,
		Architecture:       runtime.GOARCH,
		NCPU:               runtime.NumCPU(),
		InsecureRegistries: append([]string{"127.0.0.0/8", "::1/128", "localhost"}, e.opts.insecure...),
		ParallelPulls:      e.opts.parallel,
	}
	imgs, err := e.st.Images()
	if err != nil {
		return in, err
	}
	in.Images = len(imgs)
	ids, err := e.st.ContainerIDs()
	if err != nil {
		return in, err
	}
	for _, id := range ids {
		var st diskState
		if e.st.ReadContainerState(id, &st) != nil {
			st.Status = "created"
		}
		in.Containers++
		switch st.Status {
		case "running", "restarting":
			in.ContainersRunning++
		case "paused":
			in.ContainersPaused++
		default:
			in.ContainersStopped++
		}
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		in.KernelVersion = unix.ByteSliceToString(uts.Release[:])
		in.Name = unix.ByteSliceToString(uts.Nodename[:])
	}
	in.OperatingSystem = osRelease()
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		in.MemTotal = int64(si.Totalram) * int64(si.Unit)
	}
	var sfs unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &sfs) == nil {
		if sfs.Type == unix.CGROUP2_SUPER_MAGIC {
			in.CgroupVersion = "2"
		} else {
			in.CgroupVersion = "1"
		}
	}
	if unix.Statfs(e.st.Root(), &sfs) == nil {
		in.BackingFilesystem = fsName(sfs.Type)
	}
	return in, nil
}

// osRelease returns PRETTY_NAME from /etc/os-release.
func osRelease() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func fsName(magic int64) string {
	switch magic {
	case unix.EXT4_SUPER_MAGIC:
		return "extfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		return "overlayfs"
	}
	return "unknown"
}
