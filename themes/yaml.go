package themes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// decodeYAML decodes a YAML theme file into f, refusing keys f does not
// have (with the line they are on) as the TOML reader does.
func decodeYAML(data []byte, f *file) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file sets nothing
		}
		return YAMLError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of name, inherit and colors", root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name", "inherit":
		case "colors":
			if v.Kind != yaml.MappingNode {
				if v.Tag == "!!null" {
					continue
				}
				return fmt.Errorf("line %d: colors: want a mapping of role: colour", v.Line)
			}
			roles := roleNames()
			for j := 0; j+1 < len(v.Content); j += 2 {
				if rk := v.Content[j]; !contains(roles, rk.Value) {
					return fmt.Errorf("line %d: %w %q (roles: %s)", rk.Line, ErrUnknownKey, "colors."+rk.Value, strings.Join(roles, ", "))
				}
			}
		default:
			return fmt.Errorf("line %d: %w %q (keys: name, inherit, colors)", k.Line, ErrUnknownKey, k.Value)
		}
	}
	if err := root.Decode(f); err != nil {
		return YAMLError(err)
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// YAMLError rewords an error of the YAML decoder for people: without the
// "yaml: " prefix and with the type names of the decoder's targets left
// out. Errors of other kinds pass through.
func YAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, 0, len(te.Errors))
		for _, m := range te.Errors {
			m = strings.TrimPrefix(m, "yaml: ")
			if sm := unmarshalMsg().FindStringSubmatch(m); sm != nil {
				m = sm[1] + fmt.Sprintf("%q is not %s", sm[2], goTypeWords(sm[3]))
			}
			msgs = append(msgs, m)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if err == nil || !strings.HasPrefix(err.Error(), "yaml: ") {
		return err
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

// unmarshalMsg matches the decoder's type errors: "line 1: cannot
// unmarshal !!str `maybe` into bool". It is compiled on first use, not
// at the start of every berth process (a monitor's too).
var unmarshalMsg = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("^(line [0-9]+: )cannot unmarshal !![a-z]+ `([^`]*)` into (.+)$")
})

// goTypeWords names a Go type for people.
func goTypeWords(t string) string {
	switch {
	case t == "bool" || strings.HasSuffix(t, "*bool"):
		return "true or false"
	case t == "string" || strings.HasSuffix(t, "*string"):
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.Contains(t, "int"):
		return "a whole number"
	}
	return "of the right kind (" + t + ")"
}

// UnmarshalYAML reads a colour written either as one string (or number)
// used on both backgrounds or as a mapping { light: ..., dark: ... }.
func (c *Color) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*c = Color{}
			return nil
		}
		*c = Same(n.Value)
		return nil
	case yaml.MappingNode:
		var out Color
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: %s: want a string", v.Line, k.Value)
			}
			switch k.Value {
			case "light":
				out.Light = v.Value
			case "dark":
				out.Dark = v.Value
			default:
				return fmt.Errorf("line %d: %w %q: a colour mapping has only light and dark", k.Line, ErrUnknownKey, k.Value)
			}
		}
		*c = out
		return nil
	}
	return fmt.Errorf("line %d: want a string or a {light, dark} mapping", n.Line)
}
