package ddpm

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/exceptions"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Weights maps each variable of a network, by scope and name ("/unet/temb/dense_0/dense/weights"), to
// its shape.
type Weights map[string]shapes.Shape

// NetworkWeights lists the weights that a network creates for examples of shape dims (GraphWeights
// builds it for one example). cond, when not nil, is the class-conditional form of the network and is
// built instead of model.
func NetworkWeights(model EpsModel, cond ConditionalModel, dims []int) (Weights, error) {
	w, _, err := networkWeights(model, cond, dims)
	return w, err
}

// networkWeights is NetworkWeights, and whether the network learns its variances (its output has
// twice the channels of x_t; learnsigma.go).
func networkWeights(model EpsModel, cond ConditionalModel, dims []int) (w Weights, learnsSigma bool, err error) {
	for _, d := range dims { // [0] listed a network's weights for examples of no value (forty-eighth sweep)
		if d < 1 {
			return nil, false, fmt.Errorf("network weights: examples of shape %v: every size must be at least 1", dims)
		}
	}
	w, err = GraphWeights(func(ctx *context.Context, g *Graph) {
		xt := Parameter(g, "x_t", shapes.Make(dtypes.Float32, append([]int{1}, dims...)...))
		t := Parameter(g, "t", shapes.Make(dtypes.Int32, 1))
		var out *Node
		if cond != nil {
			out = cond(ctx, xt, t, Parameter(g, "y", shapes.Make(dtypes.Int32, 1)))
		} else {
			out = model(ctx, xt, t)
		}
		_, v := splitOutput(out, xt)
		learnsSigma = v != nil
	})
	return w, learnsSigma, err
}

// GraphWeights lists the variables that build creates: the graph is built once on GoMLX's pure-Go
// backend (no plugin is needed, nothing is compiled or run), not training.
func GraphWeights(build func(ctx *context.Context, g *Graph)) (Weights, error) {
	backend, err := shapeBackend()
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	err = exceptions.TryCatch[error](func() {
		g := NewGraph(backend, "weights")
		ctx.SetTraining(g, false)
		build(ctx, g)
	})
	if err != nil {
		return nil, fmt.Errorf("building the network: %w", err)
	}
	return ContextWeights(ctx), nil
}

var shapeBackend = sync.OnceValues(func() (backends.Backend, error) { return simplego.New("") })

// ContextWeights lists the variables of ctx with their shapes.
func ContextWeights(ctx *context.Context) Weights {
	w := Weights{}
	for v := range ctx.IterVariables() {
		w[v.ScopeAndName()] = v.Shape()
	}
	return w
}

// CheckWeights refuses weights (have: a file's, or a context's) that are not those of the network
// that the run's description builds; see Weights.CheckWeights.
func (r *RunSpec) CheckWeights(have Weights) error {
	want, err := r.NetworkWeights()
	if err != nil {
		return err
	}
	return want.CheckWeights(have)
}

// NetworkWeights lists the weights of the network that the run's description builds.
func (r *RunSpec) NetworkWeights() (Weights, error) {
	model, err := r.BuildModel()
	if err != nil {
		return nil, err
	}
	cond, err := r.BuildConditional()
	if err != nil {
		return nil, err
	}
	return NetworkWeights(model, cond, r.Dims)
}

// NotTrainCheckpoint is the error for a file without a run description where a checkpoint of
// `ddpm train` is expected.
func NotTrainCheckpoint(path string) error {
	return fmt.Errorf("%s is not a checkpoint of `ddpm train` (it has no run description: a classifier, or another program's file)", path)
}

// CheckWeights compares the weights that a file or context holds (have) with those that the network
// wants: every one of them present with its shape, and nothing else under the network's scopes, nor
// under EMAScope's copy of them when have holds averages. A description edited to disagree with its
// weights (another number of channels, attention dropped at a resolution) is refused here, naming the
// differences, instead of failing inside GoMLX or leaving weights silently unused.
func (want Weights) CheckWeights(have Weights) error {
	var problems []string
	check := func(prefix string) {
		for name, shape := range want {
			got, ok := have[prefix+name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s%s is missing", prefix, name))
			case !got.Equal(shape):
				// The dtype too: two equal lists of dimensions were printed for an Int32 weight (eleventh probe).
				problems = append(problems, fmt.Sprintf("%s%s has shape %s, the network's is %s", prefix, name, got, shape))
			}
		}
		roots := map[string]bool{}
		for name := range want {
			roots[prefix+topScope(name)] = true
		}
		for name := range have {
			if _, ok := want[strings.TrimPrefix(name, prefix)]; !ok && roots[topScopeAfter(name, prefix)] {
				problems = append(problems, fmt.Sprintf("%s is not a weight of the network", name))
			}
		}
	}
	check("")
	for name := range have {
		if strings.HasPrefix(name, EMAScope+"/") {
			check(EMAScope)
			break
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	const shown = 4
	more := ""
	if len(problems) > shown {
		more = fmt.Sprintf("; and %d more", len(problems)-shown)
		problems = problems[:shown]
	}
	// The network is the caller's (Train's) or the description's: the first was blamed on an edit of a
	// description that a library run did not have (forty-ninth probe's nit).
	return fmt.Errorf("its weights are not those of the network it is read for (the network was changed since it was saved, its "+
		"description edited, or the file written by another program): %s%s", strings.Join(problems, "; "), more)
}

// topScope is the first element of a variable's absolute scope: "/unet" for "/unet/temb/…/weights".
func topScope(name string) string {
	if i := strings.Index(name[1:], "/"); i >= 0 {
		return name[:i+1]
	}
	return name
}

// topScopeAfter is prefix followed by the top scope of what follows it in name ("" if name does not
// start with prefix).
func topScopeAfter(name, prefix string) string {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return ""
	}
	return prefix + topScope(rest)
}
