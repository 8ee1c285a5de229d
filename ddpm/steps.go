package ddpm

import "github.com/gomlx/gomlx/pkg/core/tensors"

// StepTensor returns the [batch] int32 tensor of time steps that the graph functions take, with
// every example at step t.
func StepTensor(batch, t int) *tensors.Tensor {
	return tensors.FromScalarAndDimensions(int32(t), batch)
}

// StepsTensor returns a [len(ts)] int32 tensor holding one time step per example.
func StepsTensor(ts ...int) *tensors.Tensor {
	out := make([]int32, len(ts))
	for i, t := range ts {
		out[i] = int32(t)
	}
	return tensors.FromValue(out)
}
