// Package app is the program: its commands (serve, migrate, create-admin,
// version), the wiring of configuration, database, service and HTTP
// surface, and graceful shutdown. main only calls Run.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
)

// Version is set at build time with -ldflags "-X gqlauth/internal/app.Version=…";
// otherwise the module version (or "dev") is reported.
var Version = ""

// env is what every command gets from Run.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (the default)", serve},
		{"migrate", "bring the database schema up to date and exit", migrate},
		{"create-admin", "create an ADMIN user, or promote an existing one", createAdmin},
		{"keys", "keys generate [--alg EdDSA|ES256|RS256]: print a new signing key", keysCommand},
		{"version", "print the version", version},
	}
}

// Run runs the command named by args (serve when there is none) and returns
// the process exit code: 0 on success, 1 on failure, 2 on bad usage.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(stdout)
		return 0
	} else if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "-v") {
		name, args = "version", args[1:]
	}
	if name == "help" {
		// help [COMMAND]: the overview, or the command's own -h.
		if len(args) == 0 {
			usage(stdout)
			return 0
		}
		name, args = args[0], []string{"-h"}
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, args)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "gqlauth %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gqlauth: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

// errUsage marks a usage error whose message the FlagSet already printed.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: gqlauth [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help          help [COMMAND]: this overview, or a command's flags")
	fmt.Fprintln(w)
	fmt.Fprintln(w, configHelp)
	fmt.Fprintln(w, "Run 'gqlauth COMMAND -h' for a command's flags; 'gqlauth --version' for the version.")
}

// configHelp says where the settings come from; serve -h repeats it.
const configHelp = `Configuration is read from environment variables (DATABASE_URL, SECRET_KEY, PORT, ...),
and from a .env file in the working directory for variables the environment does not set.
Every variable, with its default, is in the configuration table of the README
("Configuration" section).`

// flags returns a FlagSet for a command that prints its help to stdout.
func flags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: gqlauth %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// withNote adds text after a FlagSet's usage.
func withNote(fs *flag.FlagSet, text string) *flag.FlagSet {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), text)
	}
	return fs
}

// parse parses args, printing help to stdout for -h and usage errors to stderr.
func parse(fs *flag.FlagSet, e env, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return errUsage
	}
	return nil
}

func version(_ context.Context, e env, args []string) error {
	if err := parse(flags(e, "version", "version"), e, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "gqlauth %s\n", versionString())
	return nil
}

// versionString is Version when the build set it, else what the Go
// toolchain recorded: the module version (go install gqlauth@v1.2.3, or a
// VCS-stamped build's pseudo-version), else the VCS revision, and the Go
// version that built it.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if Version != "" {
			return Version
		}
		return "(unknown: built without module information)"
	}
	return describeBuild(Version, bi)
}

func describeBuild(stamped string, bi *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && settings["vcs.modified"] == "true" {
		rev += "-dirty"
	}
	v := stamped
	if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	var extra []string
	if v == "" {
		v = "devel"
		if rev == "" {
			extra = append(extra, "no version or VCS stamp: build from a git checkout, or with -ldflags \"-X gqlauth/internal/app.Version=...\"")
		}
	}
	if rev != "" && !strings.Contains(v, rev[:min(len(rev), 12)]) {
		extra = append([]string{"commit " + rev}, extra...)
	}
	extra = append([]string{bi.GoVersion}, extra...)
	return v + " (" + strings.Join(extra, ", ") + ")"
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
