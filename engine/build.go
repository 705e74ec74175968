package engine

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/store"
)

// BuildOptions are docker build's flags.
type BuildOptions struct {
	// ContextDir is the build context: the directory COPY and ADD read.
	ContextDir string
	// Dockerfile is the Dockerfile's path; "" is ContextDir/Dockerfile.
	Dockerfile string
	// Tags name the built image.
	Tags []string
	// BuildArgs are --build-arg values for the Dockerfile's ARGs.
	BuildArgs map[string]string
	// Target is the stage to stop after; "" builds the last.
	Target string
	// NetworkMode is the network RUN steps use; "" is the default bridge.
	NetworkMode string
	// Out hears the steps and what RUN steps print.
	Out io.Writer
}

// Build makes an image from a Dockerfile, as docker build does without
// its cache: FROM (pulled if missing; "scratch"; an earlier stage), RUN in
// a container of the image so far whose changes become a layer, COPY and
// ADD from the context (honouring .dockerignore; ADD unpacks local tar
// archives; --from=STAGE|IMAGE, --chown, --chmod), and ENV, ARG, LABEL,
// EXPOSE, USER, WORKDIR, VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL,
// HEALTHCHECK, ONBUILD and MAINTAINER in the config. The images of the
// steps are removed at the end, whether the build succeeded or not; only
// the result stays, named by Tags.
func (e *Engine) Build(ctx context.Context, o BuildOptions) (ImageSummary, error) {
	for _, t := range o.Tags {
		r, err := parseReference(t)
		if err != nil {
			return ImageSummary{}, err
		}
		if r.digest != "" {
			return ImageSummary{}, invalidf("invalid tag %q: a tag cannot have a digest", t)
		}
	}
	dir, err := filepath.Abs(o.ContextDir)
	if err != nil {
		return ImageSummary{}, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return ImageSummary{}, invalidf("build context %s: not a directory", o.ContextDir)
	}
	df := o.Dockerfile
	if df == "" {
		df = filepath.Join(dir, "Dockerfile")
	}
	f, err := os.Open(df)
	if err != nil {
		return ImageSummary{}, invalidf("cannot read the Dockerfile: %v", err)
	}
	steps, err := parseDockerfile(f)
	f.Close()
	if err != nil {
		return ImageSummary{}, err
	}
	ignore, err := readDockerignore(dir)
	if err != nil {
		return ImageSummary{}, err
	}
	b := &builder{e: e, o: o, dir: dir, ignore: ignore, out: o.Out, stages: map[string]*buildStage{}, globals: map[string]string{}, used: map[string]bool{}}
	if b.out == nil {
		b.out = io.Discard
	}
	final, err := b.run(ctx, steps)
	b.cleanup(context.WithoutCancel(ctx), final)
	if err != nil {
		return ImageSummary{}, err
	}
	for _, t := range o.Tags {
		if err := e.Tag(ctx, string(final), t); err != nil {
			return ImageSummary{}, err
		}
	}
	var unused []string
	for k := range o.BuildArgs {
		if !b.used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		fmt.Fprintf(b.out, "[Warning] One or more build-args %v were not consumed\n", unused)
	}
	ix, err := e.loadIndex()
	if err != nil {
		return ImageSummary{}, err
	}
	img, err := e.st.Image(final)
	if err != nil {
		return ImageSummary{}, err
	}
	e.emit("image", "build", string(final), map[string]string{"name": strings.Join(o.Tags, ",")})
	return ix.summary(img, 0), nil
}

// builder is one build's state.
type builder struct {
	e      *Engine
	o      BuildOptions
	dir    string
	ignore []ignorePattern
	out    io.Writer
	stages map[string]*buildStage // by name, in lower case
	order  []*buildStage
	// globals are the ARGs declared before the first FROM.
	globals map[string]string
	used    map[string]bool
	// made are the images the steps made, removed at the end but for
	// the result.
	made []store.Digest
}

// buildStage is one FROM's stage.
type buildStage struct {
	img   store.Image    // the stage's image so far, as stored
	cfg   *v1.ConfigFile // its config, ahead of img's while dirty
	dirty bool
	args  map[string]string
	shell []string
	// cmdSet is whether this stage set CMD, which ENTRYPOINT then keeps.
	cmdSet bool
}

func (b *builder) run(ctx context.Context, steps []instruction) (store.Digest, error) {
	var st *buildStage
	total := len(steps)
	for i, in := range steps {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if in.cmd == "FROM" && st != nil && b.o.Target != "" && b.stage(b.o.Target) == st {
			break
		}
		fmt.Fprintf(b.out, "Step %d/%d : %s\n", i+1, total, in.text)
		if st == nil && in.cmd != "FROM" && in.cmd != "ARG" {
			return "", invalidf("Dockerfile line %d: %s before the first FROM; a Dockerfile starts with FROM (or ARG)", in.line, in.cmd)
		}
		var err error
		switch in.cmd {
		case "FROM":
			st, err = b.from(ctx, in)
		case "ARG":
			err = b.arg(st, in)
		case "RUN":
			err = b.runStep(ctx, st, in)
		case "COPY", "ADD":
			err = b.copyStep(ctx, st, in)
		default:
			err = b.configStep(st, in)
		}
		if err != nil {
			return "", fmt.Errorf("Dockerfile line %d (%s): %w", in.line, in.cmd, err)
		}
		if st != nil && st.img.ID != "" {
			fmt.Fprintf(b.out, " ---> %s\n", st.img.ID.Short())
		}
	}
	if b.o.Target != "" && b.stage(b.o.Target) == nil {
		return "", invalidf("target stage %q could not be found", b.o.Target)
	}
	if err := b.settle(st); err != nil {
		return "", err
	}
	if st.img.ID == "" {
		return "", invalidf("the Dockerfile makes an empty image: FROM scratch needs at least one step")
	}
	fmt.Fprintf(b.out, "Successfully built %s\n", st.img.ID.Short())
	for _, t := range b.o.Tags {
		if r, err := parseReference(t); err == nil {
			fmt.Fprintf(b.out, "Successfully tagged %s\n", r.Familiar())
		}
	}
	return st.img.ID, nil
}

// lookup resolves a variable of st (nil before the first FROM): its ENV,
// then its ARGs.
func (b *builder) lookup(st *buildStage) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if st == nil {
			v, ok := b.globals[name]
			return v, ok
		}
		for _, kv := range st.cfg.Config.Env {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v, true
			}
		}
		v, ok := st.args[name]
		return v, ok
	}
}

// stage returns the stage named (or numbered) name, nil if there is none.
func (b *builder) stage(name string) *buildStage {
	if i, err := strconv.Atoi(name); err == nil {
		if i >= 0 && i < len(b.order) {
			return b.order[i]
		}
		return nil
	}
	return b.stages[strings.ToLower(name)]
}

func (b *builder) from(ctx context.Context, in instruction) (*buildStage, error) {
	words := strings.Fields(in.args)
	if len(words) != 1 && (len(words) != 3 || !strings.EqualFold(words[1], "AS")) {
		return nil, invalidf("FROM takes an image and an optional AS NAME: %q", in.args)
	}
	ref, err := expand(words[0], b.lookup(nil))
	if err != nil {
		return nil, err
	}
	st := &buildStage{args: map[string]string{}, shell: []string{"/bin/sh", "-c"}}
	switch prev := b.stage(ref); {
	case prev != nil:
		if err := b.settle(prev); err != nil {
			return nil, err
		}
		st.img, st.cfg = prev.img, prev.cfg.DeepCopy()
	case ref == "scratch":
		st.cfg = &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH, RootFS: v1.RootFS{Type: "layers"}}
	default:
		img, cfg, err := b.e.LookupImage(ctx, ref)
		if errors.Is(err, ErrNotFound) {
			fmt.Fprintf(b.out, "Pulling %s\n", ref)
			if _, err = b.e.Pull(ctx, ref, PullOptions{}); err == nil {
				img, cfg, err = b.e.LookupImage(ctx, ref)
			}
		}
		if err != nil {
			return nil, err
		}
		st.img, st.cfg = img, cfg.DeepCopy()
	}
	if len(words) == 3 {
		b.stages[strings.ToLower(words[2])] = st
	}
	b.order = append(b.order, st)
	return st, nil
}

func (b *builder) arg(st *buildStage, in instruction) error {
	name, def, hasDef := strings.Cut(in.args, "=")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t") {
		return invalidf("ARG takes NAME[=default]: %q", in.args)
	}
	if hasDef {
		var err error
		if def, err = expand(strings.Trim(def, `"`), b.lookup(st)); err != nil {
			return err
		}
	}
	v, given := b.o.BuildArgs[name]
	if given {
		b.used[name] = true
	}
	switch {
	case given:
	case hasDef:
		v = def
	case st != nil:
		var ok bool
		if v, ok = b.globals[name]; !ok {
			return nil
		}
	default:
		return nil
	}
	if st == nil {
		b.globals[name] = v
	} else {
		st.args[name] = v
	}
	return nil
}

// settle stores st's config as an image if a step changed it since the
// stage's last image.
func (b *builder) settle(st *buildStage) error {
	if !st.dirty {
		return nil
	}
	cfg := st.cfg.DeepCopy()
	cfg.Created = v1.Time{Time: time.Now().UTC()}
	img, err := b.e.writeImage(cfg, st.img.Layers)
	if err != nil {
		return err
	}
	b.made = append(b.made, img.ID)
	st.img, st.dirty = img, false
	return nil
}

// adopt makes the image sum, which a step made, st's image so far.
func (b *builder) adopt(ctx context.Context, st *buildStage, sum ImageSummary) error {
	img, cfg, err := b.e.LookupImage(ctx, sum.ID)
	if err != nil {
		return err
	}
	b.made = append(b.made, img.ID)
	st.img, st.cfg = img, cfg.DeepCopy()
	return nil
}

// history is a step's history entry.
func history(createdBy string, empty bool) v1.History {
	return v1.History{Created: v1.Time{Time: time.Now().UTC()}, CreatedBy: createdBy, EmptyLayer: empty, Comment: "berth build"}
}

func (b *builder) runStep(ctx context.Context, st *buildStage, in instruction) error {
	if err := b.settle(st); err != nil {
		return err
	}
	if st.img.ID == "" {
		return invalidf("RUN needs an image with a shell: FROM scratch has none")
	}
	argv, ok := jsonForm(in.args)
	if !ok {
		argv = append(slices.Clone(st.shell), in.args)
	}
	// The ARGs are the step's environment, below the image's.
	var env []string
	for k, v := range st.args {
		if !slices.ContainsFunc(st.cfg.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") }) {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	empty := ""
	id, err := b.e.Create(ctx, CreateOptions{Image: string(st.img.ID), Cmd: argv, Entrypoint: &empty, Env: env, NetworkMode: b.o.NetworkMode})
	if err != nil {
		return err
	}
	defer b.e.Remove(context.WithoutCancel(ctx), id, RemoveOptions{Force: true})
	fmt.Fprintf(b.out, " ---> Running in %s\n", id[:12])
	conn, err := b.e.StartAttach(ctx, id)
	if err != nil {
		return err
	}
	code, err := pty.Attach(ctx, conn, pty.AttachOptions{Stdout: b.out, Stderr: b.out})
	conn.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("run: %w", err)
	}
	if code != 0 {
		return &BuildStepError{Command: strings.Join(argv, " "), Code: code}
	}
	if _, err := b.e.Wait(ctx, id); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(archive.WriteDiff(ctx, pw, b.e.st.Container(id).Upper)) }()
	sum, err := b.e.CommitLayer(ctx, st.img, pr, st.cfg, history(strings.Join(argv, " "), false), "")
	pr.CloseWithError(err)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "Removing intermediate container %s\n", id[:12])
	return b.adopt(ctx, st, sum)
}

// BuildStepError is a RUN step whose command failed.
type BuildStepError struct {
	Command string
	Code    int
}

func (e *BuildStepError) Error() string {
	return fmt.Sprintf("the command '%s' returned a non-zero code: %d", e.Command, e.Code)
}

func (b *builder) configStep(st *buildStage, in instruction) error {
	args, err := expand(in.args, b.lookup(st))
	if err != nil {
		return err
	}
	c := &st.cfg.Config
	switch in.cmd {
	case "CMD", "ENTRYPOINT":
		argv, ok := jsonForm(in.args)
		if !ok {
			argv = append(slices.Clone(st.shell), in.args)
		}
		if in.cmd == "CMD" {
			c.Cmd, st.cmdSet = argv, true
		} else {
			c.Entrypoint = argv
			if !st.cmdSet {
				c.Cmd = nil
			}
		}
	case "SHELL":
		argv, ok := jsonForm(in.args)
		if !ok || len(argv) == 0 {
			return invalidf("SHELL takes the JSON form: SHELL [\"/bin/bash\", \"-c\"]")
		}
		st.shell = argv
	case "WORKDIR":
		if !path.IsAbs(args) {
			args = path.Join("/", c.WorkingDir, args)
		}
		c.WorkingDir = path.Clean(args)
	case "MAINTAINER":
		st.cfg.Author = args
	case "ONBUILD":
		c.OnBuild = append(c.OnBuild, args)
	case "HEALTHCHECK":
		hc, err := parseHealthcheck(args)
		if err != nil {
			return err
		}
		c.Healthcheck = hc
	default:
		if err := ApplyChanges(c, []string{in.cmd + " " + args}); err != nil {
			return err
		}
	}
	st.cfg.History = append(st.cfg.History, history("/bin/sh -c #(nop) "+in.text, true))
	st.dirty = true
	return b.settle(st)
}

// parseHealthcheck reads HEALTHCHECK's arguments: NONE, or options and
// CMD.
func parseHealthcheck(args string) (*v1.HealthConfig, error) {
	if strings.EqualFold(strings.TrimSpace(args), "NONE") {
		return &v1.HealthConfig{Test: []string{"NONE"}}, nil
	}
	hc := &v1.HealthConfig{}
	rest := strings.TrimSpace(args)
	for strings.HasPrefix(rest, "--") {
		flag, after, _ := strings.Cut(rest, " ")
		name, value, _ := strings.Cut(flag[2:], "=")
		rest = strings.TrimSpace(after)
		var err error
		switch name {
		case "interval":
			hc.Interval, err = time.ParseDuration(value)
		case "timeout":
			hc.Timeout, err = time.ParseDuration(value)
		case "start-period":
			hc.StartPeriod, err = time.ParseDuration(value)
		case "retries":
			hc.Retries, err = strconv.Atoi(value)
		default:
			return nil, invalidf("HEALTHCHECK: unknown option --%s", name)
		}
		if err != nil {
			return nil, invalidf("HEALTHCHECK --%s=%s: %v", name, value, err)
		}
	}
	word, cmd, _ := strings.Cut(rest, " ")
	if !strings.EqualFold(word, "CMD") || strings.TrimSpace(cmd) == "" {
		return nil, invalidf("HEALTHCHECK takes NONE or [OPTIONS] CMD command")
	}
	if argv, ok := jsonForm(strings.TrimSpace(cmd)); ok {
		hc.Test = append([]string{"CMD"}, argv...)
	} else {
		hc.Test = []string{"CMD-SHELL", strings.TrimSpace(cmd)}
	}
	return hc, nil
}

// copyStep is COPY and ADD: a layer of what they copy.
func (b *builder) copyStep(ctx context.Context, st *buildStage, in instruction) error {
	args := in.args
	words, ok := jsonForm(args)
	if !ok {
		words = strings.Fields(args)
	}
	if len(words) < 2 {
		return invalidf("%s takes at least one source and a destination", in.cmd)
	}
	look := b.lookup(st)
	for i, w := range words {
		x, err := expand(w, look)
		if err != nil {
			return err
		}
		words[i] = x
	}
	srcs, dest := words[:len(words)-1], words[len(words)-1]
	intoDir := strings.HasSuffix(dest, "/") || len(srcs) > 1 || strings.ContainsAny(strings.Join(srcs, ""), "*?[")
	if !path.IsAbs(dest) {
		dest = path.Join("/", st.cfg.Config.WorkingDir, dest)
	}
	dest = path.Clean(dest)
	own, err := b.owner(st, in.flags["chown"])
	if err != nil {
		return err
	}
	var mode *int64
	if m := in.flags["chmod"]; m != "" {
		v, err := strconv.ParseInt(m, 8, 32)
		if err != nil || v < 0 || v > 0o7777 {
			return invalidf("--chmod=%s: give an octal mode such as 0755", m)
		}
		mode = &v
	}
	lw := &layerWriter{st: st, e: b.e, own: own, mode: mode, dirs: map[string]bool{}}
	pr, pw := io.Pipe()
	lw.tw = tar.NewWriter(pw)
	written := make(chan error, 1)
	go func() {
		err := b.writeCopy(ctx, lw, in, srcs, dest, intoDir)
		if err == nil {
			err = lw.tw.Close()
		}
		pw.CloseWithError(err)
		written <- err
	}()
	sum, err := b.e.CommitLayer(ctx, st.img, pr, st.cfg, history("/bin/sh -c #(nop) "+in.text, false), "")
	pr.CloseWithError(err)
	// What the copy met is the cause of a failed commit.
	if werr := <-written; werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	return b.adopt(ctx, st, sum)
}

func (b *builder) writeCopy(ctx context.Context, lw *layerWriter, in instruction, srcs []string, dest string, intoDir bool) error {
	if from := in.flags["from"]; from != "" {
		return b.copyFrom(ctx, lw, from, srcs, dest, intoDir)
	}
	for _, src := range srcs {
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
			return invalidf("%s from a URL is not supported: download it in a RUN step", in.cmd)
		}
		rel := path.Clean(strings.TrimPrefix(src, "/"))
		if rel == ".." || strings.HasPrefix(rel, "../") {
			return invalidf("forbidden path outside the build context: %s", src)
		}
		matches, err := filepath.Glob(filepath.Join(b.dir, rel))
		if err != nil {
			return invalidf("bad pattern %q", src)
		}
		matches = slices.DeleteFunc(matches, func(m string) bool { return b.ignored(m) })
		if len(matches) == 0 {
			return invalidf("%s failed: file not found in build context or excluded by .dockerignore: %s", in.cmd, src)
		}
		for _, m := range matches {
			fi, err := os.Lstat(m)
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if err := b.copyDir(lw, m, dest); err != nil {
					return err
				}
			case in.cmd == "ADD" && isArchive(m):
				if err := lw.unpack(m, dest); err != nil {
					return fmt.Errorf("ADD %s: %w", src, err)
				}
			default:
				target := dest
				if intoDir {
					target = path.Join(dest, filepath.Base(m))
				}
				if err := lw.addFile(m, fi, target); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ignored reports whether .dockerignore excludes file p of the context.
func (b *builder) ignored(p string) bool {
	rel, err := filepath.Rel(b.dir, p)
	if err != nil || rel == "." {
		return false
	}
	return ignored(b.ignore, filepath.ToSlash(rel))
}

// copyDir copies the tree under dir (not dir itself) into dest.
func (b *builder) copyDir(lw *layerWriter, dir, dest string) error {
	if err := lw.parents(path.Join(dest, "x")); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && b.ignored(p) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return lw.addFile(p, fi, path.Join(dest, filepath.ToSlash(rel)))
	})
}

// copyFrom copies srcs out of the filesystem of a stage or an image.
func (b *builder) copyFrom(ctx context.Context, lw *layerWriter, from string, srcs []string, dest string, intoDir bool) error {
	ref := from
	if st := b.stage(from); st != nil {
		if err := b.settle(st); err != nil {
			return err
		}
		if st.img.ID == "" {
			return invalidf("--from=%s: the stage has no files", from)
		}
		ref = string(st.img.ID)
	} else if _, _, err := b.e.LookupImage(ctx, ref); errors.Is(err, ErrNotFound) {
		if _, err := b.e.Pull(ctx, ref, PullOptions{}); err != nil {
			return err
		}
	}
	id, err := b.e.Create(ctx, CreateOptions{Image: ref, Cmd: []string{"true"}, NetworkMode: "none"})
	if err != nil {
		return err
	}
	defer b.e.Remove(context.WithoutCancel(ctx), id, RemoveOptions{Force: true})
	for _, src := range srcs {
		if strings.ContainsAny(src, "*?[") {
			return invalidf("--from=%s: wildcards are not supported in %s", from, src)
		}
		var buf bytes.Buffer
		if err := b.e.CopyFrom(ctx, id, path.Join("/", src), "top", false, &buf); err != nil {
			return fmt.Errorf("--from=%s: %w", from, err)
		}
		if err := lw.reroot(&buf, dest, intoDir, path.Base(path.Join("/", src))); err != nil {
			return err
		}
	}
	return nil
}

// owner resolves --chown=USER[:GROUP] against the stage's /etc/passwd and
// /etc/group; nil keeps root.
func (b *builder) owner(st *buildStage, chown string) (*[2]int, error) {
	if chown == "" {
		return nil, nil
	}
	user, group, hasGroup := strings.Cut(chown, ":")
	uid, err := st.lookupID(b.e, "/etc/passwd", user)
	if err != nil {
		return nil, err
	}
	gid := uid
	if hasGroup {
		if gid, err = st.lookupID(b.e, "/etc/group", group); err != nil {
			return nil, err
		}
	} else if _, err := strconv.Atoi(user); err != nil {
		gid, err = st.primaryGroup(b.e, user)
		if err != nil {
			return nil, err
		}
	}
	return &[2]int{uid, gid}, nil
}

// lookupID returns the numeric ID of name in file (/etc/passwd or
// /etc/group) of the stage's image; a number is its own ID.
func (st *buildStage) lookupID(e *Engine, file, name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	for _, f := range st.readColon(e, file) {
		if len(f) > 2 && f[0] == name {
			if n, err := strconv.Atoi(f[2]); err == nil {
				return n, nil
			}
		}
	}
	return 0, invalidf("--chown: no %s %q in the image's %s", strings.TrimPrefix(file, "/etc/"), name, file)
}

// primaryGroup returns the group ID of user in the image's /etc/passwd.
func (st *buildStage) primaryGroup(e *Engine, user string) (int, error) {
	for _, f := range st.readColon(e, "/etc/passwd") {
		if len(f) > 3 && f[0] == user {
			if n, err := strconv.Atoi(f[3]); err == nil {
				return n, nil
			}
		}
	}
	return 0, invalidf("--chown: no user %q in the image's /etc/passwd", user)
}

// readColon reads a colon-separated file of the stage's image from its
// topmost layer that has it.
func (st *buildStage) readColon(e *Engine, file string) [][]string {
	p, ok := st.findInLayers(e, file)
	if !ok {
		return nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.Split(line, ":"))
		}
	}
	return out
}

// findInLayers returns where p is in the topmost unpacked layer of the
// stage's image that has it.
func (st *buildStage) findInLayers(e *Engine, p string) (string, bool) {
	chains := st.img.ChainIDs()
	for i := len(chains) - 1; i >= 0; i-- {
		full := filepath.Join(e.st.LayerDir(chains[i]), p)
		if _, err := os.Lstat(full); err == nil {
			return full, true
		}
	}
	return "", false
}

// layerWriter writes the tar of a COPY or ADD layer.
type layerWriter struct {
	e    *Engine
	st   *buildStage
	tw   *tar.Writer
	own  *[2]int
	mode *int64
	dirs map[string]bool // directories already written
}

// parents writes the directories above target that this layer has not
// written yet, as the image has them (so that an existing directory keeps
// its mode and owner), else as new directories of root's.
func (lw *layerWriter) parents(target string) error {
	var todo []string
	for d := path.Dir(target); d != "/" && !lw.dirs[d]; d = path.Dir(d) {
		todo = append(todo, d)
	}
	for i := len(todo) - 1; i >= 0; i-- {
		d := todo[i]
		lw.dirs[d] = true
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, ModTime: time.Now()}
		if p, ok := lw.st.findInLayers(lw.e, d); ok {
			if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
				h, err := tar.FileInfoHeader(fi, "")
				if err == nil {
					hdr.Mode, hdr.ModTime = h.Mode, h.ModTime
					hdr.Uid, hdr.Gid = h.Uid, h.Gid
				}
			}
		}
		if err := lw.tw.WriteHeader(hdr); err != nil {
			return err
		}
	}
	return nil
}

// addFile writes file p (fi its Lstat) as target.
func (lw *layerWriter) addFile(p string, fi fs.FileInfo, target string) error {
	if err := lw.parents(target); err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = strings.TrimPrefix(target, "/")
	if fi.IsDir() {
		hdr.Name += "/"
		lw.dirs[target] = true
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if lw.own != nil {
		hdr.Uid, hdr.Gid = lw.own[0], lw.own[1]
	}
	if lw.mode != nil && hdr.Typeflag != tar.TypeSymlink {
		hdr.Mode = *lw.mode
	}
	if err := lw.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(lw.tw, f)
	return err
}

// isArchive reports whether file p is a tar archive, compressed or not,
// which ADD unpacks.
func isArchive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	return compressionOf(head) != "" || n >= 262 && string(head[257:262]) == "ustar"
}

// unpack writes the entries of archive p under dir.
func (lw *layerWriter) unpack(p, dir string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	dec, err := decompressor(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	defer dec.Close()
	if err := lw.parents(path.Join(dir, "x")); err != nil {
		return err
	}
	tr := tar.NewReader(dec)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := lw.copyEntry(tr, hdr, path.Join(dir, path.Join("/", hdr.Name)), dir); err != nil {
			return err
		}
	}
}

// reroot writes the entries of the tar r, whose top entry is named top
// (CopyFrom's output), under dest: a directory's contents into dest, a
// file as dest or, with intoDir, into it.
func (lw *layerWriter) reroot(r io.Reader, dest string, intoDir bool, base string) error {
	tr := tar.NewReader(r)
	isDir := false
	for first := true; ; first = false {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		if first {
			isDir = hdr.Typeflag == tar.TypeDir
			if isDir {
				if err := lw.parents(path.Join(dest, "x")); err != nil {
					return err
				}
				continue
			}
		}
		var target string
		switch {
		case isDir:
			target = path.Join(dest, strings.TrimPrefix(name, "top/"))
		case intoDir:
			target = path.Join(dest, base)
		default:
			target = dest
		}
		if err := lw.copyEntry(tr, hdr, target, dest); err != nil {
			return err
		}
	}
}

// copyEntry writes the tar entry hdr (its body in r) as target; hard
// links are pointed at their targets under root.
func (lw *layerWriter) copyEntry(r io.Reader, hdr *tar.Header, target, root string) error {
	if err := lw.parents(target); err != nil {
		return err
	}
	h := *hdr
	h.Name = strings.TrimPrefix(target, "/")
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
		lw.dirs[target] = true
	}
	if h.Typeflag == tar.TypeLink {
		h.Linkname = strings.TrimPrefix(path.Join(root, path.Join("/", hdr.Linkname)), "/")
	}
	if lw.own != nil {
		h.Uid, h.Gid, h.Uname, h.Gname = lw.own[0], lw.own[1], "", ""
	}
	if lw.mode != nil && h.Typeflag != tar.TypeSymlink {
		h.Mode = *lw.mode
	}
	if err := lw.tw.WriteHeader(&h); err != nil {
		return err
	}
	_, err := io.Copy(lw.tw, r)
	return err
}

// cleanup removes the images the steps made, but keep.
func (b *builder) cleanup(ctx context.Context, keep store.Digest) {
	for i := len(b.made) - 1; i >= 0; i-- {
		if id := b.made[i]; id != keep {
			b.e.RemoveImage(ctx, string(id), false)
		}
	}
}
