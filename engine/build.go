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
	"github.com/berth-dev/berth/engine/launch"
	"github.com/berth-dev/berth/pty"
	"github.com/berth-dev/berth/store"
)

// BuildOptions are docker build's flags.
type BuildOptions struct {
	// ContextDir is the build context: the directory COPY and ADD read.
	ContextDir string
	// Dockerfile is the Dockerfile's path; "" is ContextDir/Dockerfile.
	Dockerfile string
	// DockerfileText, if not nil, is the Dockerfile itself (read from
	// standard input), in place of Dockerfile.
	DockerfileText []byte
	// Tags name the built image.
	Tags []string
	// BuildArgs are --build-arg values for the Dockerfile's ARGs.
	BuildArgs map[string]string
	// Target is the stage to stop after; "" builds the last.
	Target string
	// NetworkMode is the network RUN steps use; "" is the default bridge.
	NetworkMode string
	// NoCache runs every step, though the steps still fill the cache.
	NoCache bool
	// Out hears the steps and what RUN steps print.
	Out io.Writer
}

// Build makes an image from a Dockerfile, as docker build does without
// its cache: FROM (pulled if missing; "scratch"; an earlier stage), RUN in
// a container of the image so far whose changes become a layer, COPY and
// ADD from the context (honouring .dockerignore; ADD unpacks local tar
// archives; --from=STAGE|IMAGE, --chown, --chmod), and ENV, ARG, LABEL,
// EXPOSE, USER, WORKDIR, VOLUME, CMD, ENTRYPOINT, SHELL, STOPSIGNAL,
// HEALTHCHECK, ONBUILD and MAINTAINER in the config.
//
// Each step's image is kept as build cache (an intermediate image, listed
// only with images -a), found again by a key chained from the base image
// through every step: the instruction with its variables expanded, the
// ARG values, and for COPY and ADD the names, modes, owners and contents
// of what they copy (not its times). A step whose key is in the cache is
// not run again. The result, named by Tags, is an ordinary image.
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
	text := o.DockerfileText
	if text == nil {
		df := o.Dockerfile
		if df == "" {
			df = filepath.Join(dir, "Dockerfile")
		}
		if text, err = os.ReadFile(df); err != nil {
			return ImageSummary{}, invalidf("cannot read the Dockerfile: %v", err)
		}
	}
	steps, err := parseDockerfile(bytes.NewReader(text))
	if err != nil {
		return ImageSummary{}, err
	}
	ignore, err := readDockerignore(dir)
	if err != nil {
		return ImageSummary{}, err
	}
	cache, err := e.buildCache()
	if err != nil {
		return ImageSummary{}, err
	}
	b := &builder{e: e, o: o, dir: dir, ignore: ignore, out: o.Out, stages: map[string]*buildStage{}, globals: map[string]string{}, used: map[string]bool{}, cache: cache}
	if b.out == nil {
		b.out = io.Discard
	}
	final, err := b.run(ctx, steps)
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
	// cache maps build cache keys to the images made for them.
	cache map[string]store.Digest
}

// buildCache returns the build cache: the key of every image a build
// step made.
func (e *Engine) buildCache() (map[string]store.Digest, error) {
	imgs, err := e.st.Images()
	if err != nil {
		return nil, err
	}
	cache := map[string]store.Digest{}
	for _, img := range imgs {
		if img.BuildKey != "" {
			cache[img.BuildKey] = img.ID
		}
	}
	return cache, nil
}

// buildStage is one FROM's stage.
type buildStage struct {
	img   store.Image    // the stage's image so far, as stored
	cfg   *v1.ConfigFile // its config, ahead of img's within a config step
	key   string         // the build cache key of the stage so far
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
		default:
			err = b.step(ctx, st, in)
		}
		if err != nil {
			return "", fmt.Errorf("Dockerfile line %d (%s): %w", in.line, in.cmd, err)
		}
		if st != nil && st.img.ID != "" {
			fmt.Fprintf(b.out, " ---> %s\n", st.img.ID.Short())
		}
	}
	if st == nil {
		return "", invalidf("the Dockerfile has no FROM: it needs one to start from")
	}
	if b.o.Target != "" && b.stage(b.o.Target) == nil {
		return "", invalidf("target stage %q could not be found", b.o.Target)
	}
	if st.img.ID == "" {
		return "", invalidf("the Dockerfile makes an empty image: FROM scratch needs at least one step")
	}
	// The result is an ordinary image, though a step of an earlier build
	// may have made it as cache.
	if img, err := b.e.st.Image(st.img.ID); err == nil && img.Intermediate {
		img.Intermediate = false
		if err := b.e.st.PutImage(img); err != nil {
			return "", err
		}
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
		st.img, st.cfg, st.key = prev.img, prev.cfg.DeepCopy(), prev.key
	case ref == "scratch":
		st.cfg = &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH, RootFS: v1.RootFS{Type: "layers"}}
		st.key = chainKey("", "FROM scratch")
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
		st.key = chainKey("", "FROM "+string(img.ID))
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
		st.key = chainKey(st.key, "ARG "+name+"="+v)
	}
	return nil
}

// chainKey is the build cache key of a step described by desc that
// follows the steps whose key is prev.
func chainKey(prev, desc string) string {
	return store.FromBytes([]byte(prev + "\n" + desc)).Hex()
}

// step runs a RUN, COPY, ADD or config instruction, or takes the image it
// made before from the build cache.
func (b *builder) step(ctx context.Context, st *buildStage, in instruction) error {
	desc, plan, err := b.describe(ctx, st, in)
	if err != nil {
		return err
	}
	key := chainKey(st.key, desc)
	if id, ok := b.cache[key]; ok && !b.o.NoCache {
		if err := b.use(ctx, st, id); err == nil {
			fmt.Fprintln(b.out, " ---> Using cache")
			st.key = key
			return nil
		}
	}
	var id store.Digest
	switch in.cmd {
	case "RUN":
		id, err = b.runStep(ctx, st, in)
	case "COPY", "ADD":
		id, err = b.copyStep(ctx, st, in, plan)
	default:
		id, err = b.configStep(st, in)
	}
	if err != nil {
		return err
	}
	img, err := b.e.st.Image(id)
	if err != nil {
		return err
	}
	img.BuildKey, img.Intermediate = key, true
	if err := b.e.st.PutImage(img); err != nil {
		return err
	}
	b.cache[key] = id
	st.key = key
	return b.use(ctx, st, id)
}

// describe returns what of step in decides its result besides the steps
// before it: its build cache key's material; and for COPY and ADD, the
// resolved step, which copyStep takes. It also keeps what a step
// leaves in the builder rather than the image (SHELL, CMD's mark), which
// a step taken from the cache must leave too.
func (b *builder) describe(ctx context.Context, st *buildStage, in instruction) (string, copyPlan, error) {
	switch in.cmd {
	case "RUN":
		argv, env := b.runArgs(st, in)
		return "RUN\x00" + strings.Join(argv, "\x00") + "\x00\x00" + strings.Join(env, "\x00"), copyPlan{}, nil
	case "COPY", "ADD":
		p, err := b.planCopy(st, in)
		if err != nil {
			return "", p, err
		}
		sum, err := b.copySum(ctx, st, in, p)
		if err != nil {
			return "", p, err
		}
		return fmt.Sprintf("%s\x00%s\x00%s\x00%s", in.cmd, in.text, p, sum), p, nil
	case "SHELL":
		argv, ok := jsonForm(in.args)
		if !ok || len(argv) == 0 {
			return "", copyPlan{}, invalidf("SHELL takes the JSON form: SHELL [\"/bin/bash\", \"-c\"]")
		}
		st.shell = argv
	case "CMD":
		st.cmdSet = true
	}
	args, err := expand(in.args, b.lookup(st))
	if err != nil {
		return "", copyPlan{}, err
	}
	return in.cmd + "\x00" + args + "\x00" + strings.Join(st.shell, "\x00"), copyPlan{}, nil
}

// use makes image id st's image so far.
func (b *builder) use(ctx context.Context, st *buildStage, id store.Digest) error {
	img, cfg, err := b.e.LookupImage(ctx, string(id))
	if err != nil {
		return err
	}
	st.img, st.cfg = img, cfg.DeepCopy()
	return nil
}

// history is a step's history entry.
func history(createdBy string, empty bool) v1.History {
	return v1.History{Created: v1.Time{Time: time.Now().UTC()}, CreatedBy: createdBy, EmptyLayer: empty, Comment: "berth build"}
}

// runArgs returns the command of RUN step in and the environment its
// ARGs give it, below the image's.
func (b *builder) runArgs(st *buildStage, in instruction) (argv, env []string) {
	argv, ok := jsonForm(in.args)
	if !ok {
		argv = append(slices.Clone(st.shell), in.args)
	}
	for k, v := range st.args {
		if !slices.ContainsFunc(st.cfg.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") }) {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	return argv, env
}

func (b *builder) runStep(ctx context.Context, st *buildStage, in instruction) (store.Digest, error) {
	if st.img.ID == "" {
		return "", invalidf("RUN needs an image with a shell: FROM scratch has none")
	}
	argv, env := b.runArgs(st, in)
	empty := ""
	id, err := b.e.Create(ctx, CreateOptions{Image: string(st.img.ID), Cmd: argv, Entrypoint: &empty, Env: env, NetworkMode: b.o.NetworkMode})
	if err != nil {
		return "", err
	}
	defer b.e.Remove(context.WithoutCancel(ctx), id, RemoveOptions{Force: true})
	fmt.Fprintf(b.out, " ---> Running in %s\n", id[:12])
	conn, err := b.e.StartAttach(ctx, id)
	if err != nil {
		return "", err
	}
	code, err := pty.Attach(ctx, conn, pty.AttachOptions{Stdout: b.out, Stderr: b.out})
	conn.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("run: %w", err)
	}
	if code != 0 {
		return "", &BuildStepError{Command: strings.Join(argv, " "), Code: code}
	}
	if _, err := b.e.Wait(ctx, id); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(archive.WriteDiff(ctx, pw, b.e.st.Container(id).Upper)) }()
	sum, err := b.e.CommitLayer(ctx, st.img, pr, st.cfg, history(strings.Join(argv, " "), false), "")
	pr.CloseWithError(err)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(b.out, "Removing intermediate container %s\n", id[:12])
	return store.Digest(sum.ID), nil
}

// BuildStepError is a RUN step whose command failed.
type BuildStepError struct {
	Command string
	Code    int
}

func (e *BuildStepError) Error() string {
	return fmt.Sprintf("the command '%s' returned a non-zero code: %d", e.Command, e.Code)
}

// configStep applies a config instruction to st's config and stores the
// image it makes, with the same layers.
func (b *builder) configStep(st *buildStage, in instruction) (store.Digest, error) {
	args, err := expand(in.args, b.lookup(st))
	if err != nil {
		return "", err
	}
	c := &st.cfg.Config
	switch in.cmd {
	case "CMD", "ENTRYPOINT":
		argv, ok := jsonForm(in.args)
		if !ok {
			argv = append(slices.Clone(st.shell), in.args)
		}
		if in.cmd == "CMD" {
			c.Cmd = argv
		} else {
			c.Entrypoint = argv
			if !st.cmdSet {
				c.Cmd = nil
			}
		}
	case "SHELL":
		// describe took it: it is the builder's, not the image's.
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
			return "", err
		}
		c.Healthcheck = hc
	default:
		if err := ApplyChanges(c, []string{in.cmd + " " + args}); err != nil {
			return "", err
		}
	}
	st.cfg.History = append(st.cfg.History, history("/bin/sh -c #(nop) "+in.text, true))
	cfg := st.cfg.DeepCopy()
	cfg.Created = v1.Time{Time: time.Now().UTC()}
	img, err := b.e.writeImage(cfg, st.img.Layers)
	if err != nil {
		return "", err
	}
	return img.ID, nil
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

// copyPlan is a COPY or ADD step resolved: its sources, its destination
// (into it as a directory, or as it), and the owner and mode it gives.
type copyPlan struct {
	srcs    []string
	dest    string
	intoDir bool
	own     *[2]int
	mode    *int64
}

// String describes p for the build cache key.
func (p copyPlan) String() string {
	own, mode := "-", "-"
	if p.own != nil {
		own = fmt.Sprint(*p.own)
	}
	if p.mode != nil {
		mode = strconv.FormatInt(*p.mode, 8)
	}
	return fmt.Sprintf("%q %s %v %s %s", p.srcs, p.dest, p.intoDir, own, mode)
}

func (b *builder) planCopy(st *buildStage, in instruction) (copyPlan, error) {
	var p copyPlan
	words, ok := jsonForm(in.args)
	if !ok {
		words = strings.Fields(in.args)
	}
	if len(words) < 2 {
		return p, invalidf("%s takes at least one source and a destination", in.cmd)
	}
	look := b.lookup(st)
	for i, w := range words {
		x, err := expand(w, look)
		if err != nil {
			return p, err
		}
		words[i] = x
	}
	p.srcs, p.dest = words[:len(words)-1], words[len(words)-1]
	p.intoDir = strings.HasSuffix(p.dest, "/") || len(p.srcs) > 1 || strings.ContainsAny(strings.Join(p.srcs, ""), "*?[")
	if !path.IsAbs(p.dest) {
		p.dest = path.Join("/", st.cfg.Config.WorkingDir, p.dest)
	}
	p.dest = path.Clean(p.dest)
	var err error
	if p.own, err = b.owner(st, in.flags["chown"]); err != nil {
		return p, err
	}
	if m := in.flags["chmod"]; m != "" {
		v, err := strconv.ParseInt(m, 8, 32)
		if err != nil || v < 0 || v > 0o7777 {
			return p, invalidf("--chmod=%s: give an octal mode such as 0755", m)
		}
		p.mode = &v
	}
	return p, nil
}

// copySum returns the digest of what step in copies: the layer it writes,
// its times left out. With --from, the source image's ID and the paths
// stand for it.
func (b *builder) copySum(ctx context.Context, st *buildStage, in instruction, p copyPlan) (string, error) {
	if from := in.flags["from"]; from != "" {
		id, err := b.sourceImage(ctx, from)
		return string(id), err
	}
	h := store.NewDigester()
	lw := &layerWriter{st: st, e: b.e, own: p.own, mode: p.mode, dirs: map[string]bool{}, keying: true, tw: tar.NewWriter(h)}
	if err := b.writeCopy(ctx, lw, in, p); err != nil {
		return "", err
	}
	if err := lw.tw.Close(); err != nil {
		return "", err
	}
	return store.FromHash(h).String(), nil
}

// copyStep is COPY and ADD, planned as p: a layer of what they copy.
func (b *builder) copyStep(ctx context.Context, st *buildStage, in instruction, p copyPlan) (store.Digest, error) {
	lw := &layerWriter{st: st, e: b.e, own: p.own, mode: p.mode, dirs: map[string]bool{}}
	pr, pw := io.Pipe()
	lw.tw = tar.NewWriter(pw)
	written := make(chan error, 1)
	go func() {
		err := b.writeCopy(ctx, lw, in, p)
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
		return "", werr
	}
	if err != nil {
		return "", err
	}
	return store.Digest(sum.ID), nil
}

func (b *builder) writeCopy(ctx context.Context, lw *layerWriter, in instruction, p copyPlan) error {
	if from := in.flags["from"]; from != "" {
		return b.copyFrom(ctx, lw, from, p)
	}
	for _, src := range p.srcs {
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
				if err := b.copyDir(lw, m, p.dest); err != nil {
					return err
				}
			case in.cmd == "ADD" && isArchive(m):
				if err := lw.unpack(m, p.dest); err != nil {
					return fmt.Errorf("ADD %s: %w", src, err)
				}
			default:
				target := p.dest
				if p.intoDir {
					target = path.Join(p.dest, filepath.Base(m))
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
// sourceImage returns the image of COPY --from=from: a stage's so far, or
// an image, pulled if missing.
func (b *builder) sourceImage(ctx context.Context, from string) (store.Digest, error) {
	if st := b.stage(from); st != nil {
		if st.img.ID == "" {
			return "", invalidf("--from=%s: the stage has no files", from)
		}
		return st.img.ID, nil
	}
	img, _, err := b.e.LookupImage(ctx, from)
	if errors.Is(err, ErrNotFound) {
		fmt.Fprintf(b.out, "Pulling %s\n", from)
		if _, err = b.e.Pull(ctx, from, PullOptions{}); err == nil {
			img, _, err = b.e.LookupImage(ctx, from)
		}
	}
	return img.ID, err
}

func (b *builder) copyFrom(ctx context.Context, lw *layerWriter, from string, p copyPlan) error {
	ref, err := b.sourceImage(ctx, from)
	if err != nil {
		return err
	}
	id, err := b.e.Create(ctx, CreateOptions{Image: string(ref), Cmd: []string{"true"}, NetworkMode: "none"})
	if err != nil {
		return err
	}
	defer b.e.Remove(context.WithoutCancel(ctx), id, RemoveOptions{Force: true})
	for _, src := range p.srcs {
		if strings.ContainsAny(src, "*?[") {
			return invalidf("--from=%s: wildcards are not supported in %s", from, src)
		}
		var buf bytes.Buffer
		if err := b.e.CopyFrom(ctx, id, path.Join("/", src), "top", false, &buf); err != nil {
			return fmt.Errorf("--from=%s: %w", from, err)
		}
		if err := lw.reroot(&buf, p.dest, p.intoDir, path.Base(path.Join("/", src))); err != nil {
			return err
		}
	}
	return nil
}

// owner resolves --chown=USER[:GROUP] (names or numbers) against the
// stage's /etc/passwd and /etc/group; without a group the GID is the UID,
// as docker has it. nil keeps root.
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
	}
	return &[2]int{uid, gid}, nil
}

// lookupID returns the numeric ID of name in file (/etc/passwd or
// /etc/group) of the stage's image, read from its topmost layer that has
// the file; a number is its own ID.
func (st *buildStage) lookupID(e *Engine, file, name string) (int, error) {
	var entries [][]string
	if p, ok := st.findInLayers(e, file); ok {
		if data, err := os.ReadFile(p); err == nil {
			entries = launch.ParseColonFile(data)
		}
	}
	if f := launch.FindEntry(entries, name); f != nil {
		if n, err := strconv.Atoi(f[2]); err == nil {
			return n, nil
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		return n, nil
	}
	kind := "user"
	if file == "/etc/group" {
		kind = "group"
	}
	return 0, invalidf("--chown: no %s %q in the image's %s", kind, name, file)
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
	// keying writes the tar for the build cache key: without times.
	keying bool
}

// header writes hdr, its times dropped when keying.
func (lw *layerWriter) header(hdr *tar.Header) error {
	if lw.keying {
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}, time.Time{}
	}
	return lw.tw.WriteHeader(hdr)
}

// parents writes the directories above target that this layer has not
// written yet, as the image has them (so that an existing directory keeps
// its mode and owner), else as new directories of root's.
func (lw *layerWriter) parents(target string) error {
	var pending []string
	for d := path.Dir(target); d != "/" && !lw.dirs[d]; d = path.Dir(d) {
		pending = append(pending, d)
	}
	for i := len(pending) - 1; i >= 0; i-- {
		d := pending[i]
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
		if err := lw.header(hdr); err != nil {
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
	if err := lw.header(hdr); err != nil {
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
	if err := lw.header(&h); err != nil {
		return err
	}
	_, err := io.Copy(lw.tw, r)
	return err
}
