package ddpm

import (
	"math"

	"github.com/gomlx/exceptions"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TimestepEmbedding is the paper's sinusoidal embedding of the time step (get_timestep_embedding,
// the Transformer's positional encoding): with half = dim/2 and frequencies
// f_i = exp(−log(10000) · i/(half−1)), i = 0..half−1, it is [sin(t f), cos(t f)], with a zero column
// appended when dim is odd. t: [batch] (any number type, converted to float32) → [batch, dim] float32.
//
// With half = 1 the paper's formula divides by zero; here the single frequency is 1.
func TimestepEmbedding(t *Node, dim int) *Node {
	if t.Rank() != 1 {
		exceptions.Panicf("TimestepEmbedding: t must have shape [batch], got %s", t.Shape())
	}
	if dim < 2 {
		exceptions.Panicf("TimestepEmbedding: dim=%d, it must be >= 2", dim)
	}
	g := t.Graph()
	half := dim / 2
	scale := 0.0
	if half > 1 {
		scale = -math.Log(10000) / float64(half-1)
	}
	freqs := Exp(MulScalar(Iota(g, shapes.Make(dtypes.Float32, half), 0), scale))      // [half]
	args := Mul(ExpandAxes(ConvertDType(t, dtypes.Float32), -1), ExpandAxes(freqs, 0)) // [batch, half]
	emb := Concatenate([]*Node{Sin(args), Cos(args)}, -1)
	if dim%2 == 1 {
		emb = Concatenate([]*Node{emb, Zeros(g, shapes.Make(dtypes.Float32, t.Shape().Dimensions[0], 1))}, -1)
	}
	return emb
}
