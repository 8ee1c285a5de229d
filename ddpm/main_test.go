package ddpm

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// backend is shared by every test of the package: creating a PJRT client is expensive.
var backend backends.Backend

// TestMain fails the whole package, rather than skipping, when the backend cannot be loaded: a
// test suite that silently skips its graph tests would pass without testing anything.
func TestMain(m *testing.M) {
	if err := ReexecWithMallocTunables(); err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n", err)
	}
	flag.Parse()
	choice, err := ChooseBackend()
	if err == nil {
		backend, err = newBackendWithConfig(choice)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the XLA CPU backend could not be loaded: %v\n"+
			"Set it up with `%s` (from the repository root), or set $%s.\n", err, SetupCommand, EnvBackend)
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Printf("backend: %s\nbackend chosen by: %s\nbackend config: %s\n", backend.Description(), choice.Source, choice.Config)
	}
	code := m.Run()
	backend.Finalize()
	os.Exit(code)
}
