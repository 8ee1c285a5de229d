package ddpm

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/exceptions"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// EMAScope is the absolute scope under which the exponential moving averages of the weights are
// kept, mirroring the trainable variables' own scopes.
const EMAScope = "/ema"

// OptimizerConfig is the paper's optimisation: Adam with a linear learning-rate warm-up, gradients
// clipped to a maximum global norm, and an exponential moving average (EMA) of the weights.
type OptimizerConfig struct {
	LearningRate float64 // peak learning rate (2e-4 in the paper)
	WarmupSteps  int     // steps of linear warm-up from 0 to LearningRate (5000 in the paper)
	ClipNorm     float64 // maximum global norm of the gradients (1.0); 0 disables clipping
	EMADecay     float64 // decay of the weights' EMA (0.9999); 0 disables the EMA
}

// PaperOptimizer returns the paper's settings.
func PaperOptimizer() OptimizerConfig {
	return OptimizerConfig{LearningRate: 2e-4, WarmupSteps: 5000, ClipNorm: 1, EMADecay: 0.9999}
}

// Validate names the first bad field.
func (c OptimizerConfig) Validate() error {
	switch {
	case !(c.LearningRate >= 0x1p-126) || math.IsInf(c.LearningRate, 1): // 1e-50 is 0 as a float32: nothing trained (fifty-sixth probe)
		return fmt.Errorf("learning rate %g: it must be finite and at least 1.2e-38, float32's least normal number (below it, as a float32, no step moves a weight)", c.LearningRate)
	case c.WarmupSteps < 0:
		return fmt.Errorf("warm-up steps %d: it must be >= 0", c.WarmupSteps)
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 1): // NaN trained with no clipping (forty-third probe)
		return fmt.Errorf("gradient clipping norm %g: it must be >= 0 and finite (0 disables it)", c.ClipNorm)
	case !(c.EMADecay >= 0 && c.EMADecay < 1):
		return fmt.Errorf("EMA decay %g: it must be in [0, 1) (0 disables it)", c.EMADecay)
	}
	return nil
}

// Optimizer implements GoMLX's optimizers.Interface with OptimizerConfig.
type Optimizer struct {
	Config OptimizerConfig
	adam   optimizers.Interface
}

// NewOptimizer returns the optimiser for cfg.
func NewOptimizer(cfg OptimizerConfig) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	adam := optimizers.Adam().LearningRate(cfg.LearningRate).Done()
	return &Optimizer{Config: cfg, adam: adam}, nil
}

// gradientsApplier is the part of GoMLX's Adam that applies given gradients.
type gradientsApplier interface {
	UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType)
}

// UpdateGraph computes the gradients of loss, clips them by global norm, sets the warmed-up
// learning rate, lets Adam update the weights, and then updates the weights' EMA.
func (o *Optimizer) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		exceptions.Panicf("ddpm optimizer: the loss must be a scalar, got %s", loss.Shape())
	}
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	if o.Config.ClipNorm > 0 {
		grads = ClipByGlobalNorm(grads, o.Config.ClipNorm)
	}

	// The step about to be taken, counted from 1 (the global step is incremented by Adam).
	step := AddScalar(ConvertDType(optimizers.GetGlobalStepVar(ctx).ValueGraph(g), loss.DType()), 1)
	optimizers.LearningRateVar(ctx, loss.DType(), o.Config.LearningRate).SetValueGraph(o.Config.warmedUpLearningRate(step))
	o.adam.(gradientsApplier).UpdateGraphWithGradients(ctx, grads, loss.DType())

	if o.Config.EMADecay > 0 {
		updateEMAGraph(ctx, g, step, o.Config.EMADecay)
	}
}

// warmedUpLearningRate is the learning rate of step (counted from 1): LearningRate·min(1, step/WarmupSteps).
func (c OptimizerConfig) warmedUpLearningRate(step *Node) *Node {
	lr := ConstAs(step, c.LearningRate)
	if c.WarmupSteps > 0 {
		lr = Mul(lr, MinScalar(DivScalar(step, float64(c.WarmupSteps)), 1))
	}
	return lr
}

// Clear removes the optimiser's state (Adam's moments).
func (o *Optimizer) Clear(ctx *context.Context) error { return o.adam.Clear(ctx) }

// ClipByGlobalNorm scales all gradients by min(1, maxNorm/‖g‖), where ‖g‖ is the norm of all of
// them together: the direction of the update is kept, only its size is bounded.
func ClipByGlobalNorm(grads []*Node, maxNorm float64) []*Node {
	if len(grads) == 0 {
		return grads
	}
	var sumSq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(gr))
		if sumSq == nil {
			sumSq = s
		} else {
			sumSq = Add(sumSq, s)
		}
	}
	norm := Sqrt(sumSq)
	scale := MinScalar(Div(ConstAs(norm, maxNorm), MaxScalar(norm, 1e-12)), 1)
	out := make([]*Node, len(grads))
	for i, gr := range grads {
		out[i] = Mul(gr, ConvertDType(scale, gr.DType()))
	}
	return out
}

// updateEMAGraph updates ema ← d·ema + (1−d)·w for every trainable weight w, with the decay
// d = min(decay, (1+step)/(10+step)). The step-dependent cap makes the average forget its zero
// initial value within the first few hundred steps, so short runs get a useful EMA too; for long
// runs d is the configured decay, as in the paper.
func updateEMAGraph(ctx *context.Context, g *Graph, step *Node, decay float64) {
	d := emaDecay(step, decay)
	var weights []*context.Variable // collected first: the loop below adds variables to ctx
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && !strings.HasPrefix(v.Scope(), EMAScope) {
			weights = append(weights, v)
		}
	}
	for _, v := range weights {
		w := v.ValueGraph(g) // Already updated by Adam in this graph.
		ema := emaContext(ctx, v).WithInitializer(zeroInitializer).
			VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
		dd := ConvertDType(d, w.DType())
		ema.SetValueGraph(Add(Mul(dd, ema.ValueGraph(g)), Mul(OneMinus(dd), w)))
	}
}

// emaDecay is the EMA's decay at step: min(decay, (1+step)/(10+step)).
func emaDecay(step *Node, decay float64) *Node {
	return MinScalar(Div(AddScalar(step, 1), AddScalar(step, 10)), decay)
}

func zeroInitializer(g *Graph, shape shapes.Shape) *Node { return Zeros(g, shape) }

// emaContext is the context whose scope holds the EMA of v.
func emaContext(ctx *context.Context, v *context.Variable) *context.Context {
	return ctx.InAbsPath(EMAScope + v.Scope()).Checked(false)
}

// EMAContext returns a new context that holds only the model's weights, each replaced by its
// exponential moving average, as the paper uses for sampling and evaluation. A context without any
// EMA (e.g. loaded from a weights-only export, which already holds the averages) is copied as is;
// one where only some weights have an EMA is an error.
func EMAContext(ctx *context.Context) (*context.Context, error) {
	if ctx == nil { // it panicked (forty-third probe's nit)
		return nil, errors.New("EMA weights: no context given (nil)")
	}
	out := context.New()
	var missing []string
	found := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || strings.HasPrefix(v.Scope(), EMAScope) {
			continue
		}
		src := v
		if ema := ctx.GetVariableByScopeAndName(EMAScope+v.Scope(), v.Name()); ema != nil {
			src = ema
			found++
		} else {
			missing = append(missing, v.ScopeAndName())
		}
		value, err := src.Value()
		if err != nil {
			return nil, fmt.Errorf("weight %s: %w", v.ScopeAndName(), err)
		}
		clone, err := value.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("weight %s: %w", v.ScopeAndName(), err)
		}
		out.InAbsPath(v.Scope()).Checked(false).VariableWithValue(v.Name(), clone)
	}
	if found > 0 && len(missing) > 0 {
		return nil, fmt.Errorf("%d weights have no EMA (e.g. %s)", len(missing), missing[0])
	}
	return out, nil
}
