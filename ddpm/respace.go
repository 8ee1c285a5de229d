package ddpm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
)

// Respacing: sampling a model trained with T steps in K < T steps (Nichol and Dhariwal 2021, section
// 4; improved-diffusion's respace.py). A respaced schedule keeps the ᾱ of K of the T steps,
// t_1 < … < t_K, and is an ordinary Schedule of K steps with
//
//	β'_k = 1 − ᾱ_{t_k}/ᾱ_{t_{k−1}}   (ᾱ_{t_0} = 1),
//
// so that ᾱ'_k = ᾱ_{t_k}: the marginals q(x_{t_k} | x_0) are those the model was trained on, and every
// sampler and the bound work on it unchanged. Only the network must see the original time step:
// ModelSteps maps k to t_k (Schedule.ModelTime).

// Respace returns the schedule of the given steps of s: an increasing list of time steps in 1..T.
// Where no step is skipped (t_k = t_{k−1} + 1) β'_k is s's β_{t_k} itself, so respacing with all T
// steps gives s's tables exactly.
func (s *Schedule) Respace(steps []int) (*Schedule, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("respacing: %w", err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("respacing the %s schedule: no steps given", s.Name)
	}
	betas := make([]float64, len(steps))
	model := make([]int, len(steps)+1)
	prev := 0
	for k, t := range steps {
		if t <= prev || t > s.T {
			return nil, fmt.Errorf("respacing the %s schedule of T=%d: step %d (the %d-th) must be in %d..%d, "+
				"after the one before: the steps must increase within 1..T", s.Name, s.T, t, k+1, prev+1, s.T)
		}
		if t == prev+1 {
			betas[k] = s.Beta[t]
		} else {
			betas[k] = 1 - s.AlphaBar[t]/s.AlphaBar[prev]
		}
		// ᾱ can fall by more than float64 resolves across one jump (a linear schedule at T = 10 000,
		// unscaled): the β of that step is then 1, which the sampler cannot divide by. Named as such,
		// not as a bad --steps (eighth probe).
		if !(betas[k] < 1) {
			return nil, fmt.Errorf("respacing the %s schedule of T=%d to %d steps: step %d jumps from t=%d to t=%d, across which ᾱ falls "+
				"from %.3g to %.3g, so its β is 1 to float64 precision: this schedule decays too fast for so few steps; "+
				"use more steps, or an ODE sampler (dpm++2m), or a schedule that keeps ᾱ_T near 1e-5 (cosine, or linear near T=1000)",
				s.Name, s.T, len(steps), k+1, prev, t, s.AlphaBar[prev], s.AlphaBar[t])
		}
		model[k+1] = s.ModelStep(t)
		prev = t
	}
	out, err := ScheduleFromBetas(fmt.Sprintf("%s respaced to %d steps", s.Name, len(steps)), betas)
	if err != nil {
		return nil, err
	}
	out.ModelSteps = model
	out.trainedTop = s.AlphaBar[s.T]
	if s.ModelSteps != nil { // a respacing of a respacing: the trained schedule's
		out.trainedTop = s.trainedTop
	}
	return out, nil
}

// CheckChainStart refuses a respaced schedule whose chain would start where x_t still holds much of
// the image: a chain starts from N(0, I) at its top step, which is q(x_t) only where ᾱ_t is near 0, at
// most MaxPriorAlphaBar (or the trained schedule's own ᾱ_T, where that is larger). "ddimK" (the DDIM
// paper's spacing) tops out at 1 + (K−1)·⌊T/K⌋, and K = 1 started at t = 1: the command refused it
// (eleventh probe), and the library sampled N(0, I) back, mean 0 and variance 1, with no error
// (hundredth probe). NewSampler checks it; a schedule that is not respaced passes.
func (s *Schedule) CheckChainStart() error {
	if s == nil || s.ModelSteps == nil || s.T < 1 || len(s.AlphaBar) != s.T+1 {
		return nil
	}
	top := s.AlphaBar[s.T]
	if top <= max(MaxPriorAlphaBar, s.trainedTop) {
		return nil
	}
	return &NoisyStartError{Step: s.ModelStep(s.T), AlphaBar: top}
}

// NoisyStartError is CheckChainStart's refusal: a respaced chain's top step, the model's time step,
// and its ᾱ.
type NoisyStartError struct {
	Step     int
	AlphaBar float64
}

func (e *NoisyStartError) Error() string {
	return fmt.Sprintf("a chain starting at t=%d, where ᾱ = %.4g keeps %.1f%% of the image's scale: it starts from N(0, I), "+
		"which is x_t's distribution only where ᾱ is at most %g (as train asks of T); respace to steps that end at T (EvenSteps)",
		e.Step, e.AlphaBar, math.Floor(1000*math.Sqrt(e.AlphaBar))/10, MaxPriorAlphaBar)
}

// ModelStep is the time step at which the network evaluates step t of this schedule: t itself unless
// the schedule is respaced.
func (s *Schedule) ModelStep(t int) int {
	if s.ModelSteps == nil {
		return t
	}
	return s.ModelSteps[t]
}

// ModelTime maps time steps t (an integer tensor [batch], in 1..T of this schedule) to the time steps
// at which the network was trained: t itself unless the schedule is respaced.
func (s *Schedule) ModelTime(t *Node) *Node {
	if s.ModelSteps == nil {
		return t
	}
	table := make([]int32, len(s.ModelSteps))
	for i, v := range s.ModelSteps {
		table[i] = int32(v)
	}
	return ConvertDType(Gather(Const(t.Graph(), table), ExpandAxes(t, -1)), t.DType())
}

// ParseSteps reads the steps of a respaced sampler for a model trained with T steps:
//
//	"K"        K steps evenly spaced from 1 to T, both included: improved-diffusion's space_timesteps
//	           with one section (EvenSteps); K = 1 is the single step T;
//	"ddimK"    every ⌊T/K⌋-th step from 1, DDIM's uniform skip (Song et al. 2021): 1, 1+c, 1+2c, …,
//	           which is diffusers' DDIMScheduler with "leading" spacing (steps_offset 0), not
//	           improved-diffusion's "ddimK" (the smallest stride giving exactly K steps: its ddim3 at
//	           T = 1 000 is 1, 335, 669 where this one is 1, 334, 667);
//	"a,b,c,…"  these steps (increasing, in 1..T).
//
// "" or "T" (e.g. "1000") are all the steps. The result is increasing and in 1..T.
func ParseSteps(spec string, T int) ([]int, error) {
	// T as a schedule would have it: ParseSteps("", 2⁴⁰) ran out of memory, and T = 0 gave no steps
	// and no error (thirty-second probe).
	if err := checkT(T); err != nil {
		return nil, fmt.Errorf("sampling steps %q: %w", spec, err)
	}
	spec = strings.TrimSpace(spec)
	bad := func(why string) error {
		example := []string{}
		for _, t := range []int{1, 10, 100} {
			if t < T {
				example = append(example, strconv.Itoa(t))
			}
		}
		example = append(example, strconv.Itoa(T))
		return fmt.Errorf("sampling steps %q: %s (use K for K evenly spaced steps, ddimK, or an increasing list like %s)",
			spec, why, strings.Join(example, ","))
	}
	switch {
	case spec == "":
		return EvenSteps(T, T), nil
	case strings.HasPrefix(spec, "ddim"):
		k, err := atoiDigits(spec[len("ddim"):])
		if err != nil || k < 1 || k > T {
			return nil, bad(fmt.Sprintf("ddimK needs a number of steps K in 1..%d", T))
		}
		stride := T / k
		steps := make([]int, k)
		for i := range steps {
			steps[i] = 1 + i*stride
		}
		return steps, nil
	case strings.Contains(spec, ","):
		var steps []int
		for _, f := range strings.Split(spec, ",") {
			t, err := atoiDigits(strings.TrimSpace(f))
			if err != nil {
				return nil, bad(fmt.Sprintf("%q is not a time step", f))
			}
			if t < 1 || t > T || (len(steps) > 0 && t <= steps[len(steps)-1]) {
				return nil, bad(fmt.Sprintf("step %d: the steps must increase within 1..%d", t, T))
			}
			steps = append(steps, t)
		}
		return steps, nil
	default:
		k, err := atoiDigits(spec)
		if err != nil || k < 1 || k > T {
			return nil, bad(fmt.Sprintf("K must be a number of steps in 1..%d", T))
		}
		return EvenSteps(T, k), nil
	}
}

// atoiDigits is strconv.Atoi of decimal digits only: Atoi's sign took "+5" as 5 steps, and "-3" was
// refused as out of range rather than as a number of steps (sixty-second probe's nit).
func atoiDigits(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number of steps", s)
	}
	return strconv.Atoi(s)
}

// EvenSteps is K steps from 1 to T, both included where K ≥ 2, spaced as improved-diffusion's
// space_timesteps spaces one section: a float stride (T−1)/(K−1) added up step by step, each sum
// rounded half to even (Python's round), so that its steps and these agree for every K ≥ 2 (tested
// over all K at T = 1 000). For K = 1 improved-diffusion keeps its first step, t = 1, a chain that
// starts from pure noise at a step the model reads as almost clean; this keeps t = T. Outside
// 1 ≤ K ≤ T there are no such steps: nil (a negative K panicked, K > T repeated steps; ninth probe);
// nor beyond what stepsFit allows.
func EvenSteps(T, K int) []int {
	if K < 1 || K > T || !stepsFit(T, K) {
		return nil
	}
	if K == 1 {
		return []int{T}
	}
	steps := make([]int, K)
	stride, at := float64(T-1)/float64(K-1), 0.0
	for i := range steps {
		steps[i] = 1 + int(math.RoundToEven(at))
		at += stride
	}
	return steps
}

// stepsFit says whether K steps of 1..T can be listed: T at most math.MaxInt32 (no schedule of more
// steps can be held, and T = MaxInt gave negative steps; forty-third probe), and K of them in the
// memory available.
func stepsFit(T, K int) bool { return T <= math.MaxInt32 && CheckMemory("", 8*float64(K)) == nil }
