// Command probcat catalogues crowded astronomical images probabilistically: it samples the
// posterior over catalogues with reversible-jump MCMC and writes an ensemble of catalogues, a
// condensed catalogue with a prevalence for each source, and diagnostics.
//
// Usage:
//
//	probcat <command> [flags] [arguments]
//
// Run `probcat help` for the list of commands and `probcat <command> --help` for each.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// A command is one subcommand of the CLI.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis after the command name
	run     func(fs *flag.FlagSet, args []string, out io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the command line and returns the exit status: 0 on success, 2 on any error
// (bad flags, bad input files, failed runs), with a one-line message on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fs := newFlagSet(c, stderr)
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
		}
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "probcat: unknown command %q (run probcat help)\n", args[0])
		return 2
	}
	fs := newFlagSet(c, stderr)
	if err := c.run(fs, args[1:], stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		fmt.Fprintf(stderr, "probcat %s: %s\n", c.name, msg)
		return 2
	}
	return 0
}

func newFlagSet(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("probcat "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: probcat %s %s\n\n%s\n\nflags:\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "probcat: probabilistic cataloguing of crowded astronomical images")
	fmt.Fprintln(w, "\nusage: probcat <command> [flags] [arguments]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, firstLine(commands[n].summary))
	}
	fmt.Fprintln(w, "\nRun probcat <command> --help for the flags of a command.")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parse parses flags and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) error {
	// Allow flags after positional arguments (probcat sample image.fits --out DIR).
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minArgs || (maxArgs >= 0 && len(pos) > maxArgs) {
		fs.Usage()
		return fmt.Errorf("wrong number of arguments: got %d", len(pos))
	}
	return fs.Parse(pos) // leaves the positional arguments in fs.Args()
}
