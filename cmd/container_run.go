package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-dev/berth/engine"
	"github.com/berth-dev/berth/pty"
)

// createFlags are the flags create and run share.
type createFlags struct {
	name        string
	env         []string
	envFiles    []string
	workdir     string
	user        string
	entrypoint  string
	hostname    string
	volumes     []string
	volumesFrom []string
	mounts      []string
	tmpfs       []string
	cidfile     string
	pull        string
	readOnly    bool
	memory      string
	memorySwap  string
	cpus        string
	cpuShares   int64
	cpuPeriod   int64
	cpuQuota    int64
	cpusetCPUs  string
	cpusetMems  string
	memoryRes   string
	swappiness  int64
	oomKillOff  bool
	oomScoreAdj int
	pidsLimit   int64
	capAdd      []string
	capDrop     []string
	privileged  bool
	init        bool
	securityOpt []string
	addHosts    []string
	dns         []string
	dnsSearch   []string
	dnsOptions  []string
	shmSize     string
	ulimits     []string
	devices     []string
	sysctls     []string
	groupAdd    []string
	pidMode     string
	ipcMode     string
	utsMode     string
	health      healthFlags
	blkio       blkioFlags
	restart     string
	logDriver   string
	logOpts     []string
	labels      []string
	labelFiles  []string
	expose      []string
	domainname  string
	macAddress  string
	attach      []string
	network     string
	interactive bool
	tty         bool
	rm          bool
	stopSignal  string
	stopTimeout int
	publish     publishFlags
	aliases     []string
	ip          string
	platform    string
}

func (f *createFlags) register(fs *pflag.FlagSet) {
	fs.SetInterspersed(false)
	fs.StringVar(&f.name, "name", "", "assign a name to the container")
	listVarP(fs, &f.env, "env", "e", "set environment variables (KEY=VALUE, or KEY to pass the host's)")
	listVar(fs, &f.envFiles, "env-file", "read in a file of environment variables")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVarP(&f.user, "user", "u", "", "username or UID (format: <name|uid>[:<group|gid>])")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "overwrite the default ENTRYPOINT of the image")
	fs.StringVarP(&f.hostname, "hostname", "h", "", "container host name")
	listVarP(fs, &f.volumes, "volume", "v", "bind mount a volume (SRC:DST[:ro], NAME:DST[:ro], DST)")
	listVar(fs, &f.volumesFrom, "volumes-from", "mount volumes from the specified container(s) (CONTAINER[:ro|:rw])")
	fs.StringVar(&f.cidfile, "cidfile", "", "write the container ID to the file")
	fs.StringVar(&f.pull, "pull", "missing", `pull image before running ("always", "missing", "never")`)
	fs.StringVar(&f.platform, "platform", "", "the platform the image must be for (os/arch[/variant]); an image here for another one is pulled again")
	listVar(fs, &f.mounts, "mount", "attach a filesystem mount to the container (type=bind|volume|tmpfs,source=...,target=...[,readonly])")
	listVar(fs, &f.tmpfs, "tmpfs", "mount a tmpfs directory (DST[:OPTIONS])")
	fs.BoolVar(&f.readOnly, "read-only", false, "mount the container's root filesystem as read only")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 64m, 1g)")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fs.StringVar(&f.cpus, "cpus", "", "number of CPUs (e.g. 0.5)")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&f.cpuPeriod, "cpu-period", 0, "limit CPU CFS (Completely Fair Scheduler) period, in microseconds")
	fs.Int64Var(&f.cpuQuota, "cpu-quota", 0, "limit CPU CFS (Completely Fair Scheduler) quota, in microseconds")
	fs.StringVar(&f.cpusetCPUs, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.cpusetMems, "cpuset-mems", "", "memory nodes (MEMs) in which to allow execution (0-3, 0,1)")
	fs.StringVar(&f.memoryRes, "memory-reservation", "", "memory soft limit (e.g. 32m)")
	fs.Int64Var(&f.swappiness, "memory-swappiness", -1, "tune container memory swappiness (0 to 100)")
	fs.BoolVar(&f.oomKillOff, "oom-kill-disable", false, "disable OOM Killer")
	fs.IntVar(&f.oomScoreAdj, "oom-score-adj", 0, "tune host's OOM preferences (-1000 to 1000)")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "tune container pids limit (-1 for unlimited)")
	listVar(fs, &f.capAdd, "cap-add", "add Linux capabilities")
	listVar(fs, &f.capDrop, "cap-drop", "drop Linux capabilities")
	fs.BoolVar(&f.privileged, "privileged", false, "give extended privileges to this container")
	fs.BoolVar(&f.init, "init", false, "run an init inside the container that forwards signals and reaps processes")
	listVar(fs, &f.securityOpt, "security-opt", "security options: seccomp=unconfined, no-new-privileges, apparmor=unconfined, label=disable")
	listVar(fs, &f.addHosts, "add-host", "add a custom host-to-IP mapping (host:ip)")
	listVar(fs, &f.dns, "dns", "set custom DNS servers")
	listVar(fs, &f.dnsSearch, "dns-search", "set custom DNS search domains")
	listVar(fs, &f.dnsOptions, "dns-option", "set DNS options")
	fs.StringVar(&f.shmSize, "shm-size", "", "size of /dev/shm (e.g. 128m; default 64m)")
	listVar(fs, &f.ulimits, "ulimit", "ulimit options (NAME=SOFT[:HARD], e.g. nofile=1024:2048)")
	listVar(fs, &f.devices, "device", "add a host device to the container (HOST[:CONTAINER[:PERMISSIONS]])")
	listVar(fs, &f.sysctls, "sysctl", "sysctl options (KEY=VALUE)")
	listVar(fs, &f.groupAdd, "group-add", "add additional groups to join")
	fs.StringVar(&f.pidMode, "pid", "", "PID namespace to use (host)")
	fs.StringVar(&f.ipcMode, "ipc", "", "IPC mode to use (host, private, shareable)")
	fs.StringVar(&f.utsMode, "uts", "", "UTS namespace to use (host)")
	f.health.register(fs)
	f.blkio.register(fs)
	fs.StringVar(&f.restart, "restart", "no", "restart policy: no, on-failure[:max-retries], always, unless-stopped")
	fs.StringVar(&f.logDriver, "log-driver", "", "logging driver: berth (default; json-file and local are taken for it) or none")
	listVar(fs, &f.logOpts, "log-opt", "log rotation: max-size=SIZE (e.g. 10m), max-file=N")
	listVarP(fs, &f.labels, "label", "l", "set meta data on a container (KEY=VALUE)")
	listVar(fs, &f.labelFiles, "label-file", "read in a line delimited file of labels")
	listVar(fs, &f.expose, "expose", "expose a port or a range of ports (PORT[-PORT][/PROTO])")
	fs.StringVar(&f.domainname, "domainname", "", "container NIS domain name")
	fs.StringVar(&f.macAddress, "mac-address", "", "container MAC address (e.g. 92:d0:c6:0a:29:33)")
	listVarP(fs, &f.attach, "attach", "a", "attach to STDIN, STDOUT or STDERR (default: STDOUT and STDERR)")
	fs.StringVar(&f.network, "network", "", "connect a container to a network: bridge (default), none, host or a network's name")
	listVar(fs, &f.aliases, "network-alias", "add a network-scoped alias for the container")
	fs.StringVar(&f.ip, "ip", "", "IPv4 address (e.g. 172.30.100.104) on a user-defined network")
	addPublishFlags(fs, &f.publish)
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open even if not attached")
	fs.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fs.BoolVar(&f.rm, "rm", false, "automatically remove the container when it exits")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "signal to stop the container")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "timeout (in seconds) to stop a container")
	fs.BoolP("help", "", false, "print usage")
}

// options turns the flags and positional arguments into CreateOptions.
func (f *createFlags) options(c *cobra.Command, args []string) (engine.CreateOptions, error) {
	o := engine.CreateOptions{
		Image:       args[0],
		Name:        f.name,
		WorkingDir:  f.workdir,
		User:        f.user,
		Hostname:    f.hostname,
		Volumes:     f.volumes,
		VolumesFrom: f.volumesFrom,
		Tmpfs:       f.tmpfs,
		ReadOnly:    f.readOnly,
		CapAdd:      f.capAdd,
		CapDrop:     f.capDrop,
		Privileged:  f.privileged,
		Init:        f.init,
		SecurityOpt: f.securityOpt,
		ExtraHosts:  f.addHosts,
		DNS:         f.dns,
		DNSSearch:   f.dnsSearch,
		DNSOptions:  f.dnsOptions,
		Ulimits:     f.ulimits,
		Devices:     f.devices,
		Sysctls:     f.sysctls,
		GroupAdd:    f.groupAdd,
		PidMode:     f.pidMode,
		IpcMode:     f.ipcMode,
		UTSMode:     f.utsMode,
		Restart:     f.restart,
		LogDriver:   f.logDriver,
		LogOpts:     f.logOpts,
		AutoRemove:  f.rm,
		NetworkMode: f.network,
		Tty:         f.tty,
		OpenStdin:   f.interactive,
		StopSignal:  f.stopSignal,
	}
	if err := f.publish.apply(&o); err != nil {
		return o, err
	}
	o.NetworkAliases = f.aliases
	o.IPv4Address = f.ip
	o.Platform = f.platform
	if len(args) > 1 {
		o.Cmd = args[1:]
	}
	if c.Flags().Changed("entrypoint") {
		ep := f.entrypoint
		o.Entrypoint = &ep
	}
	if c.Flags().Changed("stop-timeout") {
		t := f.stopTimeout
		o.StopTimeout = &t
	}
	if f.pidsLimit > 0 {
		o.PidsLimit = f.pidsLimit
	}
	var err error
	if f.memory != "" {
		if o.Memory, err = parseBytes(f.memory); err != nil {
			return o, fmt.Errorf("invalid argument %q for \"-m, --memory\" flag: %w", f.memory, err)
		}
	}
	if o.Healthcheck, err = f.health.config(c.Flags()); err != nil {
		return o, err
	}
	o.NoHealthcheck = f.health.none
	switch f.pull {
	case "always", "missing", "never":
	default:
		return o, fmt.Errorf("invalid pull option: %q: must be one of \"always\", \"missing\" or \"never\"", f.pull)
	}
	if f.cidfile != "" {
		if _, err := os.Stat(f.cidfile); err == nil {
			return o, fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", f.cidfile)
		}
	}
	for _, m := range f.mounts {
		vol, tmpfs, err := mountFlag(m)
		if err != nil {
			return o, err
		}
		if vol != "" {
			o.Volumes = append(o.Volumes, vol)
		}
		if tmpfs != "" {
			o.Tmpfs = append(o.Tmpfs, tmpfs)
		}
	}
	if f.shmSize != "" {
		if o.ShmSize, err = parseBytes(f.shmSize); err != nil || o.ShmSize == 0 {
			return o, fmt.Errorf("invalid argument %q for \"--shm-size\" flag: invalid size", f.shmSize)
		}
	}
	if f.memorySwap != "" {
		if o.MemorySwap, err = parseSwap(f.memorySwap); err != nil {
			return o, err
		}
	}
	if f.memoryRes != "" {
		if o.MemoryReservation, err = parseBytes(f.memoryRes); err != nil {
			return o, fmt.Errorf("invalid argument %q for \"--memory-reservation\" flag: %w", f.memoryRes, err)
		}
	}
	o.CPUShares = f.cpuShares
	o.CPUPeriod, o.CPUQuota = f.cpuPeriod, f.cpuQuota
	o.CpusetCPUs, o.CpusetMems = f.cpusetCPUs, f.cpusetMems
	o.OOMScoreAdj = f.oomScoreAdj
	if f.swappiness != -1 {
		o.MemorySwappiness = &f.swappiness
	}
	o.OOMKillDisable = f.oomKillOff
	if o.OOMKillDisable && o.Memory == 0 {
		fmt.Fprintln(c.ErrOrStderr(), "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.")
	}
	if err := f.blkio.options(&o); err != nil {
		return o, err
	}
	if f.cpus != "" {
		v, err := strconv.ParseFloat(f.cpus, 64)
		if err != nil || v < 0 {
			return o, fmt.Errorf("invalid argument %q for \"--cpus\" flag: not a number", f.cpus)
		}
		o.NanoCPUs = int64(v * 1e9)
	}
	for _, file := range f.envFiles {
		env, err := readEnvFile(file)
		if err != nil {
			return o, err
		}
		o.Env = append(o.Env, env...)
	}
	o.Env = append(o.Env, resolveEnv(f.env)...)
	labels := f.labels
	for _, file := range f.labelFiles {
		lines, err := readLineFile("label", file)
		if err != nil {
			return o, err
		}
		labels = append(lines, labels...)
	}
	if len(labels) > 0 {
		o.Labels = map[string]string{}
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			o.Labels[k] = v
		}
	}
	o.Expose = f.expose
	o.Domainname = f.domainname
	o.MacAddress = f.macAddress
	if o.AttachStdin, o.AttachStdout, o.AttachStderr, err = attachFlags(f.attach); err != nil {
		return o, err
	}
	return o, nil
}

// attachFlags returns the streams -a names, as docker reads them: any
// case, and stdout and stderr when there is no -a.
func attachFlags(names []string) (stdin, stdout, stderr bool, err error) {
	if len(names) == 0 {
		return false, true, true, nil
	}
	for _, n := range names {
		switch strings.ToLower(n) {
		case "stdin":
			stdin = true
		case "stdout":
			stdout = true
		case "stderr":
			stderr = true
		default:
			return false, false, false, fmt.Errorf("invalid argument %q for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", n)
		}
	}
	return stdin, stdout, stderr, nil
}

// pullFirst pulls image before the container is made, with --pull
// always.
func (f *createFlags) pullFirst(c *cobra.Command, a *app, eng *engine.Engine, image string) error {
	if f.pull != "always" {
		return nil
	}
	return runPull(c, eng, image, f.platform, false, a.io.Err)
}

// pullMissing pulls image after the creation of a container failed with
// err, when err says the image is missing and --pull allows it, as
// docker run does: it reports true if it pulled, and the creation is to
// be tried again. The image is not looked up beforehand: a run of an
// image already here does not pay for it.
func (f *createFlags) pullMissing(c *cobra.Command, a *app, eng *engine.Engine, image string, err error) (bool, error) {
	var nf *engine.ImageNotFoundError
	if f.pull != "missing" || !errors.As(err, &nf) {
		return false, err
	}
	ref := image
	if r, perr := engine.ParseImageRef(image); perr == nil {
		ref = r.String()
	}
	fmt.Fprintf(a.io.Err, "Unable to find image '%s' locally\n", ref)
	if err := runPull(c, eng, image, f.platform, false, a.io.Err); err != nil {
		return false, err
	}
	return true, nil
}

// writeCID writes container id to the --cidfile file, if any, which must
// not exist.
func (f *createFlags) writeCID(id string) error {
	if f.cidfile == "" {
		return nil
	}
	cf, err := os.OpenFile(f.cidfile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write the container ID file: %w", err)
	}
	_, err = cf.WriteString(id)
	if cerr := cf.Close(); err == nil {
		err = cerr
	}
	return err
}

// mountFlag turns docker's --mount type=bind|volume|tmpfs,... into the
// -v or --tmpfs spec it stands for.
func mountFlag(spec string) (volume, tmpfs string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("invalid argument %q for \"--mount\" flag: %s", spec, why)
	}
	typ, src, dst := "volume", "", ""
	var mode, tmpfsOpts []string
	for _, field := range strings.Split(spec, ",") {
		k, v, hasValue := strings.Cut(field, "=")
		switch strings.ToLower(k) {
		case "type":
			typ = v
		case "source", "src":
			src = v
		case "target", "destination", "dst":
			dst = v
		case "readonly", "ro":
			if !hasValue || v == "true" || v == "1" {
				mode = append(mode, "ro")
			} else if v != "false" && v != "0" {
				return bad("readonly takes true or false")
			}
		case "volume-nocopy":
			if !hasValue || v == "true" || v == "1" {
				mode = append(mode, "nocopy")
			}
		case "bind-propagation":
			mode = append(mode, v)
		case "tmpfs-size":
			tmpfsOpts = append(tmpfsOpts, "size="+v)
		case "tmpfs-mode":
			tmpfsOpts = append(tmpfsOpts, "mode="+v)
		default:
			return bad("unknown option " + k)
		}
	}
	if dst == "" {
		return bad("target is required")
	}
	switch typ {
	case "bind", "volume":
		if typ == "bind" && src == "" {
			return bad("source is required for a bind mount")
		}
		if (typ == "bind") != strings.HasPrefix(src, "/") && src != "" {
			return bad("a bind mount's source is an absolute path, a volume's a name")
		}
		v := dst
		if src != "" {
			v = src + ":" + dst
		}
		if len(mode) > 0 {
			v += ":" + strings.Join(mode, ",")
		}
		return v, "", nil
	case "tmpfs":
		if src != "" {
			return bad("a tmpfs mount takes no source")
		}
		if slices.Contains(mode, "ro") {
			tmpfsOpts = append(tmpfsOpts, "ro")
		}
		t := dst
		if len(tmpfsOpts) > 0 {
			t += ":" + strings.Join(tmpfsOpts, ",")
		}
		return "", t, nil
	}
	return bad("unknown type " + typ)
}

// parseSwap reads --memory-swap: a size, or -1 for unlimited swap.
func parseSwap(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	n, err := parseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("invalid argument %q for \"--memory-swap\" flag: %w", s, err)
	}
	return n, nil
}

// healthFlags are docker run's health check flags.
type healthFlags struct {
	cmd                            string
	interval, timeout, startPeriod time.Duration
	retries                        int
	none                           bool
}

func (h *healthFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&h.cmd, "health-cmd", "", "command to run to check health")
	fs.DurationVar(&h.interval, "health-interval", 0, "time between running the check (ms|s|m|h) (default 30s)")
	fs.DurationVar(&h.timeout, "health-timeout", 0, "maximum time to allow one check to run (ms|s|m|h) (default 30s)")
	fs.DurationVar(&h.startPeriod, "health-start-period", 0, "start period for the container to initialize before starting health-retries countdown (ms|s|m|h)")
	fs.IntVar(&h.retries, "health-retries", 0, "consecutive failures needed to report unhealthy (default 3)")
	fs.BoolVar(&h.none, "no-healthcheck", false, "disable any container-specified HEALTHCHECK")
}

// config returns the health check settings the flags give, nil if none.
func (h *healthFlags) config(fs *pflag.FlagSet) (*engine.HealthConfig, error) {
	set := false
	for _, name := range []string{"health-cmd", "health-interval", "health-timeout", "health-start-period", "health-retries"} {
		set = set || fs.Changed(name)
	}
	if !set {
		return nil, nil
	}
	hc := &engine.HealthConfig{Interval: h.interval, Timeout: h.timeout, StartPeriod: h.startPeriod, Retries: h.retries}
	if h.cmd != "" {
		hc.Test = []string{"CMD-SHELL", h.cmd}
	}
	return hc, nil
}

// resolveEnv turns -e entries into KEY=VALUE: a bare KEY takes the host's
// value and is dropped if the host has none, as docker does.
func resolveEnv(in []string) []string {
	var out []string
	for _, kv := range in {
		if strings.Contains(kv, "=") {
			out = append(out, kv)
			continue
		}
		if v, ok := os.LookupEnv(kv); ok {
			out = append(out, kv+"="+v)
		}
	}
	return out
}

// readEnvFile reads docker's --env-file format: KEY=VALUE or KEY lines,
// # comments and blank lines ignored.
func readEnvFile(path string) ([]string, error) {
	lines, err := readLineFile("env", path)
	if err != nil {
		return nil, err
	}
	return resolveEnv(lines), nil
}

// readLineFile reads the lines of an env or label file (what), but for
// empty ones and comments.
func readLineFile(what, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s file: %w", what, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s file %s: %w", what, path, err)
	}
	return lines, nil
}

// parseBytes parses docker's memory sizes: 512, 64k, 64m, 1g (powers of
// 1024, case-insensitive, optional trailing b).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, errors.New("invalid size")
	}
	return int64(v * float64(mult)), nil
}

// engineError marks an error of create or run with docker's exit code 125,
// and a failure to start with the code the start error carries.
func engineError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	var se *engine.StartError
	if errors.As(err, &se) {
		return &ExitError{Code: se.Code, Err: err}
	}
	return &ExitError{Code: 125, Err: err}
}

func createCmd(a *app) *cobra.Command {
	var f createFlags
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			eng, err := a.engine()
			if err != nil {
				return engineError(err)
			}
			o, err := f.options(c, args)
			if err != nil {
				return engineError(err)
			}
			if err := f.pullFirst(c, a, eng, o.Image); err != nil {
				return engineError(err)
			}
			id, err := eng.Create(c.Context(), o)
			if pulled, perr := f.pullMissing(c, a, eng, o.Image, err); pulled {
				id, err = eng.Create(c.Context(), o)
			} else if perr != nil {
				err = perr
			}
			if err != nil {
				return engineError(err)
			}
			if err := f.writeCID(id); err != nil {
				return engineError(err)
			}
			fmt.Fprintln(a.io.Out, id)
			return nil
		},
	}
	f.register(c.Flags())
	return c
}

func runCmd(a *app) *cobra.Command {
	var f createFlags
	var detach, sigProxy bool
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if os.Geteuid() != 0 {
				return engineError(ErrNeedRoot)
			}
			// The container's monitor starts first, from berth's own
			// start-up if it could (engine.EarlyMonitor): its start-up
			// overlaps all that follows. It exits if the run goes no
			// further.
			forked := engine.EarlyMonitor()
			if forked == nil {
				var err error
				if forked, err = engine.ForkMonitor(); err != nil {
					return engineError(err)
				}
			}
			defer forked.Close()
			eng, err := a.engine()
			if err != nil {
				return engineError(err)
			}
			o, err := f.options(c, args)
			if err != nil {
				return engineError(err)
			}
			if detach && f.rm && f.restart != "no" && f.restart != "" {
				return engineError(errors.New("conflicting options: cannot combine --restart and --rm"))
			}
			if detach {
				if len(f.attach) > 0 {
					return engineError(errors.New("conflicting options: -a and -d"))
				}
				o.AttachStdin, o.AttachStdout, o.AttachStderr = false, false, false
			}
			if f.tty && !detach && f.interactive && !isTerminal(a.io.In) {
				return errNotTTY
			}
			if in, ok := a.io.In.(*os.File); ok && f.tty && !detach && isTerminal(in) {
				// The container's terminal starts at the size of this
				// one, not at 0x0 until the attach's first resize.
				if sz, err := pty.GetFileSize(in); err == nil {
					o.ConsoleSize = [2]uint{uint(sz.Rows), uint(sz.Cols)}
				}
			}
			var keys []byte
			if f.tty && f.interactive && !detach {
				if keys, err = sessionKeys(c); err != nil {
					return err
				}
			}
			// A published port in use fails the run before anything is
			// created.
			if err := eng.CheckPorts(o); err != nil {
				return engineError(err)
			}
			ctx := c.Context()
			if err := f.pullFirst(c, a, eng, o.Image); err != nil {
				return engineError(err)
			}
			id, conn, err := eng.RunForked(ctx, o, forked, !detach)
			if pulled, perr := f.pullMissing(c, a, eng, o.Image, err); pulled {
				// The monitor forked for the first try went with it.
				if forked, err = engine.ForkMonitor(); err != nil {
					return engineError(err)
				}
				id, conn, err = eng.RunForked(ctx, o, forked, !detach)
			} else if perr != nil {
				err = perr
			}
			if err != nil {
				return engineError(err)
			}
			if err := f.writeCID(id); err != nil {
				if conn != nil {
					conn.Close()
				}
				return engineError(err)
			}
			if detach {
				fmt.Fprintln(a.io.Out, id)
				return nil
			}
			return attachRunning(ctx, a, eng, id, conn, session{stdin: f.interactive, stdout: o.AttachStdout, stderr: o.AttachStderr, tty: f.tty, sigProxy: sigProxy, keys: keys})
		},
	}
	f.register(c.Flags())
	c.Flags().BoolVarP(&detach, "detach", "d", false, "run container in background and print container ID")
	c.Flags().BoolVar(&sigProxy, "sig-proxy", true, "proxy received signals to the process")
	c.Flags().String("detach-keys", pty.DefaultKeys, `override the key sequence for detaching a container ("" disables detaching)`)
	return c
}

// session is how a client attaches to a container: with its standard
// input, to its standard output and error (the terminal's, with tty),
// to the container's terminal, with the keys that detach, and passing
// the signals it gets on to the container (--sig-proxy; never with a
// terminal, whose keys reach the container as input).
type session struct {
	stdin, stdout, stderr, tty, sigProxy bool
	keys                                 []byte
}

// proxySignal sends sig to container id, whose output this client is
// attached to. The monitor tells a client attached from the start that
// the process runs before it records the running state, so a signal
// that comes in between is refused as for a container not running: it
// is sent again until the state is recorded, or the session ends (done).
func proxySignal(ctx context.Context, eng *engine.Engine, id string, sig syscall.Signal, done <-chan struct{}) {
	for {
		var se *engine.StateError
		if err := eng.Kill(ctx, id, strconv.Itoa(int(sig))); !errors.As(err, &se) {
			return
		}
		select {
		case <-done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// runAttached starts container id with a client attached from the start
// and returns its exit code as an *ExitError (nil for 0).
func runAttached(ctx context.Context, a *app, eng *engine.Engine, id string, s session) error {
	conn, err := eng.StartAttach(ctx, id)
	if err != nil {
		return engineError(err)
	}
	return attachRunning(ctx, a, eng, id, conn, s)
}

// attachRunning attaches to running container id through conn and returns
// its exit code as runAttached does; detaching returns nil and says on
// stderr that the container is still running. It closes conn.
func attachRunning(ctx context.Context, a *app, eng *engine.Engine, id string, conn net.Conn, s session) error {
	defer conn.Close()
	sigs := make(chan os.Signal, 4)
	switch {
	case s.tty:
	case s.sigProxy:
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	default:
		// Signals not passed on end the command as they end any other,
		// the container running on; main catches these two to cancel
		// its context, which the attach does not heed.
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if !s.sigProxy {
					signal.Reset(sig)
					syscall.Kill(os.Getpid(), sig.(syscall.Signal))
					continue
				}
				proxySignal(context.WithoutCancel(ctx), eng, id, sig.(syscall.Signal), done)
			case <-done:
				return
			}
		}
	}()
	// The signals stay routed to sigs, unread once done is closed: the
	// command ends next, and signal.Stop would wait for the signal loop to
	// go idle (a quarter of a millisecond between the container's exit and
	// the command's).
	defer close(done)
	code, detached, err := attachStreams(context.WithoutCancel(ctx), a, conn, s)
	if err != nil {
		return err
	}
	if detached {
		fmt.Fprintf(a.io.Err, "detached from %s, which is still running\n", shortID(id))
		return nil
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}
