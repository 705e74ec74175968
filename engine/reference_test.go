package engine

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The hand-written matchers of the reference grammar agree with docker's
// regular expressions for it, on chosen strings and on random ones.
func TestReferenceMatchersAgreeWithTheGrammar(t *testing.T) {
	grammar := []struct {
		name  string
		re    *regexp.Regexp
		match func(string) bool
		alpha string
		cases []string
	}{
		{"component", regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`), isComponent, "az09._-A",
			[]string{"busybox", "a", "a.b", "a..b", "a_b", "a__b", "a___b", "a-b", "a---b", "-a", "a-", "a.", "_a", "", "Ab", "a_.b"}},
		{"tag", regexp.MustCompile(`^[\w][\w.-]{0,127}$`), isTag, "aZ9_.-:",
			[]string{"latest", "1.0", "_x", ".x", "-x", "x-", "", strings.Repeat("a", 128), strings.Repeat("a", 129), "v1.2-rc_3"}},
		{"digest", regexp.MustCompile(`^sha256:[a-f0-9]{64}$`), isDigest, "af09g:",
			[]string{"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("a", 63), "sha256:" + strings.Repeat("A", 64), "sha512:" + strings.Repeat("a", 64), ""}},
		{"domain", regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$`), isDomain, "aZ9-.:[]",
			[]string{"localhost", "localhost:5000", "127.0.0.1:5000", "a-b.c", "-a", "a-", "a..b", "a:", ":5000", "[::1]:5000", "[::1]", "[]", "[::1]x", "a:50:00", "registry.example.com", ""}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range grammar {
		inputs := g.cases
		for range 20000 {
			b := make([]byte, rng.IntN(10))
			for i := range b {
				b[i] = g.alpha[rng.IntN(len(g.alpha))]
			}
			inputs = append(inputs, string(b))
		}
		for _, s := range inputs {
			if got, want := g.match(s), g.re.MatchString(s); got != want {
				t.Errorf("%s %q: matcher says %v, grammar %v", g.name, s, got, want)
			}
		}
	}
}
