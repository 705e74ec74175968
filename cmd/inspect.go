package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

// inspectCmd is the top-level inspect: each name is looked up as a
// container first, then as an image (or only as the --type given).
func inspectCmd(a *app) *cobra.Command {
	var format, typ string
	var size bool
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on containers or images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if typ != "" && typ != "container" && typ != "image" && typ != "volume" && typ != "network" {
				return fmt.Errorf("%q is not a valid value for --type", typ)
			}
			return inspectObjects(c.Context(), a, args, format, typ, size)
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output with a Go template (json for JSON)")
	c.Flags().StringVar(&typ, "type", "", "only inspect objects of this type (container, image, volume, network)")
	c.Flags().BoolVarP(&size, "size", "s", false, "display total file sizes if the type is container")
	return c
}

// typedInspectCmd is the inspect subcommand of one object type, such as
// `container inspect` or `volume inspect`.
func typedInspectCmd(a *app, typ, noun string) *cobra.Command {
	var format string
	var size bool
	c := &cobra.Command{
		Use:   fmt.Sprintf("inspect [OPTIONS] %s [%s...]", strings.ToUpper(typ), strings.ToUpper(typ)),
		Short: fmt.Sprintf("Display detailed information on one or more %s", noun),
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return inspectObjects(c.Context(), a, args, format, typ, size)
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output with a Go template (json for JSON)")
	if typ == "container" {
		c.Flags().BoolVarP(&size, "size", "s", false, "display total file sizes")
	}
	return c
}

// inspectObjects prints the objects args name; with size, containers
// come with their sizes (SizeRw, SizeRootFs).
func inspectObjects(ctx context.Context, a *app, args []string, format, typ string, size bool) error {
	eng, err := a.engine()
	if err != nil {
		return err
	}
	var out []any
	var errs []error
	for _, ref := range args {
		obj, err := inspectOne(ctx, eng, ref, typ, size)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, obj)
	}
	if err := printInspect(a.io.Out, format, out); err != nil {
		return err
	}
	return joinErrors(a, errs)
}

func inspectOne(ctx context.Context, eng *engine.Engine, ref, typ string, size bool) (any, error) {
	if typ == "" || typ == "container" {
		inspect := eng.InspectContainer
		if size {
			inspect = eng.InspectContainerSize
		}
		c, err := inspect(ctx, ref)
		if err == nil || typ == "container" {
			return c, err
		}
		if !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
	}
	if typ == "" || typ == "image" {
		img, err := eng.InspectImage(ctx, ref)
		if err == nil || typ == "image" {
			return img, err
		}
		if !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
	}
	switch typ {
	case "volume":
		return eng.InspectVolume(ctx, ref)
	case "network":
		return eng.InspectNetwork(ctx, ref)
	}
	return nil, fmt.Errorf("no such object: %s", ref)
}
