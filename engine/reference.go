package engine

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Docker Hub's registry names: references without a domain belong to it,
// and single-component repositories live under library/.
const (
	hubDomain    = "docker.io"
	hubLibrary   = "library/"
	defaultTag   = "latest"
	maxRefLength = 255
)

// The reference grammar's parts are matched by hand rather than with its
// regular expressions: compiling those (a tag's {0,127} most of all)
// costs a fresh process about 0.4 ms, on the path of every run.

// isComponent reports whether s is one path component of a repository
// name: [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*.
func isComponent(s string) bool {
	lowerAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	i := 0
	for {
		j := i
		for j < len(s) && lowerAlnum(s[j]) {
			j++
		}
		if j == i {
			return false
		}
		if j == len(s) {
			return true
		}
		switch s[j] {
		case '.':
			j++
		case '_':
			j++
			if j < len(s) && s[j] == '_' {
				j++
			}
		case '-':
			for j < len(s) && s[j] == '-' {
				j++
			}
		default:
			return false
		}
		i = j
	}
}

// isTag reports whether s is a tag: [\w][\w.-]{0,127}.
func isTag(s string) bool {
	word := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	if s == "" || len(s) > 128 || !word(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !word(s[i]) && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// isDigest reports whether s is a sha256 digest: sha256:[a-f0-9]{64}.
func isDigest(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	return ok && len(hexPart) == 64 && isHex(hexPart)
}

// isDomain reports whether s is a registry host with an optional port:
// DNS labels of letters, digits and inner hyphens joined by dots, or an
// IPv6 address in brackets.
func isDomain(s string) bool {
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		for i := 1; i < end; i++ {
			c := s[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':') {
				return false
			}
		}
		return s[end+1:] == "" || isPort(s[end+1:])
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		if !isPort(s[i:]) {
			return false
		}
		host = s[:i]
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for _, label := range strings.Split(host, ".") {
		if label == "" || !alnum(label[0]) || !alnum(label[len(label)-1]) {
			return false
		}
		for i := 1; i < len(label)-1; i++ {
			if !alnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// isPort reports whether s is a colon and one or more digits.
func isPort(s string) bool {
	if len(s) < 2 || s[0] != ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// InvalidReferenceError is returned, wrapped around ErrInvalid, for an
// image reference that docker's grammar rejects.
type InvalidReferenceError struct {
	Ref string
}

func (e *InvalidReferenceError) Error() string {
	return fmt.Sprintf("invalid reference format: %q", e.Ref)
}

// Unwrap returns ErrInvalid.
func (e *InvalidReferenceError) Unwrap() error { return ErrInvalid }

// reference is a parsed, normalized image reference:
// domain/path[:tag][@digest].
type reference struct {
	domain string // docker.io, localhost:5000
	path   string // library/busybox
	tag    string // latest; empty when only a digest was given
	digest string // sha256:...
}

// parseReference parses s with docker's rules: no domain means Docker
// Hub, a one-component Hub path gets library/, no tag and no digest means
// :latest.
func parseReference(s string) (reference, error) {
	r, err := parseNamed(s)
	if err != nil {
		return r, err
	}
	if r.tag == "" && r.digest == "" {
		r.tag = defaultTag
	}
	return r, nil
}

// parseNamed parses s like parseReference but leaves the tag empty when
// none is given.
func parseNamed(s string) (reference, error) {
	bad := func() (reference, error) { return reference{}, &InvalidReferenceError{Ref: s} }
	if s == "" || len(s) > maxRefLength+72 {
		return bad()
	}
	var r reference
	rest := s
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.digest = rest[i+1:]
		rest = rest[:i]
		if !isDigest(r.digest) {
			return bad()
		}
	}
	// A tag is the part after the last colon, unless that colon belongs
	// to a domain's port (then a slash follows it).
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		r.tag = rest[i+1:]
		rest = rest[:i]
		if !isTag(r.tag) {
			return bad()
		}
	}
	if rest == "" || len(rest) > maxRefLength {
		return bad()
	}
	first, remainder, hasSlash := strings.Cut(rest, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost" || first != strings.ToLower(first)) {
		if !isDomain(first) {
			return bad()
		}
		r.domain, r.path = first, remainder
	} else {
		r.domain, r.path = hubDomain, rest
	}
	if r.domain == "index.docker.io" {
		r.domain = hubDomain
	}
	for _, c := range strings.Split(r.path, "/") {
		if !isComponent(c) {
			return bad()
		}
	}
	if r.domain == hubDomain && !strings.Contains(r.path, "/") {
		r.path = hubLibrary + r.path
	}
	return r, nil
}

// Name returns the normalized repository name: docker.io/library/busybox.
func (r reference) Name() string { return r.domain + "/" + r.path }

// String returns the full normalized reference.
func (r reference) String() string {
	s := r.Name()
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// tagged returns the normalized name:tag, the key of the tag table.
func (r reference) tagged() string { return r.Name() + ":" + r.tag }

// digested returns the normalized name@digest, the key of the digest table.
func (r reference) digested() string { return r.Name() + "@" + r.digest }

// familiar returns a normalized name or reference as docker shows it:
// busybox:latest, user/app, localhost:5000/x:y.
func familiar(full string) string {
	if rest, ok := strings.CutPrefix(full, hubDomain+"/"); ok {
		return strings.TrimPrefix(rest, hubLibrary)
	}
	return full
}

// Familiar returns r as docker shows it: busybox:latest.
func (r reference) Familiar() string { return familiar(r.String()) }

// isLoopback reports whether host (with or without port) is localhost or
// a loopback address, which docker reaches over plain HTTP.
func isLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// remoteRef returns r as a go-containerregistry reference, marked insecure
// (plain HTTP allowed) for loopback registries and the engine's insecure
// registries.
func (e *Engine) remoteRef(r reference) (name.Reference, error) {
	var opts []name.Option
	if isLoopback(r.domain) || slices.Contains(e.opts.insecure, r.domain) {
		opts = append(opts, name.Insecure)
	}
	s := r.String()
	if r.domain == hubDomain {
		s = "index.docker.io/" + r.path
		if r.digest != "" {
			s += "@" + r.digest
		} else {
			s += ":" + r.tag
		}
	} else if r.digest != "" {
		s = r.Name() + "@" + r.digest
	}
	var ref name.Reference
	var err error
	if r.digest != "" {
		ref, err = name.NewDigest(s, opts...)
	} else {
		ref, err = name.NewTag(s, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("parse reference %s: %w", r, &InvalidReferenceError{Ref: r.String()})
	}
	return ref, nil
}

// cutDigest splits a normalized name@digest key.
func cutDigest(s string) (name, digest string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// ImageRef is a parsed image reference in docker's familiar form, as the
// CLI shows it: busybox:latest, localhost:5000/x@sha256:...
type ImageRef struct {
	// Name is the familiar repository name: busybox, user/app,
	// localhost:5000/x.
	Name string
	// Tag is the tag; latest when neither a tag nor a digest was given.
	Tag string
	// Digest is the manifest digest, if the reference has one.
	Digest string
}

// ParseImageRef parses s with docker's rules. A malformed reference gives
// an *InvalidReferenceError.
func ParseImageRef(s string) (ImageRef, error) {
	r, err := parseReference(s)
	if err != nil {
		return ImageRef{}, err
	}
	return ImageRef{Name: familiar(r.Name()), Tag: r.tag, Digest: r.digest}, nil
}

// String returns the familiar reference: name:tag, name@digest or both.
func (r ImageRef) String() string {
	s := r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}
