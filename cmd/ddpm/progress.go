package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// progressLine shows how long work is getting on (on standard error, but for train's): over its last
// line on a terminal; elsewhere (a log file, a pipe) as lines of their own, at most one per progressLogEvery,
// so that `2> log` holds lines, not one line of carriage returns (thirty-first probe's nit).
type progressLine struct {
	out      *os.File
	terminal bool
	last     time.Time
	shown    bool
}

// progressLogEvery is the least time between two lines of progress written to a file.
const progressLogEvery = 10 * time.Second

func newProgressLine() *progressLine { return newProgressLineTo(os.Stderr) }

// newProgressLineTo is a progressLine on out: train's is on standard output, where GoMLX's bar was, so
// that `ddpm train | head` still finds its reader gone within seconds, and stops and saves.
func newProgressLineTo(out *os.File) *progressLine {
	return &progressLine{out: out, terminal: isTerminal(out)}
}

// isTerminal says whether f is a terminal: GoMLX's progress bar redraws itself there, and wrote its
// escape codes into log files several times a second (thirty-fourth probe).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// show writes the progress, format and args as for fmt.Printf, without a newline.
func (p *progressLine) show(format string, args ...any) {
	if p.terminal {
		_, err := fmt.Fprintf(p.out, "\r"+format, safeArgs(args)...)
		noteWrite(p.out, err)
		p.shown = true
		return
	}
	if !p.last.IsZero() && time.Since(p.last) < progressLogEvery {
		return
	}
	p.last = time.Now()
	_, err := fmt.Fprintln(p.out, strings.TrimRight(fmt.Sprintf(format, safeArgs(args)...), " ")) // without the padding that overwrites a terminal's line
	noteWrite(p.out, err)
}

// end ends the terminal's line of progress, if one was shown.
func (p *progressLine) end() {
	if p.shown {
		fmt.Fprintln(p.out)
		p.shown = false
	}
}
