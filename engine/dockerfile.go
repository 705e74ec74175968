package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// instruction is one Dockerfile instruction, its continuation lines
// joined.
type instruction struct {
	line  int    // where it starts, 1-based
	cmd   string // upper case: FROM, RUN, COPY, ...
	args  string // the rest, flags taken out
	flags map[string]string
	text  string // as written (one line), for the step lines and history
}

// buildInstructions are the instructions build knows.
var buildInstructions = map[string]bool{
	"FROM": true, "RUN": true, "COPY": true, "ADD": true, "ENV": true, "ARG": true, "LABEL": true,
	"EXPOSE": true, "USER": true, "WORKDIR": true, "VOLUME": true, "CMD": true, "ENTRYPOINT": true,
	"STOPSIGNAL": true, "SHELL": true, "MAINTAINER": true, "HEALTHCHECK": true, "ONBUILD": true,
}

// instructionFlags are the --flags each instruction may have. --link
// changes only how BuildKit caches a copy, which berth does not, so it
// is taken and ignored.
var instructionFlags = map[string][]string{
	"COPY": {"from", "chown", "chmod", "link"},
	"ADD":  {"chown", "chmod", "link"},
	"FROM": {},
	"RUN":  {},
}

// parseDockerfile reads a Dockerfile: comments and blank lines dropped,
// lines ending in a backslash joined with the next, and leading --name=value
// flags of each instruction taken apart.
func parseDockerfile(r io.Reader) ([]instruction, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []instruction
	var cur strings.Builder
	start, n := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(body)
			continue
		}
		cur.WriteString(line)
		in, err := newInstruction(start, cur.String())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	if cur.Len() > 0 {
		in, err := newInstruction(start, cur.String())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	if len(out) == 0 {
		return nil, invalidf("the Dockerfile is empty: it needs at least a FROM")
	}
	return out, nil
}

func newInstruction(line int, s string) (instruction, error) {
	s = strings.TrimSpace(s)
	word, rest, _ := strings.Cut(s, " ")
	in := instruction{line: line, cmd: strings.ToUpper(word), text: strings.Join(strings.Fields(s), " "), flags: map[string]string{}}
	if !buildInstructions[in.cmd] {
		return in, invalidf("Dockerfile line %d: unknown instruction %s", line, word)
	}
	rest = strings.TrimSpace(rest)
	if (in.cmd == "RUN" || in.cmd == "COPY" || in.cmd == "ADD") && heredoc(rest) {
		return in, invalidf("Dockerfile line %d: here-documents (<<EOF) are not supported; put the script in a file and COPY it", line)
	}
	if known, ok := instructionFlags[in.cmd]; ok {
		for strings.HasPrefix(rest, "--") {
			flag, after, _ := strings.Cut(rest, " ")
			name, value, _ := strings.Cut(flag[2:], "=")
			if !slices.Contains(known, name) {
				return in, invalidf("Dockerfile line %d: %s --%s is not supported", line, in.cmd, name)
			}
			in.flags[name] = value
			rest = strings.TrimSpace(after)
		}
	}
	in.args = rest
	return in, nil
}

// heredoc reports whether s starts a here-document: <<WORD or <<-WORD
// (quoted or not), not a shell's << inside a longer word.
func heredoc(s string) bool {
	for _, f := range strings.Fields(s) {
		if w, ok := strings.CutPrefix(f, "<<"); ok {
			w = strings.TrimLeft(strings.TrimPrefix(w, "-"), `"'`)
			if w != "" && (w[0] >= 'A' && w[0] <= 'Z' || w[0] >= 'a' && w[0] <= 'z' || w[0] == '_') {
				return true
			}
		}
	}
	return false
}

// jsonForm returns the args of an instruction written in exec form
// (["a", "b"]), and false for shell form.
func jsonForm(args string) ([]string, bool) {
	if !strings.HasPrefix(args, "[") {
		return nil, false
	}
	var v []string
	if json.Unmarshal([]byte(args), &v) != nil {
		return nil, false
	}
	return v, true
}

// expand replaces $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alt} in s
// with the values lookup gives, as the Dockerfile does in FROM, COPY,
// ENV, LABEL, WORKDIR and the like; \$ is a literal dollar.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if c != '$' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", invalidf("missing } in %q", s)
			}
			body := s[i+2 : i+end]
			i += end
			name, op, word := body, "", ""
			if k := strings.Index(body, ":"); k >= 0 && k+1 < len(body) && (body[k+1] == '-' || body[k+1] == '+') {
				name, op, word = body[:k], body[k:k+2], body[k+2:]
			}
			v, ok := lookup(name)
			switch {
			case op == ":-" && (!ok || v == ""):
				v = word
			case op == ":+":
				if ok && v != "" {
					v = word
				} else {
					v = ""
				}
			}
			b.WriteString(v)
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || j > i+1 && s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j == i+1 {
			b.WriteByte(c)
			continue
		}
		v, _ := lookup(s[i+1 : j])
		b.WriteString(v)
		i = j - 1
	}
	return b.String(), nil
}

// ignorePattern is one line of .dockerignore.
type ignorePattern struct {
	parts  []string // the pattern's path elements; "**" is any number
	negate bool     // a "!" line: an exception
}

// readDockerignore reads dir/.dockerignore; no file is no patterns.
func readDockerignore(dir string) ([]ignorePattern, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	var out []ignorePattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			p.negate, line = true, strings.TrimSpace(rest)
		}
		line = path.Clean(strings.TrimPrefix(line, "/"))
		if _, err := path.Match(strings.ReplaceAll(line, "**", "*"), ""); err != nil {
			return nil, invalidf(".dockerignore: bad pattern %q", line)
		}
		p.parts = strings.Split(line, "/")
		out = append(out, p)
	}
	return out, nil
}

// ignored reports whether the context's file rel (slash-separated,
// relative to the context) is excluded: the last pattern that matches it
// or a directory above it decides.
func ignored(patterns []ignorePattern, rel string) bool {
	segs := strings.Split(rel, "/")
	out := false
	for _, p := range patterns {
		for n := 1; n <= len(segs); n++ {
			if matchParts(p.parts, segs[:n]) {
				out = !p.negate
				break
			}
		}
	}
	return out
}

func matchParts(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchParts(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], segs[0])
	return ok && matchParts(pat[1:], segs[1:])
}
