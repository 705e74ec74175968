package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Digest is a content address in the form "sha256:<64 hex digits>".
type Digest string

// FromBytes returns the sha256 digest of b.
func FromBytes(b []byte) Digest {
	sum := sha256.Sum256(b)
	return Digest("sha256:" + hex.EncodeToString(sum[:]))
}

// NewDigester returns a hash whose sum becomes a Digest with FromHash.
func NewDigester() hash.Hash { return sha256.New() }

// FromHash returns the Digest of a sha256 hash's current sum.
func FromHash(h hash.Hash) Digest {
	return Digest("sha256:" + hex.EncodeToString(h.Sum(nil)))
}

// ParseDigest checks that s is a sha256 digest and returns it.
func ParseDigest(s string) (Digest, error) {
	d := Digest(s)
	if err := d.Validate(); err != nil {
		return "", err
	}
	return d, nil
}

// Validate reports whether d is a well-formed sha256 digest.
func (d Digest) Validate() error {
	hexPart, ok := strings.CutPrefix(string(d), "sha256:")
	if !ok || !isHex64(hexPart) {
		return fmt.Errorf("parse digest %q: %w", string(d), ErrInvalidDigest)
	}
	return nil
}

// Hex returns the hex part of d.
func (d Digest) Hex() string {
	_, h, _ := strings.Cut(string(d), ":")
	return h
}

// Short returns the first 12 hex digits of d, as docker shows IDs.
func (d Digest) Short() string {
	h := d.Hex()
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// String returns d as a string.
func (d Digest) String() string { return string(d) }

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ChainID returns the chain ID of a stack of layer diff IDs, as the OCI image
// spec defines it: the first layer's diff ID, then
// sha256(parentChain + " " + diffID) for each following layer.
func ChainID(diffIDs []Digest) Digest {
	if len(diffIDs) == 0 {
		return ""
	}
	c := diffIDs[0]
	for _, d := range diffIDs[1:] {
		c = FromBytes([]byte(string(c) + " " + string(d)))
	}
	return c
}

// ChainIDs returns the chain ID of every prefix of diffIDs.
func ChainIDs(diffIDs []Digest) []Digest {
	out := make([]Digest, len(diffIDs))
	for i := range diffIDs {
		if i == 0 {
			out[i] = diffIDs[0]
			continue
		}
		out[i] = FromBytes([]byte(string(out[i-1]) + " " + string(diffIDs[i])))
	}
	return out
}
