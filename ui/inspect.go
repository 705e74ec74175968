package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// jsonNode is one value of an inspect document, keeping the key order of
// the source so the pane reads like `berth inspect`.
type jsonNode struct {
	key      string // the member name, "" in arrays and at the root
	scalar   string // the JSON text of a scalar
	array    bool
	object   bool
	children []*jsonNode
	folded   bool
}

// parseJSON reads one JSON value into a tree.
func parseJSON(b []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := parseValue(dec, "")
	if err != nil {
		return nil, fmt.Errorf("parse inspect: %w", err)
	}
	return n, nil
}

func parseValue(dec *json.Decoder, k string) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jsonNode{key: k}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.object = true
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, _ := kt.(string)
				c, err := parseValue(dec, name)
				if err != nil {
					return nil, err
				}
				n.children = append(n.children, c)
			}
		case '[':
			n.array = true
			for dec.More() {
				c, err := parseValue(dec, "")
				if err != nil {
					return nil, err
				}
				n.children = append(n.children, c)
			}
		}
		if _, err := dec.Token(); err != nil && err != io.EOF {
			return nil, err
		}
	case string:
		b, _ := json.Marshal(t)
		n.scalar = string(b)
	case json.Number:
		n.scalar = t.String()
	case bool:
		n.scalar = fmt.Sprint(t)
	case nil:
		n.scalar = "null"
	}
	return n, nil
}

// copyFolds carries the fold state of old over to n, member by member, so
// a refresh keeps what the user folded.
func (n *jsonNode) copyFolds(old *jsonNode) {
	if n == nil || old == nil {
		return
	}
	n.folded = old.folded
	for i, c := range n.children {
		for j, oc := range old.children {
			if (n.object && c.key == oc.key) || (n.array && i == j) {
				c.copyFolds(oc)
				break
			}
		}
	}
}

// inspectDoc is the inspect pane's document and the node behind each
// rendered line.
type inspectDoc struct {
	root  *jsonNode
	nodes []*jsonNode
}

// lines renders the document with folded containers on one line.
func (d *inspectDoc) lines() []string {
	d.nodes = d.nodes[:0]
	if d.root == nil {
		return nil
	}
	var out []string
	var walk func(n *jsonNode, depth int, last bool)
	walk = func(n *jsonNode, depth int, last bool) {
		indent := strings.Repeat("  ", depth)
		prefix := indent
		if n.key != "" {
			kb, _ := json.Marshal(n.key)
			prefix += string(kb) + ": "
		}
		comma := ","
		if last {
			comma = ""
		}
		open, closing := "{", "}"
		if n.array {
			open, closing = "[", "]"
		}
		switch {
		case !n.object && !n.array:
			out = append(out, prefix+n.scalar+comma)
			d.nodes = append(d.nodes, n)
		case len(n.children) == 0:
			out = append(out, prefix+open+closing+comma)
			d.nodes = append(d.nodes, n)
		case n.folded:
			what := "keys"
			if n.array {
				what = "items"
			}
			out = append(out, fmt.Sprintf("%s%s … %s%s  (%d %s)", prefix, open, closing, comma, len(n.children), what))
			d.nodes = append(d.nodes, n)
		default:
			out = append(out, prefix+open)
			d.nodes = append(d.nodes, n)
			for i, c := range n.children {
				walk(c, depth+1, i == len(n.children)-1)
			}
			out = append(out, indent+closing+comma)
			d.nodes = append(d.nodes, n)
		}
	}
	walk(d.root, 0, true)
	return out
}

// toggle folds or unfolds the object or array of line i (or the one that
// contains a scalar line).
func (d *inspectDoc) toggle(i int) {
	if i < 0 || i >= len(d.nodes) {
		return
	}
	n := d.nodes[i]
	if !n.object && !n.array || len(n.children) == 0 {
		n = d.parentOf(n)
	}
	if n == nil || n == d.root {
		return
	}
	n.folded = !n.folded
}

func (d *inspectDoc) parentOf(target *jsonNode) *jsonNode {
	var find func(n *jsonNode) *jsonNode
	find = func(n *jsonNode) *jsonNode {
		for _, c := range n.children {
			if c == target {
				return n
			}
			if p := find(c); p != nil {
				return p
			}
		}
		return nil
	}
	if d.root == nil {
		return nil
	}
	return find(d.root)
}

// toggleAll folds every top-level member, or unfolds everything if any
// is folded.
func (d *inspectDoc) toggleAll() {
	if d.root == nil {
		return
	}
	anyFolded := false
	var walk func(n *jsonNode)
	walk = func(n *jsonNode) {
		anyFolded = anyFolded || n.folded
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(d.root)
	var set func(n *jsonNode, depth int)
	set = func(n *jsonNode, depth int) {
		if depth == 1 && (n.object || n.array) && len(n.children) > 0 {
			n.folded = !anyFolded
		} else if anyFolded {
			n.folded = false
		}
		for _, c := range n.children {
			set(c, depth+1)
		}
	}
	set(d.root, 0)
}
