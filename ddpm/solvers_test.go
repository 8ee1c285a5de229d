package ddpm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// diffusersReference is testdata/diffusers/reference.json, written by scripts/diffusers_reference.py
// (make diffusers-reference) from diffusers' schedulers; see that script for what each field holds.
type diffusersReference struct {
	Generator string    `json:"generator"`
	T         int       `json:"T"`
	Mu        []float64 `json:"mu"`
	S         []float64 `json:"s"`
	Cases     []struct {
		Name   string         `json:"name"`
		Go     map[string]any `json:"go"`
		Times  []float64      `json:"times"`
		States [][][]float64  `json:"states"`
		Result [][]float64    `json:"result"`
		Noise  [][][]float64  `json:"noise"`
	} `json:"cases"`
	SpaceTimestepsSHA256   map[string]string `json:"space_timesteps_sha256"`
	SpaceTimestepsExamples map[string][]int  `json:"space_timesteps_examples"`
	DDIMLeading            map[string][]int  `json:"ddim_leading"`
	DPMSolverSteps         map[string][]int  `json:"dpm_solver_steps"`
	Karras                 []struct {
		K      int       `json:"k"`
		Sigmas []float64 `json:"sigmas"`
		Times  []float64 `json:"times"`
	} `json:"karras"`
}

var loadReference = sync.OnceValues(func() (*diffusersReference, error) {
	raw, err := os.ReadFile("testdata/diffusers/reference.json")
	if err != nil {
		return nil, err
	}
	ref := &diffusersReference{}
	return ref, json.Unmarshal(raw, ref)
})

func reference(t *testing.T) *diffusersReference {
	t.Helper()
	ref, err := loadReference()
	if err != nil {
		t.Fatalf("diffusers reference (make diffusers-reference writes it): %v", err)
	}
	return ref
}

// "K" evenly spaced steps are improved-diffusion's space_timesteps(T, [K]) for every K ≥ 2 at
// T = 1 000. The old rounding (half away from zero on i·(T−1)/(K−1)) differs for 308 of them, K = 7
// among them (1, 168, … where improved-diffusion has 1, 167, …).
func TestEvenStepsMatchImprovedDiffusion(t *testing.T) {
	ref := reference(t)
	differ := 0
	for K := 2; K <= ref.T; K++ {
		steps := EvenSteps(ref.T, K)
		parts := make([]string, len(steps))
		for i, s := range steps {
			parts[i] = strconv.Itoa(s)
		}
		sum := sha256.Sum256([]byte(strings.Join(parts, ",")))
		if hex.EncodeToString(sum[:]) != ref.SpaceTimestepsSHA256[strconv.Itoa(K)] {
			differ++
			if want, ok := ref.SpaceTimestepsExamples[strconv.Itoa(K)]; ok {
				t.Errorf("K=%d: %v, improved-diffusion %v", K, steps, want)
			}
		}
	}
	if differ > 0 {
		t.Errorf("EvenSteps differs from improved-diffusion's space_timesteps for %d of the %d values of K", differ, ref.T-1)
	}
}

// "ddimK" is diffusers' DDIMScheduler with "leading" spacing, and DPMSolverSteps its
// DPMSolverMultistepScheduler's default ("linspace") steps, both counted from 1 here.
func TestStepsMatchDiffusers(t *testing.T) {
	ref := reference(t)
	for k, want := range ref.DDIMLeading {
		got, err := ParseSteps("ddim"+k, ref.T)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ddim%s: %v %v, diffusers' DDIMScheduler %v", k, got, err, want)
		}
	}
	for k, want := range ref.DPMSolverSteps {
		K, _ := strconv.Atoi(k)
		if K >= ref.T {
			// diffusers' K = T repeats a step (501 at T = 1 000: T + 1 points over T − 1), which no
			// solver can take; DPMSolverSteps gives none (thirty-second probe).
			if got := DPMSolverSteps(ref.T, K); got != nil || len(slices.Compact(slices.Clone(want))) == len(want) {
				t.Errorf("K = T = %d: %v, want nil (diffusers' repeats a step: %v)", K, got, len(slices.Compact(slices.Clone(want))) < len(want))
			}
			continue
		}
		if got := DPMSolverSteps(ref.T, K); !slices.Equal(got, want) {
			t.Errorf("DPMSolverSteps(%d, %d) = %v, diffusers' DPMSolverMultistepScheduler %v", ref.T, K, got, want)
		}
	}
}

// Karras et al.'s σ's and the fractional times the network sees them at, as diffusers'
// EulerDiscreteScheduler computes them (use_karras_sigmas; given the float64 ᾱ, its σ's are float32:
// 2e-6 relative, and 2e-3 of a step on the times). For K = 1 diffusers' only σ is σ_min (its one
// time step is 0, and σ_max is read there); here it is σ_max, one step from pure noise to x̂_0.
func TestKarrasPathMatchesDiffusers(t *testing.T) {
	ref := reference(t)
	sched := MustNewSchedule(ScheduleLinear, ref.T)
	for _, c := range ref.Karras {
		p := sched.karrasPath(c.K)
		if len(p.sigma) != len(c.Sigmas) || len(p.time) != len(c.Times) {
			t.Fatalf("K=%d: %d σ's and %d times, diffusers %d and %d", c.K, len(p.sigma), len(p.time), len(c.Sigmas), len(c.Times))
		}
		for i := range c.Sigmas {
			within(t, fmt.Sprintf("K=%d: σ_%d", c.K, i), p.sigma[i], c.Sigmas[i], 2e-6*c.Sigmas[i])
		}
		for i := range c.Times {
			within(t, fmt.Sprintf("K=%d: time of σ_%d", c.K, i), p.time[i], c.Times[i], 2e-3)
		}
	}
}

// gaussianEps is ε* of data x_0 ~ N(μ_j, s_j²) per coordinate j, at a time that may be fractional: ᾱ
// from log σ interpolated linearly between the schedule's steps, as the reference script does, so
// that on whole steps it is the schedule's own ᾱ. Works in float64 inside the graph.
func gaussianEps(sched *Schedule, mu, s []float64) EpsModel {
	logSigma := make([]float64, sched.T)
	for i := range logSigma {
		logSigma[i] = math.Log(sched.sigmaAt(i + 1))
	}
	s2 := make([]float64, len(s))
	for j, v := range s {
		s2[j] = v * v
	}
	return func(_ *context.Context, xt, t *Node) *Node {
		g := xt.Graph()
		tau := AddScalar(ConvertDType(t, dtypes.Float64), -1)
		lo := ClipScalar(Floor(tau), 0, float64(sched.T-2))
		w := ExpandAxes(Sub(tau, lo), -1)
		table := Const(g, logSigma)
		idx := ExpandAxes(ConvertDType(lo, dtypes.Int32), -1)
		at := func(i *Node) *Node { return ExpandAxes(Gather(table, i), -1) } // [batch, 1]
		ls := Add(Mul(OneMinus(w), at(idx)), Mul(w, at(AddScalar(idx, 1))))
		ab := Inverse(OnePlus(Exp(MulScalar(ls, 2))))
		x := ConvertDType(xt, dtypes.Float64)
		num := Mul(Sqrt(OneMinus(ab)), Sub(x, Mul(Sqrt(ab), ExpandAxes(Const(g, mu), 0))))
		den := Add(Mul(ab, ExpandAxes(Const(g, s2), 0)), OneMinus(ab))
		return ConvertDType(Div(num, den), xt.DType())
	}
}

// Every sampler follows diffusers' scheduler of the same name step by step: driven by the same ε*
// from the same x_T and the same noise, the chain's x_t before each step and the result agree, and
// the network is evaluated at the same time steps (to 2e-3 of a step: diffusers keeps them in
// float32). Values are of order 1; the tolerance is 3e-5 (measured: ≤ 2e-6 on every chain of more
// than one step; 1.5e-5 for DPM-Solver++'s single step, x̂_0 = (x_T − √(1−ᾱ_T) ε)/√ᾱ_T, which
// multiplies diffusers' float32 rounding by 1/√ᾱ_T = 157), and 1e-4 for Euler and Heun (measured:
// ≤ 8e-5), whose x̃ = x_t/√ᾱ_t reaches 157 in diffusers' float32 arithmetic: a float64 transcription
// of Karras et al.'s algorithm differs from diffusers by the same 8e-5. Cases:
// ancestral with σ² = β over all T steps and σ² = β̃ on 50 respaced ones (DDPMScheduler), DDIM with
// η = 0, clipped, and η = 1 (DDIMScheduler), DPM-Solver++(2M) in 1 to 20 steps, with and without
// clipping (DPMSolverMultistepScheduler), Euler and Heun on Karras σ's (EulerDiscreteScheduler,
// HeunDiscreteScheduler).
func TestSamplersMatchDiffusers(t *testing.T) {
	ref := reference(t)
	sched := MustNewSchedule(ScheduleLinear, ref.T)
	model := gaussianEps(sched, ref.Mu, ref.S)
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			cfg, s := referenceConfig(t, sched, c.Go)
			sampler, err := NewSampler(backend, context.New(), s, model, cfg)
			if err != nil {
				t.Fatal(err)
			}
			K := len(c.States)
			var draws []float64
			for _, z := range c.Noise {
				draws = append(draws, flatten(z)...)
			}
			noise := func(z []float32) { // diffusers' draws in order; zeros where it draws none
				for i := range z {
					z[i] = 0
					if len(draws) > 0 {
						z[i], draws = float32(draws[0]), draws[1:]
					}
				}
			}
			all := make([]int, K)
			for k := range all {
				all[k] = k + 1
			}
			n := len(c.Result)
			res, err := sampler.Sample(SampleOptions{N: n, Dims: []int{len(ref.Mu)}, Noise: noise, RecordXtAt: all})
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, state := range c.States {
				worst = max(worst, maxDiff(res.Xts[K-i], flatten(state)))
			}
			worstResult := maxDiff(res.X0, flatten(c.Result))
			tol := 3e-5
			if cfg.Solver == SolverEuler || cfg.Solver == SolverHeun {
				tol = 1e-4
			}
			if worst > tol || worstResult > tol {
				t.Errorf("%d steps: x_t differs from diffusers' by up to %.3g, the result by %.3g (want ≤ %g)", K, worst, worstResult, tol)
			}
			if sampler.Steps() != len(c.Times) {
				t.Fatalf("%d steps, diffusers %d", sampler.Steps(), len(c.Times))
			}
			for i, want := range c.Times {
				within(t, fmt.Sprintf("time step of step %d", i), sampler.StepTime(K-i), want, 2e-3)
			}
			t.Logf("%d steps: worst difference from diffusers %.2g along the chain, %.2g in the result", K, worst, worstResult)
		})
	}
}

// referenceConfig reads a case's sampler from the reference file.
func referenceConfig(t *testing.T, sched *Schedule, g map[string]any) (SamplerConfig, *Schedule) {
	t.Helper()
	str := func(k string) string { v, _ := g[k].(string); return v }
	num := func(k string) float64 { v, _ := g[k].(float64); return v }
	flag := func(k string) bool { v, _ := g[k].(bool); return v }
	cfg := SamplerConfig{Variance: str("variance"), ClipX0: flag("clip"), DDIM: flag("ddim"), Eta: num("eta"),
		Solver: str("solver"), Steps: int(num("k"))}
	if cfg.Solver != "" {
		return cfg, sched
	}
	if cfg.DDIM {
		cfg.Variance = ""
	}
	steps, err := ParseSteps(str("steps"), sched.T)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == sched.T {
		return cfg, sched
	}
	r, err := sched.Respace(steps)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, r
}

func flatten(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func maxDiff(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range got {
		worst = max(worst, math.Abs(float64(got[i])-want[i]))
	}
	return worst
}

// With Karras et al.'s churn the Euler and Heun samplers are stochastic. On x_0 ~ N(μ, s²) driven by
// ε*, each step is affine in x̃ plus the churn's Gaussian noise, so the samples are Gaussian with a
// mean and variance that exactChurnMoments follows step by step in float64; the samples' match them
// within 5 standard errors of 100 000 samples. (Karras et al.'s discretisation keeps a bias against
// the data's own moments that grows with S_churn: Heun in 30 steps gives a variance 5% above s² with
// no churn and 13% above with S_churn = 10, as an independent float64 transcription also finds.) A
// churn that evaluates the network before adding its noise, as diffusers' EulerDiscreteScheduler
// does, fails this.
func TestChurnMatchesExactMoments(t *testing.T) {
	const mu, s2, n = 0.5, 0.04, 100000
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	model := gaussianEps(sched, []float64{mu}, []float64{math.Sqrt(s2)})
	for _, cfg := range []SamplerConfig{
		{Solver: SolverHeun, Steps: 30},
		{Solver: SolverHeun, Steps: 30, Churn: 10},
		{Solver: SolverEuler, Steps: 50, Churn: 15}, // γ = 0.3, below the cap √2 − 1
	} {
		x0 := drawSamples(t, sched, model, cfg, SampleOptions{N: n, Dims: []int{1}, Seed: 11})
		m, v := columnMoments(x0, 1, 0)
		wantM, wantV := exactChurnMoments(sched, cfg, mu, s2)
		what := fmt.Sprintf("%s, %d steps, S_churn %g", cfg.Solver, cfg.Steps, cfg.Churn)
		within(t, what+": sample mean", m, wantM, 5*math.Sqrt(wantV/n))
		within(t, what+": sample variance", v, wantV, 5*wantV*math.Sqrt(2.0/(n-1)))
		t.Logf("%s: mean %.4f, variance %.5f (exact %.4f and %.5f; the data's %.3g and %.3g)", what, m, v, wantM, wantV, mu, s2)
	}
}

// exactChurnMoments follows x̃ ~ N(m, v) through the Euler or Heun sampler with churn, on data
// N(μ, s²) with the exact ε* at the time of each σ (clamped to T above σ_max, as the sampler does).
func exactChurnMoments(sched *Schedule, cfg SamplerConfig, mu, s2 float64) (mean, vari float64) {
	p := sched.karrasPath(cfg.Steps)
	sigmaMax := sched.sigmaAt(sched.T)
	// D(x̃, σ) = a x̃ + c: ε*(x_t) = k (x_t − √ᾱ μ) at x_t = x̃/√(1+σ²), with ᾱ at the clamped σ.
	denoiser := func(sigma float64) (a, c float64) {
		ab := 1 / (1 + math.Pow(min(sigma, sigmaMax), 2))
		k := math.Sqrt(1-ab) / (ab*s2 + 1 - ab)
		return 1 - sigma*k/math.Sqrt(1+sigma*sigma), sigma * k * math.Sqrt(ab) * mu
	}
	m, v := 0.0, 1+p.sigma[0]*p.sigma[0] // x̃_T = x_T √(1+σ_0²)
	gamma := min(cfg.Churn/float64(cfg.Steps), math.Sqrt2-1)
	for i := range cfg.Steps {
		sigma, next := p.sigma[i], p.sigma[i+1]
		hat := sigma * (1 + gamma)
		v += hat*hat - sigma*sigma
		a, c := denoiser(hat)
		// Euler: x̃' = D + (next/σ̂)(x̃ − D) = A x̃ + B.
		r := next / hat
		A, B := a+r*(1-a), (1-r)*c
		if cfg.Solver == SolverHeun && next > 0 {
			a2, c2 := denoiser(next)
			// x̃' = x̃ + (next − σ̂)/2 · ((x̃ − D(x̃))/σ̂ + (x_e − D(x_e, next))/next), x_e = A x̃ + B.
			dt := next - hat
			A = 1 + dt/2*((1-a)/hat+(1-a2)*A/next)
			B = dt / 2 * (-c/hat + ((1-a2)*B-c2)/next)
		}
		m, v = A*m+B, A*A*v
	}
	return m, v
}

// Heun at 2 and 3 steps diverges with the exact score, not only on a learned model: its trapezoidal
// step down to σ_min averages the slope x/σ at the top with one near 0 at σ_min, and removes about half
// of x's noise (variance ≈ σ²/4 left); at 100 steps it lands on the data. The command's warning said
// the model's error was amplified (hundredth probe). The samples follow the same recursion
// (TestChurnMatchesExactMoments).
func TestHeunDivergesAtTwoAndThreeStepsWithTheExactScore(t *testing.T) {
	const mu, s2 = 0.5, 0.04
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	for _, c := range []struct {
		steps       int
		least, most float64 // the variance left, in the data's
	}{{2, 1e5, 1e6}, {3, 100, 1000}, {100, 0.97, 1.03}} {
		p := sched.karrasPath(c.steps)
		_, v := exactChurnMoments(sched, SamplerConfig{Solver: SolverHeun, Steps: c.steps}, mu, s2)
		if r := v / s2; r < c.least || r > c.most {
			t.Errorf("Heun at %d steps with the exact score: variance %.4g, %.3g times the data's; want %g to %g times", c.steps, v, r, c.least, c.most)
		}
		if c.steps <= 3 { // half the top of its last Heun step's deviation
			top := p.sigma[c.steps-2]
			if want := (1 + top*top) / 4; math.Abs(v/want-1) > 0.05 {
				t.Errorf("Heun at %d steps: variance %.4g, want about (1 + σ²)/4 = %.4g of its last step's top σ = %.3g", c.steps, v, want, top)
			}
		}
	}
}

// A solver's options are checked: each bad one is refused with a message naming it.
func TestSolverConfigValidation(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	r, err := sched.Respace(EvenSteps(100, 10))
	if err != nil {
		t.Fatal(err)
	}
	model := analyticEps(sched, 0, 1)
	for _, c := range []struct {
		cfg   SamplerConfig
		sched *Schedule
		want  string
	}{
		{SamplerConfig{Solver: "dpm++3m", Steps: 10}, sched, "dpm++3m"},
		{SamplerConfig{Solver: SolverEuler}, sched, "0 steps"},
		{SamplerConfig{Solver: SolverEuler, Steps: 101}, sched, "101 steps"},
		{SamplerConfig{Solver: SolverDPMPP2M, Steps: 100}, sched, "want 1..99"}, // a repeated step would divide 0 by 0
		{SamplerConfig{Solver: SolverHeun, Steps: 1}, MustNewSchedule(ScheduleLinear, 1), "T ≥ 2"},
		{SamplerConfig{Solver: SolverHeun, Steps: 10, Churn: -1}, sched, "churn -1"},
		{SamplerConfig{Solver: SolverHeun, Steps: 10, Churn: math.NaN()}, sched, "churn NaN"},
		{SamplerConfig{Solver: SolverDPMPP2M, Steps: 10, Churn: 1}, sched, "churn 1"},
		{SamplerConfig{Solver: SolverDPMPP2M, Steps: 10, DDIM: true}, sched, "DDIM"},
		{SamplerConfig{Variance: VarianceBeta, Steps: 10}, sched, "steps 10"},
		{SamplerConfig{Solver: SolverEuler, Steps: 10}, r, "respaced"},
	} {
		_, err := NewSampler(backend, context.New(), c.sched, model, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %q", c.cfg, err, c.want)
		}
	}
}
