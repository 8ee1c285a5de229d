package ddpm

import (
	"fmt"
	"strings"

	"github.com/gomlx/exceptions"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Class conditioning and classifier-free guidance (Ho and Salimans 2022). A conditional model
// predicts ε_θ(x_t, t, c) for a class label c in 0..K−1, or for the extra label K, "no label" (∅).
// Training replaces each label by ∅ with probability p_uncond (DropLabels), so one network learns
// both ε_θ(x_t, t, c) and ε_θ(x_t, t, ∅). Sampling with guidance weight w uses
//
//	ε̃ = (1 + w) ε_θ(x_t, t, c) − w ε_θ(x_t, t, ∅)
//
// in place of ε_θ: w = 0 is plain conditional sampling, larger w trades diversity for samples that
// look more like their class.

// DefaultPUncond is the probability of training on ∅ instead of the label (the guidance paper's
// best value on ImageNet, 0.1 or 0.2; improved-diffusion's and diffusers' examples use 0.1).
const DefaultPUncond = 0.1

// CheckPUncond requires a probability of dropping the label in [0, 1) as the float32 that training
// draws against: at 1 the model never sees a class. A checkpoint claiming 1, −1 or 7 loaded and was
// sampled from as a conditional model (thirteenth probe).
func CheckPUncond(p float64) error {
	if !(p >= 0 && float32(p) < 1) {
		return fmt.Errorf("p_uncond %g: the probability of dropping a label must be in [0, 1) as a float32: at 1 the model never sees a class", p)
	}
	return nil
}

// ConditionalModel is a noise predictor given class labels: y is [batch] int32 with values in
// 0..K, K meaning ∅; y = nil means ∅ for every example. Its output is that of an EpsModel.
type ConditionalModel func(ctx *context.Context, xt, t, y *Node) *Node

// Given binds the labels y (a node of the graph being built) and returns ε_θ(·, ·, y).
func (m ConditionalModel) Given(y *Node) EpsModel {
	return func(ctx *context.Context, xt, t *Node) *Node { return m(ctx, xt, t, y) }
}

// Unconditional is ε_θ(·, ·, ∅).
func (m ConditionalModel) Unconditional() EpsModel { return m.Given(nil) }

// Guided returns the guided prediction ε̃ = (1 + w) ε_θ(x_t, t, y) − w ε_θ(x_t, t, ∅) of a model
// with numClasses classes. Both predictions come from one call on the batch doubled (x_t with y,
// then x_t with ∅), so the network runs once per step at twice the batch. For a model that learns
// its variances, v is the conditional half's (as GLIDE and improved-diffusion's guided samplers do:
// guidance moves the mean only).
func (m ConditionalModel) Guided(y *Node, numClasses int, w float64) EpsModel {
	return func(ctx *context.Context, xt, t *Node) *Node {
		batch := xt.Shape().Dimensions[0]
		null := FillScalar(y.Graph(), shapes.Make(dtypes.Int32, batch), float64(numClasses))
		out := m(ctx, Concatenate([]*Node{xt, xt}, 0), Concatenate([]*Node{t, t}, 0),
			Concatenate([]*Node{ConvertDType(y, dtypes.Int32), null}, 0))
		halves := Split(out, 0, 2)
		epsC, v := splitOutput(halves[0], xt)
		epsU, _ := splitOutput(halves[1], xt)
		eps := Sub(MulScalar(epsC, 1+w), MulScalar(epsU, w))
		if v == nil {
			return eps
		}
		return Concatenate([]*Node{eps, v}, -1)
	}
}

// DropLabels replaces each label of y by ∅ (= numClasses) with probability p, with ctx's random
// number generator: classifier-free guidance's training.
func DropLabels(ctx *context.Context, y *Node, numClasses int, p float64) *Node {
	y = ConvertDType(y, dtypes.Int32)
	if p <= 0 {
		return y
	}
	drop := LessThan(ctx.RandomUniform(y.Graph(), shapes.Make(dtypes.Float32, y.Shape().Dimensions...)), Scalar(y.Graph(), dtypes.Float32, p))
	return Where(drop, FillScalar(y.Graph(), y.Shape(), float64(numClasses)), y)
}

// labelEmbedding returns the learned embedding [batch, dim] of the labels y (nil: ∅ for all of a
// batch of size batch) from a table of numClasses+1 rows (the last for ∅) in scope "label_emb",
// initialised to zero so that a new conditional model starts as an unconditional one.
func labelEmbedding(ctx *context.Context, g *Graph, y *Node, batch, numClasses, dim int) *Node {
	if y == nil {
		y = FillScalar(g, shapes.Make(dtypes.Int32, batch), float64(numClasses))
	}
	if y.Rank() != 1 || y.Shape().Dimensions[0] != batch || !y.DType().IsInt() {
		exceptions.Panicf("ddpm: class labels must be integers of shape [batch]=[%d], got %s", batch, y.Shape())
	}
	table := ctx.In("label_emb").WithInitializer(initializers.Zero).VariableWithShape("embeddings", shapes.Make(dtypes.Float32, numClasses+1, dim)).ValueGraph(g)
	return Gather(table, ExpandAxes(ConvertDType(y, dtypes.Int32), -1))
}

// labelTable is the name of a conditional model's table of label embeddings (labelEmbedding).
const labelTable = "/label_emb/embeddings"

// labelClasses returns the number of classes K of the label table in w (K+1 rows, the last for ∅), or
// 0 where w holds none (an unconditional network, or a context whose network is not built yet).
func (w Weights) labelClasses() int {
	for name, shape := range w {
		if strings.HasSuffix(name, labelTable) && shape.Rank() == 2 {
			return shape.Dimensions[0] - 1
		}
	}
	return 0
}

// checkClasses refuses a class count that is not that of the label table in w: a sampler told 2
// classes for a model of 3 drew class 2 for ∅, and told 5 it made label 4 ∅; a dataset of 2 classes
// trained ∅'s row as class 2 (fiftieth probe). what says whose count it is.
func (w Weights) checkClasses(what string, numClasses int) error {
	if k := w.labelClasses(); k > 0 && k != numClasses {
		return fmt.Errorf("%s %d classes, and the model's label table has %d rows: %d classes and one for no label", what, numClasses, k+1, k)
	}
	return nil
}

// CheckLabels returns an error naming the first label outside 0..numClasses (numClasses is ∅) and
// the valid ones.
func CheckLabels(labels []int, numClasses int) error {
	if numClasses < 1 { // "valid labels are 0..-2" (forty-third probe's nit)
		return fmt.Errorf("class labels checked against %d classes: a class-conditional model has at least 1", numClasses)
	}
	for i, c := range labels {
		if c < 0 || c > numClasses {
			return fmt.Errorf("class label %d (sample %d) is out of range: valid labels are 0..%d, and %d for no label", c, i, numClasses-1, numClasses)
		}
	}
	return nil
}
