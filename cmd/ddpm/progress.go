package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// progressLine shows how long work is getting on, on standard error: over its last line on a
// terminal; elsewhere (a log file, a pipe) as lines of their own, at most one per progressLogEvery,
// so that `2> log` holds lines, not one line of carriage returns (thirty-first probe's nit).
type progressLine struct {
	terminal bool
	last     time.Time
	shown    bool
}

// progressLogEvery is the least time between two lines of progress written to a file.
const progressLogEvery = 10 * time.Second

func newProgressLine() *progressLine {
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	return &progressLine{terminal: err == nil}
}

// show writes the progress, format and args as for fmt.Printf, without a newline.
func (p *progressLine) show(format string, args ...any) {
	if p.terminal {
		fmt.Fprintf(os.Stderr, "\r"+format, args...)
		p.shown = true
		return
	}
	if !p.last.IsZero() && time.Since(p.last) < progressLogEvery {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// end ends the terminal's line of progress, if one was shown.
func (p *progressLine) end() {
	if p.shown {
		fmt.Fprintln(os.Stderr)
		p.shown = false
	}
}
