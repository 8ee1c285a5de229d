package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// analyticMixtureEps is the optimal noise predictor for 1-D data from two labelled clusters, class c
// ~ N(mu[c], s²) with equal weights: ε*(x_t, t, c) is analyticEps's for mu[c], and for label 2 (∅)
// it is E[ε | x_t] under the mixture, Σ_c π_c(x_t) ε*(x_t, t, c) with π_c(x_t) ∝ N(x_t; √ᾱ_t μ_c,
// ᾱ_t s² + 1 − ᾱ_t).
func analyticMixtureEps(sched *Schedule, mu [2]float64, s2 float64) ConditionalModel {
	return func(ctx *context.Context, xt, t, y *Node) *Node {
		e0, e1 := analyticEps(sched, mu[0], s2)(ctx, xt, t), analyticEps(sched, mu[1], s2)(ctx, xt, t)
		ab := Coef(sched.AlphaBar, t, xt)
		v := AddScalar(Sub(MulScalar(ab, s2), ab), 1)
		logN := func(m float64) *Node {
			d := Sub(xt, MulScalar(Sqrt(ab), m))
			return Div(Neg(Mul(d, d)), MulScalar(v, 2))
		}
		pi0 := Sigmoid(Sub(logN(mu[0]), logN(mu[1])))
		mixture := Add(Mul(pi0, e0), Mul(OneMinus(pi0), e1))
		if y == nil {
			return mixture
		}
		label := Reshape(ConvertDType(y, dtypes.Int32), xt.Shape().Dimensions[0], 1)
		is := func(c int) *Node {
			return BroadcastToShape(Equal(label, Scalar(xt.Graph(), dtypes.Int32, c)), xt.Shape())
		}
		return Where(is(0), e0, Where(is(1), e1, mixture))
	}
}

// TestGuidedCombinesBothPredictions checks ε̃ = (1+w) ε(c) − w ε(∅) from the doubled batch, with
// a model whose two predictions differ (swapping the halves would give (1+w) ε(∅) − w ε(c)).
func TestGuidedCombinesBothPredictions(t *testing.T) {
	// f(x, t, y) = 0.1 x + 0.3 y + 0.001 t, and v = −0.5 y − 0.2 for the learned-variance form.
	fake := func(learnSigma bool) ConditionalModel {
		return func(_ *context.Context, xt, tt, y *Node) *Node {
			yf := Reshape(ConvertDType(y, dtypes.Float32), xt.Shape().Dimensions[0], 1)
			eps := Add(Add(MulScalar(xt, 0.1), MulScalar(yf, 0.3)), MulScalar(Reshape(ConvertDType(tt, dtypes.Float32), -1, 1), 0.001))
			if !learnSigma {
				return eps
			}
			return Concatenate([]*Node{eps, BroadcastToShape(AddScalar(MulScalar(yf, -0.5), -0.2), xt.Shape())}, -1)
		}
	}
	x := []float32{0.5, -1, 2, 0.25, 1, -2}
	labels := []int32{1, 0, 2}
	const numClasses = 3 // ∅ = 3
	for _, learn := range []bool{false, true} {
		for _, w := range []float64{0, 3} {
			got := MustExecOnce(backend, func(xt, tt, y *Node) *Node {
				return fake(learn).Guided(y, numClasses, w)(nil, xt, tt)
			}, tensors.FromFlatDataAndDimensions(slices.Clone(x), 3, 2), []int32{10, 20, 30}, labels)
			out := tensors.MustCopyFlatData[float32](got)
			width := 2
			if learn {
				width = 4
			}
			if len(out) != 3*width {
				t.Fatalf("learn=%v w=%g: %d outputs, want %d", learn, w, len(out), 3*width)
			}
			for i := range 3 {
				for j := range 2 {
					f := func(y float64) float64 { return 0.1*float64(x[2*i+j]) + 0.3*y + 0.001*float64(10*(i+1)) }
					want := (1+w)*f(float64(labels[i])) - w*f(numClasses)
					within(t, fmt.Sprintf("learn=%v w=%g: ε̃[%d,%d]", learn, w, i, j), float64(out[i*width+j]), want, 1e-5)
					if learn {
						within(t, fmt.Sprintf("learn=%v w=%g: v[%d,%d] (the conditional half's)", learn, w, i, j),
							float64(out[i*width+2+j]), -0.5*float64(labels[i])-0.2, 1e-6)
					}
				}
			}
		}
	}
}

// TestConditionalSamplerWithAnalyticScores drives the conditional sampler with the exact scores of
// two labelled clusters: each class gives that cluster's exact moments; "no label" for all gives the
// unconditional sampler's samples; guided sampling equals a sampler whose model computes the two
// predictions in separate calls.
func TestConditionalSamplerWithAnalyticScores(t *testing.T) {
	const s2, n = 0.04, 20000
	mu := [2]float64{-0.5, 0.7}
	sched := MustNewSchedule(ScheduleLinear, PaperT)
	cond := analyticMixtureEps(sched, mu, s2)
	cfg := SamplerConfig{Variance: VarianceBeta}
	sampler, err := NewConditionalSampler(backend, context.New(), sched, cond, 2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(s *Sampler, labels []int, nn int) []float32 {
		t.Helper()
		res, err := s.Sample(SampleOptions{N: nn, Dims: []int{1}, Seed: 5, Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		return res.X0
	}
	for c := range 2 {
		x0 := sample(sampler, slices.Repeat([]int{c}, n), n)
		wantMean, wantVar := exactSampleMoments(sched, mu[c], s2, VarianceBeta)
		m, v := columnMoments(x0, 1, 0)
		within(t, fmt.Sprintf("class %d: sample mean", c), m, wantMean, 5*math.Sqrt(wantVar/n))
		within(t, fmt.Sprintf("class %d: sample variance", c), v, wantVar, 5*wantVar*math.Sqrt(2.0/(n-1)))
	}

	const small = 64
	uncond := drawSamples(t, sched, cond.Unconditional(), cfg, SampleOptions{N: small, Dims: []int{1}, Seed: 5})
	null := sample(sampler, slices.Repeat([]int{2}, small), small)
	noLabels := sample(sampler, nil, small)
	for i := range uncond {
		if null[i] != uncond[i] || noLabels[i] != uncond[i] {
			t.Fatalf("sample %d: %g with label ∅ everywhere, %g without labels, %g from the unconditional sampler: want equal",
				i, null[i], noLabels[i], uncond[i])
		}
	}

	const w = 2.0
	labels := make([]int, small)
	for i := range labels {
		labels[i] = i % 2
	}
	guided, err := NewConditionalSampler(backend, context.New(), sched, cond, 2, SamplerConfig{Variance: VarianceBeta, Guidance: w})
	if err != nil {
		t.Fatal(err)
	}
	byHand := func(ctx *context.Context, xt, tt *Node) *Node {
		yData := make([]int32, small)
		for i := range yData {
			yData[i] = int32(labels[i])
		}
		y := Const(xt.Graph(), yData)
		return Sub(MulScalar(cond(ctx, xt, tt, y), 1+w), MulScalar(cond(ctx, xt, tt, nil), w))
	}
	got := sample(guided, labels, small)
	want := drawSamples(t, sched, byHand, cfg, SampleOptions{N: small, Dims: []int{1}, Seed: 5})
	for i := range got {
		within(t, fmt.Sprintf("guided sample %d against two separate predictions", i), float64(got[i]), float64(want[i]), 1e-4)
	}
	// The ODE solvers guide the same way. DPM-Solver++ evaluates the network at whole time steps, given
	// as float32; the analytic scores look ᾱ up by an integer step.
	intTime := func(ctx *context.Context, xt, tt, y *Node) *Node {
		return cond(ctx, xt, ConvertDType(tt, dtypes.Int32), y)
	}
	solver := SamplerConfig{Solver: SolverDPMPP2M, Steps: 8, Guidance: w}
	guidedSolver, err := NewConditionalSampler(backend, context.New(), sched, intTime, 2, solver)
	if err != nil {
		t.Fatal(err)
	}
	gotSolver := sample(guidedSolver, labels, small)
	solver.Guidance = 0
	byHandInt := func(ctx *context.Context, xt, tt *Node) *Node { return byHand(ctx, xt, ConvertDType(tt, dtypes.Int32)) }
	wantSolver := drawSamples(t, sched, byHandInt, solver, SampleOptions{N: small, Dims: []int{1}, Seed: 5})
	for i := range gotSolver {
		within(t, fmt.Sprintf("DPM-Solver++'s guided sample %d against two separate predictions", i), float64(gotSolver[i]), float64(wantSolver[i]), 1e-4)
	}
	conditional := sample(sampler, labels, small)
	moved := 0
	for i := range got {
		if math.Abs(float64(got[i]-conditional[i])) > 1e-3 {
			moved++
		}
	}
	if moved < small/2 {
		t.Errorf("guidance w=%g changed only %d of %d samples", w, moved, small)
	}

	if _, err := sampler.Sample(SampleOptions{N: 2, Dims: []int{1}, Labels: []int{0, 3}}); err == nil {
		t.Errorf("label 3 of a 2-class model accepted")
	}
	if _, err := sampler.Sample(SampleOptions{N: 2, Dims: []int{1}, Labels: []int{0}}); err == nil {
		t.Errorf("1 label for 2 samples accepted")
	}
	if _, err := NewSampler(backend, context.New(), sched, analyticEps(sched, 0, 1), SamplerConfig{Variance: VarianceBeta, Guidance: 1}); err == nil {
		t.Errorf("guidance accepted for an unconditional model")
	}
	if _, err := NewConditionalSampler(backend, context.New(), sched, cond, 2, SamplerConfig{Variance: VarianceBeta, Guidance: -1}); err == nil {
		t.Errorf("guidance -1 accepted")
	}
}

func TestDropLabels(t *testing.T) {
	const n, numClasses = 20000, 10
	for _, p := range []float64{0, 0.1, 1} {
		y := make([]int32, n)
		for i := range y {
			y[i] = int32(i % numClasses)
		}
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(3); err != nil {
			t.Fatal(err)
		}
		exec := context.MustNewExec(backend, ctx, func(ctx *context.Context, y *Node) *Node { return DropLabels(ctx, y, numClasses, p) })
		got := tensors.MustCopyFlatData[int32](exec.MustExec(y)[0])
		dropped := 0
		for i, c := range got {
			switch c {
			case numClasses:
				dropped++
			case y[i]:
			default:
				t.Fatalf("p=%g: label %d became %d, want itself or ∅ = %d", p, y[i], c, numClasses)
			}
		}
		frac := float64(dropped) / n
		within(t, fmt.Sprintf("p=%g: fraction of labels dropped", p), frac, p, 5*math.Sqrt(p*(1-p)/n)+1e-12)
	}
}

// TestClassConditionalToyTraining trains a conditional MLP on two overlapping labelled clusters in
// 2-D (centres (∓0.35, 0), s = 0.15: 99.0% of each class lies on its own side of x = 0) and checks
// that the samples asked for each class land on its side at least 95% of the time, and more with w = 3
// (guidance sharpens p(x | c) towards where c is more likely than the other class).
func TestClassConditionalToyTraining(t *testing.T) {
	const n, s = 8000, 0.15
	rng := rand.New(rand.NewPCG(11, 2))
	points, labels := make([]float32, 2*n), make([]int, n)
	for i := range n {
		labels[i] = i % 2
		points[2*i] = float32(0.7*float64(labels[i]) - 0.35 + s*rng.NormFloat64())
		points[2*i+1] = float32(s * rng.NormFloat64())
	}
	ds, err := NewArrayDataset("two clusters", points, []int{2}, 256, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.SetLabels(labels, 2); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultMLPConfig()
	cfg.NumClasses = 2
	sched := MustNewSchedule(ScheduleLinearScaled, 100)
	ctx := context.New()
	tc := quickTrainConfig(4000, "")
	tc.Optimizer.WarmupSteps, tc.Optimizer.EMADecay = 50, 0.99
	tc.Conditional, tc.PUncond = MLPConditional(cfg), DefaultPUncond
	if _, err := Train(backend, ctx, sched, MLPModel(cfg), ds, tc); err != nil {
		t.Fatal(err)
	}
	emaCtx, err := EMAContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const m = 4000
	onOwnSide := func(w float64, class int) float64 {
		sampler, err := NewConditionalSampler(backend, emaCtx, sched, MLPConditional(cfg), 2, SamplerConfig{Variance: VarianceBeta, Guidance: w})
		if err != nil {
			t.Fatal(err)
		}
		res, err := sampler.Sample(SampleOptions{N: m, Dims: []int{2}, Seed: 9, Labels: slices.Repeat([]int{class}, m)})
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for i := range m {
			if (res.X0[2*i] < 0) == (class == 0) {
				k++
			}
		}
		return float64(k) / m
	}
	for class := range 2 {
		plain, guided := onOwnSide(0, class), onOwnSide(3, class)
		t.Logf("class %d: %.4f of samples on its side with w = 0, %.4f with w = 3 (data: 0.990)", class, plain, guided)
		if plain < 0.95 {
			t.Errorf("class %d, w = 0: %.4f of samples on the class's side, want >= 0.95", class, plain)
		}
		// Binomial standard error of the difference of two fractions near 0.98 from 4000 samples: 0.003.
		if !(guided > plain+0.01) {
			t.Errorf("class %d: guidance w = 3 gave %.4f on the class's side, not above w = 0's %.4f by 0.01", class, guided, plain)
		}
	}
}

func TestDatasetLabelsFollowTheBatches(t *testing.T) {
	const n = 10
	values := make([]float32, n)
	labels := make([]int, n)
	for i := range n {
		values[i], labels[i] = float32(i), (i*7)%3
	}
	ds, err := NewArrayDataset("numbers", values, []int{1}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if ds.BatchLabels(0) != nil {
		t.Errorf("labels before SetLabels")
	}
	if err := ds.SetLabels(labels, 3); err != nil {
		t.Fatal(err)
	}
	for step := int64(0); step < 6; step++ {
		x, y := ds.Batch(step), ds.BatchLabels(step)
		for j := range x {
			if int(y[j]) != labels[int(x[j])] {
				t.Fatalf("step %d: example %g has label %d, want %d", step, x[j], y[j], labels[int(x[j])])
			}
		}
	}
	_, inputs, _, _ := ds.Yield()
	if len(inputs) != 2 || inputs[1].Shape().Dimensions[0] != 4 {
		t.Errorf("Yield gave %d inputs, want the batch and its 4 labels", len(inputs))
	}
	if err := ds.SetLabels(labels[:5], 3); err == nil {
		t.Errorf("5 labels for 10 examples accepted")
	}
	labels[3] = 3
	if err := ds.SetLabels(labels, 3); err == nil {
		t.Errorf("label 3 of 3 classes accepted")
	}
}

func TestConditionalTrainingRefusesMismatches(t *testing.T) {
	sched := MustNewSchedule(ScheduleLinear, 100)
	cfg := DefaultMLPConfig()
	cfg.NumClasses = 2
	points := make([]float32, 2*8)
	plain, err := NewArrayDataset("unlabelled", points, []int{2}, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	tc := quickTrainConfig(2, "")
	tc.Conditional = MLPConditional(cfg)
	if _, err := Train(backend, context.New(), sched, MLPModel(cfg), plain, tc); err == nil {
		t.Errorf("a conditional model trained on unlabelled data")
	}
	labelled, _ := NewArrayDataset("labelled", points, []int{2}, 4, 1)
	if err := labelled.SetLabels(make([]int, 8), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(backend, context.New(), sched, MLPModel(DefaultMLPConfig()), labelled, quickTrainConfig(2, "")); err == nil {
		t.Errorf("labelled data trained an unconditional model without complaint")
	}
}

// Grids guided for a model trained with PUncond 0, which never learned the unconditional prediction that
// guidance mixes in, are refused, as its sampler refuses (fifty-seventh probe: the command line's grids
// were guided).
func TestGridsOfAModelWithoutUnconditionalTrainingAreNotGuided(t *testing.T) {
	u := tinyUNet()
	u.NumClasses = 2
	ds, err := NewArrayDataset("shapes", tinyImages(4, 4), []int{8, 8, 1}, 2, 3)
	if err != nil || ds.SetLabels([]int{0, 1, 0, 1}, 2) != nil {
		t.Fatal(err)
	}
	guided := quickTrainConfig(2, t.TempDir())
	guided.Conditional, guided.PUncond = UNetConditionalModel(u), 0
	guided.GridSampler.Guidance, guided.SampleEvery, guided.SampleN = 0.5, 1, 2
	if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 20), UNetModel(u), ds, guided); err == nil || !strings.Contains(err.Error(), "PUncond > 0") {
		t.Errorf("grids guided for a model of PUncond 0: %v, want a refusal", err)
	}
}

// TestConditionalCheckpointKeepsClasses saves a conditional U-Net's run and loads it for sampling:
// the class names, the label embedding and the conditional model come back.
func TestConditionalCheckpointKeepsClasses(t *testing.T) {
	u := tinyUNet()
	u.NumClasses = 3
	spec := RunSpec{Model: ModelUNet, UNet: &u, Schedule: ScheduleLinear, T: 100, Dataset: "shapes", Dims: []int{8, 8, 1},
		ClassNames: []string{"circle", "square", "star"}, PUncond: 0.1, BatchSize: 3, Seed: 3, Optimizer: quickTrainConfig(0, "").Optimizer}
	ds, err := NewArrayDataset("shapes", tinyImages(6, 4), []int{8, 8, 1}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.SetLabels([]int{0, 1, 2, 0, 1, 2}, 3); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tc := quickTrainConfig(3, dir)
	tc.Conditional, tc.PUncond, tc.Meta = UNetConditionalModel(u), 0.1, &spec
	if _, err := Train(backend, context.New(), MustNewSchedule(ScheduleLinear, 100), UNetModel(u), ds, tc); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrained(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Cond == nil || tr.Spec.NumClasses() != 3 || !slices.Equal(tr.Spec.ClassNames, spec.ClassNames) {
		t.Fatalf("loaded: conditional %v, %d classes named %v; want 3 named %v", tr.Cond != nil, tr.Spec.NumClasses(), tr.Spec.ClassNames, spec.ClassNames)
	}
	if tr.Ctx.GetVariableByScopeAndName("/unet/temb/label_emb", "embeddings") == nil {
		t.Errorf("the label embedding is not in the checkpoint: %s", filepath.Base(tr.Path))
	}
	for class, want := range map[string]int{"star": 2, "1": 1, "circle": 0} {
		if got, err := tr.Spec.ClassLabel(class); err != nil || got != want {
			t.Errorf("class %q: label %d (%v), want %d", class, got, err, want)
		}
	}
	for _, bad := range []string{"triangle", "3", "-1", "01", "+1", " 1"} {
		if _, err := tr.Spec.ClassLabel(bad); err == nil {
			t.Errorf("class %q accepted", bad)
		}
	}
}

// Messages about classes stay readable whatever the names: an unknown class lists a dozen names, not
// 300 long ones (a 76 KB message), and a label whose name is another label's number is described by
// both (class folders named 1 and 2: `--class 0` drew "1", and the summary said "class 0"; seventh
// probe).
func TestClassMessages(t *testing.T) {
	many := RunSpec{Model: ModelUNet, UNet: &UNetConfig{NumClasses: 300}}
	for i := range 300 {
		many.ClassNames = append(many.ClassNames, fmt.Sprintf("class-%03d-%s", i, strings.Repeat("x", 240)))
	}
	_, err := many.ClassLabel("dog")
	if err == nil || len(err.Error()) > 4000 || !strings.Contains(err.Error(), "… and 288 more") {
		t.Errorf("an unknown class among 300: a message of %d bytes: %.200v…", len(fmt.Sprint(err)), err)
	}
	// A name that would not print as itself is quoted (a newline forged a line of output; fifteenth probe).
	forged := RunSpec{Model: ModelUNet, UNet: &UNetConfig{NumClasses: 2}, ClassNames: []string{"cat", "dog\nddpm sample: wrote 64 samples OK"}}
	if _, err := forged.ClassLabel("cow"); err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `"dog\nddpm`) {
		t.Errorf("a class name with a newline: %q, want it quoted", err)
	}
	folders := RunSpec{Model: ModelUNet, UNet: &UNetConfig{NumClasses: 2}, ClassNames: []string{"1", "2"}}
	mnist := RunSpec{Model: ModelUNet, UNet: &UNetConfig{NumClasses: 10}, ClassNames: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	for _, c := range []struct {
		spec  RunSpec
		label int
		want  string
	}{{folders, 0, `class "1" (label 0)`}, {folders, 1, `class "2" (label 1)`}, {mnist, 7, "class 7"}, {RunSpec{Model: ModelUNet, UNet: &UNetConfig{NumClasses: 3}}, 2, "class 2"}} {
		if got := c.spec.ClassDescription(c.label); got != c.want {
			t.Errorf("ClassDescription(%d) of %v: %q, want %q", c.label, c.spec.ClassNames, got, c.want)
		}
	}
}
