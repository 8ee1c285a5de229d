// Command ddpm is the command line of the ddpm-go project.
//
//	ddpm info    which backend (XLA PJRT plugin) runs the graphs, and where it was found
package main

import (
	"fmt"
	"os"
)

const usage = `usage: ddpm <command> [flags]

commands:
  info    print the backend (XLA PJRT plugin) that runs the graphs and where it was found
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "info":
		err = runInfo(args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "ddpm: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ddpm %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
