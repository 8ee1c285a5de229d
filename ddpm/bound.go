package ddpm

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// BoundEvaluator computes the variational bound on −log p_θ(x_0) in bits/dim, term by term, for
// images on the 8-bit grid of [−1, 1]: one model evaluation per image and step, as in the paper's
// code (calc_bpd_loop), with a fresh x_t ~ q(x_t | x_0) for each term.
type BoundEvaluator struct {
	Schedule *Schedule
	Config   SamplerConfig
	term     *context.Exec
	prior    *Exec
	split    *batchSplit // the devices a batch is split over (Config.Devices), nil for one
	dims     []int       // the shape of the model's images where it is known (Trained.NewBoundEvaluator), or nil
}

// NewBoundEvaluator prepares the graphs with model's weights in ctx (the EMA weights of a trained
// model). cfg chooses σ_t² and whether μ_θ uses the clipped x̂_0, as for sampling.
func NewBoundEvaluator(backend backends.Backend, ctx *context.Context, sched *Schedule, model EpsModel, cfg SamplerConfig) (*BoundEvaluator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The bound is the ancestral chain's, of σ_t² = cfg.Variance: DDIM and the ODE solvers have no
	// such terms, and were given those of σ² = β_t without a word (forty-eighth sweep).
	if cfg.DDIM || cfg.Solver != "" {
		return nil, fmt.Errorf("bound: the bound is the ancestral chain's, with a variance (%q, %q or %q); DDIM and the ODE solvers have none",
			VarianceBeta, VariancePosterior, VarianceLearned)
	}
	if cfg.Guidance != 0 { // taken, and left unused (fifty-first probe)
		return nil, fmt.Errorf("bound: guidance %g: the bound is of the model given no label, unguided", cfg.Guidance)
	}
	if backend == nil || ctx == nil || model == nil {
		return nil, errors.New("bound: the backend, the context and the model are all needed (one is nil)")
	}
	if err := sched.Check(); err != nil { // a zero Schedule panicked in Evaluate (thirty-second probe)
		return nil, fmt.Errorf("bound: %w", err)
	}
	e := &BoundEvaluator{Schedule: sched, Config: cfg}
	term, err := context.NewExec(backend, ctx.Reuse(), func(ctx *context.Context, x0, t, noise *Node) (*Node, *Node) {
		ctx.SetTraining(x0.Graph(), false)
		xt := sched.QSample(x0, t, noise)
		bits, x0Hat := sched.TermBitsPerDim(x0, xt, t, model(ctx, xt, sched.ModelTime(t)), cfg)
		diff := Sub(x0Hat, x0)
		axes := make([]int, x0.Rank()-1)
		for i := range axes {
			axes[i] = i + 1
		}
		return bits, ReduceMean(Mul(diff, diff), axes...)
	})
	if err != nil {
		return nil, err
	}
	if e.split, err = newBatchSplit(backend, cfg.Devices); err != nil {
		return nil, err
	}
	if e.split != nil {
		term = e.split.prepare(term, 3, 2)
	}
	e.term = term
	e.prior, err = NewExec(backend, sched.PriorBitsPerDim)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// BoundOptions control one call of Evaluate.
type BoundOptions struct {
	Dims      []int  // shape of one image, e.g. {28, 28, 1}
	BatchSize int    // images per model evaluation (0: 100)
	Seed      uint64 // the noise of every x_t is drawn from this seed, batch by batch: another BatchSize draws other noise (a bound within its error)
	// Progress, when not nil, is called after each model evaluation with the evaluations done and
	// the total (images/batch × T).
	Progress func(done, total int)
}

// BoundResult is the bound over a set of images. Slices indexed by t have length T+1 (index 0
// unused): Terms[1] is the decoder term L_0 and Terms[t] for t ≥ 2 is L_{t−1}.
type BoundResult struct {
	N        int       // number of images
	Total    float64   // mean bound in bits/dim: Prior + Σ_t Terms[t]
	StdErr   float64   // standard error of Total over the images
	Prior    float64   // mean L_T in bits/dim
	Terms    []float64 // mean term at step t, bits/dim
	PerImage []float64 // the bound of each image, bits/dim
	// MSE[t] is the mean squared error of x̂_0 predicted from x_t, on the [−1, 1] scale.
	MSE []float64
}

// Decoder is L_0 = −log p_θ(x_0 | x_1) in bits/dim.
func (r *BoundResult) Decoder() float64 {
	if len(r.Terms) < 2 { // a BoundResult that Evaluate did not make (it panicked; forty-third probe's nit)
		return math.NaN()
	}
	return r.Terms[1]
}

// Rate returns, for each t, the bits/dim sent by the time x_t is known in the paper's
// progressive coding (section 4.3): L_T + Σ_{s=t+1..T} L_{s−1}. Rate[0] is the whole bound.
func (r *BoundResult) Rate() []float64 {
	if len(r.Terms) < 1 {
		return nil
	}
	T := len(r.Terms) - 1
	rate := make([]float64, T+1)
	sum := r.Prior
	for t := T; t >= 1; t-- {
		rate[t] = sum
		sum += r.Terms[t]
	}
	rate[0] = sum
	return rate
}

// DistortionRMSE returns, for each t, the root mean squared error of x̂_0(x_t) in the units of
// 8-bit pixels (0..255), as in the paper's Figure 5.
func (r *BoundResult) DistortionRMSE() []float64 {
	out := make([]float64, len(r.MSE))
	for t, m := range r.MSE {
		out[t] = math.Sqrt(m) * 127.5
	}
	return out
}

// Evaluate computes the bound for the images, given flat as [N, Dims...] on the 8-bit grid of
// [−1, 1] (as data.MNIST.Scaled returns them).
func (e *BoundEvaluator) Evaluate(images []float32, opts BoundOptions) (*BoundResult, error) {
	size := 1
	for _, d := range opts.Dims {
		if d < 1 { // two negative sizes made a positive one
			size = 0
		}
		size *= d
	}
	if size < 1 || len(images) == 0 || len(images)%size != 0 {
		return nil, fmt.Errorf("bound: %d values do not hold whole images of shape %v", len(images), opts.Dims)
	}
	// Another shape than the model's failed inside the network, after its graph was built, and a negative
	// batch was taken for the default (forty-fifth probe's nits).
	if e.dims != nil && !slices.Equal(opts.Dims, e.dims) {
		return nil, fmt.Errorf("bound: images of shape %v, and the model's are %v", opts.Dims, e.dims)
	}
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("bound: batch size %d, want 0 (for 100) or more", opts.BatchSize)
	}
	if err := checkOnGrid(images); err != nil {
		return nil, err
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = 100
	}
	n := len(images) / size
	batch = min(batch, max(n, 1)) // a batch beyond the images is all of them (n + batch overflowed for the largest int)
	if d := e.split.numDevices(); d > 1 {
		if err := CheckShardable("bound: images per batch", min(batch, n), d); err != nil {
			return nil, err
		}
		if last := n % batch; n > batch && last != 0 {
			if err := CheckShardable("a last batch of", last, d); err != nil {
				return nil, fmt.Errorf("bound: %d images in batches of %d: %w", n, batch, err)
			}
		}
	}
	T := e.Schedule.T
	res := &BoundResult{N: n, Terms: make([]float64, T+1), MSE: make([]float64, T+1), PerImage: make([]float64, n)}
	rng := rand.New(rand.NewPCG(opts.Seed, 0xb0)) // #nosec G404 -- reproducible noise, not crypto
	batches := (n + batch - 1) / batch
	done := 0
	for b := 0; b < batches; b++ {
		i0, i1 := b*batch, min((b+1)*batch, n)
		bn := i1 - i0
		dims := append([]int{bn}, opts.Dims...)
		x0 := tensors.FromFlatDataAndDimensions(images[i0*size:i1*size], dims...)
		prior := tensors.MustCopyFlatData[float32](e.prior.MustExec(x0)[0])
		for i, p := range prior {
			res.Prior += float64(p) / float64(n)
			res.PerImage[i0+i] += float64(p)
		}
		noise := make([]float32, bn*size)
		for t := 1; t <= T; t++ {
			for i := range noise {
				noise[i] = float32(rng.NormFloat64())
			}
			bits, mse, err := e.term1(x0, t, tensors.FromFlatDataAndDimensions(noise, dims...))
			if err != nil {
				return nil, err
			}
			for i := range bits {
				res.Terms[t] += float64(bits[i]) / float64(n)
				res.MSE[t] += float64(mse[i]) / float64(n)
				res.PerImage[i0+i] += float64(bits[i])
			}
			done++
			if opts.Progress != nil {
				opts.Progress(done, batches*T)
			}
		}
	}
	res.Total, res.StdErr = meanStdErr(res.PerImage)
	return res, nil
}

// Term evaluates the bound's term at step t for a batch of images x0 [n, Dims...], with x_t drawn
// from q(x_t | x_0) with the given noise: bits/dim and the mean squared error of x̂_0, per image. x0
// is 8-bit data scaled to [−1, 1], as Evaluate's, and noise is finite and of x0's shape: one scalar
// was taken as every image's noise, a NaN gave a NaN term, and data off the grid a number, all without
// an error (fifty-sixth probe).
func (e *BoundEvaluator) Term(x0 *tensors.Tensor, t int, noise *tensors.Tensor) (bits, mse []float32, _ error) {
	if err := e.Schedule.CheckStep(t); err != nil {
		return nil, nil, fmt.Errorf("bound: %w", err)
	}
	if x0 == nil || noise == nil || x0.Shape().Rank() < 1 {
		return nil, nil, errors.New("bound: x0 and noise are needed, as a batch")
	}
	if x0.DType() != dtypes.Float32 || !noise.Shape().Equal(x0.Shape()) {
		return nil, nil, fmt.Errorf("bound: x0 %s and noise %s: both float32, of one shape", x0.Shape(), noise.Shape())
	}
	var bad error
	err := tensors.ConstFlatData(x0, func(flat []float32) { bad = checkOnGrid(flat) })
	if err == nil && bad == nil {
		err = tensors.ConstFlatData(noise, func(flat []float32) {
			if i, v := firstNotFinite(flat); i >= 0 {
				bad = fmt.Errorf("bound: the noise holds %v (at %d)", v, i)
			}
		})
	}
	if err = cmp.Or(err, bad); err != nil {
		return nil, nil, err
	}
	return e.term1(x0, t, noise)
}

// term1 is Term on inputs already checked (Evaluate's).
func (e *BoundEvaluator) term1(x0 *tensors.Tensor, t int, noise *tensors.Tensor) (bits, mse []float32, _ error) {
	if err := e.Schedule.CheckStep(t); err != nil { // numbers, or NaN, with no error (thirty-third probe)
		return nil, nil, fmt.Errorf("bound: %w", err)
	}
	if x0 == nil || noise == nil || x0.Shape().Rank() < 1 {
		return nil, nil, errors.New("bound: x0 and noise are needed, as a batch")
	}
	in := []*tensors.Tensor{x0, StepTensor(x0.Shape().Dimensions[0], t), noise}
	var out []*tensors.Tensor
	var err error
	if e.split != nil {
		out, err = e.split.run(e.term, in)
	} else {
		out, err = e.term.Exec(in[0], in[1], in[2])
	}
	if err != nil {
		return nil, nil, fmt.Errorf("bound: step t=%d: %w", t, err)
	}
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), nil
}

// checkOnGrid refuses data that is not 8-bit data scaled to [−1, 1]: the discretized decoder
// only gives a likelihood for values on that grid.
func checkOnGrid(x []float32) error {
	for i, v := range x {
		k := (float64(v) + 1) * 127.5
		if !(k >= -1e-3 && k <= 255+1e-3 && math.Abs(k-math.Round(k)) <= 1e-3) { // NaN too (it passed: ninth probe)
			return fmt.Errorf("bound: value %d is %g, not on the 8-bit grid of [-1, 1] (k/127.5 - 1)", i, v)
		}
	}
	return nil
}

func meanStdErr(x []float64) (mean, stdErr float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}

// BoundSums accumulates the bound over parts of a data set evaluated separately (for example, a
// long evaluation that saves its progress after each batch and resumes). It encodes to JSON.
type BoundSums struct {
	N        int       `json:"n"`
	Prior    float64   `json:"prior_sum"`
	Terms    []float64 `json:"term_sums"`
	MSE      []float64 `json:"mse_sums"`
	PerImage []float64 `json:"per_image"`
}

// Add adds the result of evaluating more images, of the same chain as those added before: results of
// another T were mixed, a term averaged over images that had none, and a longer one panicked; PerImage
// of another length than N was taken (forty-sixth probe).
//
// The sums themselves are checked first, as read back from JSON to resume: sums of another length than
// their PerImage panicked, and a count that was not PerImage's gave a Result whose Total was not its
// Prior plus its Terms (fifty-sixth probe).
func (s *BoundSums) Add(r *BoundResult) error {
	if err := s.Check(); err != nil {
		return err
	}
	switch {
	case r == nil || r.N < 1 || len(r.PerImage) != r.N || len(r.MSE) != len(r.Terms) || len(r.Terms) < 2:
		return errors.New("bound sums: a result that Evaluate did not make (no images, or tables of other lengths)")
	case !sumsAgree(sumOf(r.PerImage), float64(r.N)*r.Prior, r.Terms, float64(r.N)):
		return fmt.Errorf("bound sums: a result whose per-image bits are not its Prior plus its Terms (Total %g)", r.Total)
	case s.Terms != nil && len(r.Terms) != len(s.Terms):
		return fmt.Errorf("bound sums: a result over %d steps added to sums over %d", len(r.Terms)-1, len(s.Terms)-1)
	}
	if s.Terms == nil {
		s.Terms, s.MSE = make([]float64, len(r.Terms)), make([]float64, len(r.MSE))
	}
	w := float64(r.N)
	s.N += r.N
	s.Prior += w * r.Prior
	for t := range r.Terms {
		s.Terms[t] += w * r.Terms[t]
		s.MSE[t] += w * r.MSE[t]
	}
	s.PerImage = append(s.PerImage, r.PerImage...)
	return nil
}

// Check refuses sums that no Add made: a count that is not PerImage's, tables of two lengths, or a
// total of PerImage that is not the Prior's and the Terms' (each image's bits are its prior and terms).
func (s *BoundSums) Check() error {
	switch {
	case s == nil:
		return errors.New("bound sums: none (nil)")
	case s.N < 0 || len(s.PerImage) != s.N:
		return fmt.Errorf("bound sums: a count of %d images and %d per-image values", s.N, len(s.PerImage))
	case len(s.MSE) != len(s.Terms) || (s.N > 0 && len(s.Terms) < 2) || (s.N == 0 && (len(s.Terms) != 0 || s.Prior != 0)):
		return fmt.Errorf("bound sums: %d term sums and %d MSE sums for %d images", len(s.Terms), len(s.MSE), s.N)
	}
	if total := sumOf(s.PerImage); !sumsAgree(total, s.Prior, s.Terms, 1) {
		return fmt.Errorf("bound sums: the %d images' bounds sum to %g bits/dim, and the prior and the terms to %g, where sums of one evaluation have them equal",
			s.N, total, s.Prior+sumOf(s.Terms))
	}
	return nil
}

// sumOf is the sum of xs.
func sumOf(xs []float64) float64 {
	total := 0.0
	for _, x := range xs {
		total += x
	}
	return total
}

// sumsAgree says whether total equals prior + w·Σ terms, to rounding.
func sumsAgree(total, prior float64, terms []float64, w float64) bool {
	sum, scale := prior, math.Abs(prior)+math.Abs(total)
	for _, t := range terms {
		sum += w * t
		scale += math.Abs(w * t)
	}
	return math.Abs(total-sum) <= 1e-6*scale+1e-9 // also false for a NaN
}

// Result returns the bound over all the images added.
func (s *BoundSums) Result() *BoundResult {
	n := float64(s.N)
	r := &BoundResult{N: s.N, Prior: s.Prior / n, Terms: make([]float64, len(s.Terms)), MSE: make([]float64, len(s.MSE)), PerImage: s.PerImage}
	for t := range s.Terms {
		r.Terms[t], r.MSE[t] = s.Terms[t]/n, s.MSE[t]/n
	}
	r.Total, r.StdErr = meanStdErr(s.PerImage)
	return r
}
