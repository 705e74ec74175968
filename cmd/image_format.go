package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"golang.org/x/term"
)

// humanBytes formats n as docker does (decimal units, three significant
// digits): 0B, 4.26MB, 1.2GB.
func humanBytes(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// humanAgo formats the time since t as docker does: "2 hours ago".
func humanAgo(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return humanDuration(time.Since(t)) + " ago"
}

// humanDuration is docker's units.HumanDuration.
func humanDuration(d time.Duration) string {
	if s := int(d.Seconds()); s < 1 {
		return "Less than a second"
	} else if s == 1 {
		return "1 second"
	} else if s < 60 {
		return fmt.Sprintf("%d seconds", s)
	} else if m := int(d.Minutes()); m == 1 {
		return "About a minute"
	} else if m < 60 {
		return fmt.Sprintf("%d minutes", m)
	} else if h := int(d.Hours() + 0.5); h == 1 {
		return "About an hour"
	} else if h < 48 {
		return fmt.Sprintf("%d hours", h)
	} else if h < 24*7*2 {
		return fmt.Sprintf("%d days", h/24)
	} else if h < 24*30*2 {
		return fmt.Sprintf("%d weeks", h/24/7)
	} else if h < 24*365*2 {
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

// templateFuncs returns the functions docker offers in --format templates.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"join":  strings.Join,
		"split": strings.Split,
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + s[1:]
		},
		"truncate": func(s string, n int) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"pad": func(s string, l, r int) string {
			return strings.Repeat(" ", l) + s + strings.Repeat(" ", r)
		},
	}
}

// parseFormat compiles a docker --format template; "{{json .}}" and
// friends work, and \t and \n escapes in the argument are honoured.
func parseFormat(f string) (*template.Template, error) {
	f = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(f)
	t, err := template.New("format").Funcs(templateFuncs()).Parse(f)
	if err != nil {
		return nil, &ExitError{Code: 1, Err: fmt.Errorf("parse --format: %w", err)}
	}
	return t, nil
}

// tableFormat is how a list command prints: a table with header, JSON
// lines, or a template per row (with a header if it starts with "table").
type tableFormat struct {
	json   bool
	table  bool
	tmpl   *template.Template
	header string
}

// newTableFormat interprets --format. def is the default row template, a
// tab-separated {{.Field}} list whose header is given as header.
func newTableFormat(format, def, header string) (tableFormat, error) {
	switch {
	case format == "" || format == "table":
		t, err := parseFormat(def)
		return tableFormat{table: true, tmpl: t, header: header}, err
	case format == "json":
		return tableFormat{json: true}, nil
	case strings.HasPrefix(format, "table "):
		body := strings.TrimPrefix(format, "table ")
		t, err := parseFormat(body)
		return tableFormat{table: true, tmpl: t, header: headerFor(body)}, err
	}
	t, err := parseFormat(format)
	return tableFormat{tmpl: t}, err
}

// headerFor derives a header line from a table template: each {{.Field}}
// becomes FIELD, as docker prints it.
func headerFor(body string) string {
	var b strings.Builder
	rest := strings.NewReplacer(`\t`, "\t").Replace(body)
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			break
		}
		field := strings.TrimSpace(rest[i+2 : i+j])
		field = strings.TrimPrefix(field, ".")
		b.WriteString(strings.ToUpper(columnName(field)))
		rest = rest[i+j+2:]
	}
	return b.String()
}

// columnName splits CamelCase field names into docker's header words.
func columnName(f string) string {
	switch f {
	case "ID":
		return "IMAGE ID"
	case "CreatedSince":
		return "CREATED"
	case "CreatedAt":
		return "CREATED AT"
	case "CreatedBy":
		return "CREATED BY"
	}
	var out []rune
	for i, r := range f {
		if i > 0 && r >= 'A' && r <= 'Z' && f[i-1] >= 'a' && f[i-1] <= 'z' {
			out = append(out, ' ')
		}
		out = append(out, r)
	}
	return string(out)
}

// print writes rows (structs whose fields the templates name).
func (f tableFormat) print(w io.Writer, rows []any) error {
	if f.json {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	out := w
	var tw *tabwriter.Writer
	if f.table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if f.header != "" {
			fmt.Fprintln(out, f.header)
		}
	}
	for _, r := range rows {
		if err := f.tmpl.Execute(out, r); err != nil {
			return &ExitError{Code: 1, Err: fmt.Errorf("format: %w", err)}
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// shortID returns the 12-digit form of an ID (with or without sha256:).
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
