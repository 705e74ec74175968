package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/themes"
)

// Run opens the full-screen interface on eng and returns when the user
// quits or ctx is done. theme, when not empty, overrides the config
// file's theme (a built-in name, a file in the config's themes directory,
// or a path). NO_COLOR in the environment selects the monochrome theme.
func Run(ctx context.Context, eng *engine.Engine, theme string) error {
	cfg, err := LoadConfig(ConfigDir())
	if err != nil {
		return err
	}
	t, err := pickTheme(cfg, theme, os.Getenv("NO_COLOR") != "")
	if err != nil {
		return err
	}
	m := New(ctx, eng, WithConfig(cfg), WithTheme(t))
	// 30 frames a second is smooth for a list and halves the idle wake-ups
	// of the renderer's ticker against the default 60.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(30))
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run interface: %w", err)
	}
	return nil
}

// pickTheme resolves the theme: the flag, else the config file, else the
// default; NO_COLOR forces monochrome.
func pickTheme(cfg Config, flag string, noColor bool) (themes.Theme, error) {
	if noColor {
		return themes.Builtin(themes.Monochrome)
	}
	ref := flag
	if ref == "" {
		ref = cfg.Theme
	}
	dir := ""
	if cfg.Dir != "" {
		dir = filepath.Join(cfg.Dir, "themes")
	}
	return themes.Resolve(ref, dir)
}
