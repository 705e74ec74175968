package engine

import (
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ApplyChanges applies Dockerfile instructions to cfg, as docker commit
// and docker import --change do. Supported: CMD, ENTRYPOINT (JSON or shell
// form), ENV, LABEL (KEY=VALUE pairs or the legacy "KEY VALUE" form),
// EXPOSE, USER, VOLUME, WORKDIR, STOPSIGNAL and ONBUILD. Anything else
// fails with ErrInvalid.
func ApplyChanges(cfg *v1.Config, changes []string) error {
	for _, c := range changes {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		instr, arg, _ := strings.Cut(c, " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "CMD":
			cfg.Cmd = commandForm(arg)
		case "ENTRYPOINT":
			cfg.Entrypoint = commandForm(arg)
		case "ENV":
			kvs, err := keyValues(arg)
			if err != nil {
				return fmt.Errorf("apply change %q: %w", c, err)
			}
			for _, kv := range kvs {
				cfg.Env = setEnv(cfg.Env, kv[0], kv[1])
			}
		case "LABEL":
			kvs, err := keyValues(arg)
			if err != nil {
				return fmt.Errorf("apply change %q: %w", c, err)
			}
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, kv := range kvs {
				cfg.Labels[kv[0]] = kv[1]
			}
		case "EXPOSE":
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range strings.Fields(arg) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				cfg.ExposedPorts[p] = struct{}{}
			}
		case "USER":
			cfg.User = arg
		case "WORKDIR":
			cfg.WorkingDir = arg
		case "STOPSIGNAL":
			cfg.StopSignal = arg
		case "VOLUME":
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			var vols []string
			if strings.HasPrefix(arg, "[") {
				if err := json.Unmarshal([]byte(arg), &vols); err != nil {
					return fmt.Errorf("apply change %q: %w: %v", c, ErrInvalid, err)
				}
			} else {
				vols = strings.Fields(arg)
			}
			for _, v := range vols {
				cfg.Volumes[v] = struct{}{}
			}
		case "ONBUILD":
			cfg.OnBuild = append(cfg.OnBuild, arg)
		default:
			return fmt.Errorf("apply change %q: %w: %s is not a supported instruction", c, ErrInvalid, instr)
		}
	}
	return nil
}

// commandForm parses the JSON (exec) form ["a","b"] or else the shell form,
// which runs under /bin/sh -c.
func commandForm(arg string) []string {
	if strings.HasPrefix(arg, "[") {
		var v []string
		if json.Unmarshal([]byte(arg), &v) == nil {
			return v
		}
	}
	return []string{"/bin/sh", "-c", arg}
}

// keyValues parses "K=V K2=\"v 2\"" or the legacy "K V" form.
func keyValues(arg string) ([][2]string, error) {
	if k, v, ok := strings.Cut(arg, " "); ok && !strings.Contains(k, "=") {
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var out [][2]string
	for _, w := range splitQuoted(arg) {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %q is not KEY=VALUE", ErrInvalid, w)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// splitQuoted splits s at unquoted spaces and drops the quotes.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote, in = r, true
		case quote == 0 && r == ' ':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// setEnv sets key=value in env, replacing an existing key.
func setEnv(env []string, key, value string) []string {
	for i, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}
