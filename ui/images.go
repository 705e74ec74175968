package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
)

// imgList is the images list: the table plus the summaries behind it.
type imgList struct {
	table
	byID map[string]engine.ImageSummary
	loader
}

// Image list columns.
const (
	imgColRepo = iota
	imgColTag
	imgColID
	imgColCreated
	imgColSize
	imgColUsers
)

func newImgList(st *Styles, keys *ListKeys) imgList {
	cols := []column{
		imgColRepo:    {Title: "REPOSITORY", Min: 12, Flex: true, Sort: "name"},
		imgColTag:     {Title: "TAG", Min: 6, Max: 24, Flex: true},
		imgColID:      {Title: "IMAGE ID", Min: 12, Max: 12},
		imgColCreated: {Title: "CREATED", Min: 8, Max: 12, Sort: "created", Drop: 2},
		imgColSize:    {Title: "SIZE", Min: 7, Max: 9, Right: true, Sort: "size"},
		imgColUsers:   {Title: "USED BY", Min: 7, Max: 7, Right: true, Sort: "use", Drop: 1},
	}
	return imgList{table: newTable(cols, imgColRepo, st, keys), byID: map[string]engine.ImageSummary{}}
}

// reload starts a reload unless one is in flight, in which case one more
// follows it: a burst of events costs at most two reloads.
func (l *imgList) reload(ctx context.Context, eng ImageLister) tea.Cmd {
	return l.start(loadImagesCmd(ctx, eng))
}

// name returns the best reference for an image: its first tag, else its
// short ID.
func (l *imgList) name(id string) string {
	s, ok := l.byID[id]
	if !ok {
		return ""
	}
	if len(s.RepoTags) > 0 {
		return s.RepoTags[0]
	}
	return shortID(s.ID)
}

// splitRepoTag splits "repo:tag" at the last colon after the last slash.
func splitRepoTag(rt string) (string, string) {
	i := strings.LastIndex(rt, ":")
	if i < 0 || strings.Contains(rt[i:], "/") {
		return rt, ""
	}
	return rt[:i], rt[i+1:]
}

func (m *Model) gotImages(msg imagesMsg) tea.Cmd {
	l := &m.images
	cmds := []tea.Cmd{l.done(func() tea.Cmd { return l.reload(m.ctx, m.eng) })}
	if msg.err != nil {
		return tea.Batch(append(cmds, errCmd(fmt.Errorf("list images: %w", msg.err)))...)
	}
	now := m.now()
	l.byID = make(map[string]engine.ImageSummary, len(msg.list))
	rows := make([]row, 0, len(msg.list))
	for _, s := range msg.list {
		l.byID[s.ID] = s
		repo, tag := "<none>", "<none>"
		if len(s.RepoTags) > 0 {
			repo, tag = splitRepoTag(s.RepoTags[0])
		}
		if len(s.RepoTags) > 1 {
			tag += fmt.Sprintf(" +%d", len(s.RepoTags)-1)
		}
		repoStyle := m.styles.Input
		if s.Dangling {
			repoStyle = m.styles.Muted
		}
		users := "-"
		usersStyle := m.styles.Muted
		if s.Containers > 0 {
			users = itoa(s.Containers)
			usersStyle = m.styles.Input
		}
		rows = append(rows, row{
			ID: s.ID,
			Cells: []cell{
				imgColRepo:    {repo, repoStyle},
				imgColTag:     {tag, m.styles.Input},
				imgColID:      {shortID(s.ID), m.styles.Muted},
				imgColCreated: {ago(s.Created, now), m.styles.Muted},
				imgColSize:    {humanSize(s.Size), m.styles.Input},
				imgColUsers:   {users, usersStyle},
			},
			Keys: []sortKey{
				imgColRepo:    {Num: int64(boolInt(s.Dangling)), Text: repo + ":" + tag},
				imgColTag:     {Text: tag},
				imgColID:      {Text: s.ID},
				imgColCreated: {Num: -s.Created.UnixNano()},
				imgColSize:    {Num: -s.Size},
				imgColUsers:   {Num: -int64(s.Containers)},
			},
			Filter: strings.Join(s.RepoTags, " ") + " " + shortID(s.ID),
		})
	}
	before := l.Selected()
	l.SetRows(rows)
	if m.view == viewImages && (l.Selected() != before || m.pane.id == "") {
		cmds = append(cmds, m.loadPane(false))
	}
	return tea.Batch(cmds...)
}

// imageAction handles the keys that act on images.
func (m *Model) imageAction(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys.Image
	ids := m.images.Targets()
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = m.images.name(id)
	}
	switch {
	case key.Matches(msg, k.Prune):
		eng := m.eng
		m.confirm = newConfirm("Prune images", "Remove all dangling images (those without a name)?", func(ctx context.Context) tea.Cmd {
			return func() tea.Msg {
				rep, err := eng.PruneImages(ctx, false, engine.PruneFilter{})
				if err != nil {
					return errMsg{fmt.Errorf("prune images: %w", err)}
				}
				return actionDoneMsg{verb: "pruned", names: []string{fmt.Sprintf("%d images, reclaimed %s", len(rep.Deleted), humanSize(rep.SpaceReclaimed))}, kind: viewImages}
			}
		})
		return nil, true
	}
	if len(ids) == 0 {
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Tag):
		id := ids[0]
		eng := m.eng
		m.openForm(newForm(&m.styles, &m.keys.Dialog, "Tag "+m.images.name(id),
			[]field{{Label: "New name", Placeholder: "repo/name:tag"}},
			func(ctx context.Context, v formValues) tea.Cmd {
				target := strings.TrimSpace(v.text(0))
				if target == "" {
					return errCmd(fmt.Errorf("tag image: %w: give a name such as myimage:1.0", engine.ErrInvalid))
				}
				return actionCmd(ctx, viewImages, "tagged "+target+" from", []string{id}, []string{shortID(id)}, func(ctx context.Context, id string) error {
					return eng.Tag(ctx, id, target)
				})
			}))
		return nil, true
	case key.Matches(msg, k.Remove):
		eng := m.eng
		what := names[0]
		if len(ids) > 1 {
			what = fmt.Sprintf("%d images", len(ids))
		}
		refs := map[string]string{}
		force := map[string]bool{}
		for _, id := range ids {
			tags := m.images.byID[id].RepoTags
			switch len(tags) {
			case 0:
				refs[id] = id
			case 1:
				refs[id] = tags[0]
			default:
				// The dialog listed the image; all its names go.
				refs[id], force[id] = id, true
			}
		}
		m.confirm = newConfirm("Remove images", "Remove "+what+"?\n"+strings.Join(names, "\n"), func(ctx context.Context) tea.Cmd {
			return actionCmd(ctx, viewImages, "removed", ids, names, func(ctx context.Context, id string) error {
				_, err := eng.RemoveImage(ctx, refs[id], force[id])
				return err
			})
		})
		return nil, true
	}
	return nil, false
}
