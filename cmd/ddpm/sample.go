package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/viz"
)

func runSample(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "runs/mnist", "checkpoint file, or folder (its newest checkpoint)")
	n := fs.Int("n", 64, "number of samples")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same samples")
	variance := fs.String("variance", ddpm.VarianceBeta, "σ_t²: beta (β_t) or posterior (β̃_t)")
	clip := fs.Bool("clip", true, "clip the predicted x̂_0 to [-1, 1] at each step")
	method := fs.String("sampler", "ancestral", "ancestral (the paper's Algorithm 2) or ddim (Song et al. 2021)")
	stepsSpec := fs.String("steps", "", "sampling steps: K (K evenly spaced steps of the model's T), ddimK (every T/K-th), or a list 1,10,...; empty: all T")
	eta := fs.Float64("eta", 0, "DDIM's η in [0, 1]: 0 deterministic, 1 the posterior variance (with --sampler ddim)")
	out := fs.String("out", "samples.png", "output PNG: an image grid (images) or a scatter plot (2-D points)")
	cols := fs.Int("cols", 0, "images per row of the grid (0: about square)")
	progressive := fs.String("progressive", "", "also write the progressive x̂_0 predictions (the paper's Figure 6) to this PNG")
	var at intList = []int{1000, 900, 800, 700, 600, 500, 400, 300, 200, 100, 50, 1}
	fs.Var(&at, "progressive-t", "time steps shown by --progressive, comma-separated")
	progressN := fs.Int("progressive-n", 8, "rows (samples) in the --progressive figure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("--n %d: need at least one sample", *n)
	}
	tr, err := ddpm.LoadTrained(*ckpt)
	if err != nil {
		return err
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	if *method != "ancestral" && *method != "ddim" {
		return fmt.Errorf("--sampler %q: valid samplers are ancestral and ddim", *method)
	}
	steps, err := ddpm.ParseSteps(*stepsSpec, tr.Schedule.T)
	if err != nil {
		return fmt.Errorf("--steps: %w", err)
	}
	sched := tr.Schedule
	if len(steps) != sched.T {
		if sched, err = sched.Respace(steps); err != nil {
			return fmt.Errorf("--steps: %w", err)
		}
	}
	cfg := ddpm.SamplerConfig{Variance: *variance, ClipX0: *clip, DDIM: *method == "ddim", Eta: *eta}
	sampler, err := ddpm.NewSampler(backend, tr.Ctx, sched, tr.Model, cfg)
	if err != nil {
		return fmt.Errorf("--variance, --sampler, --eta: %w", err)
	}
	// --progressive-t names the model's time steps; on fewer steps each is shown at the nearest kept one.
	var record []int
	recordAt := map[int]int{} // model time step → sampler step
	if *progressive != "" {
		for _, t := range at {
			if err := tr.Schedule.CheckStep(t); err != nil {
				return fmt.Errorf("--progressive-t: %w", err)
			}
			k := nearestStep(sched, t)
			recordAt[t] = k
			record = append(record, k)
		}
	}
	start := time.Now()
	res, err := sampler.Sample(ddpm.SampleOptions{N: *n, Dims: tr.Spec.Dims, Seed: *seed, RecordX0At: record,
		Progress: func(k int) {
			if k%50 == 0 || k == 1 {
				fmt.Fprintf(os.Stderr, "\rsampling: t=%4d  (%s)", sched.ModelStep(k), time.Since(start).Round(time.Second))
			}
		}})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	byModelStep := map[int][]float32{}
	for t, k := range recordAt {
		byModelStep[t] = res.X0s[k]
	}
	res.X0s = byModelStep
	elapsed := time.Since(start)
	if len(tr.Spec.Dims) == 1 {
		err = writeScatter(*out, res.X0, tr.Spec.Dims[0])
	} else {
		err = ddpm.WriteImageGridPNG(*out, res.X0, *n, tr.Spec.Dims, *cols)
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d samples from %s (step %d), %s sampler, %d steps, in %s (%.1f images/s): %s\n", *n, tr.Path, tr.Step,
		*method, sched.T, elapsed.Round(time.Millisecond), float64(*n)/elapsed.Seconds(), *out)
	if *progressive != "" {
		if err := writeProgressive(*progressive, res, at, min(*progressN, *n), tr.Spec.Dims); err != nil {
			return err
		}
		fmt.Printf("progressive x̂_0 at t=%v: %s\n", []int(at), *progressive)
	}
	return nil
}

// nearestStep is the step of sched (possibly respaced) whose model time step is nearest to t.
func nearestStep(sched *ddpm.Schedule, t int) int {
	best := 1
	for k := 1; k <= sched.T; k++ {
		if abs(sched.ModelStep(k)-t) < abs(sched.ModelStep(best)-t) {
			best = k
		}
	}
	return best
}

func abs(x int) int { return max(x, -x) }

// writeProgressive lays out, for each of the first rows samples, x̂_0 at each recorded step
// followed by the final sample: the paper's Figure 6.
func writeProgressive(path string, res *ddpm.SampleResult, at []int, rows int, dims []int) error {
	size := dims[0] * dims[1] * dims[2]
	var pixels []float32
	var captions []string
	for r := 0; r < rows; r++ {
		for _, t := range at {
			pixels = append(pixels, res.X0s[t][r*size:(r+1)*size]...)
			captions = append(captions, fmt.Sprintf("t=%d", t))
		}
		pixels = append(pixels, res.X0[r*size:(r+1)*size]...)
		captions = append(captions, "x_0")
	}
	png, err := viz.Grid{Pixels: pixels, N: len(captions), Height: dims[0], Width: dims[1], Channels: dims[2],
		Cols: len(at) + 1, Scale: 2, Captions: captions}.PNG()
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

func writeScatter(path string, points []float32, dim int) error {
	if dim != 2 {
		return fmt.Errorf("can only plot 2-D points, these have %d dimensions", dim)
	}
	xs, ys := make([]float64, len(points)/2), make([]float64, len(points)/2)
	for i := range xs {
		xs[i], ys[i] = float64(points[2*i]), float64(points[2*i+1])
	}
	png, err := viz.Plot{Title: "samples", Width: 400, Height: 400, Series: []viz.Series{{X: xs, Y: ys, Scatter: true}}}.PNG()
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

func writeFile(path string, content []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return ddpm.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(content); return err })
}
