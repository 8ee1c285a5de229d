package ddpm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// checkTrainingState refuses a checkpoint whose training state disagrees with its header's step: the
// loop's step and Adam's (they set the data order, the warm-up and Adam's bias correction) must both
// be the step the header and the file name give. An edited global_step of −1 000 000 panicked in the
// data order, one of 2^62 "trained" nothing with exit 0, one of 5 silently redid steps (eighth probe).
func checkTrainingState(path string, step int64, ctx *context.Context) error {
	for _, scope := range []string{context.RootScope, context.RootScope + optimizers.AdamDefaultScope} {
		name := context.JoinScope(scope, optimizers.GlobalStepVariableName)
		v := ctx.GetVariableByScopeAndName(scope, optimizers.GlobalStepVariableName)
		if v == nil {
			return fmt.Errorf("resuming from %s: its training state has no %s: the file was edited, or written by another program", path, name)
		}
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("resuming from %s: %s: %w", path, name, err)
		}
		if !value.Shape().IsScalar() || value.DType() != dtypes.Int64 {
			return fmt.Errorf("resuming from %s: %s is %v, want a scalar Int64", path, name, value.Shape())
		}
		if got := tensors.ToScalar[int64](value); got != step {
			return fmt.Errorf("resuming from %s: its training state says step %d (%s), its header step %d: the file was edited, or written by another program",
				path, got, name, step)
		}
	}
	return nil
}

// newStateVariables lists the variables that the first step of a resumed run created, beyond those its
// checkpoint held (loaded): Adam's moments or the random generator's state missing from the file are
// made afresh, and the run would no longer continue exactly (eighth probe). The metrics, which are not
// saved, do not count.
func newStateVariables(loaded Weights, ctx *context.Context) []string {
	var created []string
	for v := range ctx.IterVariables() {
		name := v.ScopeAndName()
		if _, ok := loaded[name]; !ok && !strings.HasPrefix(v.Scope(), metricsScope) {
			created = append(created, name)
		}
	}
	slices.Sort(created)
	return created
}
