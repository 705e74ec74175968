package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/engine/archive"
)

// LayerFiler lists the entries of one image layer (an optional engine
// capability: without it the layers pane shows no files).
type LayerFiler interface {
	// LayerFiles returns the entries of layer index (0 is the bottom) of
	// image ref, whiteouts included.
	LayerFiles(ctx context.Context, ref string, index int) ([]archive.Entry, error)
}

// layerFile is one row of a layer's file list.
type layerFile struct {
	kind byte // 'A' added, 'C' changed, 'D' deleted
	path string
	size int64
	link string
	dir  bool
}

// layerFilesMsg carries the files of every layer and their waste.
type layerFilesMsg struct {
	id     string
	files  [][]layerFile
	wasted []int64
	err    error
}

// layersPane is the layer browser: the layers of an image, and for the
// selected one the files it added, changed and deleted, with the bytes it
// holds that upper layers overwrite or delete ("wasted").
type layersPane struct {
	id      string
	layers  []engine.LayerInfo
	files   [][]layerFile
	wasted  []int64
	loading bool
	err     error
	cur     int
	pager   pager
	width   int
	height  int
	styles  *Styles
}

func newLayersPane(st *Styles, keys *ViewerKeys) layersPane {
	return layersPane{styles: st, pager: newPager(st, keys)}
}

// SetSize sets the size of the pane body.
func (p *layersPane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.pager.SetSize(w, max(h-p.listHeight()-1, 1))
}

func (p *layersPane) listHeight() int {
	return min(len(p.layers)+1, max(p.height*2/5, 3))
}

// Capturing reports whether the file search has the keyboard.
func (p *layersPane) Capturing() bool { return p.pager.Searching() }

// SetLayers shows the layers of image id and loads their files.
func (p *layersPane) SetLayers(ctx context.Context, eng any, id string, layers []engine.LayerInfo, keep bool) tea.Cmd {
	same := keep && id == p.id
	p.id, p.layers = id, layers
	if !same {
		p.cur = max(len(layers)-1, 0)
		p.files, p.wasted, p.err = nil, nil, nil
	}
	p.SetSize(p.width, p.height)
	lf, ok := eng.(LayerFiler)
	if !ok || len(layers) == 0 {
		return nil
	}
	p.loading = true
	n := len(layers)
	return func() tea.Msg {
		files, wasted, err := loadLayerFiles(ctx, lf, id, n)
		return layerFilesMsg{id: id, files: files, wasted: wasted, err: err}
	}
}

// loadLayerFiles reads every layer's entries bottom up and works out what
// each adds, changes and deletes, and how many of its bytes later layers
// hide.
func loadLayerFiles(ctx context.Context, lf LayerFiler, id string, n int) ([][]layerFile, []int64, error) {
	type owner struct {
		layer int
		size  int64
	}
	live := map[string]owner{}
	files := make([][]layerFile, n)
	wasted := make([]int64, n)
	hide := func(prefix string, exact bool) {
		for p, o := range live {
			if (exact && p == prefix) || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
				wasted[o.layer] += o.size
				delete(live, p)
			}
		}
	}
	for i := range n {
		entries, err := lf.LayerFiles(ctx, id, i)
		if err != nil {
			return nil, nil, fmt.Errorf("list layer %d: %w", i, err)
		}
		for _, e := range entries {
			f := layerFile{path: e.Path, size: e.Size, link: e.LinkTarget, dir: e.Type == archive.TypeDir}
			switch e.Type {
			case archive.TypeWhiteout:
				f.kind = 'D'
				hide(e.Path, true)
			case archive.TypeOpaque:
				f.kind = 'D'
				f.path = strings.TrimSuffix(e.Path, "/") + "/*"
				hide(e.Path, false)
			default:
				if o, ok := live[e.Path]; ok {
					f.kind = 'C'
					wasted[o.layer] += o.size
				} else {
					f.kind = 'A'
				}
				live[e.Path] = owner{i, e.Size}
			}
			files[i] = append(files[i], f)
		}
		sort.SliceStable(files[i], func(a, b int) bool { return files[i][a].path < files[i][b].path })
	}
	return files, wasted, nil
}

func (p *layersPane) gotFiles(msg layerFilesMsg) {
	if msg.id != p.id {
		return
	}
	p.loading = false
	p.err = msg.err
	p.files, p.wasted = msg.files, msg.wasted
	p.showFiles(false)
}

// showFiles puts the current layer's files in the pager.
func (p *layersPane) showFiles(keep bool) {
	if p.cur >= len(p.files) {
		p.pager.SetContent(nil, nil, false)
		return
	}
	lines := make([]string, 0, len(p.files[p.cur]))
	for _, f := range p.files[p.cur] {
		size := ""
		if !f.dir && f.kind != 'D' && f.link == "" {
			size = humanSize(f.size)
		}
		path := f.path
		if f.dir {
			path += "/"
		}
		if f.link != "" {
			path += " → " + f.link
		}
		lines = append(lines, fmt.Sprintf("%c %9s  %s", f.kind, size, path))
	}
	p.pager.SetContent([]string{fmt.Sprintf("  %9s  %s", "SIZE", "PATH  (A added, C changed, D deleted)")}, lines, keep)
}

// Update handles keys while the pane has the focus.
func (p *layersPane) Update(ctx context.Context, eng any, msg tea.Msg, km *KeyMap) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && !p.pager.Searching() {
		switch {
		case key.Matches(k, km.Layers.PrevLayer):
			if p.cur > 0 {
				p.cur--
				p.showFiles(false)
			}
			return nil
		case key.Matches(k, km.Layers.NextLayer):
			if p.cur < len(p.layers)-1 {
				p.cur++
				p.showFiles(false)
			}
			return nil
		}
	}
	p.pager.Update(msg)
	return nil
}

// totalWasted sums the wasted bytes of all layers.
func (p *layersPane) totalWasted() int64 {
	var t int64
	for _, w := range p.wasted {
		t += w
	}
	return t
}

// View draws the layer list and the current layer's files.
func (p *layersPane) View(focused bool) string {
	if len(p.layers) == 0 {
		return p.styles.Muted.Render("No layers.")
	}
	lh := p.listHeight()
	var out []string
	hdr := fmt.Sprintf("  %-3s %9s %9s  %s", "#", "SIZE", "WASTED", "CREATED BY")
	if p.files != nil {
		hdr += fmt.Sprintf("   (total wasted %s)", humanSize(p.totalWasted()))
	}
	out = append(out, p.styles.Header.Render(fit(hdr, p.width)))
	// Keep the current layer visible in the list.
	first := max(min(p.cur-(lh-1)/2, len(p.layers)-(lh-1)), 0)
	for i := first; i < len(p.layers) && len(out) < lh; i++ {
		l := p.layers[i]
		w := "-"
		if i < len(p.wasted) {
			w = humanSize(p.wasted[i])
		}
		by := oneLine(strings.TrimPrefix(l.CreatedBy, "/bin/sh -c "))
		line := fmt.Sprintf("%-3d %9s %9s  %s", l.Index, humanSize(l.Size), w, strings.TrimPrefix(by, "#(nop) "))
		if i == p.cur {
			out = append(out, p.styles.Selected.Render(pad("› "+line, p.width, false)))
		} else {
			out = append(out, fit("  "+line, p.width))
		}
	}
	sep := fmt.Sprintf("── layer %d of %d · %s · %s ", p.cur+1, len(p.layers), shortID(p.layers[p.cur].DiffID), humanSize(p.layers[p.cur].Size))
	out = append(out, p.styles.Muted.Render(fit(sep+strings.Repeat("─", max(p.width-len([]rune(sep)), 0)), p.width)))
	switch {
	case p.err != nil:
		out = append(out, p.styles.Error.Render(fit(p.err.Error(), p.width)))
	case p.loading:
		out = append(out, p.styles.Muted.Render("reading layer files…"))
	case p.files == nil:
		out = append(out, p.styles.Muted.Render("This engine does not list layer files."))
	default:
		out = append(out, p.pager.View(focused))
	}
	return strings.Join(out, "\n")
}
