package ddpm

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// DDIMStep is one step of DDIM (Song, Meng and Ermon 2021, equation 12) given the model's output out,
// its noise prediction ε_θ (a learned variance, if the model has one, is not used: η sets σ_t):
//
//	x̂_0 = (x_t − √(1−ᾱ_t) ε_θ)/√ᾱ_t,  σ_t = η √β̃_t,
//	x_{t−1} = √ᾱ_{t−1} x̂_0 + √(1 − ᾱ_{t−1} − σ_t²) ε_θ + σ_t z.
//
// η = 0 makes the step deterministic (an ODE solver); η = 1 gives the variance of ancestral sampling
// with σ² = β̃_t. With clipping, x̂_0 is clipped to [−1, 1] and ε recomputed from it. On a respaced
// schedule the step jumps between kept steps. It also returns x̂_0.
func (s *Schedule) DDIMStep(xt, t, out, z *Node, eta float64, clipX0 bool) (xPrev, x0Hat *Node) {
	eps, _ := splitOutput(out, xt)
	x0Hat, eps = s.ddimPrediction(xt, t, eps, clipX0)
	sigma := make([]float64, s.T+1)
	dir := make([]float64, s.T+1) // the weight of ε: √(1 − ᾱ_{t−1} − σ_t²), ≥ 0 (0 at t = 1)
	sqrtABPrev := make([]float64, s.T+1)
	for k := 1; k <= s.T; k++ {
		sigma[k] = eta * math.Sqrt(s.PosteriorVariance[k])
		dir[k] = math.Sqrt(max(0, 1-s.AlphaBarPrev[k]-sigma[k]*sigma[k]))
		sqrtABPrev[k] = math.Sqrt(s.AlphaBarPrev[k])
	}
	xPrev = Add(Mul(Coef(sqrtABPrev, t, xt), x0Hat), Mul(Coef(dir, t, xt), eps))
	if eta != 0 {
		xPrev = Add(xPrev, Mul(Coef(sigma, t, xt), z))
	}
	return xPrev, x0Hat
}

// kind names the sampler c configures, for a message.
func (c SamplerConfig) kind() string {
	switch {
	case c.Solver != "":
		return "the ODE solver " + c.Solver
	case c.DDIM:
		return fmt.Sprintf("DDIM with η = %g", c.Eta)
	default:
		return fmt.Sprintf("ancestral sampling with σ² of %q", c.Variance)
	}
}

// ddimPrediction is DDIM's x̂_0 and ε from the model's ε_θ at (x_t, t): x̂_0 = (x_t − √(1−ᾱ_t) ε_θ)/√ᾱ_t,
// and with clipping x̂_0 clipped to [−1, 1] and ε recomputed from it, so that the two stay consistent.
func (s *Schedule) ddimPrediction(xt, t, eps *Node, clipX0 bool) (x0Hat, epsOut *Node) {
	x0Hat = s.PredictX0(xt, t, eps)
	if !clipX0 {
		return x0Hat, eps
	}
	x0Hat = ClipScalar(x0Hat, -1, 1)
	return x0Hat, Div(Sub(Mul(Coef(s.SqrtRecipAlphaBar, t, xt), xt), x0Hat), Coef(s.SqrtRecipAlphaBarM1, t, xt))
}

// Encode runs DDIM with η = 0 backwards (Song et al. 2021, section 5.4): from images x_0 to the
// latents x_T from which the deterministic sampler (SamplerConfig{DDIM: true}, η = 0, on the same
// schedule) regenerates them. Each step is the update of DDIMStep solved the other way,
//
//	x_{k+1} = √ᾱ_{k+1} x̂_0(x_k) + √(1−ᾱ_{k+1}) ε_θ(x_k, t_k),
//
// with the noise predicted at the current point (the approximation that makes the ODE invertible
// step by step); the data is taken as x at the first kept step, as improved-diffusion does. x0 holds
// n examples of shape dims, flat; the result has the same layout. The sampler must be that deterministic
// one: latents encoded on an ancestral sampler, DDIM of η > 0 or a solver were returned without a word,
// and regenerated other examples, or were refused as a start (fifty-ninth probe).
func (s *Sampler) Encode(x0 []float32, n int, dims []int) ([]float32, error) {
	size := 1
	for _, d := range dims {
		if d < 1 { // two negative sizes made a positive one, and GoMLX panicked (thirty-third probe)
			return nil, fmt.Errorf("encode: examples of shape %v: every size must be at least 1", dims)
		}
		size *= d
	}
	if n < 1 || size < 1 || float64(len(x0)) != float64(n)*float64(size) { // in floats: 2⁶⁰·784 wrapped to 0 (forty-eighth sweep)
		return nil, fmt.Errorf("encode: %d values for %d examples of shape %v", len(x0), n, dims)
	}
	if err := s.checkDims("encode", dims); err != nil {
		return nil, err
	}
	if s.neverUnlabelled { // the inversion runs the model without a label
		return nil, fmt.Errorf("encode: the model was trained with p_uncond 0 and never saw \"no label\", which the inversion runs it with")
	}
	if !s.Config.DDIM || s.Config.Eta != 0 || s.Config.Solver != "" {
		return nil, fmt.Errorf("encode: the latents are those of DDIM with η = 0 (SamplerConfig{DDIM: true}), which regenerates the examples from them; this sampler is %s", s.Config.kind())
	}
	if i, v := firstNotFinite(x0); i >= 0 { // a NaN gave latents of NaN, with no error (thirty-third probe)
		return nil, fmt.Errorf("encode: value %d of x0 is %g, not a finite number", i, v)
	}
	// One kept step is both the data's and the latents': the examples came back unchanged as "latents",
	// with no error (seventy-first probe).
	if s.Schedule.T < 2 {
		return nil, fmt.Errorf("encode: the schedule keeps one step (t = %d), which the data is taken at, so no step of the inversion is left: respace it to 2 steps or more", s.Schedule.ModelStep(1))
	}
	sched := s.Schedule
	if s.encode == nil {
		exec, err := context.NewExec(s.backend, s.ctx, func(ctx *context.Context, x, k *Node) *Node {
			ctx.SetTraining(x.Graph(), false)
			eps, _ := splitOutput(s.Model(ctx, x, sched.ModelTime(k)), x)
			x0Hat, eps := sched.ddimPrediction(x, k, eps, s.Config.ClipX0)
			next := AddScalar(k, 1)
			return Add(Mul(Coef(sched.SqrtAlphaBar, next, x), x0Hat), Mul(Coef(sched.SqrtOneMinusAlphaBar, next, x), eps))
		})
		if err != nil {
			return nil, err
		}
		s.encode = exec
	}
	x := tensors.FromFlatDataAndDimensions(append([]float32(nil), x0...), append([]int{n}, dims...)...)
	for k := 1; k < sched.T; k++ {
		out, err := s.encode.Exec(x, StepTensor(n, k))
		if err != nil {
			return nil, fmt.Errorf("encode: step %d: %w", k, err)
		}
		x = out[0]
	}
	return tensors.MustCopyFlatData[float32](x), nil
}
