package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeFiles writes files (path: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuild(t *testing.T) {
	b := buildBerth(t)
	ctx := t.TempDir()
	writeFiles(t, ctx, map[string]string{
		"src/a.txt":     "alpha\n",
		"src/sub/b.txt": "beta\n",
		"src/debug.log": "excluded\n",
		".dockerignore": "# logs stay out\n**/*.log\n",
		"Dockerfile": `# two stages
ARG BASE=bb
FROM ${BASE} AS build
ARG GREETING=hi
ENV APP=/app
WORKDIR $APP
COPY src/ ./
RUN echo "$GREETING from $APP" > built.txt && \
    test ! -e debug.log
COPY --chown=nobody:nobody src/a.txt /home/nobody/
COPY --chown=1234 src/a.txt /tmp/
RUN stat -c '%u:%g %a' /home/nobody/a.txt /tmp /tmp/a.txt > owners.txt

FROM bb
COPY --from=build /app /opt/app
COPY --from=0 /app/owners.txt /opt/
LABEL version="1.0" team=core
EXPOSE 8080
ENTRYPOINT ["cat"]
CMD ["/opt/app/built.txt"]
`,
	})
	out := b.ok("build", "-t", "demo:1", "--build-arg", "GREETING=hello", ctx)
	for _, want := range []string{"Step 1/17 : ARG BASE=bb\n", "Step 17/17 : CMD [\"/opt/app/built.txt\"]\n", "Removing intermediate container ", "Successfully tagged demo:1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	if got := b.ok("run", "--rm", "demo:1"); got != "hello from /app\n" {
		t.Errorf("the built image ran %q", got)
	}
	// The chown and the directory /tmp, which the COPY's layer must not
	// have turned into an ordinary directory.
	if got := b.ok("run", "--rm", "demo:1", "/opt/owners.txt"); got != "65534:65534 644\n0:0 1777\n1234:1234 644\n" {
		t.Errorf("owners and modes in the build stage: %q", got)
	}
	if got := b.ok("run", "--rm", "--entrypoint", "ls", "demo:1", "/opt/app", "/opt/app/sub"); got != "/opt/app:\na.txt\nbuilt.txt\nowners.txt\nsub\n\n/opt/app/sub:\nb.txt\n" {
		t.Errorf("the files copied from the first stage: %q", got)
	}
	cfg := b.ok("image", "inspect", "-f", "{{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}", "demo:1")
	if cfg != `{"team":"core","version":"1.0"} {"8080/tcp":{}} ["cat"] ["/opt/app/built.txt"]`+"\n" {
		t.Errorf("the built image's config: %s", cfg)
	}
	if hist := b.ok("history", "--no-trunc", "demo:1"); !strings.Contains(hist, "#(nop) COPY --from=build /app /opt/app") || !strings.Contains(hist, "#(nop) EXPOSE 8080") {
		t.Errorf("history:\n%s", hist)
	}
	// The steps' images are build cache, listed only with -a; no step
	// container stays.
	if imgs := b.ok("images", "-q"); strings.Count(imgs, "\n") != 2 {
		t.Errorf("images after the build:\n%s", imgs)
	}
	if imgs := b.ok("images", "-aq"); strings.Count(imgs, "\n") != 14 {
		t.Errorf("images -a after the build lists no build cache:\n%s", imgs)
	}
	if ps := b.ok("ps", "-aq"); ps != "" {
		t.Errorf("containers left by the build: %q", ps)
	}
	if df := b.ok("system", "df"); !regexp.MustCompile(`(?m)^Build Cache\s+12\s`).MatchString(df) {
		t.Errorf("system df does not count the build cache:\n%s", df)
	}

	// Built again: every step comes from the cache, and so does the result.
	id1 := b.ok("image", "inspect", "-f", "{{.Id}}", "demo:1")
	again := b.ok("build", "-t", "demo:1", "--build-arg", "GREETING=hello", ctx)
	if n := strings.Count(again, " ---> Using cache\n"); n != 13 || strings.Contains(again, "Running in") {
		t.Errorf("a second build used the cache %d times, want 13:\n%s", n, again)
	}
	if id2 := b.ok("image", "inspect", "-f", "{{.Id}}", "demo:1"); id2 != id1 {
		t.Errorf("the rebuilt image is %s, was %s", id2, id1)
	}
	// A changed file: the steps from its COPY on run again, and the new
	// file is in the image. Another build-arg value: its RUN runs again.
	writeFiles(t, ctx, map[string]string{"src/sub/b.txt": "gamma\n"})
	changed := b.ok("build", "-t", "demo:1", "--build-arg", "GREETING=hello", ctx)
	if n := strings.Count(changed, " ---> Using cache\n"); n != 2 {
		t.Errorf("after a change the build used the cache %d times, want 2 (ENV, WORKDIR):\n%s", n, changed)
	}
	if got := b.ok("run", "--rm", "--entrypoint", "cat", "demo:1", "/opt/app/sub/b.txt"); got != "gamma\n" {
		t.Errorf("the changed file in the image: %q", got)
	}
	if out := b.ok("build", "--build-arg", "GREETING=bye", "-t", "bye:1", ctx); !strings.Contains(out, "Running in") || b.ok("run", "--rm", "bye:1") != "bye from /app\n" {
		t.Errorf("a new build-arg value did not run its RUN again:\n%s", out)
	}
	if out := b.ok("build", "--no-cache", "-t", "demo:1", "--build-arg", "GREETING=hello", ctx); strings.Contains(out, "Using cache") {
		t.Errorf("build --no-cache used the cache:\n%s", out)
	}
	pruned := b.ok("builder", "prune", "-f")
	if !strings.HasPrefix(pruned, "Deleted build cache objects:\n") || !strings.Contains(pruned, "Total reclaimed space: ") {
		t.Errorf("builder prune printed:\n%s", pruned)
	}
	if all, listed := b.ok("images", "-aq"), b.ok("images", "-q"); all != listed {
		t.Errorf("images -a after builder prune:\n%s\nimages:\n%s", all, listed)
	}
	if got := b.ok("run", "--rm", "demo:1"); got != "hello from /app\n" {
		t.Errorf("the image after builder prune ran %q", got)
	}

	// --target stops at the first stage; -q prints the ID only.
	id := strings.TrimSpace(b.ok("build", "-q", "--target", "build", "-t", "stage:1", ctx))
	if !strings.HasPrefix(id, "sha256:") || b.ok("run", "--rm", "stage:1", "cat", "/app/built.txt") != "hi from /app\n" {
		t.Errorf("build --target build -q printed %q", id)
	}

	// The Dockerfile on standard input: with the context (-f -) and
	// without one (PATH -).
	if code, _, errs := b.run("FROM bb\nCOPY src/a.txt /a.txt\nCMD [\"cat\", \"/a.txt\"]\n", "build", "-t", "stdin:1", "-f", "-", ctx); code != 0 || b.ok("run", "--rm", "stdin:1") != "alpha\n" {
		t.Errorf("build -f - = %d %q", code, errs)
	}
	if code, _, errs := b.run("FROM bb\nRUN echo none > /n\n", "build", "-t", "stdin:2", "-"); code != 0 || b.ok("run", "--rm", "stdin:2", "cat", "/n") != "none\n" {
		t.Errorf("build - = %d %q", code, errs)
	}
	if code, _, errs := b.run("FROM bb\nCOPY x /x\n", "build", "-"); code != 1 || !strings.Contains(errs, "file not found in build context") {
		t.Errorf("COPY in a build without a context = %d %q", code, errs)
	}

	// Bad input: one line naming the problem, no container left behind.
	bad := t.TempDir()
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM bb\nRUN echo start; exit 3\n", "the command '/bin/sh -c echo start; exit 3' returned a non-zero code: 3"},
		{"FROM bb\nFOO bar\n", "Dockerfile line 2: unknown instruction FOO"},
		{"FROM bb\nCOPY nothere /x\n", "file not found in build context or excluded by .dockerignore: nothere"},
		{"FROM bb\nCOPY ../x /x\n", "forbidden path outside the build context: ../x"},
		{"FROM bb\nCOPY --chown=nobody:wheel x /x\n", `--chown: no group "wheel" in the image's /etc/group`},
		{"FROM bb\nCOPY --chown=ghost x /x\n", `--chown: no user "ghost" in the image's /etc/passwd`},
		{"RUN true\n", "RUN before the first FROM"},
		{"FROM bb\nRUN <<EOF\necho x\nEOF\n", "here-documents"},
		{"", "the Dockerfile is empty"},
		{"ARG X=1\n", "the Dockerfile has no FROM"},
	} {
		writeFiles(t, bad, map[string]string{"Dockerfile": tc.dockerfile})
		code, _, errs := b.run("", "build", "-t", "bad:1", bad)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("build of %q = %d %q, want 1 and one line with %q", tc.dockerfile, code, errs, tc.want)
		}
	}
	if code, _, errs := b.run("", "build", "--target", "nope", ctx); code != 1 || !strings.Contains(errs, `target stage "nope" could not be found`) {
		t.Errorf("build --target nope = %d %q", code, errs)
	}
	if code, _, errs := b.run("", "build", "-t", "Bad//Tag", ctx); code != 1 || !strings.Contains(errs, "invalid reference format") {
		t.Errorf("build -t Bad//Tag = %d %q", code, errs)
	}
	if code, _, errs := b.run("", "build", filepath.Join(bad, "none")); code != 1 || !strings.Contains(errs, "not a directory") {
		t.Errorf("build of a missing context = %d %q", code, errs)
	}
	if imgs := b.ok("images", "-q", "--filter", "reference=bad"); imgs != "" {
		t.Errorf("the failed builds named an image:\n%s", imgs)
	}
	if ps := b.ok("ps", "-aq"); ps != "" {
		t.Errorf("the failed builds left containers: %q", ps)
	}
}
