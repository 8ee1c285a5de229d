package ddpm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Choices of the reverse-process variance σ_t² in Algorithm 2. The paper found its two fixed
// choices to give similar samples: β_t is optimal for x_0 ~ N(0, I), β̃_t for x_0 deterministic.
// Improved DDPM learns Σ_θ between them (learnsigma.go).
const (
	VarianceBeta      = "beta"      // σ_t² = β_t
	VariancePosterior = "posterior" // σ_t² = β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) β_t
	VarianceLearned   = "learned"   // σ_t² = Σ_θ(x_t, t), for a model that learns its variances
)

// SamplerConfig are the options of a sampler: ancestral sampling (Algorithm 2) by default, DDIM
// when DDIM is set, or one of the ODE solvers of solvers.go when Solver is set.
type SamplerConfig struct {
	Variance string  // VarianceBeta, VariancePosterior or VarianceLearned: σ_t² of ancestral sampling and the bound (DDIM: ignored, may be "")
	ClipX0   bool    // clip the implied x̂_0 to [−1, 1] and step with the posterior mean (or, for DDIM, from it)
	DDIM     bool    // DDIM's update (Song, Meng and Ermon 2021) instead of Algorithm 2
	Eta      float64 // DDIM's η in [0, 1]: 0 deterministic, 1 the posterior variance β̃_t
	// Solver is SolverDPMPP2M, SolverEuler or SolverHeun: a few-step sampler of the probability-flow
	// ODE that takes Steps steps on the model's own (not respaced) schedule and chooses its own noise
	// levels (solvers.go); "" for ancestral sampling or DDIM. Variance is not used (it may be "").
	Solver string
	Steps  int // the solver's number of steps K (Heun evaluates the network 2K − 1 times)
	// Churn is Karras et al.'s S_churn ≥ 0 for Euler and Heun: each step first raises σ_i to
	// σ̂ = (1 + γ) σ_i with fresh noise, γ = min(S_churn/K, √2 − 1). 0: the deterministic ODE sampler.
	Churn float64
	// Guidance is classifier-free guidance's w ≥ 0 for a class-conditional model (condition.go):
	// ε̃ = (1 + w) ε_θ(x_t, t, c) − w ε_θ(x_t, t, ∅). 0 is plain conditional sampling.
	Guidance float64
	// Devices > 1 splits every batch (of samples, or of images for the bound) over that many devices
	// of the backend, each computing its share; the results are a one-device run's. The batch must
	// be a multiple of it. 0 or 1: one device.
	Devices int
}

// MaxGuidance bounds the guidance weight w: from 2^24 on, float32 rounds 1 + w to w, the guided
// (1+w) ε_c − w ε_u loses ε_c, and beyond ~1e37 it overflows; clipping x̂_0 hid both, and w = 3e38 drew
// images of black and white only, exit 0 (fifty-eighth probe).
const MaxGuidance float64 = 1 << 24

// Validate names a bad option.
func (c SamplerConfig) Validate() error {
	if err := c.validateSolver(); err != nil {
		return err
	}
	fixed := c.Variance == VarianceBeta || c.Variance == VariancePosterior || c.Variance == VarianceLearned
	if !fixed && !((c.DDIM || c.Solver != "") && c.Variance == "") { // DDIM's noise is set by η, a solver's by nothing
		return fmt.Errorf("sampler variance %q: valid values are %q (σ² = β_t), %q (σ² = β̃_t) and %q (Σ_θ, for a model trained with learned variances)",
			c.Variance, VarianceBeta, VariancePosterior, VarianceLearned)
	}
	if !(c.Eta >= 0 && c.Eta <= 1) {
		return fmt.Errorf("DDIM eta %g: it must be in [0, 1] (0: deterministic, 1: the posterior variance)", c.Eta)
	}
	if c.Eta != 0 && !c.DDIM {
		return fmt.Errorf("eta %g is DDIM's: it needs the DDIM sampler", c.Eta)
	}
	if c.Devices < 0 {
		return fmt.Errorf("%d devices: want 0 or more (0 and 1: one device)", c.Devices)
	}
	if !(c.Guidance >= 0) || c.Guidance >= MaxGuidance {
		return fmt.Errorf("guidance weight %g: it must be >= 0 (0: no guidance) and below %g, where float32 rounds 1 + w to w", c.Guidance, MaxGuidance)
	}
	return nil
}

// validateSolver names a bad option of the ODE solvers.
func (c SamplerConfig) validateSolver() error {
	switch c.Solver {
	case "":
		if c.Steps != 0 || c.Churn != 0 {
			return fmt.Errorf("steps %d, churn %g: these are options of the ODE solvers (%s, %s, %s); ancestral sampling and DDIM take their steps from a respaced schedule",
				c.Steps, c.Churn, SolverDPMPP2M, SolverEuler, SolverHeun)
		}
		return nil
	case SolverDPMPP2M, SolverEuler, SolverHeun:
	default:
		return fmt.Errorf("solver %q: valid solvers are %s, %s and %s (or none, for ancestral sampling and DDIM)", c.Solver, SolverDPMPP2M, SolverEuler, SolverHeun)
	}
	if c.DDIM || c.Eta != 0 {
		return fmt.Errorf("solver %s with DDIM (eta %g): choose one sampler", c.Solver, c.Eta)
	}
	if c.Steps < 1 {
		return fmt.Errorf("solver %s: %d steps, want at least 1", c.Solver, c.Steps)
	}
	if !(c.Churn >= 0) || math.IsInf(c.Churn, 1) {
		return fmt.Errorf("churn %g: S_churn must be finite and >= 0 (0: deterministic)", c.Churn)
	}
	if c.Churn != 0 && c.Solver == SolverDPMPP2M {
		return fmt.Errorf("churn %g is Karras et al.'s, for the %s and %s samplers; %s is deterministic", c.Churn, SolverEuler, SolverHeun, SolverDPMPP2M)
	}
	return nil
}

// ReverseStep is one step of Algorithm 2 given the model's output out, its noise prediction
// ε_θ(x_t, t) (followed by v for a model that learns its variances):
//
//	x_{t−1} = 1/√α_t (x_t − (1−α_t)/√(1−ᾱ_t) ε_θ(x_t, t)) + σ_t z,   z = 0 at t = 1.
//
// With clipping, the mean is instead the posterior mean μ̃_t(x_t, clip(x̂_0)), which equals the
// expression above when nothing is clipped. It also returns x̂_0, the model's current guess of the
// clean image (the paper's Figure 6).
func (s *Schedule) ReverseStep(xt, t, out, z *Node, cfg SamplerConfig) (xPrev, x0Hat *Node) {
	eps, v := splitOutput(out, xt)
	mean, x0Hat := s.ModelMean(xt, t, eps, cfg)
	var sigma *Node
	switch cfg.Variance {
	case VarianceLearned:
		sigma = Exp(MulScalar(s.ModelLogVariance(t, v, xt, cfg), 0.5))
	case VariancePosterior:
		sigma = Sqrt(Coef(s.PosteriorVariance, t, xt))
	default:
		sigma = Sqrt(Coef(s.Beta, t, xt))
	}
	notLast := make([]float64, s.T+1) // no noise at t = 1
	for k := 2; k <= s.T; k++ {
		notLast[k] = 1
	}
	sigma = Mul(sigma, Coef(notLast, t, xt))
	return Add(mean, Mul(sigma, z)), x0Hat
}

// Sampler runs Algorithm 2 (or DDIM) with a model: one compiled graph per step, looped over t on the
// host. On a respaced schedule (Schedule.Respace) it takes the schedule's K steps, and the model sees
// the time steps it was trained with. A conditional sampler (NewConditionalSampler) also takes a
// class label per sample.
type Sampler struct {
	Schedule   *Schedule
	Model      EpsModel // for a conditional sampler, the model given "no label" (used by Encode)
	Config     SamplerConfig
	cond       ConditionalModel
	numClasses int
	exec       *context.Exec
	backend    backends.Backend
	ctx        *context.Context
	encode     *context.Exec // DDIM inversion, compiled on first use (ddim.go)
	path       *odePath      // the noise levels of an ODE solver (solvers.go), nil for the others
	split      *batchSplit   // the devices a batch is split over (Config.Devices), nil for one
	dims       []int         // the shape of the model's samples where it is known (Trained.NewSampler), or nil
	// neverUnlabelled is set for a conditional model trained with p_uncond 0 (Trained.NewSampler): it
	// draws only with labels.
	neverUnlabelled bool
}

// checkDims refuses samples of another shape than the model's, where it is known: an MLP given [3] for
// its [2] failed inside GoMLX, on a variable's shape (forty-fourth probe).
func (s *Sampler) checkDims(what string, dims []int) error {
	if s.dims != nil && !slices.Equal(dims, s.dims) {
		return fmt.Errorf("%s: examples of shape %v, and the model's are %v", what, dims, s.dims)
	}
	return nil
}

// NewSampler prepares sampling (Algorithm 2, or DDIM if cfg.DDIM) with model's weights in ctx. For a
// trained U-Net, sample with the EMA weights, as the paper does: LoadTrained's context holds them, and
// EMAContext gives them from a training context.
func NewSampler(backend backends.Backend, ctx *context.Context, sched *Schedule, model EpsModel, cfg SamplerConfig) (*Sampler, error) {
	if cfg.Guidance != 0 {
		return nil, fmt.Errorf("guidance weight %g: guidance needs a class-conditional model", cfg.Guidance)
	}
	if model == nil {
		return nil, fmt.Errorf("sampler: no model given")
	}
	return newSampler(backend, ctx, sched, model, nil, 0, cfg)
}

// NewConditionalSampler prepares sampling from a class-conditional model of numClasses classes,
// with classifier-free guidance when cfg.Guidance > 0: SampleOptions.Labels then gives each
// sample's class.
func NewConditionalSampler(backend backends.Backend, ctx *context.Context, sched *Schedule, cond ConditionalModel, numClasses int, cfg SamplerConfig) (*Sampler, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("conditional sampler: %d classes, want at least 1", numClasses)
	}
	return newSampler(backend, ctx, sched, cond.Unconditional(), cond, numClasses, cfg)
}

func newSampler(backend backends.Backend, ctx *context.Context, sched *Schedule, model EpsModel, cond ConditionalModel, numClasses int, cfg SamplerConfig) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Missing pieces fail here, not inside the first Sample (a nil schedule was accepted, then
	// panicked; ninth probe).
	if backend == nil || ctx == nil || sched == nil {
		return nil, fmt.Errorf("sampler: the backend, the context and the schedule are all needed (one is nil)")
	}
	if err := sched.Check(); err != nil {
		return nil, fmt.Errorf("sampler: %w", err)
	}
	if err := sched.CheckChainStart(); err != nil {
		return nil, fmt.Errorf("sampler of %s: %w", sched.Name, err)
	}
	if cond != nil { // the sampler reuses ctx's variables: the label table is there already
		if err := ContextWeights(ctx).checkClasses("conditional sampler of", numClasses); err != nil {
			return nil, err
		}
	}
	s := &Sampler{Schedule: sched, Model: model, Config: cfg, cond: cond, numClasses: numClasses, backend: backend, ctx: ctx.Reuse()}
	// The network (guided, or given the labels, for a conditional model) on the inputs that follow
	// x_t and t: z for the chain's steps, then the labels.
	network := func(in []*Node, labels int) EpsModel {
		switch {
		case cond != nil && cfg.Guidance == 0:
			return cond.Given(in[labels])
		case cond != nil:
			return cond.Guided(in[labels], numClasses, cfg.Guidance)
		}
		return model
	}
	if cfg.Solver != "" {
		if err := s.prepareSolver(network); err != nil {
			return nil, err
		}
		return s, nil
	}
	exec, err := context.NewExec(backend, s.ctx, func(ctx *context.Context, in []*Node) []*Node {
		xt, t, z := in[0], in[1], in[2]
		ctx.SetTraining(xt.Graph(), false) // no dropout
		out := network(in, 3)(ctx, xt, sched.ModelTime(t))
		var xPrev, x0Hat *Node
		if cfg.DDIM {
			xPrev, x0Hat = sched.DDIMStep(xt, t, out, z, cfg.Eta, cfg.ClipX0)
		} else {
			xPrev, x0Hat = sched.ReverseStep(xt, t, out, z, cfg)
		}
		return []*Node{xPrev, x0Hat}
	})
	if err != nil {
		return nil, err
	}
	if s.split, err = newBatchSplit(backend, cfg.Devices); err != nil {
		return nil, err
	}
	if s.split != nil {
		inputs := 3 // x_t, t, z, and the labels of a conditional model
		if cond != nil {
			inputs = 4
		}
		exec = s.split.prepare(exec, inputs, 2)
	}
	s.exec = exec
	return s, nil
}

// NumClasses is the number of classes of a conditional sampler's model, 0 for an unconditional one.
func (s *Sampler) NumClasses() int { return s.numClasses }

// SampleOptions control one call of Sample. Time steps (RecordX0At, RecordXtAt, StartT) count the
// sampler's schedule: on a respaced schedule they are its steps k = 1..K, not the model's t.
type SampleOptions struct {
	N          int    // number of samples
	Dims       []int  // shape of one sample, e.g. {28, 28, 1}
	Seed       uint64 // x_T and every z are drawn from this seed: the same seed gives the same samples
	RecordX0At []int  // time steps at which to keep x̂_0 (Figure 6)
	RecordXtAt []int  // time steps at which to keep x_t (before the step from t)
	// Start, when not nil, replaces x_T: the chain starts from these values at step StartT.
	Start  []float32
	StartT int
	// Progress, when not nil, is called after each step with the step just taken.
	Progress func(t int)
	// Stop, when not nil, is asked after each step: true abandons the chain, and Sample returns
	// ErrSampleStopped (training's grids, which a Ctrl-C waited for whole; fourteenth probe).
	Stop func() bool
	// Labels gives each sample's class for a conditional sampler (NumClasses means "no label");
	// nil asks for no label for all. An unconditional sampler refuses labels.
	Labels []int
	// Noise, when not nil, replaces the draws from Seed: it fills z with N(0, 1) values, first x_T
	// (not asked for when Start gives the chain's start), then each step's noise in the order the chain
	// uses it (to follow another implementation's chain with its very noise, as the parity tests do).
	Noise func(z []float32)
}

// sampleHostCopies bounds the arrays of N samples that Sample holds on the host at once, besides those
// it records: the start, the noise of a step, the result and their copies to and from the device.
const sampleHostCopies = 6

// ErrSampleStopped is returned by Sample when SampleOptions.Stop asked it to stop.
var ErrSampleStopped = errors.New("sampling stopped on request")

// SampleResult holds the samples x_0 and what was recorded along the chain, each [N, Dims...] flat.
type SampleResult struct {
	X0  []float32
	X0s map[int][]float32 // x̂_0 predicted at step t
	Xts map[int][]float32 // x_t at step t
}

// Sample draws x_T ~ N(0, I) (or starts from opts.Start) and runs the reverse chain down to x_0.
func (s *Sampler) Sample(opts SampleOptions) (*SampleResult, error) {
	whole := opts.N >= 1
	values := float64(opts.N)
	for _, d := range opts.Dims {
		whole = whole && d >= 1 // two negative sizes made a positive one, and GoMLX panicked (ninth probe)
		values *= float64(d)
	}
	if !whole {
		return nil, fmt.Errorf("sample: need N >= 1 samples of a non-empty shape, got N=%d, dims %v", opts.N, opts.Dims)
	}
	if err := s.checkDims("sample", opts.Dims); err != nil {
		return nil, err
	}
	// The chain's arrays on the host (x_t, its noise, the prediction and what is recorded), bounded
	// before any is made, in floating point, where the product of the sizes overflowed an int: a Go
	// fatal out-of-memory, which no caller can recover from, or a panic (thirty-second probe).
	recorded := float64(len(opts.RecordX0At) + len(opts.RecordXtAt))
	if err := CheckMemory(fmt.Sprintf("sample: N=%d samples of shape %v", opts.N, opts.Dims), 4*values*(sampleHostCopies+recorded)); err != nil {
		return nil, err
	}
	size := 1
	for _, d := range opts.Dims {
		size *= d
	}
	// Steps out of the chain were silently ignored (ninth probe).
	for _, rec := range []struct {
		name  string
		steps []int
	}{{"RecordX0At", opts.RecordX0At}, {"RecordXtAt", opts.RecordXtAt}} {
		for _, k := range rec.steps {
			if k < 1 || k > s.Steps() {
				return nil, fmt.Errorf("sample: %s step %d is not one of the sampler's steps 1..%d", rec.name, k, s.Steps())
			}
		}
	}
	if opts.Start == nil && opts.StartT != 0 {
		return nil, fmt.Errorf("sample: StartT %d without Start (the values to start from)", opts.StartT)
	}
	if err := CheckShardable("sample: N", opts.N, s.split.numDevices()); err != nil {
		return nil, err
	}
	var labels *tensors.Tensor
	switch {
	case s.cond == nil && opts.Labels != nil:
		return nil, fmt.Errorf("sample: class labels given to an unconditional model")
	case s.cond != nil && opts.Labels == nil && s.neverUnlabelled:
		return nil, fmt.Errorf("sample: the model was trained with p_uncond 0 and never saw \"no label\": it cannot draw without a class (give Labels)")
	case s.cond != nil && opts.Labels == nil:
		labels = tensors.FromFlatDataAndDimensions(slices.Repeat([]int32{int32(s.numClasses)}, opts.N), opts.N)
	case s.cond != nil:
		if len(opts.Labels) != opts.N {
			return nil, fmt.Errorf("sample: %d class labels for %d samples", len(opts.Labels), opts.N)
		}
		if err := CheckLabels(opts.Labels, s.numClasses); err != nil {
			return nil, fmt.Errorf("sample: %w", err)
		}
		// "No label" given as a label, as nil asks for it (fifty-first probe).
		if i := slices.Index(opts.Labels, s.numClasses); i >= 0 && s.neverUnlabelled {
			return nil, fmt.Errorf("sample: label %d (sample %d) is \"no label\", which the model, trained with p_uncond 0, never saw: give a class", s.numClasses, i)
		}
		y := make([]int32, opts.N)
		for i, c := range opts.Labels {
			y[i] = int32(c)
		}
		labels = tensors.FromFlatDataAndDimensions(y, opts.N)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	// Noise that is no number is named as such: the whole chain ran, and the model was blamed
	// (forty-sixth probe).
	var noiseErr error
	fill := func(z []float32) {
		if opts.Noise != nil {
			opts.Noise(z)
			if i, v := firstNotFinite(z); i >= 0 && noiseErr == nil {
				noiseErr = fmt.Errorf("sample: the noise that opts.Noise gave holds %v (at %d)", v, i)
			}
			return
		}
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
	}
	normal := func() []float32 {
		z := make([]float32, opts.N*size)
		fill(z)
		return z
	}
	if s.path != nil {
		if opts.Start != nil {
			return nil, fmt.Errorf("sample: the %s sampler starts from x_T only (a start at step %d is for ancestral sampling and DDIM)", s.Config.Solver, opts.StartT)
		}
		res, err := s.solve(opts, normal(), labels, fill)
		if noiseErr != nil {
			return nil, noiseErr
		}
		return res, err
	}
	dims := append([]int{opts.N}, opts.Dims...)
	startT := s.Schedule.T
	var x *tensors.Tensor
	if opts.Start != nil {
		if len(opts.Start) != opts.N*size {
			return nil, fmt.Errorf("sample: the start has %d values, want %d", len(opts.Start), opts.N*size)
		}
		if i, v := firstNotFinite(opts.Start); i >= 0 { // the whole chain ran, and the model was blamed (forty-sixth probe)
			return nil, fmt.Errorf("sample: the start (Start) holds %v at %d", v, i)
		}
		if err := s.Schedule.CheckStep(opts.StartT); err != nil {
			return nil, fmt.Errorf("sample: start step: %w", err)
		}
		startT = opts.StartT
		// A step above the start is never reached: it was dropped without a word (thirty-sixth probe's nit).
		for name, steps := range map[string][]int{"RecordX0At": opts.RecordX0At, "RecordXtAt": opts.RecordXtAt} {
			for _, t := range steps {
				if t > startT {
					return nil, fmt.Errorf("sample: %s step %d comes before the chain's start at step StartT=%d, so is never reached", name, t, startT)
				}
			}
		}
		x = tensors.FromFlatDataAndDimensions(slices.Clone(opts.Start), dims...)
	} else {
		x = tensors.FromFlatDataAndDimensions(normal(), dims...)
	}
	res := &SampleResult{X0s: map[int][]float32{}, Xts: map[int][]float32{}}
	for t := startT; t >= 1; t-- {
		if slices.Contains(opts.RecordXtAt, t) {
			res.Xts[t] = tensors.MustCopyFlatData[float32](x)
		}
		in := []*tensors.Tensor{x, StepTensor(opts.N, t), tensors.FromFlatDataAndDimensions(normal(), dims...)}
		if noiseErr != nil {
			return nil, noiseErr
		}
		if labels != nil {
			in = append(in, labels)
		}
		out, err := s.step(in)
		if err != nil {
			return nil, fmt.Errorf("sample: step t=%d: %w", t, err)
		}
		x = out[0]
		if slices.Contains(opts.RecordX0At, t) {
			res.X0s[t] = tensors.MustCopyFlatData[float32](out[1])
		}
		out[1].FinalizeAll()
		if opts.Progress != nil {
			opts.Progress(t)
		}
		if opts.Stop != nil && opts.Stop() {
			return nil, ErrSampleStopped
		}
	}
	res.X0 = tensors.MustCopyFlatData[float32](x)
	if noiseErr != nil {
		return nil, noiseErr
	}
	if err := checkFinite(res.X0); err != nil { // NaN became black pixels, exit 0 (eighth probe)
		return nil, fmt.Errorf("sample: after %d steps: %w", startT, err)
	}
	return res, nil
}

// step runs one step of the chain, on one device or split over the sampler's devices.
func (s *Sampler) step(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if s.split != nil {
		return s.split.run(s.exec, in)
	}
	args := make([]any, len(in))
	for i, t := range in {
		args[i] = t
	}
	return s.exec.Exec(args...)
}
