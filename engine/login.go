package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// hubAuthKey is the key Docker Hub's credentials are stored under in
// config.json, as docker stores them.
const hubAuthKey = "https://index.docker.io/v1/"

// RegistryServer returns the key the credentials of server are stored
// under and the registry's host: Docker Hub's for "" or any of its names,
// the host (with its port) otherwise.
func RegistryServer(server string) (key, host string, err error) {
	h := credentials.ConvertToHostname(strings.TrimSpace(server))
	switch h {
	case "", hubDomain, "index.docker.io", "registry-1.docker.io":
		return hubAuthKey, "index.docker.io", nil
	}
	if strings.ContainsAny(h, "/@ ") || strings.ToLower(h) != h {
		return "", "", invalidf("invalid registry server %q: give a host, such as registry.example.com or localhost:5000", server)
	}
	return h, h, nil
}

// Login checks user and password against the registry server ("" for
// Docker Hub) and, if it accepts them, stores them where docker does
// (config.json under $DOCKER_CONFIG or ~/.docker, or its credential
// helper), where pulls and pushes find them. It returns the key they are
// stored under.
func (e *Engine) Login(ctx context.Context, server, user, password string) (string, error) {
	key, host, err := RegistryServer(server)
	if err != nil {
		return "", err
	}
	if user == "" || password == "" {
		return "", invalidf("login to %s: a username and a password are needed", key)
	}
	var opts []name.Option
	if isLoopback(host) || slices.Contains(e.opts.insecure, host) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return "", invalidf("invalid registry server %q", server)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	if err := checkLogin(ctx, reg, auth); err != nil {
		return "", loginError(key, host, err)
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("login to %s: read %s: %w", key, config.Dir(), err)
	}
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{Username: user, Password: password, ServerAddress: key}); err != nil {
		return "", fmt.Errorf("login to %s: store the credentials: %w", key, err)
	}
	return key, nil
}

// checkLogin asks the registry's API root with auth, through the token
// exchange the registry asks for, and returns its refusal if it refuses.
func checkLogin(ctx context.Context, reg name.Registry, auth authn.Authenticator) error {
	tr, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, nil)
	if err != nil {
		return err
	}
	u := url.URL{Scheme: reg.Scheme(), Host: reg.RegistryStr(), Path: "/v2/"}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return transport.CheckError(resp, http.StatusOK)
}

// loginError is err of a login to host (stored under key) as one line.
func loginError(key, host string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("login to %s: unauthorized: incorrect username or password", key)
	}
	if te == nil {
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return fmt.Errorf("login to %s: cannot resolve registry host %s: %w", key, host, dns)
		}
		var dial *net.OpError
		if errors.As(err, &dial) && dial.Op == "dial" {
			return fmt.Errorf("login to %s: cannot reach registry %s: %w", key, host, dial.Err)
		}
	}
	return registryError("login", key, err)
}

// Logout removes the credentials stored for server ("" for Docker Hub).
// It reports whether there were any.
func (e *Engine) Logout(server string) (key string, had bool, err error) {
	key, _, err = RegistryServer(server)
	if err != nil {
		return "", false, err
	}
	cf, err := config.Load(config.Dir())
	if err != nil {
		return key, false, fmt.Errorf("logout from %s: read %s: %w", key, config.Dir(), err)
	}
	store := cf.GetCredentialsStore(key)
	ac, err := store.Get(key)
	if err != nil {
		return key, false, fmt.Errorf("logout from %s: %w", key, err)
	}
	if ac == (types.AuthConfig{}) {
		return key, false, nil
	}
	if err := store.Erase(key); err != nil {
		return key, true, fmt.Errorf("logout from %s: remove the credentials: %w", key, err)
	}
	return key, true, nil
}
