package procgroup

import (
	"context"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// The context's end kills the child's own children too: with exec.CommandContext's default, which
// kills the child only, the grandchild goes on.
func TestTheContextsEndKillsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, "/bin/sh", "-c", sweep.GrandchildScript)
	grandchild := sweep.Grandchild(t, cmd)
	cancel()
	_ = cmd.Wait()
	sweep.WaitEnded(t, grandchild, "the context's end")
}
