package cmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// imageCommands returns the image subcommands: the top-level docker
// aliases (pull, push, images, rmi, tag, history, save, load, import) and the
// `image` group.
func imageCommands(a *app) []command {
	return []command{of(a, "image", imageGroup), of(a, "pull", pullCmd), of(a, "push", pushCmd), of(a, "images", imagesCmd), of(a, "rmi", rmiCmd),
		of(a, "tag", tagCmd), of(a, "history", historyCmd), of(a, "save", saveCmd), of(a, "load", loadCmd), of(a, "import", importCmd)}
}

// imageGroup returns the `image` group.
func imageGroup(a *app) *cobra.Command {
	group := &cobra.Command{
		Use:   "image",
		Short: "Manage images",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	ls := imagesCmd(a)
	ls.Use, ls.Aliases = "ls [OPTIONS] [REPOSITORY[:TAG]]", []string{"list"}
	rm := rmiCmd(a)
	rm.Use, rm.Aliases = "rm [OPTIONS] IMAGE [IMAGE...]", []string{"remove", "rmi"}
	group.AddCommand(ls, rm, pullCmd(a), pushCmd(a), tagCmd(a), historyCmd(a), saveCmd(a), loadCmd(a), importCmd(a),
		typedInspectCmd(a, "image", "images"), imagePruneCmd(a))
	return group
}

func pullCmd(a *app) *cobra.Command {
	var platform string
	var quiet bool
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return runPull(c, eng, args[0], platform, quiet, a.io.Out)
		},
	}
	c.Flags().StringVar(&platform, "platform", "", "pull the image for this platform (os/arch[/variant])")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image reference")
	return c
}

func pushCmd(a *app) *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			r, err := engine.ParseImageRef(args[0])
			if err != nil {
				return err
			}
			out := a.io.Out
			var progress engine.PushProgress
			if !quiet {
				progress.Begin = func(repo string) { fmt.Fprintf(out, "The push refers to repository [%s]\n", repo) }
				progress.Layer = func(blob, state string) { fmt.Fprintf(out, "%s: %s\n", blob, state) }
			}
			res, err := eng.Push(c.Context(), args[0], progress)
			if err != nil {
				return err
			}
			if quiet {
				fmt.Fprintln(out, r.String())
				return nil
			}
			fmt.Fprintf(out, "%s: digest: %s size: %d\n", res.Tag, res.Digest, res.Size)
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the image reference")
	return c
}

// runPull pulls ref, showing progress on out as docker does: redrawn bars
// on a terminal, one line per layer state change otherwise.
func runPull(c *cobra.Command, eng *engine.Engine, ref, platform string, quiet bool, out io.Writer) error {
	r, err := engine.ParseImageRef(ref)
	if err != nil {
		return err
	}
	name, tag := r.Name, r.Tag
	if r.Digest != "" {
		tag = r.Digest
	}
	if !strings.Contains(name, "/") {
		name = "library/" + name
	}
	if !quiet {
		fmt.Fprintf(out, "%s: Pulling from %s\n", tag, name)
	}
	var bars *pullBars
	if !quiet {
		bars = &pullBars{w: out, tty: isTerminal(out), states: map[string]engine.PullProgress{}}
	}
	opts := engine.PullOptions{Platform: platform}
	if bars != nil {
		opts.Progress = bars.update
	}
	s, err := eng.Pull(c.Context(), ref, opts)
	if bars != nil {
		bars.finish()
	}
	if err != nil {
		return err
	}
	canonical := r.String()
	if quiet {
		fmt.Fprintln(out, canonical)
		return nil
	}
	for _, d := range s.RepoDigests {
		if i := strings.LastIndexByte(d, '@'); i > 0 && d[:i] == name {
			fmt.Fprintf(out, "Digest: %s\n", d[i+1:])
			break
		}
	}
	if bars.downloaded {
		fmt.Fprintf(out, "Status: Downloaded newer image for %s\n", canonical)
	} else {
		fmt.Fprintf(out, "Status: Image is up to date for %s\n", canonical)
	}
	fmt.Fprintln(out, canonical)
	return nil
}

// hasTag reports whether ref names a tag (a colon after the last slash).
func hasTag(ref string) bool {
	i := strings.LastIndexByte(ref, ':')
	return i > 0 && !strings.Contains(ref[i:], "/")
}

// pullBars draws pull progress.
type pullBars struct {
	w          io.Writer
	tty        bool
	order      []string
	states     map[string]engine.PullProgress
	drawn      int
	downloaded bool
}

func (b *pullBars) update(p engine.PullProgress) {
	old, seen := b.states[p.Layer]
	if !seen {
		b.order = append(b.order, p.Layer)
	}
	b.states[p.Layer] = p
	if p.State == engine.PullDownloading || p.State == engine.PullExtracting {
		b.downloaded = true
	}
	if b.tty {
		b.redraw()
		return
	}
	if seen && old.State == p.State {
		return
	}
	switch p.State {
	case engine.PullWaiting:
		fmt.Fprintf(b.w, "%s: Pulling fs layer\n", p.Layer)
	case engine.PullAlreadyExists, engine.PullComplete, engine.PullVerifying:
		fmt.Fprintf(b.w, "%s: %s\n", p.Layer, p.State)
	}
}

func (b *pullBars) redraw() {
	if b.drawn > 0 {
		fmt.Fprintf(b.w, "\x1b[%dA", b.drawn)
	}
	for _, l := range b.order {
		p := b.states[l]
		line := fmt.Sprintf("%s: %s", l, p.State)
		if (p.State == engine.PullDownloading || p.State == engine.PullExtracting) && p.Total > 0 {
			const width = 50
			done := int(p.Current * width / p.Total)
			bar := strings.Repeat("=", done)
			if done < width {
				bar += ">" + strings.Repeat(" ", width-done-1)
			}
			line = fmt.Sprintf("%s: %-11s [%s]  %s/%s", l, p.State, bar, humanBytes(p.Current), humanBytes(p.Total))
		}
		fmt.Fprintf(b.w, "\x1b[2K%s\n", line)
	}
	b.drawn = len(b.order)
}

func (b *pullBars) finish() {
	if b.tty && len(b.order) > 0 {
		b.redraw()
	}
}

// imageRow is one line of `images`, with the fields docker's --format
// templates use.
type imageRow struct {
	ID           string `json:"ID"`
	Repository   string `json:"Repository"`
	Tag          string `json:"Tag"`
	Digest       string `json:"Digest"`
	CreatedSince string `json:"CreatedSince"`
	CreatedAt    string `json:"CreatedAt"`
	Size         string `json:"Size"`
	VirtualSize  string `json:"VirtualSize"`
	Containers   string `json:"Containers"`
	SharedSize   string `json:"SharedSize"`
	UniqueSize   string `json:"UniqueSize"`
}

// splitRepoTag splits "repo:tag" at the tag's colon.
func splitRepoTag(s string) (string, string) {
	if hasTag(s) {
		i := strings.LastIndexByte(s, ':')
		return s[:i], s[i+1:]
	}
	return s, "<none>"
}

// imageRows expands summaries into docker's rows: one per tag, else one
// per digest, else one <none> row.
func imageRows(imgs []engine.ImageSummary, noTrunc bool) []imageRow {
	var rows []imageRow
	for _, s := range imgs {
		id := s.ID
		if !noTrunc {
			id = shortID(id)
		}
		base := imageRow{
			ID:           id,
			Digest:       "<none>",
			CreatedSince: humanAgo(s.Created),
			CreatedAt:    s.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
			Size:         humanBytes(s.Size),
			VirtualSize:  humanBytes(s.Size),
			Containers:   fmt.Sprint(s.Containers),
			SharedSize:   "N/A",
			UniqueSize:   "N/A",
		}
		digestFor := func(repo string) string {
			for _, d := range s.RepoDigests {
				if i := strings.LastIndexByte(d, '@'); i > 0 && d[:i] == repo {
					return d[i+1:]
				}
			}
			return "<none>"
		}
		switch {
		case len(s.RepoTags) > 0:
			for _, t := range s.RepoTags {
				r := base
				r.Repository, r.Tag = splitRepoTag(t)
				r.Digest = digestFor(r.Repository)
				rows = append(rows, r)
			}
		case len(s.RepoDigests) > 0:
			for _, d := range s.RepoDigests {
				r := base
				i := strings.LastIndexByte(d, '@')
				r.Repository, r.Tag, r.Digest = d[:i], "<none>", d[i+1:]
				rows = append(rows, r)
			}
		default:
			r := base
			r.Repository, r.Tag = "<none>", "<none>"
			rows = append(rows, r)
		}
	}
	return rows
}

func imagesCmd(a *app) *cobra.Command {
	var all, quiet, digests, noTrunc bool
	var filters []string
	var format string
	c := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			fs := append([]string(nil), filters...)
			if len(args) == 1 {
				fs = append(fs, "reference="+args[0])
			}
			imgs, err := eng.Images(c.Context(), engine.ListImagesOptions{All: all, Filters: fs})
			if err != nil {
				return err
			}
			if quiet {
				seen := map[string]bool{}
				for _, s := range imgs {
					id := s.ID
					if !noTrunc {
						id = shortID(id)
					}
					if !seen[id] {
						seen[id] = true
						fmt.Fprintln(a.io.Out, id)
					}
				}
				return nil
			}
			def, header := "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE"
			if digests {
				def = "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
				header = "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE"
			}
			tf, err := newTableFormat(format, def, header)
			if err != nil {
				return err
			}
			rows := imageRows(imgs, noTrunc)
			out := make([]any, len(rows))
			for i := range rows {
				out[i] = rows[i]
			}
			return tf.print(a.io.Out, out)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all images (berth keeps no intermediate images, so this changes nothing)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	f.BoolVar(&digests, "digests", false, "show digests")
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	listVarP(f, &filters, "filter", "f", "filter output: dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE")
	f.StringVar(&format, "format", "", "format output: table, json, 'table TEMPLATE' or a Go template")
	return c
}

// printInspect prints objects as docker inspect does: an indented JSON
// array, or the template applied to each object.
func printInspect(w io.Writer, format string, objs []any) error {
	if format == "" || format == "json" {
		if objs == nil {
			objs = []any{}
		}
		b, err := json.MarshalIndent(objs, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	t, err := parseFormat(format)
	if err != nil {
		return err
	}
	for _, o := range objs {
		// Templates see the JSON field names, as with docker.
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var generic any
		if err := d.Decode(&generic); err != nil {
			return err
		}
		if err := t.Execute(w, typedNumbers(generic)); err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("format: %w", err)}
		}
		fmt.Fprintln(w)
	}
	return nil
}

// typedNumbers turns the json.Numbers in v into int64s (float64s for
// those with a fraction), as docker's typed fields print and compare in
// templates: {{.State.Pid}} prints 4194304, not 4.194304e+06, and
// {{if eq .State.ExitCode 0}} works.
func typedNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = typedNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = typedNumbers(e)
		}
	}
	return v
}

// joinErrors prints all but the last error and returns the last, so that
// a command over several arguments reports each failure on its own line
// and exits 1.
func joinErrors(a *app, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs[:len(errs)-1] {
		fmt.Fprintf(a.io.Err, "Error: %v\n", err)
	}
	return errs[len(errs)-1]
}

// historyRow is one line of `history`.
type historyRow struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

func historyCmd(a *app) *cobra.Command {
	var noTrunc, quiet, human bool
	var format string
	c := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			hist, err := eng.History(c.Context(), args[0])
			if err != nil {
				return err
			}
			if quiet {
				for _, h := range hist {
					id := h.ID
					if !noTrunc && id != "<missing>" {
						id = shortID(id)
					}
					fmt.Fprintln(a.io.Out, id)
				}
				return nil
			}
			rows := make([]any, len(hist))
			for i, h := range hist {
				r := historyRow{ID: h.ID, CreatedBy: h.CreatedBy, Comment: h.Comment}
				if !noTrunc && r.ID != "<missing>" {
					r.ID = shortID(r.ID)
				}
				if !noTrunc && len([]rune(r.CreatedBy)) > 45 {
					r.CreatedBy = string([]rune(r.CreatedBy)[:44]) + "…"
				}
				r.CreatedBy = strings.ReplaceAll(r.CreatedBy, "\t", " ")
				if human {
					r.CreatedSince = humanAgo(h.Created)
					r.Size = humanBytes(h.Size)
				} else {
					r.CreatedSince = h.Created.Format(time.RFC3339)
					r.Size = fmt.Sprint(h.Size)
				}
				r.CreatedAt = h.Created.Format(time.RFC3339)
				rows[i] = r
			}
			tf, err := newTableFormat(format, "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
			if err != nil {
				return err
			}
			return tf.print(a.io.Out, rows)
		},
	}
	f := c.Flags()
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	f.BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	f.BoolVarP(&human, "human", "H", true, "print sizes and dates in human readable format")
	f.StringVar(&format, "format", "", "format output: table, json, 'table TEMPLATE' or a Go template")
	return c
}

func tagCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return eng.Tag(c.Context(), args[0], args[1])
		},
	}
}

func rmiCmd(a *app) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, ref := range args {
				removed, err := eng.RemoveImage(c.Context(), ref, force)
				for _, r := range removed {
					if r.Untagged != "" {
						fmt.Fprintf(a.io.Out, "Untagged: %s\n", r.Untagged)
					}
					if r.Deleted != "" {
						fmt.Fprintf(a.io.Out, "Deleted: %s\n", r.Deleted)
					}
				}
				if err != nil {
					errs = append(errs, err)
				}
			}
			return joinErrors(a, errs)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "force removal of the image")
	return c
}

func imagePruneCmd(a *app) *cobra.Command {
	var all, force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := parsePruneFilters(filters)
			if err != nil {
				return err
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			if !force {
				warn := "WARNING! This will remove all dangling images."
				if all {
					warn = "WARNING! This will remove all images without at least one container associated to them."
				}
				if !confirm(a, warn+"\nAre you sure you want to continue? [y/N] ") {
					return nil
				}
			}
			rep, err := eng.PruneImages(c.Context(), all, f)
			if err != nil {
				return err
			}
			if len(rep.Deleted) > 0 {
				fmt.Fprintln(a.io.Out, "Deleted Images:")
				for _, d := range rep.Deleted {
					fmt.Fprintf(a.io.Out, "deleted: %s\n", d)
				}
				fmt.Fprintln(a.io.Out)
			}
			fmt.Fprintf(a.io.Out, "Total reclaimed space: %s\n", humanBytes(rep.SpaceReclaimed))
			return nil
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	listVar(c.Flags(), &filters, "filter", "provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])")
	return c
}

func saveCmd(a *app) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				if isTerminal(a.io.Out) {
					return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
				}
				return eng.Save(c.Context(), a.io.Out, args)
			}
			return saveToFile(c, eng, output, args)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write to a file, instead of STDOUT")
	return c
}

// saveToFile writes the archive next to path and renames it into place,
// so a failed save leaves no half-written file.
func saveToFile(c *cobra.Command, eng *engine.Engine, path string, refs []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := eng.Save(c.Context(), w, refs); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("save: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

func loadCmd(a *app) *cobra.Command {
	var input string
	var quiet bool
	c := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a tar archive or STDIN",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			var r io.Reader = a.io.In
			if input != "" && input != "-" {
				f, err := os.Open(input)
				if err != nil {
					return fmt.Errorf("load: %w", err)
				}
				defer f.Close()
				r = f
			} else if isTerminal(a.io.In) {
				return errors.New("requested load from stdin, but stdin is empty")
			}
			loaded, err := eng.Load(c.Context(), r)
			if err != nil {
				return err
			}
			for _, l := range loaded {
				if strings.HasPrefix(l, "sha256:") {
					fmt.Fprintf(a.io.Out, "Loaded image ID: %s\n", l)
				} else {
					fmt.Fprintf(a.io.Out, "Loaded image: %s\n", l)
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&input, "input", "i", "", "read from tar archive file, instead of STDIN")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress the load output")
	return c
}

func importCmd(a *app) *cobra.Command {
	var changes []string
	var message, platform string
	c := &cobra.Command{
		Use:   "import [OPTIONS] file|DIR|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball or directory to create a filesystem image",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			src, ref := args[0], ""
			if len(args) == 2 {
				ref = args[1]
			}
			if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
				return fmt.Errorf("import %s: %w: berth imports files, directories and standard input, not URLs", src, engine.ErrInvalid)
			}
			opts := engine.ImportOptions{Changes: changes, Message: message, Source: src}
			var s engine.ImageSummary
			switch fi, statErr := os.Stat(src); {
			case src == "-":
				s, err = eng.Import(c.Context(), a.io.In, ref, opts)
			case statErr != nil:
				return fmt.Errorf("import %s: %w", src, statErr)
			case fi.IsDir():
				s, err = eng.ImportDir(c.Context(), src, ref, opts)
			default:
				f, oerr := os.Open(src)
				if oerr != nil {
					return fmt.Errorf("import %s: %w", src, oerr)
				}
				defer f.Close()
				s, err = eng.Import(c.Context(), f, ref, opts)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, s.ID)
			return nil
		},
	}
	listVarP(c.Flags(), &changes, "change", "c", "apply Dockerfile instruction to the created image")
	c.Flags().StringVarP(&message, "message", "m", "", "set commit message for imported image")
	c.Flags().StringVar(&platform, "platform", "", "accepted for docker compatibility; the image gets this host's platform")
	return c
}
