package ddpm

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestParseSteps(t *testing.T) {
	for _, c := range []struct {
		spec string
		T    int
		want []int
	}{
		{"5", 1000, []int{1, 251, 501, 750, 1000}},
		{"ddim4", 1000, []int{1, 251, 501, 751}},
		{"ddim3", 10, []int{1, 4, 7}},
		{"1, 10,100", 1000, []int{1, 10, 100}},
		{"1", 50, []int{50}},
		{"", 4, []int{1, 2, 3, 4}},
		{"4", 4, []int{1, 2, 3, 4}},
	} {
		got, err := ParseSteps(c.spec, c.T)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseSteps(%q, %d) = %v, %v; want %v", c.spec, c.T, got, err, c.want)
		}
	}
	for _, spec := range []string{"0", "1001", "ddim0", "ddimx", "10,5", "0,5", "5,1001", "a,b", "fast", "+5", "ddim+4", "1,+10", "-3", "5 5"} {
		if _, err := ParseSteps(spec, 1000); err == nil || !strings.Contains(err.Error(), spec) {
			t.Errorf("ParseSteps(%q, 1000): error %v, want one that names %q", spec, err, spec)
		}
	}
	// The example list in the error is one that T allows: increasing, ending at T.
	for T, example := range map[int]string{2: "list like 1,2)", 50: "list like 1,10,50)", 1000: "list like 1,10,100,1000)"} {
		if _, err := ParseSteps("fast", T); err == nil || !strings.Contains(err.Error(), example) {
			t.Errorf("ParseSteps(\"fast\", %d): error %v, want one ending %q", T, err, example)
		}
	}
}

// A respaced schedule keeps ᾱ at the kept steps (so q(x_{t_k} | x_0) is unchanged), maps k to t_k for
// the model, and with all steps is the original schedule, table for table.
func TestRespace(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	steps, err := ParseSteps("50", PaperT)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sched.Respace(steps)
	if err != nil {
		t.Fatal(err)
	}
	if r.T != 50 {
		t.Fatalf("respaced T = %d, want 50", r.T)
	}
	for k, tk := range steps {
		if math.Abs(r.AlphaBar[k+1]-sched.AlphaBar[tk])/sched.AlphaBar[tk] > 1e-12 {
			t.Errorf("ᾱ'_%d = %g, want ᾱ_%d = %g", k+1, r.AlphaBar[k+1], tk, sched.AlphaBar[tk])
		}
		if r.ModelStep(k+1) != tk {
			t.Errorf("ModelStep(%d) = %d, want %d", k+1, r.ModelStep(k+1), tk)
		}
	}
	// β'_k = 1 − ᾱ_{t_k}/ᾱ_{t_{k−1}}: with 50 steps β' reaches far above the original 0.02.
	if r.Beta[50] < 0.3 {
		t.Errorf("β'_50 = %g: a respaced step should carry about 20 original steps of noise", r.Beta[50])
	}
	all, err := sched.Respace(EvenSteps(PaperT, PaperT))
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2][]float64{"β": {all.Beta, sched.Beta}, "ᾱ": {all.AlphaBar, sched.AlphaBar},
		"β̃": {all.PosteriorVariance, sched.PosteriorVariance}, "ε weight": {all.EpsCoef, sched.EpsCoef}} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("respaced with all %d steps: the %s table differs from the original", PaperT, name)
		}
	}
	for _, bad := range [][]int{nil, {0, 5}, {5, 5}, {7, 3}, {1, 1001}} {
		if _, err := sched.Respace(bad); err == nil {
			t.Errorf("Respace(%v) accepted", bad)
		}
	}
}

// Respaced ancestral sampling with all T steps is the ancestral sampler, sample for sample.
func TestRespacedWithAllStepsEqualsAncestral(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 50)
	all, err := sched.Respace(EvenSteps(50, 50))
	if err != nil {
		t.Fatal(err)
	}
	run := func(s *Schedule) []float32 {
		return drawSamples(t, s, analyticEps(sched, 0.3, 0.2), SamplerConfig{Variance: VarianceBeta, ClipX0: true},
			SampleOptions{N: 16, Dims: []int{3}, Seed: 11})
	}
	if a, b := run(sched), run(all); !slices.Equal(a, b) {
		t.Errorf("respaced with all steps: %v\nancestral: %v", b[:6], a[:6])
	}
}

// exactDDIMMoments follows the mean and variance of x through DDIM with η = 0 driven by the analytic
// ε* of N(μ, s²) data, in float64 and from the original schedule's ᾱ at the kept steps: with
// ε* = c_k (x − √ᾱ_k μ), each step is linear, x_{k−1} = a_k x + b_k.
func exactDDIMMoments(sched *Schedule, steps []int, mu, s2 float64) (mean, variance float64) {
	m, v := 0.0, 1.0 // x_K ~ N(0, 1)
	for k := len(steps); k >= 1; k-- {
		ab := sched.AlphaBar[steps[k-1]]
		abPrev := 1.0
		if k > 1 {
			abPrev = sched.AlphaBar[steps[k-2]]
		}
		c := math.Sqrt(1-ab) / (ab*s2 + 1 - ab)
		// x̂_0 = (x − √(1−ᾱ) ε)/√ᾱ; x' = √ᾱ' x̂_0 + √(1−ᾱ') ε; ε = c (x − √ᾱ μ).
		epsA, epsB := c, -c*math.Sqrt(ab)*mu
		x0A, x0B := (1-math.Sqrt(1-ab)*epsA)/math.Sqrt(ab), -math.Sqrt(1-ab)*epsB/math.Sqrt(ab)
		a := math.Sqrt(abPrev)*x0A + math.Sqrt(1-abPrev)*epsA
		b := math.Sqrt(abPrev)*x0B + math.Sqrt(1-abPrev)*epsB
		m, v = a*m+b, a*a*v
	}
	return m, v
}

// DDIM with η = 0 on Gaussian data with the exact noise predictor: the samples' mean and variance
// match the deterministic recursion computed independently in float64, for K = 1000, 100 and 10
// steps. The model is given the original time steps (ModelTime): with the respaced index instead, ε*
// would use the wrong ᾱ and the moments would miss.
func TestDDIMWithAnalyticScore(t *testing.T) {
	const mu, s2, n = 0.5, 0.04, 50000
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	for _, k := range []int{1000, 100, 10} {
		steps := EvenSteps(PaperT, k)
		r, err := sched.Respace(steps)
		if err != nil {
			t.Fatal(err)
		}
		wantMean, wantVar := exactDDIMMoments(sched, steps, mu, s2)
		x0 := drawSamples(t, r, analyticEps(sched, mu, s2), SamplerConfig{Variance: VarianceBeta, DDIM: true}, SampleOptions{N: n, Dims: []int{1}, Seed: 5})
		m, v := columnMoments(x0, 1, 0)
		what := fmt.Sprintf("DDIM η=0, K=%d, %d samples", k, n)
		within(t, what+": sample mean", m, wantMean, 5*math.Sqrt(wantVar/n))
		within(t, what+": sample variance", v, wantVar, 5*wantVar*math.Sqrt(2.0/(n-1)))
		t.Logf("%s: mean %.5f (exact %.5f), variance %.5f (exact %.5f; the data's %.3f)", what, m, wantMean, v, wantVar, s2)
	}
}

// DDIM with η = 1 is ancestral sampling with σ² = β̃_t written differently: the same samples (same
// seed, so the same z) up to float32 rounding.
func TestDDIMEta1IsAncestralWithPosteriorVariance(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	run := func(cfg SamplerConfig) []float32 {
		return drawSamples(t, sched, analyticEps(sched, 0.2, 0.3), cfg, SampleOptions{N: 64, Dims: []int{2}, Seed: 3})
	}
	ddim, ancestral := run(SamplerConfig{Variance: VarianceBeta, DDIM: true, Eta: 1}), run(SamplerConfig{Variance: VariancePosterior})
	for i := range ddim {
		if math.Abs(float64(ddim[i]-ancestral[i])) > 1e-4 {
			t.Fatalf("sample value %d: DDIM η=1 %g, ancestral σ²=β̃ %g", i, ddim[i], ancestral[i])
		}
	}
	for _, bad := range []SamplerConfig{{Variance: VarianceBeta, DDIM: true, Eta: 1.5}, {Variance: VarianceBeta, Eta: 0.5}} {
		if _, err := NewSampler(backend, context.New(), sched, analyticEps(sched, 0, 1), bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// A schedule whose ᾱ falls by more than float64 resolves across one jump of a respacing (a linear one
// at T = 10 000 in 5 steps: ᾱ from 2e-25 to 2e-44) is refused with the cause, not as a β out of range that
// blamed --steps (eighth probe); with enough steps the same schedule respaces.
func TestRespaceNamesAJumpThatForgetsEverything(t *testing.T) {
	s := MustNewSchedule(ScheduleLinear, 10000)
	five, err := ParseSteps("5", 10000)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Respace(five)
	if err == nil || !strings.Contains(err.Error(), "its β is 1 to float64 precision") || !strings.Contains(err.Error(), "from t=") {
		t.Errorf("linear T=10000 in 5 steps: error %v, want the jump named", err)
	}
	var steps []int
	for t := 200; t <= 10000; t += 200 {
		steps = append(steps, t)
	}
	if _, err := s.Respace(steps); err != nil {
		t.Errorf("linear T=10000 in 50 steps: %v", err)
	}
}

// A trained model samples and is bounded only on its own schedule or a respacing of it: a cosine
// schedule of T = 10 for the linear T = 1000 model gave noise and a bound of 2.355 bits/dim, no error
// (ninth probe). Images with a NaN are off the 8-bit grid (it passed, and the bound came out NaN).
func TestTrainedRefusesAnotherSchedule(t *testing.T) {
	tr, err := LoadTrained("../models/mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	cfg := SamplerConfig{Variance: VariancePosterior, ClipX0: true}
	cosine := MustNewSchedule(ScheduleCosine, 10)
	cosineRespaced, err := MustNewSchedule(ScheduleCosine, 1000).Respace([]int{1, 500, 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []*Schedule{cosine, cosineRespaced, nil} {
		if _, err := tr.NewSampler(backend, sched, cfg); err == nil || !strings.Contains(err.Error(), "checkpoint ../models/mnist-ch8-ema.ddpm") {
			t.Errorf("NewSampler on %v: error %v, want a refusal", sched, err)
		}
		if _, err := tr.NewBoundEvaluator(backend, sched, cfg); err == nil {
			t.Errorf("NewBoundEvaluator on %v: no error", sched)
		}
	}
	own, err := tr.Schedule.Respace([]int{1, 500, 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []*Schedule{tr.Schedule, own} {
		if err := tr.CheckSchedule(sched); err != nil {
			t.Errorf("the model's own schedule %s: %v", sched.Name, err)
		}
	}
	// A Trained that holds a respacing (as eval's does) accepts it and respacings of the same steps,
	// and still refuses another schedule (every eval with --steps was refused before this was compared
	// by model time step).
	respacedTr := *tr
	respacedTr.Schedule = own
	again, err := tr.Schedule.Respace([]int{1, 500, 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, sched := range []*Schedule{own, again} {
		if err := respacedTr.CheckSchedule(sched); err != nil {
			t.Errorf("a Trained holding %s, given %s: %v", own.Name, sched.Name, err)
		}
	}
	if err := respacedTr.CheckSchedule(cosineRespaced); err == nil {
		t.Error("a Trained holding a respacing accepted a cosine schedule")
	}
	// Respacings of a cosine model, whose ᾱ_T of 2.4e-9 the respacing recomputes less exactly than
	// 1e-9 relatively, are its own (K = 1, 2, 3, 4, 7 and 1,1000 were refused; twelfth probe).
	cosineTr := Trained{Path: "cosine.ddpm", Schedule: MustNewSchedule(ScheduleCosine, 1000)}
	for _, steps := range [][]int{EvenSteps(1000, 1), EvenSteps(1000, 2), EvenSteps(1000, 3), EvenSteps(1000, 4), EvenSteps(1000, 7), {1, 1000}} {
		respaced, err := cosineTr.Schedule.Respace(steps)
		if err != nil {
			t.Fatal(err)
		}
		if err := cosineTr.CheckSchedule(respaced); err != nil {
			t.Errorf("the cosine model's respacing %v: %v", steps, err)
		}
	}
	if err := checkOnGrid([]float32{-1, float32(math.NaN())}); err == nil {
		t.Error("an image with a NaN is on the 8-bit grid")
	}
}

// A respaced chain that would start where x_t still holds much of the image is refused by the library,
// as by the command: "ddim1" starts at t = 1, and NewSampler with the exact ε sampled N(0, I) back,
// mean 0 and variance 1, with no error (hundredth probe). Spacings that end at T, or top out where ᾱ is
// small, pass; a respacing of a respacing is held to the trained schedule's ᾱ_T.
func TestSamplerRefusesANoisyStart(t *testing.T) {
	paper := MustNewSchedule(ScheduleLinear, PaperT)
	model := MLPModel(DefaultMLPConfig())
	for _, c := range []struct {
		spec   string
		refuse bool
	}{{"ddim1", true}, {"ddim2", true}, {"ddim4", false}, {"ddim50", false}, {"1", false}, {"10", false}} {
		steps, err := ParseSteps(c.spec, PaperT)
		if err != nil {
			t.Fatal(err)
		}
		r, err := paper.Respace(steps)
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewSampler(backend, context.New(), r, model, SamplerConfig{DDIM: true})
		var noisy *NoisyStartError
		if got := errors.As(err, &noisy); got != c.refuse {
			t.Errorf("a sampler of %q (top step t=%d, ᾱ = %.3g): error %v, want a refusal: %v", c.spec, r.ModelStep(r.T), r.AlphaBar[r.T], err, c.refuse)
		}
		if c.refuse && (noisy == nil || noisy.Step != steps[len(steps)-1] || !strings.Contains(err.Error(), "EvenSteps")) {
			t.Errorf("%q: %v, want the top step %d named, and EvenSteps", c.spec, err, steps[len(steps)-1])
		}
	}
	// A schedule trained with a large ᾱ_T (T = 20: 0.81) is not refused its own ends; a respacing of a
	// respacing is held to it.
	short := MustNewSchedule(ScheduleLinear, 20)
	if r, err := short.Respace(EvenSteps(20, 5)); err != nil || r.CheckChainStart() != nil {
		t.Errorf("T = 20 respaced to 5 steps ending at T: %v, %v", err, r.CheckChainStart())
	}
	if r, err := short.Respace([]int{1, 5, 10}); err != nil || r.CheckChainStart() == nil {
		t.Errorf("T = 20 respaced to 1, 5, 10 (ᾱ_10 above ᾱ_20): %v, no refusal", err)
	}
	r, err := paper.Respace(EvenSteps(PaperT, 100))
	if err != nil {
		t.Fatal(err)
	}
	if rr, err := r.Respace([]int{1, 2}); err != nil || rr.CheckChainStart() == nil {
		t.Errorf("a respacing of a respacing to its first two steps (t=20): %v, no refusal", err)
	}
	if rr, err := r.Respace(EvenSteps(100, 10)); err != nil || rr.CheckChainStart() != nil {
		t.Errorf("a respacing of a respacing ending at T: %v, %v", err, rr.CheckChainStart())
	}
}
