package ddpm

import (
	"fmt"
	"math"
	"slices"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The Sampler's side of the ODE solvers (solvers.go): the network compiled once as ε_θ(x_t, t) with
// a fractional time t, and the solver's arithmetic on the host in float64 between its evaluations
// (a few multiply-adds per value and step, next to a U-Net's thousands).

// prepareSolver compiles the network for an ODE solver: inputs x_t, t (float32, possibly fractional)
// and, for a conditional model, the labels; output ε_θ.
func (s *Sampler) prepareSolver(network func(in []*Node, labels int) EpsModel) error {
	path, err := s.Schedule.odePathFor(s.Config.Solver, s.Config.Steps)
	if err != nil {
		return err
	}
	s.path = path
	exec, err := context.NewExec(s.backend, s.ctx, func(ctx *context.Context, in []*Node) []*Node {
		xt, t := in[0], in[1]
		ctx.SetTraining(xt.Graph(), false) // no dropout
		eps, _ := splitOutput(network(in, 2)(ctx, xt, t), xt)
		return []*Node{eps}
	})
	if err != nil {
		return err
	}
	if s.split, err = newBatchSplit(s.backend, s.Config.Devices); err != nil {
		return err
	}
	if s.split != nil {
		inputs := 2
		if s.cond != nil {
			inputs = 3
		}
		exec = s.split.prepare(exec, inputs, 1)
	}
	s.exec = exec
	return nil
}

// solve runs the ODE solver from x_T (opts.N samples of opts.Dims, flat). Recorded steps count the
// solver's steps: k = K at σ_0 down to k = 1 at σ_{K−1}; x_t is recorded as the chain's x_t (x̃·√ᾱ).
func (s *Sampler) solve(opts SampleOptions, xT []float32, labels *tensors.Tensor, normal func([]float32)) (*SampleResult, error) {
	path, K := s.path, len(s.path.time)
	dims := append([]int{opts.N}, opts.Dims...)
	x := make([]float64, len(xT))
	scale := math.Sqrt(1 + path.sigma[0]*path.sigma[0]) // x̃_T = x_T/√ᾱ_T
	for j, v := range xT {
		x[j] = float64(v) * scale
	}
	in, times := make([]float32, len(x)), make([]float32, opts.N)
	denoise := func(x []float64, sigma, time float64) ([]float64, error) {
		a := 1 / math.Sqrt(1+sigma*sigma) // √ᾱ at σ
		for j, v := range x {
			in[j] = float32(a * v)
		}
		for j := range times {
			times[j] = float32(time)
		}
		args := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(in, dims...), tensors.FromFlatDataAndDimensions(times, opts.N)}
		if labels != nil {
			args = append(args, labels)
		}
		out, err := s.step(args)
		if err != nil {
			return nil, fmt.Errorf("sample: %s at σ=%.4g (t=%.2f): %w", s.Config.Solver, sigma, time, err)
		}
		eps := tensors.MustCopyFlatData[float32](out[0])
		out[0].FinalizeAll()
		x0 := make([]float64, len(x))
		for j := range x0 {
			x0[j] = x[j] - sigma*float64(eps[j])
			if s.Config.ClipX0 {
				x0[j] = min(max(x0[j], -1), 1)
			}
		}
		return x0, nil
	}
	res := &SampleResult{X0s: map[int][]float32{}, Xts: map[int][]float32{}}
	hooks := odeHooks{
		before: func(i int, x []float64) {
			if k := K - i; slices.Contains(opts.RecordXtAt, k) {
				res.Xts[k] = scaled(x, 1/math.Sqrt(1+path.sigma[i]*path.sigma[i]))
			}
		},
		after: func(i int, x0 []float64) error {
			k := K - i
			if slices.Contains(opts.RecordX0At, k) {
				res.X0s[k] = scaled(x0, 1)
			}
			if opts.Progress != nil {
				opts.Progress(k)
			}
			if opts.Stop != nil && opts.Stop() {
				return ErrSampleStopped
			}
			return nil
		},
	}
	if err := odeSolve(s.Config.Solver, path, s.Config.Churn, x, denoise, normal, hooks); err != nil {
		return nil, err
	}
	if err := checkFinite(x); err != nil {
		return nil, fmt.Errorf("sample: %s in %d steps: %w", s.Config.Solver, K, err)
	}
	res.X0 = scaled(x, 1)
	return res, nil
}

// scaled is a·x in float32.
func scaled(x []float64, a float64) []float32 {
	out := make([]float32, len(x))
	for j, v := range x {
		out[j] = float32(a * v)
	}
	return out
}

// Steps is the number of steps the sampler takes, k = Steps() down to 1: a solver's K, else its
// schedule's T (K on a respaced one).
func (s *Sampler) Steps() int {
	if s.path != nil {
		return len(s.path.time)
	}
	return s.Schedule.T
}

// StepTime is the model's time step at which step k evaluates the network: fractional between two
// trained steps for the Karras σ's of Euler and Heun.
// NaN for a k outside 1..Steps() (it panicked; forty-third probe's nit).
func (s *Sampler) StepTime(k int) float64 {
	if k < 1 || k > s.Steps() {
		return math.NaN()
	}
	if s.path != nil {
		return s.path.time[len(s.path.time)-k]
	}
	return float64(s.Schedule.ModelStep(k))
}
