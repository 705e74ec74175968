package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// loginCommands returns login and logout.
func loginCommands(a *app) []command {
	return []command{of(a, "login", loginCmd), of(a, "logout", logoutCmd)}
}

func loginCmd(a *app) *cobra.Command {
	var user, password string
	var passwordStdin bool
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry (Docker Hub if no server is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			server := serverArg(args)
			eng, err := a.engine()
			if err != nil {
				return err
			}
			switch {
			case passwordStdin && password != "":
				return errors.New("--password and --password-stdin are mutually exclusive")
			case passwordStdin && user == "":
				return errors.New("must provide --username with --password-stdin")
			case passwordStdin:
				b, err := io.ReadAll(a.io.In)
				if err != nil {
					return fmt.Errorf("read the password from standard input: %w", err)
				}
				password = strings.TrimRight(string(b), "\r\n")
				if password == "" {
					return errors.New("login: no password on standard input (--password-stdin)")
				}
			case password != "":
				fmt.Fprintln(a.io.Err, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
			}
			if user == "" || password == "" {
				if user, password, err = a.promptLogin(user); err != nil {
					return err
				}
			}
			if _, err := eng.Login(c.Context(), server, user, password); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "Login Succeeded")
			return nil
		},
	}
	c.Flags().StringVarP(&user, "username", "u", "", "username")
	c.Flags().StringVarP(&password, "password", "p", "", "password or token")
	c.Flags().BoolVar(&passwordStdin, "password-stdin", false, "take the password or token from standard input")
	return c
}

// serverArg is the registry server of login or logout: "" (Docker Hub)
// if args name none.
func serverArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

// promptLogin asks the terminal for what of the username and the
// password is missing; the password is not echoed.
func (a *app) promptLogin(user string) (string, string, error) {
	in, ok := a.io.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", "", errors.New("cannot perform an interactive login from a non TTY device: give --username and --password-stdin")
	}
	if user == "" {
		fmt.Fprint(a.io.Out, "Username: ")
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return "", "", errors.New("login: no username given")
		}
		user = strings.TrimSpace(line)
	}
	b, err := readPassword(int(in.Fd()), func() { fmt.Fprint(a.io.Out, "Password: ") })
	fmt.Fprintln(a.io.Out)
	if err != nil {
		return "", "", fmt.Errorf("read the password: %w", err)
	}
	if user == "" || len(b) == 0 {
		return "", "", errors.New("login: a username and a password are needed")
	}
	return user, string(b), nil
}

func logoutCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry (Docker Hub if no server is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			server := serverArg(args)
			eng, err := a.engine()
			if err != nil {
				return err
			}
			key, had, err := eng.Logout(server)
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(a.io.Out, "Not logged in to %s\n", key)
				return nil
			}
			fmt.Fprintf(a.io.Out, "Removing login credentials for %s\n", key)
			return nil
		},
	}
}

// readPassword reads a line from terminal fd without echoing it. The echo
// is off before prompt is shown, so that nothing typed after the prompt
// is echoed.
func readPassword(fd int, prompt func()) ([]byte, error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		return nil, err
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	prompt()
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case n == 1 && buf[0] == '\n':
			return line, nil
		case n == 1:
			line = append(line, buf[0])
		case err == unix.EINTR:
		case err != nil:
			return nil, err
		default: // the end of the input
			return line, nil
		}
	}
}
