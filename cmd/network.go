package cmd

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine"
)

// networkCommands returns the `network` group and `port`.
func networkCommands(a *app) []command {
	return []command{of(a, "network", networkGroup), of(a, "port", portCmd)}
}

// networkGroup returns the `network` group.
func networkGroup(a *app) *cobra.Command {
	group := &cobra.Command{
		Use:   "network",
		Short: "Manage networks",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	group.AddCommand(networkCreateCmd(a), networkLsCmd(a), typedInspectCmd(a, "network", "networks"), networkRmCmd(a),
		networkConnectCmd(a), networkDisconnectCmd(a), networkPruneCmd(a))
	return group
}

func networkCreateCmd(a *app) *cobra.Command {
	var o engine.NetworkCreateOptions
	var driver string
	var labels []string
	c := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if driver != "bridge" {
				return &ExitError{Code: 1, Err: fmt.Errorf("create network %s: driver %q: %w: only bridge is supported", args[0], driver, engine.ErrInvalid)}
			}
			o.Labels = map[string]string{}
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				o.Labels[k] = v
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			id, err := eng.CreateNetwork(c.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, id)
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&driver, "driver", "d", "bridge", "driver to manage the network (bridge)")
	f.StringVar(&o.Subnet, "subnet", "", "subnet in CIDR format, such as 172.28.0.0/16 (default: a free private subnet)")
	f.StringVar(&o.Gateway, "gateway", "", "IPv4 gateway for the subnet (default: its first address)")
	listVar(f, &labels, "label", "set metadata on a network (KEY=VALUE)")
	return c
}

// networkRow is one line of `network ls`.
type networkRow struct {
	ID        string
	Name      string
	Driver    string
	Scope     string
	IPv6      string
	Internal  string
	Labels    string
	CreatedAt string
}

func networkLsCmd(a *app) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filters []string
	c := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			nets, err := eng.Networks(c.Context())
			if err != nil {
				return err
			}
			nets, err = filterNetworks(nets, filters)
			if err != nil {
				return err
			}
			rows := make([]any, 0, len(nets))
			for _, n := range nets {
				id := n.ID
				if !noTrunc {
					id = shortID(id)
				}
				if quiet {
					fmt.Fprintln(a.io.Out, id)
					continue
				}
				var ls []string
				for k, v := range n.Labels {
					ls = append(ls, k+"="+v)
				}
				rows = append(rows, networkRow{ID: id, Name: n.Name, Driver: n.Driver, Scope: n.Scope,
					IPv6: strconv.FormatBool(n.EnableIPv6), Internal: strconv.FormatBool(n.Internal),
					Labels: strings.Join(ls, ","), CreatedAt: n.Created.Format("2006-01-02 15:04:05.999999999 -0700 MST")})
			}
			if quiet {
				return nil
			}
			tf, err := newTableFormat(format, "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", "NETWORK ID\tNAME\tDRIVER\tSCOPE")
			if err != nil {
				return err
			}
			return tf.print(a.io.Out, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "only display network IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate the output")
	f.StringVar(&format, "format", "", "format output: table, json, 'table TEMPLATE' or a Go template")
	listVarP(f, &filters, "filter", "f", "filter output: name=NAME, id=ID, driver=DRIVER, type=builtin|custom, label=KEY[=VALUE], dangling=true|false")
	return c
}

// filterNetworks applies docker's network ls filters: name (a substring),
// id (a prefix), driver, type=builtin|custom, label=KEY[=VALUE] and
// dangling=true|false (no container attached; the built-in networks are
// never dangling). Filters with the same key are ORed, different keys
// ANDed.
func filterNetworks(nets []engine.Network, filters []string) ([]engine.Network, error) {
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, &ExitError{Code: 1, Err: fmt.Errorf("bad format of filter (expected name=value): %s", f)}
		}
		switch k {
		case "name", "id", "driver", "label":
		case "type":
			if v != "builtin" && v != "custom" {
				return nil, &ExitError{Code: 1, Err: fmt.Errorf("invalid filter: 'type'='%s'", v)}
			}
		case "dangling":
			if v != "true" && v != "false" && v != "1" && v != "0" {
				return nil, &ExitError{Code: 1, Err: fmt.Errorf("invalid filter 'dangling=%s': use true or false", v)}
			}
		default:
			return nil, &ExitError{Code: 1, Err: fmt.Errorf("invalid filter '%s'", k)}
		}
		byKey[k] = append(byKey[k], v)
	}
	match := func(n engine.Network, k, v string) bool {
		builtin := n.Name == engine.DefaultBridge || n.Name == "host" || n.Name == "none"
		switch k {
		case "name":
			return strings.Contains(n.Name, v)
		case "id":
			return strings.HasPrefix(n.ID, v)
		case "driver":
			return n.Driver == v
		case "type":
			return (v == "builtin") == builtin
		case "label":
			return engine.HasLabel(n.Labels, v)
		case "dangling":
			return (v == "true" || v == "1") == (!builtin && len(n.Containers) == 0)
		}
		return false
	}
	out := nets[:0:0]
	for _, n := range nets {
		keep := true
		for k, vs := range byKey {
			keep = keep && slices.ContainsFunc(vs, func(v string) bool { return match(n, k, v) })
		}
		if keep {
			out = append(out, n)
		}
	}
	return out, nil
}

func networkRmCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, ref := range args {
				if err := eng.RemoveNetwork(c.Context(), ref); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(a.io.Out, ref)
			}
			return joinErrors(a, errs)
		},
	}
}

func networkConnectCmd(a *app) *cobra.Command {
	var aliases []string
	var ip string
	c := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return eng.ConnectNetwork(c.Context(), args[0], args[1], aliases, ip)
		},
	}
	listVar(c.Flags(), &aliases, "alias", "add a network-scoped alias for the container")
	c.Flags().StringVar(&ip, "ip", "", "IPv4 address (e.g. 172.30.100.104)")
	return c
}

func networkDisconnectCmd(a *app) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return eng.DisconnectNetwork(c.Context(), args[0], args[1], force)
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "force the container to disconnect from a network")
	return c
}

func networkPruneCmd(a *app) *cobra.Command {
	var force bool
	var filters []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			f, err := parsePruneFilters(filters)
			if err != nil {
				return err
			}
			eng, err := a.repairedEngine(c.Context())
			if err != nil {
				return err
			}
			if !force && !confirm(a, "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			names, err := eng.PruneNetworks(c.Context(), f)
			printDeleted(a.io.Out, "Networks", names)
			return err
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	listVar(c.Flags(), &filters, "filter", "provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE])")
	return c
}

func portCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings or a specific mapping for the container",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			maps, err := eng.ContainerPorts(c.Context(), args[0])
			if err != nil {
				return err
			}
			if len(args) == 1 {
				for _, m := range maps {
					fmt.Fprintln(a.io.Out, m)
				}
				return nil
			}
			port, proto, _ := strings.Cut(args[1], "/")
			if proto == "" {
				proto = "tcp"
			}
			n, err := strconv.Atoi(port)
			if err != nil || n < 1 || n > 65535 {
				return &ExitError{Code: 1, Err: fmt.Errorf("invalid port specification: %q", args[1])}
			}
			found := false
			for _, m := range maps {
				if int(m.ContainerPort) == n && m.Proto == proto {
					found = true
					fmt.Fprintln(a.io.Out, m.String()[strings.Index(m.String(), "-> ")+3:])
				}
			}
			if !found {
				return errors.New("no public port '" + port + "/" + proto + "' published for " + args[0])
			}
			return nil
		},
	}
}

// publishFlags are the -p and -P flags of run and create.
type publishFlags struct {
	publish []string
	all     bool
}

// addPublishFlags registers -p/--publish and -P/--publish-all on fs.
func addPublishFlags(fs *pflag.FlagSet, p *publishFlags) {
	listVarP(fs, &p.publish, "publish", "p", "publish a container's port(s) to the host: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]")
	fs.BoolVarP(&p.all, "publish-all", "P", false, "publish all exposed ports to free host ports")
}

// apply parses the -p values into o. An invalid value is a usage error,
// exit code 125 as in docker: invalid port specification: "99999".
func (p *publishFlags) apply(o *engine.CreateOptions) error {
	if len(p.publish) > 0 {
		b, err := engine.ParsePortBindings(p.publish)
		if err != nil {
			return &ExitError{Code: 125, Err: err}
		}
		o.PortBindings = b
	}
	o.PublishAllPorts = p.all
	return nil
}
