package ddpm

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// StepTensor returns the [batch] int32 tensor of time steps that the graph functions take, with
// every example at step t. A step outside int32 panics, as a negative batch does.
func StepTensor(batch, t int) *tensors.Tensor {
	return tensors.FromScalarAndDimensions(step32(t), batch)
}

// StepsTensor returns a [len(ts)] int32 tensor holding one time step per example.
func StepsTensor(ts ...int) *tensors.Tensor {
	out := make([]int32, len(ts))
	for i, t := range ts {
		out[i] = step32(t)
	}
	return tensors.FromFlatDataAndDimensions(out, len(ts)) // [0] for no steps: FromValue panicked on an empty slice
}

// step32 is t as an int32, or a panic naming it: 2³² + 5 was step 5, without a word (forty-eighth sweep).
func step32(t int) int32 {
	if t < math.MinInt32 || t > math.MaxInt32 {
		panic(fmt.Sprintf("time step %d: outside int32, which no schedule reaches", t))
	}
	return int32(t)
}
