package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/berth-dev/berth/engine/archive"
	"github.com/berth-dev/berth/store"
)

// PullOptions configures Pull.
type PullOptions struct {
	// Platform selects the image of an index: os/arch[/variant]. Empty
	// means this host's platform.
	Platform string
	// Progress, if set, receives per-layer progress. Calls come from
	// several goroutines but never at the same time.
	Progress func(PullProgress)
}

// Pull progress states, in the order a layer goes through them.
const (
	PullWaiting       = "Waiting"
	PullDownloading   = "Downloading"
	PullVerifying     = "Verifying"
	PullExtracting    = "Extracting"
	PullComplete      = "Pull complete"
	PullAlreadyExists = "Already exists"
)

// PullProgress is one progress report of one layer.
type PullProgress struct {
	// Layer is the layer's short (12 hex digit) blob digest.
	Layer string
	// State is one of the Pull* state constants.
	State string
	// Current and Total count compressed bytes while downloading or
	// extracting; Total is 0 when unknown.
	Current, Total int64
}

// RegistryError is a registry's refusal of a request, such as an unknown
// manifest (wrapping ErrNotFound) or missing credentials.
type RegistryError struct {
	// Op is what was refused: "pull" or "push".
	Op string
	// Ref is the reference as the user gave it.
	Ref string
	// Status is the HTTP status code.
	Status int
	// Message is the registry's explanation, such as "manifest unknown".
	Message string
}

func (e *RegistryError) Error() string {
	switch e.Status {
	case http.StatusNotFound:
		if e.Op == "pull" {
			return fmt.Sprintf("manifest for %s not found: %s", e.Ref, e.Message)
		}
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("%s access denied for %s: %s", e.Op, e.Ref, e.Message)
	}
	return fmt.Sprintf("%s %s: registry said %d: %s", e.Op, e.Ref, e.Status, e.Message)
}

// Unwrap returns ErrNotFound for a 404 and nothing else otherwise.
func (e *RegistryError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

// registryError turns go-containerregistry's transport errors in op
// ("pull" or "push") of ref into one clear line.
func registryError(op, ref string, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		host := ref
		if r, perr := parseReference(ref); perr == nil {
			host = r.domain
		}
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return fmt.Errorf("%s %s: cannot resolve registry host %s: %w", op, ref, host, dns)
		}
		var dial *net.OpError
		if errors.As(err, &dial) && dial.Op == "dial" {
			return fmt.Errorf("%s %s: cannot reach registry %s: %w", op, ref, host, dial.Err)
		}
		return fmt.Errorf("%s %s: %w", op, ref, err)
	}
	msg := http.StatusText(te.StatusCode)
	if len(te.Errors) > 0 {
		msg = te.Errors[0].Message
		if msg == "" {
			msg = string(te.Errors[0].Code)
		}
	}
	switch te.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg = "repository does not exist or needs credentials (berth reads ~/.docker/config.json): " + msg
	case http.StatusNotFound:
		if len(te.Errors) > 0 {
			switch te.Errors[0].Code {
			case transport.ManifestUnknownErrorCode:
				msg = "manifest unknown"
			case transport.NameUnknownErrorCode:
				msg = "repository name not known to registry"
			}
		}
	}
	return &RegistryError{Op: op, Ref: ref, Status: te.StatusCode, Message: msg}
}

// hostPlatform is this machine's platform, the default of a pull.
func hostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm" {
		p.Variant = "v7"
	}
	return p
}

// registry is an authenticated connection to one repository, shared by
// the requests of one pull.
type registry struct {
	repo   name.Repository
	tr     http.RoundTripper
	client *http.Client
}

func (e *Engine) dialRegistry(ctx context.Context, ref name.Reference) (*registry, error) {
	repo := ref.Context()
	auth, err := authn.DefaultKeychain.Resolve(repo.Registry)
	if err != nil {
		return nil, fmt.Errorf("resolve credentials for %s: %w", repo.RegistryStr(), err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true
	base.ReadBufferSize = 256 << 10
	base.MaxIdleConnsPerHost = 8
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, base, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, err
	}
	return &registry{repo: repo, tr: tr, client: &http.Client{Transport: tr}}, nil
}

// blob starts downloading the blob d and returns its body and length (-1
// if unknown). The caller closes the body.
func (r *registry) blob(ctx context.Context, d v1.Hash) (io.ReadCloser, int64, error) {
	u := url.URL{
		Scheme: r.repo.Scheme(),
		Host:   r.repo.RegistryStr(),
		Path:   fmt.Sprintf("/v2/%s/blobs/%s", r.repo.RepositoryStr(), d),
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		resp.Body.Close()
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// progress serializes and throttles the reports of one pull.
type progress struct {
	mu   sync.Mutex
	fn   func(PullProgress)
	last map[string]time.Time
}

func (p *progress) report(layer, state string, cur, total int64) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if state == PullDownloading || state == PullExtracting {
		now := time.Now()
		if now.Sub(p.last[layer]) < 100*time.Millisecond && cur != total {
			return
		}
		p.last[layer] = now
	}
	p.fn(PullProgress{Layer: layer, State: state, Current: cur, Total: total})
}

// countingReader reports the bytes read through it.
type countingReader struct {
	r     io.Reader
	n     int64
	total int64
	fn    func(n, total int64)
}

// Close closes the underlying reader if it is a Closer.
func (c *countingReader) Close() error {
	if cl, ok := c.r.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 {
		c.fn(c.n, c.total)
	}
	return n, err
}

// layerJob is one layer of an image being pulled, loaded or committed.
type layerJob struct {
	desc    v1.Descriptor // compressed blob
	diffID  store.Digest
	chainID store.Digest
	parent  store.Digest
}

// layerJobs pairs the manifest's layers with the config's diff IDs.
func layerJobs(mf *v1.Manifest, cfg *v1.ConfigFile) ([]layerJob, error) {
	if len(mf.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%w: manifest has %d layers but config has %d diff IDs", ErrInvalid, len(mf.Layers), len(cfg.RootFS.DiffIDs))
	}
	diffIDs := make([]store.Digest, len(mf.Layers))
	for i, d := range cfg.RootFS.DiffIDs {
		diff, err := store.ParseDigest(d.String())
		if err != nil {
			return nil, fmt.Errorf("%w: config diff ID: %v", ErrInvalid, err)
		}
		diffIDs[i] = diff
	}
	chains := store.ChainIDs(diffIDs)
	jobs := make([]layerJob, len(mf.Layers))
	for i, l := range mf.Layers {
		if !layerMediaTypeOK(l.MediaType) {
			return nil, fmt.Errorf("%w: layer %s has media type %s, which berth does not fetch", ErrInvalid, l.Digest, l.MediaType)
		}
		if _, err := store.ParseDigest(l.Digest.String()); err != nil {
			return nil, fmt.Errorf("%w: layer digest: %v", ErrInvalid, err)
		}
		jobs[i] = layerJob{desc: l, diffID: diffIDs[i], chainID: chains[i]}
		if i > 0 {
			jobs[i].parent = chains[i-1]
		}
	}
	return jobs, nil
}

// Pull fetches the image ref from its registry, stores its blobs, unpacks
// its layers and names it ref. Layers already unpacked (by chain ID) are
// not fetched again. Up to the engine's parallel setting layers are fetched
// at once; each is streamed once: its compressed digest is checked while it
// is written to the store, its decompressed bytes against the config's diff
// ID while they are unpacked. Nothing is recorded unless every check
// passes, so a failed or interrupted pull leaves no image and no partial
// layer; running it again finishes it.
//
// Errors: an *InvalidReferenceError (ErrInvalid) for a malformed ref, a
// *RegistryError for a registry refusal (ErrNotFound for an unknown
// manifest), store.ErrDigestMismatch (wrapped) for corrupt content.
func (e *Engine) Pull(ctx context.Context, ref string, opts PullOptions) (ImageSummary, error) {
	r, err := parseReference(ref)
	if err != nil {
		return ImageSummary{}, err
	}
	platform := hostPlatform()
	if opts.Platform != "" {
		p, err := v1.ParsePlatform(opts.Platform)
		if err != nil {
			return ImageSummary{}, invalidf("parse platform %q", opts.Platform)
		}
		platform = *p
	}
	rref, err := e.remoteRef(r)
	if err != nil {
		return ImageSummary{}, err
	}
	reg, err := e.dialRegistry(ctx, rref)
	if err != nil {
		return ImageSummary{}, registryError("pull", r.Familiar(), err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(reg.tr), remote.WithPlatform(platform)}
	desc, err := remote.Get(rref, ropts...)
	if err != nil {
		return ImageSummary{}, registryError("pull", r.Familiar(), err)
	}
	img, err := desc.Image()
	if err != nil {
		if desc.MediaType.IsIndex() {
			return ImageSummary{}, fmt.Errorf("pull %s: %w: no image for platform %s in the index", r.Familiar(), ErrNotFound, platform)
		}
		return ImageSummary{}, registryError("pull", r.Familiar(), err)
	}
	rawManifest, err := img.RawManifest()
	if err != nil {
		return ImageSummary{}, registryError("pull", r.Familiar(), err)
	}
	mf, err := v1.ParseManifest(bytesReader(rawManifest))
	if err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: decode manifest: %w", r.Familiar(), err)
	}
	mt, _ := img.MediaType()
	if !desc.MediaType.IsIndex() && store.FromBytes(rawManifest).String() != desc.Digest.String() {
		return ImageSummary{}, fmt.Errorf("pull %s: manifest: %w", r.Familiar(), store.ErrDigestMismatch)
	}
	rawConfig, err := e.fetchSmallBlob(ctx, reg, mf.Config)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: config: %w", r.Familiar(), err)
	}
	cfg, err := v1.ParseConfigFile(bytesReader(rawConfig))
	if err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: decode config: %w", r.Familiar(), err)
	}
	if opts.Platform != "" && !desc.MediaType.IsIndex() && !(v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}).Satisfies(platform) {
		return ImageSummary{}, fmt.Errorf("pull %s: %w: the image is for %s/%s, not %s", r.Familiar(), ErrNotFound, cfg.OS, cfg.Architecture, platform)
	}
	jobs, err := layerJobs(mf, cfg)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: %w", r.Familiar(), err)
	}

	unlock, err := e.st.RLock("gc")
	if err != nil {
		return ImageSummary{}, err
	}
	defer unlock()
	prog := &progress{fn: opts.Progress, last: map[string]time.Time{}}
	for _, j := range jobs {
		if _, ok := e.st.HasBlob(store.Digest(j.desc.Digest.String())); !ok || !e.st.HasLayer(j.chainID) {
			prog.report(shortHex(j.desc.Digest.Hex), PullWaiting, 0, j.desc.Size)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.parallel)
	for _, j := range jobs {
		g.Go(func() error { return e.pullLayer(gctx, reg, j, prog) })
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return ImageSummary{}, fmt.Errorf("pull %s: %w", r.Familiar(), ctx.Err())
		}
		return ImageSummary{}, fmt.Errorf("pull %s: %w", r.Familiar(), err)
	}
	rec, err := e.recordImage(rawManifest, string(mt), rawConfig, cfg, jobs)
	if err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: %w", r.Familiar(), err)
	}
	repoDigest := r
	repoDigest.tag, repoDigest.digest = "", desc.Digest.String()
	if err := e.st.UpdateImageRefs(func(refs *store.Refs) error {
		if r.tag != "" {
			refs.Tags[r.tagged()] = rec.ID
		}
		refs.Digests[repoDigest.digested()] = rec.ID
		return nil
	}); err != nil {
		return ImageSummary{}, fmt.Errorf("pull %s: %w", r.Familiar(), err)
	}
	e.emit("image", "pull", string(rec.ID), map[string]string{"name": r.Familiar()})
	e.log.Info("pulled image", "image", rec.ID, "name", r.String(), "digest", desc.Digest.String())
	ix, err := e.loadIndex()
	if err != nil {
		return ImageSummary{}, err
	}
	return ix.summary(rec, 0), nil
}

func shortHex(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// fetchSmallBlob fetches a config blob, verifies it and returns it. It is
// stored later, with the image record.
func (e *Engine) fetchSmallBlob(ctx context.Context, reg *registry, d v1.Descriptor) ([]byte, error) {
	if b, err := e.st.ReadBlob(store.Digest(d.Digest.String())); err == nil {
		return b, nil
	}
	body, _, err := reg.blob(ctx, d.Digest)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	const maxConfig = 64 << 20
	b, err := io.ReadAll(io.LimitReader(body, maxConfig+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfig {
		return nil, fmt.Errorf("%w: config blob larger than %d bytes", ErrInvalid, maxConfig)
	}
	if got := store.FromBytes(b); got.String() != d.Digest.String() {
		return nil, fmt.Errorf("blob %s: %w: got %s", d.Digest, store.ErrDigestMismatch, got)
	}
	return b, nil
}

// pullLayer makes sure one layer is both stored as a blob and unpacked.
func (e *Engine) pullLayer(ctx context.Context, reg *registry, j layerJob, prog *progress) error {
	short := shortHex(j.desc.Digest.Hex)
	blob := store.Digest(j.desc.Digest.String())
	_, haveBlob := e.st.HasBlob(blob)
	haveLayer := e.st.HasLayer(j.chainID)
	if haveBlob && haveLayer {
		prog.report(short, PullAlreadyExists, 0, 0)
		return nil
	}
	total := j.desc.Size
	if haveBlob {
		rc, size, err := e.st.OpenBlob(blob)
		if err != nil {
			return err
		}
		defer rc.Close()
		cr := &countingReader{r: rc, total: size, fn: func(n, t int64) { prog.report(short, PullExtracting, n, t) }}
		if err := e.applyLayer(ctx, cr, nil, j, true); err != nil {
			return fmt.Errorf("layer %s: %w", short, err)
		}
		prog.report(short, PullComplete, size, size)
		return nil
	}
	body, _, err := reg.blob(ctx, j.desc.Digest)
	if err != nil {
		return fmt.Errorf("fetch layer %s: %w", short, err)
	}
	defer body.Close()
	bw, err := e.st.NewBlobWriter()
	if err != nil {
		return err
	}
	defer bw.Close()
	cr := &countingReader{r: body, total: total, fn: func(n, t int64) { prog.report(short, PullDownloading, n, t) }}
	if err := e.applyLayer(ctx, cr, bw, j, !haveLayer); err != nil {
		return fmt.Errorf("layer %s: %w", short, err)
	}
	prog.report(short, PullComplete, total, total)
	return nil
}

// applyLayer streams the compressed layer src once: into bw (if not nil,
// committed under the descriptor's digest and size), through the
// decompressor, through a diff ID hash and, if unpack, into a staged layer
// committed under the job's chain ID. The blob and the layer are
// committed only after the diff ID, the compressed digest and the size
// all match; on any error both are discarded.
func (e *Engine) applyLayer(ctx context.Context, src io.Reader, bw *store.BlobWriter, j layerJob, unpack bool) error {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c, ok := src.(io.Closer); ok {
		// Cancelling aborts a download blocked in Read.
		defer context.AfterFunc(ctx, func() { c.Close() })()
	}
	var in io.Reader = src
	if bw != nil {
		in = io.TeeReader(src, bw)
	}
	// Three stages, each in its own goroutine, joined by read-ahead
	// buffers: read (and store) the compressed stream; decompress it;
	// hash and unpack the tar (here).
	compressed := newReadAhead(in, 4, 1<<20)
	br := bufio.NewReaderSize(compressed, 64<<10)
	var decompressed *readAhead
	var dec io.ReadCloser
	stopped := false
	stop := func(abort bool) {
		if stopped {
			return
		}
		stopped = true
		if abort {
			cancel()
		}
		compressed.Close()
		if decompressed != nil {
			decompressed.Close()
		}
		if dec != nil {
			dec.Close()
		}
	}
	defer stop(true)
	dec, err := decompressor(br)
	if err != nil {
		stop(true)
		if compressed.srcErr != nil {
			err = compressed.srcErr
		}
		return fmt.Errorf("read layer: %w", err)
	}
	decompressed = newReadAhead(&drainAfter{r: dec, rest: br}, 4, 1<<20)
	h := store.NewDigester()
	tr := io.TeeReader(decompressed, h)
	var stage *store.LayerStage
	var stats archive.Stats
	var applyErr error
	if unpack {
		stage, applyErr = e.st.NewLayer()
		if applyErr == nil {
			defer stage.Close()
			stats, applyErr = archive.Apply(ctx, stage.Dir(), tr)
		}
	}
	if applyErr == nil {
		_, applyErr = io.CopyBuffer(io.Discard, tr, make([]byte, 256<<10))
	}
	if bw != nil && applyErr != nil && ctx.Err() == nil {
		// Finish reading the blob: if it is corrupt, say that rather
		// than what the corruption broke downstream.
		stop(false)
		if compressed.srcErr == nil {
			io.Copy(io.Discard, io.LimitReader(in, j.desc.Size-bw.Size()+1))
		}
		if bw.Size() == j.desc.Size && bw.Digest().String() != j.desc.Digest.String() {
			return fmt.Errorf("verify blob %s: %w: got %s", j.desc.Digest, store.ErrDigestMismatch, bw.Digest())
		}
	}
	stop(applyErr != nil)
	readErr := compressed.srcErr
	if readErr == nil {
		readErr = decompressed.srcErr
	}
	if readErr != nil {
		if errors.Is(readErr, io.ErrUnexpectedEOF) && bw != nil && compressed.srcErr != nil {
			return fmt.Errorf("download blob %s: truncated after %d of %d bytes: %w", j.desc.Digest, bw.Size(), j.desc.Size, readErr)
		}
		return fmt.Errorf("read layer: %w", readErr)
	}
	if applyErr != nil {
		return fmt.Errorf("unpack layer: %w", applyErr)
	}
	if got := store.FromHash(h); got != j.diffID {
		return fmt.Errorf("verify layer %s: %w: diff ID is %s", j.diffID, store.ErrDigestMismatch, got)
	}
	if bw != nil && (bw.Size() != j.desc.Size || bw.Digest().String() != j.desc.Digest.String()) {
		return fmt.Errorf("verify blob %s: %w: got %s (%d bytes, want %d)", j.desc.Digest, store.ErrDigestMismatch, bw.Digest(), bw.Size(), j.desc.Size)
	}
	streamed := time.Since(start)
	// The layer goes first: its syncfs also flushes the blob's pages, so
	// the blob's own fsync then finds little left to write. A crash
	// between the two leaves a layer without its blob, which the next
	// pull fetches again.
	if unpack {
		meta := store.Layer{ChainID: j.chainID, DiffID: j.diffID, Parent: j.parent, Size: stats.Size}
		if err := stage.Commit(meta); err != nil {
			return err
		}
	}
	if bw != nil {
		if _, err := bw.Commit(store.Digest(j.desc.Digest.String()), j.desc.Size); err != nil {
			return err
		}
	}
	e.log.Debug("layer stored", "digest", j.desc.Digest.String(), "bytes", stats.Size,
		"stream", streamed, "commit", time.Since(start)-streamed)
	return nil
}

// recordImage stores the manifest and config blobs and the image record
// of an image whose layers are all stored and unpacked.
func (e *Engine) recordImage(rawManifest []byte, manifestType string, rawConfig []byte, cfg *v1.ConfigFile, jobs []layerJob) (store.Image, error) {
	md, err := e.st.PutBlobBytes(rawManifest)
	if err != nil {
		return store.Image{}, err
	}
	id, err := e.st.PutBlobBytes(rawConfig)
	if err != nil {
		return store.Image{}, err
	}
	rec := store.Image{
		ID:                id,
		Manifest:          md,
		ManifestMediaType: manifestType,
		Created:           cfg.Created.Time.UTC(),
		Added:             time.Now().UTC(),
	}
	for _, j := range jobs {
		l, err := e.st.Layer(j.chainID)
		if err != nil {
			return store.Image{}, err
		}
		rec.Size += l.Size
		rec.Layers = append(rec.Layers, store.ImageLayer{
			Digest:    store.Digest(j.desc.Digest.String()),
			MediaType: string(j.desc.MediaType),
			Size:      j.desc.Size,
			DiffID:    j.diffID,
		})
	}
	if old, err := e.st.Image(id); err == nil && !old.Added.IsZero() {
		rec.Added = old.Added
	}
	if err := e.st.PutImage(rec); err != nil {
		return store.Image{}, err
	}
	return rec, nil
}

// layerMediaTypeOK reports whether a layer media type is one berth unpacks.
func layerMediaTypeOK(mt types.MediaType) bool {
	switch mt {
	case types.DockerForeignLayer, types.OCIRestrictedLayer, types.OCIUncompressedRestrictedLayer:
		return false
	}
	return true
}
