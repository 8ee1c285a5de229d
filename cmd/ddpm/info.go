package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

func runInfo(args []string) error {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	choice, err := ddpm.ChooseBackend()
	if err != nil {
		return err
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	// Its report is its result: written whole at the end, and a failed write is an error (`ddpm info >
	// /dev/full` exited 0 with nothing written).
	var report strings.Builder
	fmt.Fprintf(&report, "backend:   %s\nchosen by: %s\nconfig:    %s\n", backend.Description(), choice.Source, choice.Config)
	tunables := os.Getenv("GLIBC_TUNABLES")
	if tunables == "" {
		tunables = "(unset: glibc's malloc without huge pages, XLA's CPU steps slower; see ddpm.MallocTunables)"
	}
	fmt.Fprintf(&report, "malloc:    GLIBC_TUNABLES=%s\n", tunables)
	flags := os.Getenv("XLA_FLAGS")
	if flags == "" {
		flags = "(unset: XLA's defaults)"
	}
	fmt.Fprintf(&report, "xla:       XLA_FLAGS=%s\n", flags)
	fmt.Fprintf(&report, "devices:   %d; --devices 0 (the default) uses %d\n", backend.NumDevices(), ddpm.DefaultDevices(backend))
	if _, err := os.Stdout.WriteString(report.String()); err != nil {
		return fmt.Errorf("standard output: %w", err)
	}
	return nil
}
