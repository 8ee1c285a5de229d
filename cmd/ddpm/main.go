// Command ddpm is the command line of the ddpm-go project.
//
//	ddpm train        train a DDPM (Algorithm 1) on MNIST, CIFAR-10, a folder of images or a 2-D toy set
//	ddpm sample       sample from a checkpoint (Algorithm 2) into a PNG grid, optionally with Figure 6
//	ddpm eval         the variational bound in bits/dim, classifier-FID, and the paper's Figure 5
//	ddpm interpolate  the paper's Figure 8: interpolation between two digits through x_t
//	ddpm classifier   train the MNIST classifier that the classifier-FID uses
//	ddpm export       write the EMA weights of a checkpoint as a small weights-only file
//	ddpm info         which backend (XLA PJRT plugin) runs the graphs, and where it was found
//	ddpm setup        install the XLA CPU plugin and the shipped models in the user's cache folder
//
// Installed with `go install github.com/learn-ddpm/ddpm-go/cmd/ddpm@latest`, the binary has no plugin
// to run on: `ddpm setup` installs one (with Python's venv and pip) and the models, once.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

const usage = `usage: ddpm <command> [flags]

commands:
  train        train a DDPM (Algorithm 1); resumes from the newest checkpoint in --ckpt
  sample       sample from a checkpoint into a PNG grid or a .npy/.npz array: Algorithm 2, DDIM,
               DPM-Solver++(2M), Karras' Euler and Heun; optionally Figure 6
  eval         the variational bound in bits/dim (--nll), classifier-FID (--fid), Figure 5
  interpolate  Figure 8: interpolate pairs of test digits through x_t (or DDIM latents)
  classifier   train the MNIST classifier whose features the classifier-FID compares
  export       write the EMA weights of a checkpoint as a small weights-only file
  info         print the backend (XLA PJRT plugin) that runs the graphs and where it was found
  setup        install the XLA CPU plugin and the shipped models in the user's cache folder
               (outside a clone of the project; run it once after go install)
`

func main() {
	if err := ddpm.ReexecWithMallocTunables(); err != nil {
		fmt.Fprintf(os.Stderr, "ddpm: %v (going on without it, slower)\n", err)
	}
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	// A closed standard output (`ddpm sample | head -1`) must not kill a command between its outputs:
	// the summary line died with SIGPIPE before --progressive was written (eleventh probe). Writes to it
	// fail quietly instead; train, which stops and saves on a broken pipe, asks for the signal itself.
	signal.Ignore(syscall.SIGPIPE)
	quitLikeTerm()
	atStart()
	cmd, args := helpTopic(os.Args[1], os.Args[2:])
	if err := pluginVarError(); err != nil && cmd != "help" {
		fmt.Fprintf(os.Stderr, "ddpm %s: %s\n", os.Args[1], terminalSafe(shortened(err.Error()), false))
		os.Exit(1)
	}
	var err error
	switch cmd {
	case "train":
		err = runTrain(args)
	case "sample":
		defer removeTemporariesOnSignal(stoppedWhole)()
		err = runSample(args)
	case "eval":
		err = runEval(args)
	case "interpolate":
		defer removeTemporariesOnSignal(stoppedWhole)()
		err = runInterpolate(args)
	case "classifier":
		defer removeTemporariesOnSignal(stoppedWhole)()
		err = runClassifier(args)
	case "export":
		defer removeTemporariesOnSignal(stoppedWhole)()
		err = runExport(args)
	case "info":
		err = runInfo(args)
	case "setup":
		err = runSetup(args)
	case "help", "-h", "-help", "--help": // isHelp's words
		if _, err := fmt.Print(usage); err != nil { // the list is the result (`ddpm help > /dev/full` exited 0)
			fmt.Fprintf(os.Stderr, "ddpm: standard output: %v\n", err)
			os.Exit(1)
		}
		return
	default:
		fmt.Fprintf(os.Stderr, "ddpm: unknown command %s\n\n%s", shortened(strconv.Quote(cmd)), usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) { // -h: the flag set has printed the usage
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ddpm %s: %s\n", os.Args[1], terminalSafe(shortened(err.Error()), quotesOutput(err)))
		var status *exitStatus
		if errors.As(err, &status) {
			os.Exit(status.code)
		}
		os.Exit(1)
	}
	if failed := stdoutFailed.Load(); failed != nil {
		fmt.Fprintf(os.Stderr, "ddpm %s: standard output: %s: what it says there was not all written (the files it names are whole)\n",
			os.Args[1], terminalSafe((*failed).Error(), false))
		os.Exit(1)
	}
}

// pluginVarError refuses a $DDPM_PJRT_PLUGIN with a ".." in it: the library makes the path absolute
// as text (filepath.Abs takes "l/.." away before the link l is followed, where the kernel follows l
// first), so it checked and loaded another file than the one named, and another user's library in a
// sticky folder ran as root (hundred-and-third probe). The library's own resolution is the fix, in a
// file the course's record keys; until then the command refuses the "..".
func pluginVarError() error {
	p := os.Getenv(ddpm.EnvPlugin)
	if slices.Contains(strings.Split(filepath.ToSlash(p), "/"), "..") {
		return fmt.Errorf("$%s=%q: a \"..\" in it, which the kernel takes after the link before it and the plugin's check before it, so that the two "+
			"would name two files: name the plugin's file without \"..\"", ddpm.EnvPlugin, p)
	}
	return nil
}

// maxMessage bounds a message printed: a value quoted back whole made one of 80 KB for an 80 KB --n
// (fortieth probe's nit).
const maxMessage = 8 << 10

// shortened is message, or, where it is longer than maxMessage, its start and its end (where the
// advice is) with what lies between left out and counted.
func shortened(message string) string {
	if len(message) <= maxMessage {
		return message
	}
	head, tail := maxMessage/2, maxMessage/4
	for head > 0 && !utf8.RuneStart(message[head]) {
		head--
	}
	start := len(message) - tail
	for start < len(message) && !utf8.RuneStart(message[start]) {
		start++
	}
	return fmt.Sprintf("%s … (%d bytes left out) … %s", message[:head], start-head, message[start:])
}

// terminalSafe writes the control characters of a message as Go escapes, but its line breaks and tabs
// where keepLines: a file name from a data folder holding an escape sequence cleared the terminal when
// an error named it (fifty-seventh probe).
func terminalSafe(message string, keepLines bool) string {
	var b strings.Builder
	for i, r := range message {
		if r == utf8.RuneError { // a byte that is no UTF-8, as the escape a user can type: QuoteRune gave "�" (eighty-fifth probe's nit)
			if _, size := utf8.DecodeRuneInString(message[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, message[i])
				continue
			}
		}
		if !(keepLines && (r == '\n' || r == '\t')) && (unicode.IsControl(r) || r == utf8.RuneError) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// printf is fmt.Printf, and eprintf its twin on standard error, with every string and error argument
// terminalSafe: a file name holding an escape sequence set the terminal's title when a summary line
// named it, where errors escaped it already (sixty-second probe).
func printf(format string, args ...any) (int, error) {
	n, err := fmt.Printf(format, safeArgs(args)...)
	noteWrite(os.Stdout, err)
	return n, err
}

// stdoutFailed holds the first failed write to standard output that was not a closed pipe: the report
// of sample or eval written to a full disk was lost, and the command exited 0 where info and help,
// whose report is their result, fail (sixty-ninth probe). A closed pipe (`ddpm sample … | head -1`) is
// the reader's choice, and is not counted.
var stdoutFailed atomic.Pointer[error]

// noteWrite records err, a write's to f, where f is standard output (stdoutFailed).
func noteWrite(f *os.File, err error) {
	if err != nil && f == os.Stdout && !errors.Is(err, syscall.EPIPE) {
		stdoutFailed.CompareAndSwap(nil, &err)
	}
}

func eprintf(format string, args ...any) (int, error) {
	return fmt.Fprintf(os.Stderr, format, safeArgs(args)...)
}

// safeArgs is args with each string and error written as terminalSafe's, a string's newlines and tabs
// escaped too where it is not whitespace alone: a string argument is a name, whose newline faked a line
// of the run's in a log (sixty-fourth probe), where an error's lines are its own.
func safeArgs(args []any) []any {
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			safe[i] = terminalSafe(v, strings.TrimSpace(v) == "")
		case error:
			safe[i] = terminalSafe(v.Error(), quotesOutput(v))
		default:
			safe[i] = a
		}
	}
	return safe
}

// withOutput is an error that quotes another program's output (pip's last lines), whose line breaks
// are its own. Every other error is one line, and a line break in it is a name's, written as \n: a
// name's newline in an error faked a line of the run's in a log (sixty-fifth probe), as it did in a
// summary.
type withOutput struct{ error }

func (e withOutput) Unwrap() error { return e.error }

// quotesOutput says whether err keeps its line breaks (withOutput).
func quotesOutput(err error) bool {
	var w withOutput
	return errors.As(err, &w)
}

// exitStatus is an error that exits with its own status rather than 1.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string { return e.err.Error() }
func (e *exitStatus) Unwrap() error { return e.err }

// helpTopic reads `ddpm help train` as `ddpm train -h`, as the go command does (it printed the list of
// commands; seventeenth probe), and returns any other command line as it is.
func helpTopic(cmd string, args []string) (string, []string) {
	if isHelp(cmd) && len(args) >= 1 && !isHelp(args[0]) {
		// Words after the command come before -h, so that its flag parsing refuses them by name: they
		// were ignored (eighteenth probe).
		return args[0], append(slices.Clone(args[1:]), "-h")
	}
	return cmd, args
}

// isHelp says whether a command-line word asks for help.
func isHelp(word string) bool {
	return word == "help" || word == "-h" || word == "-help" || word == "--help"
}
