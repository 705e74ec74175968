package engine

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDockerfile(t *testing.T) {
	steps, err := parseDockerfile(strings.NewReader(`# syntax=docker/dockerfile:1
FROM bb AS base

run apk add \
    # a comment inside a continuation
    curl \
    git
COPY --chown=1:2 --from=base a b /dst/
CMD ["sh", "-c", "echo hi"]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.cmd+"|"+s.args)
	}
	want := []string{"FROM|bb AS base", "RUN|apk add     curl     git", "COPY|a b /dst/", `CMD|["sh", "-c", "echo hi"]`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("instructions = %q, want %q", got, want)
	}
	if steps[1].line != 4 || steps[2].flags["chown"] != "1:2" || steps[2].flags["from"] != "base" {
		t.Errorf("line %d, flags %v", steps[1].line, steps[2].flags)
	}
	if argv, ok := jsonForm(steps[3].args); !ok || !reflect.DeepEqual(argv, []string{"sh", "-c", "echo hi"}) {
		t.Errorf("jsonForm = %q %v", argv, ok)
	}
	if _, ok := jsonForm("[not json"); ok {
		t.Error("a bracket that is not JSON is the shell form")
	}
	for _, bad := range []string{"", "# only a comment\n", "FROM bb\nBOGUS x\n", "FROM bb\nRUN <<EOF\nx\nEOF\n",
		"FROM bb\nRUN --mount=type=cache,target=/c true\n", "FROM --platform=linux/arm64 bb\n", "FROM bb\nADD --from=x a b\n"} {
		if _, err := parseDockerfile(strings.NewReader(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("parse %q: err %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := parseDockerfile(strings.NewReader("FROM bb\nRUN cat <<< word && echo a<<b\n")); err != nil {
		t.Errorf("a here-string is not a here-document: %v", err)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "1", "EMPTY": "", "PATH_X": "/p"}
	look := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for in, want := range map[string]string{
		"$A":             "1",
		"${A}b":          "1b",
		"x${NONE:-d}y":   "xdy",
		"${EMPTY:-d}":    "d",
		"${A:+set}":      "set",
		"${NONE:+set}":   "",
		`\$A`:            "$A",
		"$PATH_X/bin":    "/p/bin",
		"cost: 5$":       "cost: 5$",
		"$1":             "$1",
		"${A}${PATH_X}$": "1/p$",
	} {
		got, err := expand(in, look)
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := expand("${A", look); !errors.Is(err, ErrInvalid) {
		t.Errorf("an unclosed ${ gives %v", err)
	}
}

func TestDockerignore(t *testing.T) {
	var pats []ignorePattern
	for _, line := range []string{"*.log", "build", "**/*.tmp", "docs/**", "!docs/keep.md"} {
		pats = append(pats, ignorePattern{parts: strings.Split(line, "/")})
	}
	pats[4] = ignorePattern{parts: []string{"docs", "keep.md"}, negate: true}
	for rel, want := range map[string]bool{
		"a.log":         true,
		"sub/a.log":     false,
		"build":         true,
		"build/x/y":     true,
		"x/y/z.tmp":     true,
		"z.tmp":         true,
		"docs/a.md":     true,
		"docs/keep.md":  false,
		"src/main.go":   false,
		"builder/x.txt": false,
	} {
		if got := ignored(pats, rel); got != want {
			t.Errorf("ignored(%q) = %v, want %v", rel, got, want)
		}
	}
}
