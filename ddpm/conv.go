package ddpm

import (
	"github.com/gomlx/exceptions"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"
)

// convolve is the convolution of an NHWC image x with a kernel [K, K, C, C'] (K odd) at the given
// stride with GoMLX's "same" padding ((K−1)/2 on each side at stride 1): the U-Net's 3×3
// convolutions and Dense's 1×1 ones.
//
// Where it differs from Convolve is the gradient for the kernel, ∂W, at stride 1 when C' < C (the
// U-Net's up path, whose inputs are concatenations with the skips, its output convolution and the
// narrowing 1×1 shortcuts). GoMLX (as JAX) computes ∂W as a convolution of x, the batch as its
// contracted channel axis, with the output gradient dy as a window as large as the image; XLA's CPU
// backend hands it to Eigen, which packs K·K copies of x's patches, C values each. The same sum can
// be written with the roles swapped, dy as the convolution's input and x as the window: Eigen then
// packs dy's C' values per patch, and the result comes out flipped in space, which a Reverse undoes.
// Alone, that about halves ∂W of 16→8, 24→8 and 48→16 channels at 28×28, while for C' ≥ C it is
// slower than GoMLX's (16→16: 1.2–1.5×), hence the condition (BenchmarkConvolutions, directions dW
// and dW-swapped); in the whole training step it saves 0–4% (BenchmarkKernelGrad, docs/speed.md).
func convolve(x, kernel *Node, stride int) *Node {
	k := kernel.Shape().Dim(0)
	if x.Rank() != 4 || kernel.Rank() != 4 || kernel.Shape().Dim(1) != k || k%2 != 1 || kernel.Shape().Dim(2) != x.Shape().Dim(3) {
		exceptions.Panicf("convolve: want an NHWC image and an odd square kernel [K, K, C, C'], got %s and %s", x.Shape(), kernel.Shape())
	}
	if kernelGrad == kernelGradNone {
		kernel = StopGradient(kernel)
	}
	y := Convolve(x, kernel).ChannelsAxis(images.ChannelsLast).Strides(stride).PadSame().Done()
	if kernelGrad != kernelGradFastest || stride != 1 || kernel.Shape().Dim(3) >= kernel.Shape().Dim(2) {
		return y
	}
	return withVJP(y, func(node *Node, vs []*Node, outputShape shapes.Shape) []*Node {
		grads := gomlxVJP(NodeTypeConvGeneral)(node, vs, outputShape) // its ∂x; its ∂W is left unused
		grads[1] = convKernelGradSwapped(x, vs[0], k)
		return grads
	})
}

// kernelGradMode says how convolve differentiates for its kernel. Only BenchmarkKernelGrad changes
// it, to time the training step each way.
type kernelGradMode int

const (
	kernelGradFastest kernelGradMode = iota // the swapped ∂W where C' < C, GoMLX's elsewhere
	kernelGradGoMLX                         // GoMLX's ∂W for every convolution
	kernelGradNone                          // no ∂W: the kernels as constants, the step's floor
)

var kernelGrad = kernelGradFastest

// convKernelGradSwapped is ∂W [K, K, C, C'] of a stride-1 "same" convolution of x [N, H, W, C] whose
// output gradient is dy [N, H, W, C']: with p = (K−1)/2 padding before each spatial axis,
// ∂W[i, j, c, c'] = Σ_{n,h,w} x[n, h+i−p, w+j−p, c]·dy[n, h, w, c'], computed as a convolution of dy
// (the batch N contracted as its channel axis, C' as its batch axis) with x as the window. Its output
// position o holds the tap i = K−1−o: padding dy by K−1−p before and after each axis makes it K wide.
func convKernelGradSwapped(x, dy *Node, k int) *Node {
	p := (k - 1) / 2
	var axes ConvolveAxesConfig
	axes.InputBatch, axes.InputChannels, axes.InputSpatial = 3, 0, []int{1, 2}                  // dy as [C', N, H, W]
	axes.KernelInputChannels, axes.KernelOutputChannels, axes.KernelSpatial = 0, 3, []int{1, 2} // x as [N, C, H, W]
	axes.OutputBatch, axes.OutputChannels, axes.OutputSpatial = 0, 3, []int{1, 2}               // [C', K, K, C]
	pad := [2]int{k - 1 - p, k - 1 - p}
	flipped := Convolve(dy, x).AxesConfig(axes).PaddingPerDim([][2]int{pad, pad}).Done()
	return TransposeAllAxes(Reverse(flipped, 1, 2), 1, 2, 3, 0)
}
