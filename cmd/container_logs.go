package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/engine"
)

func logsCmd(a *app) *cobra.Command {
	var follow, timestamps bool
	var tail, since, until string
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return err
			}
			o := engine.LogsOptions{Follow: follow, Timestamps: timestamps, Tail: -1}
			if tail != "all" && tail != "" {
				n, err := strconv.Atoi(tail)
				if err != nil {
					return fmt.Errorf("invalid value for --tail: %q", tail)
				}
				o.Tail = n
			}
			now := time.Now()
			if o.Since, err = parseTimeArg(since, now); err != nil {
				return fmt.Errorf("invalid value for --since: %w", err)
			}
			if o.Until, err = parseTimeArg(until, now); err != nil {
				return fmt.Errorf("invalid value for --until: %w", err)
			}
			return eng.Logs(c.Context(), args[0], o, a.io.Out, a.io.Err)
		},
	}
	f := c.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "follow log output")
	f.BoolVarP(&timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end of the logs")
	f.StringVar(&since, "since", "", "show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	f.StringVar(&until, "until", "", "show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)")
	return c
}

// parseTimeArg parses docker's --since/--until values: RFC 3339 times
// (with or without nanoseconds or zone), dates, Unix timestamps, or a
// duration before now ("10m").
func parseTimeArg(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	sec, frac, _ := strings.Cut(s, ".")
	if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
		var ns int64
		if frac != "" {
			f, err := strconv.ParseFloat("0."+frac, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%q is not a time", s)
			}
			ns = int64(f * 1e9)
		}
		return time.Unix(n, ns), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time, a date or a duration", s)
}
