package ddpm

import (
	"fmt"
	"math"
	"sort"
)

// Few-step samplers of the probability-flow ODE (Song et al. 2021): DPM-Solver++(2M) (Lu et al.
// 2022) and the Euler and Heun samplers of Karras et al. 2022 (EDM). All three read the chain in the
// variance-exploding view of the same model: with σ_t = √((1−ᾱ_t)/ᾱ_t), x̃ = x_t/√ᾱ_t = x_0 + σ_t ε,
// so the trained ε_θ gives the denoiser D(x̃, σ) = x̃ − σ ε_θ(x_t, t), the network's x̂_0, and the ODE
// is dx̃/dσ = (x̃ − D(x̃, σ))/σ. They differ in where along σ they evaluate the network and how they
// combine what it says. Without churn each one agrees step by step with the diffusers scheduler of its
// name (solvers_test.go, against values committed in testdata/diffusers). With churn, Euler and Heun
// follow Karras et al.'s Algorithm 2 (S_tmin = 0, S_tmax = ∞, S_noise = 1): the network is evaluated
// after the noise is added, at the raised σ̂, as in k-diffusion; diffusers' EulerDiscreteScheduler
// evaluates it before, at σ_i.
const (
	SolverDPMPP2M = "dpm++2m" // DPM-Solver++(2M): multistep, second order, data prediction (diffusers' DPMSolverMultistepScheduler)
	SolverEuler   = "euler"   // Karras et al.'s Euler (Algorithm 2 without the Heun correction; diffusers' EulerDiscreteScheduler)
	SolverHeun    = "heun"    // Karras et al.'s Heun (their Algorithm 1/2; diffusers' HeunDiscreteScheduler)
)

// KarrasRho is ρ of Karras et al.'s σ schedule (their Eq. 5 and Table 1).
const KarrasRho = 7.0

// odePath is the noise levels an ODE sampler visits, σ_0 > σ_1 > … > σ_{K−1} > σ_K = 0, and the time
// at which the network is evaluated at each σ_i (i < K): an integer step of the schedule, or a
// fractional one between two for a σ that falls between them.
type odePath struct {
	sigma  []float64                   // K+1 values, the last 0
	time   []float64                   // K values, in 1..T
	timeOf func(sigma float64) float64 // the time of any σ (for the raised σ̂ of Karras et al.'s churn)
}

// sigmaAt is σ_t = √((1−ᾱ_t)/ᾱ_t) at step t of s.
func (s *Schedule) sigmaAt(t int) float64 {
	return math.Sqrt((1 - s.AlphaBar[t]) / s.AlphaBar[t])
}

// sigmaTime is the time, in [1, T], at which s has noise level σ: log σ_t interpolated linearly
// between the two steps around σ (diffusers' _sigma_to_t, k-diffusion's sigma_to_t), and clamped to
// the schedule's range, so that a σ outside it is given the nearest trained step.
func (s *Schedule) sigmaTime(sigma float64) float64 {
	logSigma := math.Log(max(sigma, 1e-10))
	logAt := func(t int) float64 { return math.Log(s.sigmaAt(t)) }
	// The first step whose log σ exceeds logSigma; log σ_t increases with t.
	hi := sort.Search(s.T, func(i int) bool { return logAt(i+1) > logSigma }) + 1
	hi = min(max(hi, 2), s.T)
	lo := hi - 1
	w := (logAt(lo) - logSigma) / (logAt(lo) - logAt(hi))
	w = min(max(w, 0), 1)
	return float64(lo) + w
}

// DPMSolverSteps are the K steps of 1..T at which DPM-Solver++ evaluates the network by default:
// diffusers' "linspace" spacing, K+1 points from 0 to T−1 (its time steps count from 0) rounded half
// to even, the last (0) left out, so that the final step goes from the lowest of them straight to
// σ = 0. Unlike EvenSteps they never include t = 1. Returned in increasing order; nil outside
// 1 ≤ K < T (a negative K panicked, ninth probe; at K = T the T + 1 points over T − 1 repeated a step,
// thirty-second probe), or beyond what stepsFit allows.
func DPMSolverSteps(T, K int) []int {
	if K < 1 || K >= T || !stepsFit(T, K) {
		return nil
	}
	steps := make([]int, K)
	stride := float64(T-1) / float64(K)
	for j := 1; j <= K; j++ {
		steps[j-1] = 1 + int(math.RoundToEven(float64(j)*stride))
	}
	return steps
}

// dpmSolverPath is DPM-Solver++'s path over K steps: σ at DPMSolverSteps, then 0.
func (s *Schedule) dpmSolverPath(K int) *odePath {
	steps := DPMSolverSteps(s.T, K)
	p := &odePath{sigma: make([]float64, K+1), time: make([]float64, K)}
	for i := range K {
		t := steps[K-1-i]
		p.sigma[i], p.time[i] = s.sigmaAt(t), float64(t)
	}
	return p
}

// KarrasSigmas are Karras et al.'s K noise levels (their Eq. 5), from σ_max = σ_T to σ_min = σ_1 of
// s, evenly spaced in σ^{1/ρ} with ρ = 7, so that the steps crowd where σ is small, followed by 0;
// nil outside 1 ≤ K ≤ T (a negative K panicked, and 2⁴⁰ ran out of memory; thirty-second probe).
func (s *Schedule) KarrasSigmas(K int) []float64 {
	if s.Check() != nil || K < 1 || K > s.T {
		return nil
	}
	maxInv, minInv := math.Pow(s.sigmaAt(s.T), 1/KarrasRho), math.Pow(s.sigmaAt(1), 1/KarrasRho)
	sigmas := make([]float64, K+1)
	for i := range K {
		ramp := 0.0
		if K > 1 {
			ramp = float64(i) / float64(K-1)
		}
		sigmas[i] = math.Pow(maxInv+ramp*(minInv-maxInv), KarrasRho)
	}
	return sigmas
}

// karrasPath is the Euler and Heun samplers' path: KarrasSigmas, each evaluated at its fractional
// time (sigmaTime).
func (s *Schedule) karrasPath(K int) *odePath {
	p := &odePath{sigma: s.KarrasSigmas(K), time: make([]float64, K), timeOf: s.sigmaTime}
	for i := range K {
		p.time[i] = s.sigmaTime(p.sigma[i])
	}
	return p
}

// odePathFor is the path solver takes on s in K steps.
func (s *Schedule) odePathFor(solver string, K int) (*odePath, error) {
	if s.ModelSteps != nil {
		return nil, fmt.Errorf("sampler %s: it needs the model's own schedule (it chooses its own %d steps), not %s", solver, K, s.Name)
	}
	if solver == SolverDPMPP2M {
		// Beyond T−1 steps, DPMSolverSteps would repeat a step: a step of length 0 in λ, then 0/0.
		if K < 1 || K > s.T-1 {
			return nil, fmt.Errorf("sampler %s: %d steps, want 1..%d (T−1 of the model's T = %d: it steps between distinct time steps, then to σ = 0)", solver, K, s.T-1, s.T)
		}
		return s.dpmSolverPath(K), nil
	}
	if s.T < 2 {
		return nil, fmt.Errorf("sampler %s: the model's T = %d; Karras σ's need T ≥ 2", solver, s.T)
	}
	if K < 1 || K > s.T {
		return nil, fmt.Errorf("sampler %s: %d steps, want 1..%d (the model's T)", solver, K, s.T)
	}
	return s.karrasPath(K), nil
}

// CheckSolver returns an error, naming the limit, unless cfg's solver (if any) can take its steps on s.
func (s *Schedule) CheckSolver(cfg SamplerConfig) error {
	if cfg.Solver == "" {
		return nil
	}
	if err := s.Check(); err != nil {
		return err
	}
	_, err := s.odePathFor(cfg.Solver, cfg.Steps)
	return err
}

// NFE is the number of network evaluations per sample that a sampler with cfg takes on sched, as if
// unguided: with guidance each evaluation runs the network with and without the label, twice this
// (cfg.Guidance is not counted here; eval's report counts both). 0 where sched is needed and not given.
func NFE(sched *Schedule, cfg SamplerConfig) int {
	if cfg.Solver == SolverHeun {
		// No correction on the last step, to σ = 0 (0 steps gave −1); MaxInt steps, which no sampler
		// takes, wrapped to a negative count (sixty-second probe's nit): it saturates.
		return max(2*min(cfg.Steps, math.MaxInt/2)-1, 0)
	}
	if cfg.Solver != "" {
		return max(cfg.Steps, 0)
	}
	if sched == nil { // it panicked (forty-third probe's nit)
		return 0
	}
	return sched.T
}

// denoiser evaluates the network at x̃ (flat) with noise level σ, at the model time step time: the
// result is D(x̃, σ) = x̂_0, flat, clipped to [−1, 1] if asked.
type denoiser func(x []float64, sigma, time float64) ([]float64, error)

// odeHooks see an ODE sampler's progress: the state x̃ at σ_i before step i, and the x̂_0 of step
// i's first network evaluation once the step is taken. Either may be nil.
type odeHooks struct {
	before func(i int, x []float64)
	after  func(i int, x0 []float64) error
}

// odeSolve runs solver along path from x̃ = x (at σ_0), in place, with the denoiser d. normal fills a
// slice with N(0, 1) draws (used only by the churn of Euler and Heun).
func odeSolve(solver string, path *odePath, churn float64, x []float64, d denoiser, normal func([]float32), hooks odeHooks) error {
	K := len(path.time)
	var prevX0 []float64 // DPM-Solver++'s x̂_0 of the step before
	var z []float32
	for i := range K {
		if hooks.before != nil {
			hooks.before(i, x)
		}
		sigma, next, time := path.sigma[i], path.sigma[i+1], path.time[i]
		// Karras et al.'s Algorithm 2: raise the noise from σ_i to σ̂ = (1+γ) σ_i with fresh noise
		// before the step, γ = min(S_churn/K, √2 − 1); γ = 0 is the deterministic ODE sampler.
		if gamma := min(churn/float64(K), math.Sqrt2-1); solver != SolverDPMPP2M && gamma > 0 {
			hat := sigma * (1 + gamma)
			if z == nil {
				z = make([]float32, len(x))
			}
			normal(z)
			add := math.Sqrt(hat*hat - sigma*sigma)
			for j := range x {
				x[j] += add * float64(z[j])
			}
			sigma, time = hat, path.timeOf(hat) // above σ_max, the model's last step T
		}
		x0, err := d(x, sigma, time)
		if err != nil {
			return err
		}
		switch solver {
		case SolverDPMPP2M:
			dpmSolverStep(x, x0, prevX0, path, i)
			prevX0 = x0
		case SolverEuler:
			eulerStep(x, x0, sigma, next)
		case SolverHeun:
			if next == 0 { // Karras et al.: no correction on the step to σ = 0
				eulerStep(x, x0, sigma, next)
				break
			}
			start := append([]float64(nil), x...)
			eulerStep(x, x0, sigma, next)
			x0Next, err := d(x, next, path.time[i+1])
			if err != nil {
				return err
			}
			// x_{i+1} = x̂ + (σ_{i+1} − σ̂)·(d + d′)/2 with d = (x̂ − D(x̂, σ̂))/σ̂ at the start and
			// d′ = (x_{i+1} − D(x_{i+1}, σ_{i+1}))/σ_{i+1} at the Euler step's end.
			dt := next - sigma
			for j := range x {
				slope := (start[j]-x0[j])/sigma + (x[j]-x0Next[j])/next
				x[j] = start[j] + dt*slope/2
			}
		}
		if hooks.after != nil {
			if err := hooks.after(i, x0); err != nil {
				return err
			}
		}
	}
	return nil
}

// eulerStep is one Euler step of dx̃/dσ = (x̃ − D)/σ from σ to next, in place.
func eulerStep(x, x0 []float64, sigma, next float64) {
	ratio := next / sigma
	for j := range x {
		x[j] = x0[j] + ratio*(x[j]-x0[j])
	}
}

// dpmSolverStep is step i of DPM-Solver++(2M) on x̃, in place. In x̃ and λ = −log σ (half the log
// SNR) the exact solution from σ_i to σ_{i+1} is x̃_{i+1} = (σ_{i+1}/σ_i) x̃_i + σ_{i+1} ∫ e^λ x̂_0 dλ; the
// first-order method takes x̂_0 constant over the step (this is DDIM with η = 0), the second-order one
// extrapolates it linearly in λ from the previous step's x̂_0 (Lu et al. 2022, Algorithm 2):
//
//	D = x̂_0,i + (x̂_0,i − x̂_0,i−1)/(2 r),  r = (λ_i − λ_{i−1})/(λ_{i+1} − λ_i).
//
// As in diffusers, the first step (no previous x̂_0) and the last (to σ = 0, where the update is
// x̂_0 itself) are first order.
func dpmSolverStep(x, x0, prevX0 []float64, path *odePath, i int) {
	sigma, next := path.sigma[i], path.sigma[i+1]
	ratio := next / sigma // e^{−h}, h = λ_{i+1} − λ_i
	if prevX0 == nil || next == 0 {
		eulerStep(x, x0, sigma, next) // in x̃, DDIM's update is the Euler step
		return
	}
	h := math.Log(sigma / next)
	r := math.Log(path.sigma[i-1]/sigma) / h
	for j := range x {
		dj := x0[j] + (x0[j]-prevX0[j])/(2*r)
		x[j] = ratio*x[j] + (1-ratio)*dj
	}
}
