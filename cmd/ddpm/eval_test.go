package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"codeberg.org/sbinet/npyio/npy"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/fulldisk"
	"github.com/learn-ddpm/ddpm-go/quality"
)

// The shipped model and classifier, evaluated on a handful of images: the bound resumes after an
// interruption, the FID runs end to end, the figures are written, and the errors name the flag.
func TestEvalAndInterpolateShippedModel(t *testing.T) {
	const model, classifier = "../../models/mnist-ema.ddpm", "../../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	work, out := filepath.Join(dir, "work"), filepath.Join(dir, "out")
	base := []string{"--ckpt", model, "--classifier", classifier, "--work", work, "--out", out}
	if err := runEval(append(base, "--nll", "2", "--nll-batch", "2", "--fid", "0")); err != nil {
		t.Fatal(err)
	}
	// Asking for more images continues after the two already done.
	readProgress := func() boundProgress {
		var p boundProgress
		if raw, err := os.ReadFile(filepath.Join(work, "nll-progress.json")); err != nil || json.Unmarshal(raw, &p) != nil {
			t.Fatalf("nll-progress.json: %v", err)
		}
		return p
	}
	if err := runEval(append(base, "--nll", "4", "--nll-batch", "2", "--fid", "3", "--fid-batch", "3")); err != nil {
		t.Fatal(err)
	}
	// evalOutputs, which eval checks before any work, names every file it writes into --out, beside
	// the lock it takes there.
	var written []string
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if e.Name() != ddpm.LockFileName {
			written = append(written, e.Name())
		}
	}
	if want := slices.Sorted(slices.Values(evalOutputs(true, true))); !slices.Equal(written, want) {
		t.Errorf("eval wrote %v into --out; evalOutputs lists %v", written, want)
	}
	progress := readProgress()
	if progress.Sums.N != 4 || len(progress.Sums.PerImage) != 4 {
		t.Errorf("after resuming to 4 images the progress holds %d (%d per-image bounds)", progress.Sums.N, len(progress.Sums.PerImage))
	}
	if !(progress.Seconds > 0) {
		t.Errorf("the progress records %v seconds of evaluation", progress.Seconds)
	}
	var report evalReport
	raw, err := os.ReadFile(filepath.Join(out, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	if report.NLL == nil || report.NLL.Images != 4 || !(report.NLL.BitsPerDim > 0.3 && report.NLL.BitsPerDim < 8) {
		t.Errorf("NLL report %+v: want 4 images and a bound between 0.3 and 8 bits/dim", report.NLL)
	}
	if report.FID == nil || report.FID.Samples != 3 || !(report.FID.ClassifierFID > 0) || !(report.FID.ClassifierFIDStdErr > 0) {
		t.Errorf("FID report %+v: want 3 samples, a positive FID and its standard error", report.FID)
	}
	// A later bound-only run keeps the FID of the report.
	if err := runEval(append(base, "--nll", "4", "--nll-batch", "2", "--fid", "0")); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(filepath.Join(out, "eval.json"))
	var again evalReport
	if err := json.Unmarshal(raw, &again); err != nil || again.FID == nil || report.FID == nil || again.FID.ClassifierFID != report.FID.ClassifierFID {
		t.Errorf("a bound-only run lost the report's FID: %+v (err %v)", again.FID, err)
	}
	for _, name := range []string{"fig5-rate.png", "fig5-distortion.png", "fig5-rate-distortion.png", "fid-samples.png"} {
		checkPNG(t, filepath.Join(out, name))
	}
	csv, _ := os.ReadFile(filepath.Join(out, "nll-terms.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != 1001 {
		t.Errorf("nll-terms.csv has %d lines, want a header and 1000 steps", lines)
	}
	if report.NLL != nil && again.NLL != nil && again.NLL.Seconds != report.NLL.Seconds {
		t.Errorf("a run with nothing left to evaluate reports %v s, want the %v s the earlier runs took", again.NLL.Seconds, report.NLL.Seconds)
	}
	perImage, _ := os.ReadFile(filepath.Join(out, "nll-per-image.csv"))
	if lines := strings.Split(strings.TrimSpace(string(perImage)), "\n"); len(lines) != 5 || lines[0] != "test_index,bits_per_dim" || !strings.HasPrefix(lines[4], "3,") {
		t.Errorf("nll-per-image.csv: %q, want a header and images 0–3", lines)
	}

	fig8 := filepath.Join(dir, "fig8.png")
	if err := runInterpolate([]string{"--ckpt", model, "--pairs", "1", "--lambdas", "3", "--t", "50", "--ddim", "20", "--out", fig8}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, fig8)

	if err := runEval(append(base, "--nll", "0", "--fid", "0")); err == nil || !strings.Contains(err.Error(), "nothing to evaluate") {
		t.Errorf("--nll 0 --fid 0: error %v", err)
	}
	if err := runEval([]string{"--ckpt", model, "--nll", "0", "--fid", "2", "--classifier", model, "--work", work, "--out", out}); err == nil ||
		!strings.Contains(err.Error(), "--classifier") {
		t.Errorf("a diffusion model given as --classifier: error %v", err)
	}
	if err := runInterpolate([]string{"--ckpt", model, "--t", "500,500", "--out", fig8}); err == nil || !strings.Contains(err.Error(), "--t 500,500") {
		t.Errorf("interpolate --t 500,500: error %v, want a refusal of the repeated step", err)
	}
	if err := runInterpolate([]string{"--ckpt", model, "--t", "2000", "--out", fig8}); err == nil || !strings.Contains(err.Error(), "--t") {
		t.Errorf("--t 2000: error %v", err)
	}
	// The evaluation resumes on another number of devices (each batch split over 2), and names a
	// batch that does not split.
	if err := runEval(append(base, "--nll", "6", "--nll-batch", "2", "--fid", "0", "--devices", "2")); err != nil {
		t.Fatalf("resuming the bound on 2 devices: %v", err)
	}
	if err := runEval(append(base, "--nll", "6", "--nll-batch", "3", "--fid", "0", "--devices", "2")); err == nil ||
		!strings.Contains(err.Error(), "--nll-batch 3 cannot be split evenly over 2 devices: the nearest multiples of 2 are 2 and 4") {
		t.Errorf("--nll-batch 3 on 2 devices: error %v", err)
	}
	// A --fid that fits one batch is named by itself (it was named as a --fid-batch 3 never given), and
	// refused before --work holds a store of its samples (the store's header was written first).
	if err := runEval(append(base, "--nll", "0", "--fid", "3", "--seed", "7", "--devices", "2")); err == nil ||
		!strings.Contains(err.Error(), "--fid 3 in one batch of 3 cannot be split evenly over 2 devices") {
		t.Errorf("--fid 3 on 2 devices: error %v", err)
	}
	if stores, _ := filepath.Glob(filepath.Join(work, "*seed7*")); len(stores) > 0 {
		t.Errorf("a refused --fid on 2 devices left %v in --work", stores)
	}
	// Progress belongs to the weights, not the file's name: the same checkpoint copied elsewhere (as
	// into models/ when it is shipped) resumes both the bound and the samples, redoing neither.
	before := readProgress()
	weights, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(dir, "shipped.ddpm")
	if err := os.WriteFile(moved, weights, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--ckpt", moved, "--classifier", classifier, "--work", work, "--out", out,
		"--nll", "6", "--nll-batch", "2", "--fid", "3", "--fid-batch", "3"}); err != nil {
		t.Fatalf("the same weights under another name: %v", err)
	}
	if after := readProgress(); after.Sums.N != 6 || after.Seconds != before.Seconds {
		t.Errorf("the copied checkpoint redid the bound: %d images in %v s, before %d in %v s", after.Sums.N, after.Seconds, before.Sums.N, before.Seconds)
	}
	// Fewer images than the progress holds is refused with both numbers (it reported the bound of all 6
	// as if of 2), and an edited progress file is named, not trusted (it could panic).
	bound := append(base, "--nll-batch", "2", "--fid", "0")
	if err := runEval(append(bound, "--nll", "2")); err == nil || !strings.Contains(err.Error(), "--nll 2") ||
		!strings.Contains(err.Error(), "first 6 test images") {
		t.Errorf("--nll 2 after 6: error %v, want a refusal naming --nll 2 and the 6 images held", err)
	}
	progressPath := filepath.Join(work, "nll-progress.json")
	for _, edit := range []func(p *boundProgress){
		func(p *boundProgress) { p.Sums.PerImage = p.Sums.PerImage[:3] },
		func(p *boundProgress) { p.Sums.Terms = p.Sums.Terms[:5] },
		func(p *boundProgress) { p.Sums.N = -4 },
		// Finite values whose sums overflow: the report failed after its tables (fourteenth probe).
		func(p *boundProgress) { p.Sums.PerImage[0] = 1e308 },
		func(p *boundProgress) { p.Sums.Terms[1] = -1e300 },
		// Negative values: a bound of −8 bits/dim was reported, exit 0 (seventeenth probe).
		func(p *boundProgress) { p.Sums.PerImage[0] = -7 },
		func(p *boundProgress) { p.Sums.MSE[2] = -1 },
		func(p *boundProgress) { p.Seconds = -100 },
		// A term edited: refused after the next batch's work, without the file's name (sixty-fifth probe).
		func(p *boundProgress) { p.Sums.Terms[500] += 50 },
	} {
		p := readProgress()
		edit(&p)
		raw, _ := json.Marshal(p)
		if err := os.WriteFile(progressPath, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := runEval(append(bound, "--nll", "8")); err == nil || !strings.Contains(err.Error(), progressPath) ||
			!strings.Contains(err.Error(), "start the bound afresh") {
			t.Errorf("an edited progress file: error %v, want one naming it and how to start afresh", err)
		}
		p.Sums, p.Seconds = before.Sums, before.Seconds // restored for the next edit
		raw, _ = json.Marshal(p)
		os.WriteFile(progressPath, raw, 0o644) //nolint:errcheck
	}
	// And a finished bound's file, edited so: reported, the bound beside parts that summed to more,
	// exit 0 (sixty-fifth probe).
	p := readProgress()
	p.Sums.Terms[500] += 50
	raw, _ = json.Marshal(p)
	if err := os.WriteFile(progressPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runEval(append(bound, "--nll", "6")); err == nil || !strings.Contains(err.Error(), progressPath) || !strings.Contains(err.Error(), "bounds sum to") {
		t.Errorf("a finished progress file whose term was edited: error %v, want one naming it", err)
	}
}

// eval with fewer steps: the bound of a respaced ancestral sampler, the FID of DDIM in its own sample
// store, the settings in the report, and no bound for DDIM.
func TestEvalFewerSteps(t *testing.T) {
	const model, classifier = "../../models/mnist-ema.ddpm", "../../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	base := []string{"--ckpt", model, "--classifier", classifier, "--work", dir, "--out", dir}
	if err := runEval(append(base, "--nll", "2", "--nll-batch", "2", "--fid", "0", "--steps", "10")); err != nil {
		t.Fatal(err)
	}
	var first evalReport
	if raw, err := os.ReadFile(filepath.Join(dir, "eval.json")); err != nil || json.Unmarshal(raw, &first) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	if first.Variance != "posterior" || first.Steps != 10 || first.NLL == nil {
		t.Errorf("report of the respaced bound: %+v; want 10 steps and, without --variance, σ² = β̃ (posterior)", first)
	}
	// Its terms are told by the model's time steps, those the report keeps: they were the respaced
	// steps' indices, 1 to 10 (thirtieth probe).
	terms, err := os.ReadFile(filepath.Join(dir, termsFile))
	if err != nil {
		t.Fatal(err)
	}
	var told []int
	for _, line := range strings.Split(strings.TrimSpace(string(terms)), "\n")[1:] {
		var step int
		fmt.Sscanf(line, "%d,", &step) //nolint:errcheck
		told = append(told, step)
	}
	if len(first.TimeSteps) != 10 || !slices.Equal(told, first.TimeSteps) || first.TimeSteps[9] != 1000 {
		t.Errorf("%s tells the terms at t = %v; the report keeps the time steps %v", termsFile, told, first.TimeSteps)
	}
	if err := runEval(append(base, "--nll", "0", "--fid", "3", "--fid-batch", "3", "--sampler", "ddim", "--steps", "10")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fid-samples-ddim-eta0-10steps-seed1.u8")); err != nil {
		t.Errorf("DDIM's samples are not in their own store: %v", err)
	}
	var report evalReport
	raw, err := os.ReadFile(filepath.Join(dir, "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	if report.Sampler != "ddim" || report.Steps != 10 || report.FID == nil || report.FID.Samples != 3 || report.NLL != nil {
		t.Errorf("report after the DDIM FID: %+v (the respaced ancestral bound must not be carried over to it)", report)
	}
	err = runEval(append(base, "--nll", "2", "--fid", "0", "--sampler", "ddim", "--steps", "10"))
	if err == nil || !strings.Contains(err.Error(), "--sampler ddim") {
		t.Errorf("a bound for DDIM: error %v", err)
	}
	// The paper's sampler with σ² = β and with σ² = β̃ (all T steps both) keep their samples apart.
	for _, variance := range []string{"beta", "posterior"} {
		if err := runEval(append(base, "--nll", "0", "--fid", "2", "--fid-batch", "2", "--variance", variance)); err != nil {
			t.Fatalf("--variance %s after the other: %v", variance, err)
		}
	}
	for _, name := range []string{"fid-samples-seed1.u8", "fid-samples-ancestral-posterior-1000steps-seed1.u8"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the 1000-step samplers' stores: %v", err)
		}
	}
}

// slerp keeps the end points and, between two orthogonal vectors of norm 1, stays on the unit circle
// (a straight line would pass through norm 1/√2 at λ = 0.5).
func TestSlerp(t *testing.T) {
	x, y := []float32{1, 0, 0}, []float32{0, 1, 0}
	for _, c := range []struct {
		lambda float64
		want   []float32
	}{{0, x}, {1, y}, {0.5, []float32{float32(math.Sqrt(0.5)), float32(math.Sqrt(0.5)), 0}}} {
		got := slerp(x, y, c.lambda)
		for i := range got {
			if math.Abs(float64(got[i]-c.want[i])) > 1e-6 {
				t.Errorf("slerp at λ=%g = %v, want %v", c.lambda, got, c.want)
				break
			}
		}
	}
	if got := slerp(x, x, 0.3); math.Abs(float64(got[0])-1) > 1e-6 {
		t.Errorf("slerp of a vector with itself = %v, want it unchanged", got)
	}
}

// A report written before eval knew other samplers (no sampler, no steps) is the paper's sampler's:
// a bound-only run of that sampler keeps its FID, and a run of another sampler does not.
func TestKeepEarlierResultsOfOlderReports(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.json")
	old := `{"checkpoint": "m.ddpm", "step": 3, "variance": "beta", "clip": true, "fid": {"samples": 10, "classifier_fid": 34.9}}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	paper := evalReport{Checkpoint: "m.ddpm", Step: 3, Variance: "beta", Clip: true, Sampler: "ancestral", Steps: 1000}
	keepEarlierResults(path, &paper, 1000, 10000, false)
	if paper.FID == nil || paper.FID.ClassifierFID != 34.9 {
		t.Errorf("the paper's sampler lost the older report's FID: %+v", paper.FID)
	}
	ddim := evalReport{Checkpoint: "m.ddpm", Step: 3, Variance: "beta", Clip: true, Sampler: "ddim", Steps: 1000}
	keepEarlierResults(path, &ddim, 1000, 10000, false)
	if ddim.FID != nil {
		t.Errorf("DDIM took the ancestral sampler's FID: %+v", ddim.FID)
	}
	// A report of today's fields keeps its FID only for the same weights, guidance and seed (fifth probe:
	// a FID of other weights at the same path, and one of another guidance, were kept as this run's).
	one, two := uint64(1), uint64(2)
	measured := evalReport{Checkpoint: "m.ddpm", CheckpointSHA256: "aa", TestSHA256: "tt", Step: 3, Variance: "beta", Clip: true,
		Sampler: "ancestral", Steps: 1000, Guidance: 0.5, Seed: &one, FID: &fidOut{Samples: 10, ClassifierFID: 7}}
	raw, _ := json.Marshal(measured)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		edit func(r *evalReport)
		keep bool
	}{
		{"the same settings", func(r *evalReport) {}, true},
		{"the same weights by another path", func(r *evalReport) { r.Checkpoint = "/elsewhere/m.ddpm" }, true}, // fifteenth probe
		{"other weights", func(r *evalReport) { r.CheckpointSHA256 = "bb" }, false},
		{"another guidance", func(r *evalReport) { r.Guidance = 4 }, false},
		{"another seed", func(r *evalReport) { r.Seed = &two }, false},
		{"another test set", func(r *evalReport) { r.TestSHA256 = "uu" }, false},
		{"another churn", func(r *evalReport) { r.Churn = 1 }, false},
		// The same number of steps kept at other time steps (eleventh probe: --steps 10's bound beside ddim10's FID).
		{"other time steps", func(r *evalReport) { r.TimeSteps = []int{1, 101, 201} }, false},
	} {
		r := measured
		r.FID = nil
		c.edit(&r)
		keepEarlierResults(path, &r, 1000, 10000, false)
		if (r.FID != nil) != c.keep {
			t.Errorf("%s: FID kept %v, want %v", c.what, r.FID != nil, c.keep)
		}
	}
	// Only values that a bound or a FID can have are kept: -1e300 and -3 samples were, exit 0; and a
	// report that cannot be read is said to be replaced (twenty-eighth probe).
	bound := nllOut{Images: 20, BitsPerDim: 2.100027, StdErr: 0.1, Prior: 2.7e-5, Decoder: 0.9, Transitions: 1.2, Seconds: 30, Batch: 10}
	for _, c := range []struct {
		what string
		edit func(r *evalReport)
	}{
		{"a FID of -1e300", func(r *evalReport) { r.FID.ClassifierFID = -1e300 }},
		{"-3 samples", func(r *evalReport) { r.FID.Samples = -3 }},
		{"class counts of other samples", func(r *evalReport) { r.FID.ClassCounts = []int{1, 2, 3, 0, 0, 0, 0, 0, 0, 0} }},
		{"a confident fraction of 2", func(r *evalReport) { r.FID.Confident = 2 }},
		{"a bound of -1 seconds", func(r *evalReport) { r.NLL.Seconds = -1 }},
		{"a bound of 1 image", func(r *evalReport) { r.NLL.Images = 1 }},
		// A total edited apart from its parts (sixty-fourth probe: 0.42 beside parts of 2.26 was kept).
		{"a bound that is not the sum of its parts", func(r *evalReport) { r.NLL.BitsPerDim = 0.42 }},
		// Values past what any run reports (twenty-ninth probe): all were kept, exit 0.
		{"a bound of more images than the test set's", func(r *evalReport) { r.NLL.Images = 1e15 }},
		{"5000 class counts", func(r *evalReport) { r.FID.ClassCounts = make([]int, 5000); r.FID.ClassCounts[0] = 10 }},
		{"a classifier score of 1e12", func(r *evalReport) { r.FID.ClassifierScore = 1e12 }},
		{"more samples made than there are", func(r *evalReport) { r.FID.SamplesMade = 1e9 }},
		{"a conditional section of an unconditional model", func(r *evalReport) {
			r.FID.Conditional = &conditionalOut{Accuracy: 0.5, PerClass: make([]*float64, 10)}
		}},
	} {
		earlier := measured
		fid, nll := *measured.FID, bound
		earlier.FID, earlier.NLL = &fid, &nll
		c.edit(&earlier)
		raw, _ := json.Marshal(earlier)
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		r := measured
		r.FID = nil
		keepEarlierResults(path, &r, 1000, 10000, false)
		if r.FID != nil && r.NLL != nil {
			t.Errorf("%s: both sections kept", c.what)
		}
		if r.FID == nil && r.NLL == nil {
			t.Errorf("%s: the section without it was dropped too", c.what)
		}
	}
	if err := os.WriteFile(path, raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r := measured
	r.FID = nil
	keepEarlierResults(path, &r, 1000, 10000, false) // says so on stderr; nothing to keep
	if r.FID != nil {
		t.Errorf("a report cut short gave a FID")
	}
}

// eval --samples scores images made elsewhere with the same metrics as a model's: the 300 training
// digits that the report draws as its real digits, saved as a NumPy uint8 array, score exactly what
// the report gives for them, and the report ties the numbers to the file's SHA-256.
func TestEvalSamplesFromAnotherTool(t *testing.T) {
	dir := t.TempDir()
	mnist, err := data.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	digits := make([][][]uint8, n)
	for i, k := range referenceDigits(n, mnist.Train.N, 1) { // the report's own real digits (--seed 1)
		img := mnist.Train.Image(k)
		digits[i] = make([][]uint8, 28)
		for y := range 28 {
			digits[i][y] = img[y*28 : (y+1)*28]
		}
	}
	path := filepath.Join(dir, "digits.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.Write(f, digits); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := runEval([]string{"--samples", path, "--classifier", "../../models/mnist-classifier.ddpm", "--out", dir}); err != nil {
		t.Fatal(err)
	}
	var report samplesReport
	if raw, err := os.ReadFile(filepath.Join(dir, "eval.json")); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	raw, _ := os.ReadFile(path)
	sum := sha256.Sum256(raw)
	if report.FID == nil || report.FID.Samples != n || report.SamplesSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("report %+v: want %d samples and the file's SHA-256", report, n)
	}
	// The seed that drew its reference digits and resamples is recorded: two reports of one file
	// differed with nothing to say why (fifty-seventh probe).
	if written, _ := os.ReadFile(filepath.Join(dir, "eval.json")); !strings.Contains(string(written), `"seed": 1,`) {
		t.Errorf("eval.json of --samples records no seed")
	}
	if d := report.FID.ClassifierFID - report.FID.TrainVsTestFID; d > 1e-9 || d < -1e-9 {
		t.Errorf("the FID of %d training digits through --samples is %g, the report's own for the same digits %g",
			n, report.FID.ClassifierFID, report.FID.TrainVsTestFID)
	}
	if !(report.FID.Confident > 0.9) {
		t.Errorf("real digits through --samples: %.1f%% confident, want > 90%%", 100*report.FID.Confident)
	}
	bad := filepath.Join(dir, "bad.npy")
	f, _ = os.Create(bad)
	npy.Write(f, [][]float32{{0, 300}}) //nolint:errcheck
	f.Close()
	if err := runEval([]string{"--samples", bad, "--classifier", "../../models/mnist-classifier.ddpm", "--out", dir}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a 1×2 array: error %v, want one naming the file", err)
	}
}

// The ODE solvers through eval and sample: their samples have a store of their own, the report says
// which solver, how many steps and network evaluations; samples written by `sample --out x.npz` with
// the seed of eval's first batch are eval's own samples, so `eval --samples` scores them exactly as
// eval did; a conditional model's labels travel in arr_1 and give the conditional accuracy back.
// Options that belong to other samplers are refused, naming the flag, before any sampling.
func TestSolverSamplesRoundTrip(t *testing.T) {
	const model, cond, classifier = "../../models/mnist-ema.ddpm", "../../models/mnist-cond-ema.ddpm", "../../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	readReport := func(path string, v any) {
		t.Helper()
		if raw, err := os.ReadFile(path); err != nil || json.Unmarshal(raw, v) != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	evalDir := filepath.Join(dir, "eval")
	if err := runEval([]string{"--ckpt", model, "--classifier", classifier, "--work", evalDir, "--out", evalDir,
		"--nll", "0", "--fid", "20", "--fid-batch", "20", "--sampler", "heun", "--steps", "4"}); err != nil {
		t.Fatal(err)
	}
	var report evalReport
	readReport(filepath.Join(evalDir, "eval.json"), &report)
	if report.Sampler != "heun" || report.Steps != 4 || report.NFE != 7 || report.FID == nil {
		t.Fatalf("report %+v: want heun, 4 steps, 7 network evaluations", report)
	}
	if _, err := os.Stat(filepath.Join(evalDir, "fid-samples-heun-4steps-seed1.u8")); err != nil {
		t.Errorf("heun's samples are not in their own store: %v", err)
	}
	npzPath := filepath.Join(dir, "heun.npz")
	if err := runSample([]string{"--ckpt", model, "--n", "20", "--seed", fmt.Sprint(uint64(1) << 32), "--sampler", "heun", "--steps", "4", "--out", npzPath}); err != nil {
		t.Fatal(err)
	}
	scored := filepath.Join(dir, "scored")
	if err := runEval([]string{"--samples", npzPath, "--classifier", classifier, "--out", scored}); err != nil {
		t.Fatal(err)
	}
	var again samplesReport
	readReport(filepath.Join(scored, "eval.json"), &again)
	if again.FID == nil || again.FID.ClassifierFID != report.FID.ClassifierFID || again.FID.Confident != report.FID.Confident {
		t.Errorf("eval --samples of sample's .npz: %+v; eval of the same samples: FID %g, %g confident", again.FID,
			report.FID.ClassifierFID, report.FID.Confident)
	}

	condPath := filepath.Join(dir, "cond.npz")
	if err := runSample([]string{"--ckpt", cond, "--class", "all", "--n", "2", "--sampler", "dpm++2m", "--steps", "5", "--out", condPath}); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--samples", condPath, "--classifier", classifier, "--out", scored}); err != nil {
		t.Fatal(err)
	}
	readReport(filepath.Join(scored, "eval.json"), &again)
	if again.FID == nil || again.FID.Samples != 20 || again.FID.Conditional == nil || !(again.FID.Conditional.Accuracy > 0.5) {
		t.Errorf("a conditional model's .npz scored: %+v, want 20 samples and the accuracy of their labels", again.FID)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sampler", "heun", "--steps", "ddim10"}, "--steps"},
		{[]string{"--sampler", "euler", "--variance", "beta"}, "--variance"},
		{[]string{"--sampler", "dpm++2m", "--eta", "0.5"}, "--eta"},
		{[]string{"--sampler", "dpm++2m", "--churn", "1"}, "--churn 1"},
		{[]string{"--sampler", "dpm++2m", "--churn", "0"}, "--churn 0"}, // as beside ancestral (eleventh probe)
		{[]string{"--sampler", "ancestral", "--churn", "1"}, "--churn"},
		{[]string{"--sampler", "heun", "--churn", "-1"}, "churn -1"},
		{[]string{"--sampler", "lms"}, "--sampler"},
		{[]string{"--sampler", "heun", "--out", filepath.Join(dir, "x.jpg")}, "--out"},
		{[]string{"--class", "3", "--out", filepath.Join(dir, "x.npy")}, ".npz"},
		// 0 as a float32: the network ran twice a step for w = 0's images, reported as guided (sixty-sixth probe).
		{[]string{"--class", "3", "--guidance", "1e-320"}, "--guidance 1e-320: below float32's resolution"},
		// Below float32's resolution next to 1, where the two predictions are mixed, and the noise of η and
		// churn below the images' (the samples were bit for bit those of 0; sixty-seventh probe).
		{[]string{"--class", "3", "--guidance", "1e-10"}, "--guidance 1e-10: below float32's resolution next to 1"},
		{[]string{"--sampler", "ddim", "--steps", "10", "--eta", "1e-50"}, "--eta 1e-50: the noise it adds"},
		{[]string{"--sampler", "ddim", "--steps", "10", "--eta", "1e-9"}, "--eta 1e-09: the noise it adds"},
		// On one step there is no noise for any η: that was blamed on float32 (sixty-ninth probe's nit).
		{[]string{"--sampler", "ddim", "--steps", "1", "--eta", "1"}, "--eta 1: DDIM adds noise only before its last step, and on this one step there is none"},
		{[]string{"--sampler", "euler", "--steps", "10", "--churn", "1e-50"}, "--churn 1e-50: over 10 steps"},
		{[]string{"--sampler", "heun", "--steps", "10", "--churn", "1e-15"}, "--churn 1e-15: over 10 steps"},
	} {
		ckpt := model
		if slices.Contains(c.args, "--class") {
			ckpt = cond
		}
		args := append([]string{"--ckpt", ckpt, "--n", "2"}, c.args...)
		if !slices.Contains(args, "--out") {
			args = append(args, "--out", filepath.Join(dir, "refused.png"))
		}
		if err := runSample(args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sample %v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
	err := runEval([]string{"--ckpt", model, "--classifier", classifier, "--work", evalDir, "--out", evalDir, "--nll", "2", "--fid", "0", "--sampler", "dpm++2m"})
	if err == nil || !strings.Contains(err.Error(), "--sampler dpm++2m") {
		t.Errorf("a bound for DPM-Solver++: error %v", err)
	}
	// A model of T = 1 has one noise level: the solvers' default of 0 steps was refused as if asked
	// for, and dpm++2m's --steps 1 as outside "1..0" (sixty-sixth probe).
	one := filepath.Join(dir, "t1")
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "256", "--T", "1", "--schedule", "cosine", "--steps", "2", "--ckpt", one, "--progress=false"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--sampler", "euler"}, {"--sampler", "heun"}, {"--sampler", "dpm++2m", "--steps", "1"}} {
		err := runSample(append([]string{"--ckpt", one, "--n", "4", "--out", filepath.Join(dir, "t1.npy")}, args...))
		if err == nil || !strings.Contains(err.Error(), "the ODE solvers need T ≥ 2") {
			t.Errorf("sample %v of a T = 1 model: %v, want a refusal saying the solvers need T ≥ 2", args, err)
		}
	}
}

// Files planted in --work or --out (a FIFO, a device, a link to nothing) are refused by name before
// any work, where they hung eval, filled its memory or failed it after the bound; a sample store cut
// off in the middle of a batch resumes to exactly what an uninterrupted run stores (it duplicated a
// batch, and the FID came out 455 for 397); and the bound's progress over one test set is not
// continued over another --data (it mixed the two; issue 32's fourth probe).
func TestEvalRefusesPlantedFilesAndResumesExactly(t *testing.T) {
	const model, classifier = "../../models/mnist-ch8-ema.ddpm", "../../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	args := func(work, out string, extra ...string) []string {
		return append([]string{"--ckpt", model, "--classifier", classifier, "--work", work, "--out", out, "--steps", "3"}, extra...)
	}
	fid := []string{"--nll", "0", "--fid", "8", "--fid-batch", "4"}
	nll := func(n string) []string { return []string{"--nll", n, "--nll-batch", "2"} }
	clean := filepath.Join(dir, "clean")
	if err := runEval(args(clean, clean, fid...)); err != nil {
		t.Fatal(err)
	}
	stores, _ := filepath.Glob(filepath.Join(clean, "fid-samples-*.u8"))
	if len(stores) != 1 {
		t.Fatalf("the clean run left %d sample stores: %v", len(stores), stores)
	}
	whole, err := os.ReadFile(stores[0])
	if err != nil {
		t.Fatal(err)
	}
	header := bytes.IndexByte(whole, '\n') + 1
	cut := filepath.Join(dir, "cut")
	os.MkdirAll(cut, 0o755)
	cutStore := filepath.Join(cut, filepath.Base(stores[0]))
	if err := os.WriteFile(cutStore, whole[:header+3*28*28+100], 0o644); err != nil { // 3 images and part of a 4th
		t.Fatal(err)
	}
	if err := runEval(args(cut, cut, fid...)); err != nil {
		t.Fatal(err)
	}
	if resumed, _ := os.ReadFile(cutStore); !bytes.Equal(resumed, whole) {
		t.Errorf("a store cut in its first batch resumed to %d bytes unlike the uninterrupted run's %d", len(resumed), len(whole))
	}
	// Planted files, each refused by name before the bound (which would take a while here: --nll 2).
	devZero := func(p string) error { return os.Symlink("/dev/zero", p) }
	fifo := func(p string) error { return syscall.Mkfifo(p, 0o644) }
	dangling := func(p string) error { return os.Symlink(filepath.Join(dir, "nothing"), p) }
	for i, c := range []struct {
		where, name string
		plant       func(string) error
		want        string
	}{
		// A link where eval writes a file it names itself is refused as a link (twelfth probe).
		{"work", "nll-progress.json", fifo, "FIFO"},
		{"work", "nll-progress.json", devZero, "a symbolic link"},
		{"work", "nll-progress.json", dangling, "a symbolic link"},
		{"out", "eval.json", fifo, "FIFO"},
		{"out", "nll-terms.csv", fifo, "FIFO"},
		{"out", "fid-samples.png", devZero, "a symbolic link"},
		{"work", filepath.Base(stores[0]), fifo, "FIFO"},
		{"work", filepath.Base(stores[0]), devZero, "a symbolic link"}, // any link (fourteenth probe)
		{"work", filepath.Base(stores[0]), dangling, "missing"},
	} {
		work, out := filepath.Join(dir, fmt.Sprint("w", i)), filepath.Join(dir, fmt.Sprint("o", i))
		os.MkdirAll(work, 0o755)
		os.MkdirAll(out, 0o755)
		planted := filepath.Join(map[string]string{"work": work, "out": out}[c.where], c.name)
		if err := c.plant(planted); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := runEval(args(work, out, append(nll("2"), "--fid", "8", "--fid-batch", "4")...))
		if err == nil || !strings.Contains(err.Error(), planted) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s planted at %s: error %v, want one naming it and %q", c.want, planted, err, c.want)
		}
		if _, serr := os.Stat(filepath.Join(work, boundProgressFile)); serr == nil && c.name != boundProgressFile {
			t.Errorf("%s planted at %s: the bound ran before the refusal (%s)", c.want, planted, time.Since(start))
		}
	}
	// The bound over inverted test digits (another --data) does not continue the sums over MNIST's.
	mnist, err := data.LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	alt := filepath.Join(dir, "inverted")
	os.MkdirAll(alt, 0o755)
	src, err := data.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{data.MNISTTrainImages, data.MNISTTrainLabels, data.MNISTTestLabels} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(alt, name)); err != nil {
			t.Fatal(err)
		}
	}
	var idx bytes.Buffer
	binary.Write(&idx, binary.BigEndian, []uint32{0x0803, uint32(mnist.Test.N), 28, 28}) //nolint:errcheck
	for _, p := range mnist.Test.Pixels {
		idx.WriteByte(255 - p)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(idx.Bytes()) //nolint:errcheck
	w.Close()
	if err := os.WriteFile(filepath.Join(alt, data.MNISTTestImages), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	bound := filepath.Join(dir, "bound")
	if err := runEval(args(bound, bound, append(nll("2"), "--fid", "0")...)); err != nil {
		t.Fatal(err)
	}
	if err := runEval(args(bound, bound, append(nll("4"), "--fid", "0", "--data", alt)...)); err != nil {
		t.Fatal(err)
	}
	var mixed, fresh evalReport
	if raw, err := os.ReadFile(filepath.Join(bound, "eval.json")); err != nil || json.Unmarshal(raw, &mixed) != nil {
		t.Fatal(err)
	}
	freshDir := filepath.Join(dir, "fresh")
	if err := runEval(args(freshDir, freshDir, append(nll("4"), "--fid", "0", "--data", alt)...)); err != nil {
		t.Fatal(err)
	}
	if raw, err := os.ReadFile(filepath.Join(freshDir, "eval.json")); err != nil || json.Unmarshal(raw, &fresh) != nil {
		t.Fatal(err)
	}
	if mixed.NLL.BitsPerDim != fresh.NLL.BitsPerDim {
		t.Errorf("the bound on inverted digits after 2 MNIST ones: %g bits/dim, on inverted digits alone %g", mixed.NLL.BitsPerDim, fresh.NLL.BitsPerDim)
	}
}

// Samples of one digit (`sample --class 3 --out x.npz`, then `eval --samples x.npz`): the digits no
// sample asked for have no accuracy, written as null; the report was a lone newline, exit 0, since
// JSON has no NaN and the error was dropped (issue 32's fifth probe).
func TestEvalSamplesOfOneClass(t *testing.T) {
	dir := t.TempDir()
	samples := filepath.Join(dir, "threes.npz")
	if err := runSample([]string{"--ckpt", "../../models/mnist-cond-ema.ddpm", "--class", "3", "--n", "4", "--steps", "3", "--out", samples}); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--samples", samples, "--classifier", "../../models/mnist-classifier.ddpm", "--out", dir}); err != nil {
		t.Fatal(err)
	}
	var report samplesReport
	if raw, err := os.ReadFile(filepath.Join(dir, "eval.json")); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("eval.json does not decode (%v):\n%s", err, raw)
	}
	c := report.FID.Conditional
	if c == nil || len(c.PerClass) != 10 {
		t.Fatalf("conditional accuracy %+v: want 10 per-class entries", c)
	}
	for digit, a := range c.PerClass {
		if (a != nil) != (digit == 3) {
			t.Errorf("digit %d: accuracy %v; want a number for 3 only, null for the digits never asked for", digit, a)
		}
	}
}

// eval refuses, before any work, a classifier whose recorded accuracy says its features mean nothing
// (a collapsed one gave a perfect FID of 0) and a --data whose test set is too small to fit the FID's
// Gaussian (found only after the bound and all the sampling; issue 32's sixth probe).
func TestEvalRefusesAClassifierOrTestSetItCannotUse(t *testing.T) {
	const model, shipped = "../../models/mnist-ch8-ema.ddpm", "../../models/mnist-classifier.ddpm"
	dir := t.TempDir()
	ctx := context.New()
	var spec quality.ClassifierSpec
	if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	spec.TestAccuracy = 0.12
	collapsed := filepath.Join(dir, "collapsed.ddpm")
	if err := quality.SaveClassifier(collapsed, ctx, spec); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	for _, args := range [][]string{
		{"--ckpt", model, "--nll", "0", "--fid", "8", "--classifier", collapsed, "--work", work, "--out", work},
		{"--samples", "../../models/mnist-ema.ddpm", "--classifier", collapsed, "--out", work},
	} {
		if err := runEval(args); err == nil || !strings.Contains(err.Error(), "--classifier "+collapsed+" classified 12.0%") {
			t.Errorf("eval %v: error %v, want a refusal of the classifier naming its accuracy", args, err)
		}
	}
	samples := filepath.Join(dir, "s.npy")
	if err := runSample([]string{"--ckpt", model, "--n", "4", "--steps", "3", "--out", samples}); err != nil {
		t.Fatal(err)
	}
	// The report gives the accuracy measured on the test digits it records, not the file's figure: a
	// classifier of 1 000 test digits carried its 90.1% into a report on 10 000 (sixty-sixth probe).
	spec.TestAccuracy = 0.95
	recorded := filepath.Join(dir, "recorded.ddpm")
	if err := quality.SaveClassifier(recorded, ctx, spec); err != nil {
		t.Fatal(err)
	}
	measured := filepath.Join(dir, "measured")
	if err := runEval([]string{"--samples", samples, "--classifier", recorded, "--out", measured}); err != nil {
		t.Fatal(err)
	}
	var report samplesReport
	if raw, err := os.ReadFile(filepath.Join(measured, "eval.json")); err != nil || json.Unmarshal(raw, &report) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	if report.FID == nil || !(report.FID.TestAccuracy > 0.98) {
		t.Errorf("a classifier recording 95%%: the report's classifier_test_accuracy is %+v, want the 99%% measured", report.FID)
	}
	// A folder of samples is not also the report's folder: the grid written there was read as a sample
	// by the next run (eighth probe).
	folder := filepath.Join(dir, "folder")
	os.MkdirAll(folder, 0o755)
	writeTinyImages(t, folder)
	if err := runEval([]string{"--samples", folder, "--classifier", shipped, "--out", folder + "/"}); err == nil ||
		!strings.Contains(err.Error(), "is the --samples folder") {
		t.Errorf("--out the --samples folder: error %v, want a refusal", err)
	}
	// Nor through a link and a folder not there yet: link/new/.. is the samples folder once new is made,
	// and was passed (eightieth probe).
	if err := os.Symlink(folder, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--samples", folder, "--classifier", shipped, "--out", filepath.Join(dir, "link") + "/new/.."}); err == nil ||
		!strings.Contains(err.Error(), `the way up to its last ".."`) { // refused as any ".." after a name not there (eighty-third probe)
		t.Errorf("--out link/new/.., the --samples folder once made: error %v, want a refusal", err)
	}
	if _, err := os.Lstat(filepath.Join(folder, "new")); err == nil {
		t.Errorf("--out link/new/..: the folder new was made in the samples folder")
	}
	// Nor through a bind mount's other name, compared as text (eighty-first probe).
	if bound := filepath.Join(dir, "bound"); os.Mkdir(bound, 0o755) == nil && syscall.Mount(folder, bound, "", syscall.MS_BIND, "") == nil {
		err := runEval([]string{"--samples", folder, "--classifier", shipped, "--out", bound + "/new/.."})
		syscall.Unmount(bound, 0) //nolint:errcheck
		if err == nil || !strings.Contains(err.Error(), `the way up to its last ".."`) {
			t.Errorf("--out bound/new/.., a bind mount of the --samples folder: error %v, want a refusal", err)
		}
	}
	// --samples "" is no samples (an unset $DIR scored the default model; eighty-first probe).
	if err := runEval([]string{"--samples=", "--classifier", shipped}); err == nil || !strings.Contains(err.Error(), `--samples ""`) {
		t.Errorf(`--samples "": error %v, want it refused by name`, err)
	}
	// A file of samples as --out is a file, where a folder is wanted: "the --samples folder" was said of
	// it (sixty-second probe).
	if err := runEval([]string{"--samples", samples, "--classifier", shipped, "--out", samples}); err == nil ||
		!strings.Contains(err.Error(), "is a file, where a folder is wanted") {
		t.Errorf("--out the --samples file: error %v, want it called a file", err)
	}
	// --out is checked before the samples are read: its refusals came after seconds of decoding and
	// 1 GB (twenty-fourth probe). Here the samples are unreadable, and --out is what is refused.
	junk, aFile := filepath.Join(folder, "junk.png"), filepath.Join(dir, "afile")
	for _, f := range []string{junk, aFile} {
		if err := os.WriteFile(f, []byte("not a PNG"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := runEval([]string{"--samples", folder, "--classifier", shipped, "--out", aFile}); err == nil ||
		!strings.Contains(err.Error(), "--out "+aFile) {
		t.Errorf("--out a file, beside unreadable samples: error %v, want a refusal of --out", err)
	}
	os.Remove(junk)
	// Its weights edited behind the accuracy it records (zeroed, or huge), the classifier is measured on
	// the test digits before any sample is made: zeroed weights gave a perfect FID of 0, NaN ones a
	// matrix square root that "did not converge" (eighth probe). NaN weights are now refused when the
	// file is read; weights of 3e38 overflow to the same features. Zeroed weights give every digit the
	// same probabilities, a tie that is no class's: 0% right (the first class won ties, and the share of
	// zeros, 9.8%, was counted right; sixtieth probe).
	for _, c := range []struct {
		name  string
		value float32
		want  string
	}{{"zeroed", 0, "classifies 0.0% of the 10000 test digits right (its file records 99.0%"}, {"nan", 3e38, "its features are not finite"}} {
		ctx := context.New()
		var spec quality.ClassifierSpec
		if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
			t.Fatal(err)
		}
		for v := range ctx.IterVariables() {
			value := tensors.FromShape(v.Shape())
			tensors.MustMutableFlatData[float32](value, func(flat []float32) {
				for i := range flat {
					flat[i] = c.value
				}
			})
			if err := v.SetValue(value); err != nil {
				t.Fatal(err)
			}
		}
		edited := filepath.Join(dir, c.name+".ddpm")
		if err := quality.SaveClassifier(edited, ctx, spec); err != nil {
			t.Fatal(err)
		}
		fidWork := filepath.Join(dir, "fid-"+c.name)
		for _, args := range [][]string{
			{"--ckpt", model, "--nll", "0", "--fid", "8", "--steps", "3", "--classifier", edited, "--work", fidWork, "--out", fidWork},
			{"--samples", samples, "--classifier", edited, "--out", fidWork},
		} {
			if err := runEval(args); err == nil || !strings.Contains(err.Error(), "--classifier "+edited+" ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("eval %v: error %v, want a refusal of the classifier saying %q", args, err, c.want)
			}
		}
		if stores, _ := filepath.Glob(filepath.Join(fidWork, "*.u8")); len(stores) > 0 {
			if info, err := os.Stat(stores[0]); err == nil && info.Size() > 512 { // more than its header
				t.Errorf("%s: samples were made before the classifier was measured (%s)", c.name, stores[0])
			}
		}
		// A --work (and --out) made for the refused run is not left behind with its lock file
		// (twenty-first probe).
		if _, err := os.Lstat(fidWork); !os.IsNotExist(err) {
			t.Errorf("%s: the refused runs left %s behind (%v)", c.name, fidWork, err)
		}
	}
	// A copy of MNIST whose test set is one image.
	src, err := data.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "one")
	os.MkdirAll(one, 0o755)
	for _, name := range []string{data.MNISTTrainImages, data.MNISTTrainLabels} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(one, name)); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range map[string][]byte{
		data.MNISTTestImages: append([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28}, make([]byte, 28*28)...),
		data.MNISTTestLabels: {0, 0, 8, 1, 0, 0, 0, 1, 7},
	} {
		if err := os.WriteFile(filepath.Join(one, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err = runEval([]string{"--ckpt", model, "--steps", "3", "--nll", "0", "--fid", "8", "--fid-batch", "4", "--data", one,
		"--work", work, "--out", work})
	if err == nil || !strings.Contains(err.Error(), "--fid 8") || !strings.Contains(err.Error(), "has 1: at least 2") {
		t.Errorf("a test set of one image: error %v, want a refusal naming --fid and the test set's size", err)
	}
	// The bound of one image has no standard error: refused, not computed and then lost (seventh probe).
	err = runEval([]string{"--ckpt", model, "--steps", "3", "--nll", "1", "--nll-batch", "1", "--fid", "0", "--work", work, "--out", work})
	if err == nil || !strings.Contains(err.Error(), "--nll 1") || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("--nll 1: error %v, want a refusal naming --nll", err)
	}
	if _, err := os.Stat(work); err == nil {
		t.Errorf("eval made %s before refusing", work)
	}
}

// An --out that cannot be a folder is refused before --work is made and locked (it was made first).
func TestEvalOutAFileLeavesNoWork(t *testing.T) {
	dir := t.TempDir()
	out, work := filepath.Join(dir, "report.json"), filepath.Join(dir, "work")
	if err := os.WriteFile(out, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runEval([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "2", "--fid", "0", "--work", work, "--out", out})
	if err == nil || !strings.Contains(err.Error(), "--out "+out) {
		t.Errorf("--out a file: error %v, want a refusal naming --out", err)
	}
	if _, err := os.Lstat(work); !os.IsNotExist(err) {
		t.Errorf("--out a file made --work %s (%v)", work, err)
	}
	// And the other way: a --work that cannot be made leaves no --out (a new one was left behind, beside a
	// --work on a full disk; twentieth probe), while an --out that was there stays.
	out, work = filepath.Join(dir, "new", "out"), filepath.Join(out, "work")
	err = runEval([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "2", "--fid", "0", "--work", work, "--out", out})
	if err == nil || !strings.Contains(err.Error(), "report.json is a file, where a folder is wanted") {
		t.Errorf("--work under a file: error %v, want a refusal naming the file", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("a refused --work left --out's folders behind (%v)", err)
	}
	if err = runEval([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "2", "--fid", "0", "--work", work, "--out", dir}); err == nil {
		t.Errorf("--work under a file: no error")
	}
	if _, err := os.Lstat(dir); err != nil {
		t.Errorf("a refused --work removed --out, which was there before: %v", err)
	}
	// A --work that was there keeps what it held, and gets no lock file from a refused run (it was left;
	// twenty-fifth probe).
	kept, fifoOut := filepath.Join(dir, "kept"), filepath.Join(dir, "fifo-out")
	for _, d := range []string{kept, fifoOut} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(kept, "notes.txt"), []byte("mine"), 0o644)             //nolint:errcheck
	if err := syscall.Mkfifo(filepath.Join(fifoOut, reportFile), 0o644); err != nil { // refused after the lock
		t.Fatal(err)
	}
	if err = runEval([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "2", "--fid", "0", "--work", kept, "--out", fifoOut}); err == nil ||
		!strings.Contains(err.Error(), "FIFO") {
		t.Errorf("--out holding a FIFO as its report: error %v", err)
	}
	if entries, _ := os.ReadDir(kept); len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("a refused run left %v in a --work that held notes.txt", entries)
	}
	// The bound's progress file is read before the work too: one cut short was refused after the run had
	// made --out's folders and locked --work, and both were left (twenty-seventh probe).
	if err := os.WriteFile(filepath.Join(kept, boundProgressFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "newout", "a", "b")
	if err = runEval([]string{"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "2", "--fid", "0", "--steps", "10", "--work", kept, "--out", nested}); err == nil ||
		!strings.Contains(err.Error(), boundProgressFile+": unexpected end of JSON input") {
		t.Errorf("a progress file cut short: error %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "newout")); !os.IsNotExist(err) {
		t.Errorf("a refused progress file left --out's folders (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(kept, ddpm.LockFileName)); !os.IsNotExist(err) {
		t.Errorf("a refused progress file left the lock file in --work (%v)", err)
	}
}

// eval locks --out as it locks --work, unless they are one folder: a second eval, or an eval --samples,
// wrote its report into the --out of one that was running (twenty-seventh probe). It removes what a
// killed run's writes of its report, tables and figures left there (they stayed for good beside the
// next report), and nothing else.
func TestEvalLocksOutAndRemovesKilledWrites(t *testing.T) {
	dir := t.TempDir()
	out, work, samples := filepath.Join(dir, "out"), filepath.Join(dir, "work"), filepath.Join(dir, "samples")
	for _, d := range []string{out, samples} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeTinyImages(t, samples)
	holder, err := os.OpenFile(filepath.Join(out, ddpm.LockFileName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { // as another process's LockDir
		t.Fatal(err)
	}
	model := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "0", "--steps", "10", "--work", work, "--out", out}
	// The shipped classifier named: a fresh machine's cache holds none (the default looks there).
	for _, args := range [][]string{model, {"--samples", samples, "--classifier", "../../models/mnist-classifier.ddpm", "--out", out}} {
		if err := runEval(args); err == nil || !strings.Contains(err.Error(), "--out "+out+" is in use by this process, through another open file") {
			t.Errorf("eval %v into an --out in use: error %v", args, err)
		}
	}
	if _, err := os.Lstat(work); !os.IsNotExist(err) {
		t.Errorf("the refusal left --work (%v)", err)
	}
	holder.Close()
	left := []string{".eval.json.tmp-4174360834", ".nll-terms.csv.tmp-12", ".fid-samples.png.tmp-3"}
	mine := ".eval.json.tmp-autosave"
	for _, name := range append(left, mine) {
		if err := os.WriteFile(filepath.Join(out, name), []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := runEval(model); err != nil {
		t.Fatal(err)
	}
	for _, name := range left {
		if _, err := os.Lstat(filepath.Join(out, name)); !os.IsNotExist(err) {
			t.Errorf("eval left %s in --out (%v)", name, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(out, mine)); err != nil {
		t.Errorf("eval removed %s, not one of its files: %v", mine, err)
	}
}

// Two respacings of one length have their own FID stores: ddim10's took the name of --steps 10's, and
// was refused, or removed as the refusal said (eleventh probe). --steps K keeps the name it had.
func TestFIDStoresOfTheSameLengthAreApart(t *testing.T) {
	tr, err := ddpm.LoadTrained("../../models/mnist-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	names := map[string]string{}
	for _, spec := range []string{"10", "ddim10", "1,101,201,301,401,501,601,701,801,1000"} {
		steps, err := ddpm.ParseSteps(spec, tr.Schedule.T)
		if err != nil {
			t.Fatal(err)
		}
		trained := *tr
		if trained.Schedule, err = tr.Schedule.Respace(steps); err != nil {
			t.Fatal(err)
		}
		store, _, err := openFIDStore(&trained, "aa", ddpm.SamplerConfig{Variance: ddpm.VariancePosterior, ClipX0: true}, 784, 4, 60000, 4, 1, work)
		if err != nil {
			t.Fatalf("--steps %s: %v", spec, err)
		}
		store.Close()
		names[filepath.Base(store.Path)] = spec
	}
	if len(names) != 3 || names["fid-samples-ancestral-posterior-10steps-seed1.u8"] != "10" {
		t.Errorf("stores %v: want three, --steps 10's named as before", names)
	}
}

// The bound's progress of other settings in one --work is set aside, not overwritten, and resumed
// when those settings come back (another model's unfinished bound was started afresh over; twelfth
// probe).
func TestBoundProgressOfOtherSettingsIsKept(t *testing.T) {
	const model = "../../models/mnist-ch8-ema.ddpm"
	work := t.TempDir()
	run := func(extra ...string) {
		t.Helper()
		if err := runEval(append([]string{"--ckpt", model, "--work", work, "--out", work, "--nll-batch", "2", "--fid", "0"}, extra...)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) boundProgress {
		t.Helper()
		var p boundProgress
		if raw, err := os.ReadFile(filepath.Join(work, name)); err != nil || json.Unmarshal(raw, &p) != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p
	}
	run("--nll", "2")
	first := read(boundProgressFile)
	run("--nll", "2", "--steps", "10")
	stepsDesc := read(boundProgressFile).Desc
	aside := progressAside(first.Desc)
	kept := read(aside)
	if kept.Sums.N != 2 || read(boundProgressFile).Desc == first.Desc {
		t.Fatalf("after another setting: %s holds %d images, and the progress is of the first settings", aside, kept.Sums.N)
	}
	kept.Seconds = 1e6 // marks the file: a resumed bound adds to it
	raw, _ := json.Marshal(kept)
	if err := os.WriteFile(filepath.Join(work, aside), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	run("--nll", "4")
	again := read(boundProgressFile)
	if again.Desc != first.Desc || again.Sums.N != 4 || again.Seconds < 1e6 {
		t.Errorf("back to the first settings: %d images in %g s, want 4 resumed from the 2 set aside", again.Sums.N, again.Seconds)
	}
	// A file of other settings under an aside name is not resumed as this run's (another model's bound
	// was reported as this one's, exit 0; thirteenth probe): the first settings' file planted as the
	// --steps 10 one's.
	stepsAside := progressAside(stepsDesc)
	planted, _ := json.Marshal(again)
	if err := os.WriteFile(filepath.Join(work, stepsAside), planted, 0o644); err != nil {
		t.Fatal(err)
	}
	run("--nll", "2", "--steps", "10")
	if got := read(boundProgressFile); got.Desc == first.Desc || got.Sums.N != 2 || got.Seconds >= 1e6 {
		t.Errorf("a planted aside file: the progress holds %d images in %g s of the settings %q, want 2 evaluated afresh", got.Sums.N, got.Seconds, got.Desc)
	}
}

// A progress file without settings ({} or one of another program) is no bound's to keep aside: such
// files were kept under one name, the second over the first (twenty-first probe). Nor is a file kept
// aside renamed over.
func TestBoundProgressAsideIsNeverRenamedOver(t *testing.T) {
	work := t.TempDir()
	args := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--work", work, "--out", work, "--nll", "2", "--nll-batch", "2", "--fid", "0", "--steps", "10"}
	current := filepath.Join(work, boundProgressFile)
	for _, content := range []string{`{"note": "A"}`, `{}`, `null`} {
		if err := os.WriteFile(current, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := runEval(args); err == nil || !strings.Contains(err.Error(), current) {
			t.Errorf("a progress file holding %s: error %v, want a refusal naming it", content, err)
		}
		if raw, _ := os.ReadFile(current); string(raw) != content {
			t.Errorf("a progress file holding %s now holds %q", content, raw)
		}
	}
	os.Remove(current)
	if err := runEval(args); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(current)
	if err != nil {
		t.Fatal(err)
	}
	var mine boundProgress
	if err := json.Unmarshal(raw, &mine); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(work, progressAside(mine.Desc))
	if err := os.WriteFile(aside, []byte("another run's"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := append(slices.Clone(args[:len(args)-2]), "--steps", "20")
	if err := runEval(other); err == nil || !strings.Contains(err.Error(), aside+", where they are kept aside, is taken") {
		t.Errorf("the aside name taken: error %v, want a refusal naming it", err)
	}
	if kept, _ := os.ReadFile(aside); string(kept) != "another run's" {
		t.Errorf("the file kept aside now holds %q", kept)
	}
	if again, _ := os.ReadFile(current); !bytes.Equal(again, raw) {
		t.Errorf("the progress changed")
	}
}

// A file eval names itself is not written through a link planted during the run, after the check
// before the work (the report and tables replaced files elsewhere; thirteenth probe).
func TestWriteOwnFileRefusesALink(t *testing.T) {
	dir := t.TempDir()
	victim, report := filepath.Join(dir, "victim.json"), filepath.Join(dir, "eval.json")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, report); err != nil {
		t.Fatal(err)
	}
	if err := writeOwnFile(report, []byte("{}")); err == nil || !strings.Contains(err.Error(), "a symbolic link") {
		t.Errorf("writing through a planted link: error %v", err)
	}
	if raw, _ := os.ReadFile(victim); string(raw) != "precious" {
		t.Errorf("the link's target now holds %q", raw)
	}
}

// What `eval --samples` replaces in --out is said, and so are the bound's tables and figures that a
// report without that bound leaves beside it (a model's bound and FID went without a word, and another
// model's tables stayed; fourteenth probe). An --out among --work's own files is refused before it is
// made (it was made, and every later run with that --work was refused).
func TestEvalSaysWhatItReplaces(t *testing.T) {
	out := t.TempDir()
	report := `{"checkpoint": "models/mnist-ch8-ema.ddpm", "step": 700}`
	if err := os.WriteFile(filepath.Join(out, reportFile), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, termsFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	said := captureStderr(t, func() { replacedReport(out, "s.npz", "abc") })
	for _, want := range []string{"the report of --ckpt models/mnist-ch8-ema.ddpm (step 700) is replaced", termsFile + " are an earlier bound's"} {
		if !strings.Contains(said, want) {
			t.Errorf("eval --samples over a model's report said %q, want %q", said, want)
		}
	}
	// And a model's report over one of --samples says so (it said "another checkpoint"; fifteenth probe).
	if err := os.WriteFile(filepath.Join(out, reportFile), []byte(`{"samples": "s.npz", "samples_sha256": "abc"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	said = captureStderr(t, func() {
		keepEarlierResults(filepath.Join(out, reportFile), &evalReport{Checkpoint: "m.ddpm"}, 1000, 10000, false)
	})
	if !strings.Contains(said, "the report of --samples s.npz is replaced") {
		t.Errorf("a model's report over one of --samples said %q", said)
	}
	work := t.TempDir()
	link := filepath.Join(t.TempDir(), "link") // --work through a link: the fifteenth probe's way past a comparison of names
	if err := os.Symlink(work, link); err != nil {
		t.Fatal(err)
	}
	for out, refused := range map[string]bool{
		filepath.Join(link, boundProgressFile):                          true,
		filepath.Join(work, boundProgressFile):                          true,
		filepath.Join(work, "fid-samples-ancestral-beta-seed1.u8", "x"): true,
		filepath.Join(work, "o"):                                        false,
		work:                                                            false,
	} {
		if err := notAWorkFile(out, work); (err != nil) != refused {
			t.Errorf("--out %s beside --work %s: error %v, want a refusal: %v", out, work, err, refused)
		}
	}
	// Through a bind mount of --work too (refused later, under the other flag; eighty-fourth probe).
	if bound := filepath.Join(t.TempDir(), "bound"); os.Mkdir(bound, 0o755) == nil && syscall.Mount(work, bound, "", syscall.MS_BIND, "") == nil {
		err := notAWorkFile(filepath.Join(bound, boundProgressFile), work)
		rerr := notAnOutputFile(filepath.Join(bound, reportFile), work, evalOutputs(true, true))
		syscall.Unmount(bound, syscall.MNT_DETACH) //nolint:errcheck
		if err == nil || rerr == nil {
			t.Errorf("--out and --work through a bind mount of the other: %v; %v; want refusals", err, rerr)
		}
		// And where the folder is not made yet (eighty-fifth probe's nit).
		if syscall.Mount(work, bound, "", syscall.MS_BIND, "") == nil {
			err := notAWorkFile(filepath.Join(work, "new", boundProgressFile), filepath.Join(bound, "new"))
			syscall.Unmount(bound, syscall.MNT_DETACH) //nolint:errcheck
			if err == nil {
				t.Errorf("--out W/new/%s with --work bound/new, a folder not made yet: no refusal", boundProgressFile)
			}
		}
	}
	// And the reverse: a --work among --out's files, where the report could not be written after all the
	// work (eighteenth probe); refused by runEval before any folder is made.
	for inside, refused := range map[string]bool{
		filepath.Join(work, reportFile): true, filepath.Join(link, termsFile, "w"): true, filepath.Join(work, "w"): false, work: false,
	} {
		if err := notAnOutputFile(inside, work, evalOutputs(true, true)); (err != nil) != refused {
			t.Errorf("--work %s beside --out %s: error %v, want a refusal: %v", inside, work, err, refused)
		}
	}
	outDir := filepath.Join(t.TempDir(), "out")
	err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "0", "--out", outDir, "--work", filepath.Join(outDir, reportFile)})
	if err == nil || !strings.Contains(err.Error(), "eval writes into --out") {
		t.Errorf("--work --out/%s: error %v", reportFile, err)
	}
	if _, err := os.Stat(outDir); err == nil {
		t.Errorf("--work --out/%s: --out was made before the refusal", reportFile)
	}
}

// A --classifier given beside --fid 0 is not used, but is checked: a missing file and a diffusion model
// passed without a word (fifteenth probe).
func TestEvalChecksAClassifierGivenWithoutFID(t *testing.T) {
	dir := t.TempDir()
	for _, clf := range []string{filepath.Join(dir, "missing.ddpm"), "../../models/mnist-ch8-ema.ddpm"} {
		err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "0", "--classifier", clf, "--work", dir, "--out", dir})
		if err == nil || !strings.Contains(err.Error(), clf) {
			t.Errorf("--fid 0 --classifier %s: error %v, want a refusal naming it", clf, err)
		}
	}
}

// An input in --work under the name of one of eval's files there, or of its temporary, is refused and
// kept: a --ckpt named .nll-progress.json.tmp-123 was removed as a killed run's temporary (fifteenth probe).
func TestEvalKeepsInputsNamedLikeItsWorkFiles(t *testing.T) {
	model, err := os.ReadFile("../../models/mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".nll-progress.json.tmp-123", boundProgressFile} {
		work := t.TempDir()
		ckpt := filepath.Join(work, name)
		if err := os.WriteFile(ckpt, model, 0o644); err != nil {
			t.Fatal(err)
		}
		// By its name, and through a link from elsewhere: the link's target was removed (eighteenth probe).
		link := filepath.Join(t.TempDir(), "model.ddpm")
		if err := os.Symlink(ckpt, link); err != nil {
			t.Fatal(err)
		}
		for _, given := range []string{ckpt, link} {
			err := runEval([]string{"--ckpt", given, "--nll", "2", "--fid", "0", "--work", work, "--out", filepath.Join(work, "o")})
			if err == nil || !strings.Contains(err.Error(), "--ckpt "+given+" is the file") || !strings.Contains(err.Error(), "which lies in --work") {
				t.Errorf("--ckpt %s, in --work as %s: error %v, want a refusal", given, name, err)
			}
			if _, err := os.Stat(ckpt); err != nil {
				t.Errorf("--ckpt %s in --work was removed: %v", given, err)
			}
		}
	}
	// So in --out, under the name of a temporary of its report, tables or figures: eval removed a --ckpt,
	// a --classifier or the --samples named so, as a killed run's, once it cleaned --out (twenty-ninth probe).
	clf, err := os.ReadFile("../../models/mnist-classifier.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	out, samples := t.TempDir(), t.TempDir()
	writeTinyImages(t, samples)
	for _, c := range []struct {
		name    string
		content []byte
		args    func(input string) []string
		flag    string
	}{
		{".eval.json.tmp-7", model, func(in string) []string {
			return []string{"--ckpt", in, "--nll", "2", "--fid", "0", "--work", t.TempDir(), "--out", out}
		}, "--ckpt"},
		{".nll-terms.csv.tmp-5", model, func(in string) []string {
			return []string{"--ckpt", in, "--nll", "2", "--fid", "0", "--work", out, "--out", out}
		}, "--ckpt"},
		{".fid-samples.png.tmp-3", clf, func(in string) []string {
			return []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--classifier", in, "--nll", "0", "--fid", "4", "--work", t.TempDir(), "--out", out}
		}, "--classifier"},
		{".eval.json.tmp-12", clf, func(in string) []string { return []string{"--samples", samples, "--classifier", in, "--out", out} }, "--classifier"},
	} {
		input := filepath.Join(out, c.name)
		if err := os.WriteFile(input, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "input.ddpm")
		if err := os.Symlink(input, link); err != nil {
			t.Fatal(err)
		}
		for _, given := range []string{input, link} {
			err := runEval(c.args(given))
			if err == nil || !strings.Contains(err.Error(), c.flag+" "+given+" is the file") || !strings.Contains(err.Error(), "which lies in --") {
				t.Errorf("%s %s, in --out as %s: error %v, want a refusal", c.flag, given, c.name, err)
			}
			if _, err := os.Stat(input); err != nil {
				t.Errorf("%s %s in --out was removed: %v", c.flag, given, err)
			}
		}
		os.Remove(input)
	}
}

// A classifier whose weights are corrupt is refused before the bound: the whole bound ran first, and
// left its tables without a report (fifteenth probe).
func TestEvalMeasuresTheClassifierBeforeTheBound(t *testing.T) {
	raw, err := os.ReadFile("../../models/mnist-classifier.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-100] ^= 1 // in the last variable's values: the header still reads well
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "clf.ddpm")
	if err := os.WriteFile(corrupt, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err = runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "4", "--fid-batch", "4", "--steps", "5",
		"--classifier", corrupt, "--work", dir, "--out", out})
	if err == nil || !strings.Contains(err.Error(), "CRC-32") {
		t.Errorf("eval with a corrupt classifier: error %v, want its CRC-32 named", err)
	}
	if _, err := os.Stat(filepath.Join(out, termsFile)); err == nil {
		t.Errorf("the bound ran before the classifier was refused")
	}
}

// The bound checks --work's lock before each save: a folder moved mid-run had the run write its
// progress into the folder another eval then made and locked at that path (eighteenth probe).
func TestEvalBoundStopsWhenItsWorkIsMoved(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	lock, err := ddpm.LockDir(work, "--work")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if err := os.Rename(work, filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(work, 0o755); err != nil { // another run's, at the old path
		t.Fatal(err)
	}
	tr, err := loadTrained("../../models/mnist-ch8-ema.ddpm")
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := data.ReadMNISTSizes("")
	if err != nil {
		t.Fatal(err)
	}
	mnist, err := loadMNIST("", sizes)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Finalize()
	cfg := ddpm.SamplerConfig{Variance: ddpm.VarianceBeta, ClipX0: true}
	state, err := openBoundProgress(tr, tr.SHA256, "test", cfg, mnist.Test.N, 2, 1, 1, work)
	if err != nil {
		t.Fatal(err)
	}
	_, err = evalBound(backend, tr, state, cfg, mnist, 2, 1, 1, work, filepath.Join(dir, "out"), lock)
	if err == nil || !strings.Contains(err.Error(), "was moved or removed while this run held it") {
		t.Errorf("the bound with its --work moved: error %v", err)
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Errorf("the bound wrote %s into the folder now at its --work's path", entries[0].Name())
	}
}

// A bound whose last batch was cut short is not extended: the next images would draw other noise than
// a fresh run's (each batch's noise comes from its first image's index), and the extended bound of 4
// images differed from a fresh one (eighteenth probe). Resuming after a kill, on a batch's edge, goes on.
func TestEvalDoesNotExtendACutBatch(t *testing.T) {
	work := t.TempDir()
	args := func(n string) []string {
		return []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", n, "--nll-batch", "2", "--fid", "0", "--steps", "10", "--work", work, "--out", work}
	}
	if err := runEval(args("3")); err != nil {
		t.Fatal(err)
	}
	if err := runEval(args("4")); err == nil || !strings.Contains(err.Error(), "whose last batch was cut short there (--nll-batch 2)") {
		t.Errorf("--nll 4 after 3 in batches of 2: error %v, want a refusal", err)
	}
	fresh := t.TempDir()
	if err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--nll-batch", "2", "--fid", "0", "--steps", "10", "--work", fresh, "--out", fresh}); err != nil {
		t.Fatal(err)
	}
	if err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "4", "--nll-batch", "2", "--fid", "0", "--steps", "10", "--work", fresh, "--out", fresh}); err != nil {
		t.Errorf("--nll 4 after 2 in batches of 2: %v", err)
	}
}

// --fid 12 in batches of 10 scores what a fresh run scores, whatever the store holds: a store of 20
// held a whole second batch where a fresh run draws a cut one of 2 from other noise, and scored 313
// where the fresh run scored 325, exit 0 (twentieth probe).
func TestEvalFIDOfFewerThanTheStoreHoldsIsAFreshRuns(t *testing.T) {
	report := func(work, n string) fidOut {
		t.Helper()
		if err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--classifier", "../../models/mnist-classifier.ddpm", "--nll", "0",
			"--fid", n, "--fid-batch", "10", "--steps", "10", "--work", work, "--out", work}); err != nil {
			t.Fatalf("eval --fid %s: %v", n, err)
		}
		var r evalReport
		if raw, err := os.ReadFile(filepath.Join(work, "eval.json")); err != nil || json.Unmarshal(raw, &r) != nil || r.FID == nil {
			t.Fatalf("eval --fid %s: no report (%v)", n, err)
		}
		return *r.FID
	}
	fresh, larger := t.TempDir(), t.TempDir()
	want := report(fresh, "12")
	report(larger, "20")
	got := report(larger, "12")
	if got.ClassifierFID != want.ClassifierFID || !slices.Equal(got.ClassCounts, want.ClassCounts) {
		t.Errorf("--fid 12 from a store of 20: FID %g, classes %v; a fresh run's: %g, %v", got.ClassifierFID, got.ClassCounts, want.ClassifierFID, want.ClassCounts)
	}
	if got.SamplesMade != 2 {
		t.Errorf("--fid 12 from a store of 20 made %d samples, want the cut batch's 2", got.SamplesMade)
	}
}

// The FID's samples of another model in one --work are kept aside, as the bound's are, and taken back
// when that model comes back: the second model's FID was refused, the message saying to remove the
// first's samples (eighteenth probe).
func TestEvalKeepsTheSamplesOfAnotherModel(t *testing.T) {
	work := t.TempDir()
	run := func(model string) string {
		t.Helper()
		return captureStderr(t, func() {
			if err := runEval([]string{"--ckpt", model, "--classifier", "../../models/mnist-classifier.ddpm", "--nll", "0", "--fid", "10",
				"--fid-batch", "10", "--steps", "5", "--work", work, "--out", work}); err != nil {
				t.Errorf("eval --ckpt %s: %v", model, err)
			}
		})
	}
	const first, second = "../../models/mnist-ch8-ema.ddpm", "../../models/mnist-ema.ddpm"
	run(first)
	stores, _ := filepath.Glob(filepath.Join(work, "fid-samples-*.u8"))
	if len(stores) != 1 {
		t.Fatalf("stores after one model: %v", stores)
	}
	firstStore, _ := os.Stat(stores[0])
	if said := run(second); !strings.Contains(said, "holds the samples of other settings: kept as") {
		t.Errorf("the second model said %q", said)
	}
	if aside, _ := filepath.Glob(filepath.Join(work, "fid-samples-*-aside-*.u8")); len(aside) != 1 {
		t.Errorf("stores set aside: %v", aside)
	}
	run(first) // its samples back, not made again (the file itself: made again, it would be another)
	if again, err := os.Stat(stores[0]); err != nil || !os.SameFile(again, firstStore) {
		t.Errorf("the first model's store is not the file it made (%v)", err)
	}
}

// A store is set aside whatever the length of its first line (4 KB of kept steps were read in part and
// the store refused), and an empty one does not hide this run's samples waiting aside (they were made
// again); eval's folders may not be named like a checkpoint or a lock file, which broke the run or the
// folder they were made in (nineteenth probe).
func TestEvalStoresAsideAndFolderNames(t *testing.T) {
	work := t.TempDir()
	const name = "fid-samples-seed1.u8"
	steps := make([]int, 1999)
	for i := range steps {
		steps[i] = i + 1
	}
	theirs := map[string]any{"checkpoint_sha256": "aa", "steps": steps}
	ours := map[string]any{"checkpoint_sha256": "bb", "steps": steps}
	line, _ := json.Marshal(theirs)
	if len(line) < 4096 {
		t.Fatalf("a first line of %d bytes: want one over 4 KB", len(line))
	}
	if err := os.WriteFile(filepath.Join(work, name), append(line, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := setStoreAside(work, name, ours); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(filepath.Join(work, "fid-samples-seed1-aside-*.u8")); len(aside) != 1 {
		t.Errorf("a store with a first line of %d bytes: set aside as %v", len(line), aside)
	}
	// Ours aside, and an empty file in its place.
	if err := os.WriteFile(filepath.Join(work, name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := setStoreAside(work, name, theirs); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(filepath.Join(work, name)); !bytes.HasPrefix(raw, line) {
		t.Errorf("an empty store hid the one waiting aside: %d bytes now", len(raw))
	}
	// A store of this run's settings made before its first line held the image size (forty-fifth
	// probe) is this run's: not set aside where it is, and taken back from aside.
	legacy := t.TempDir()
	oursLine, _ := json.Marshal(ours)
	if err := os.WriteFile(filepath.Join(legacy, name), append(append(oursLine, '\n'), 1, 2, 3, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := setStoreAside(legacy, name, ours); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(filepath.Join(legacy, "*-aside-*")); len(aside) != 0 {
		t.Errorf("a store of this run's settings in the former header was set aside: %v", aside)
	}
	sum := sha256.Sum256(oursLine)
	formerAside := filepath.Join(legacy, "fid-samples-seed1-aside-"+hex.EncodeToString(sum[:6])+".u8")
	if err := os.Rename(filepath.Join(legacy, name), formerAside); err != nil {
		t.Fatal(err)
	}
	if err := setStoreAside(legacy, name, ours); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(filepath.Join(legacy, name)); !bytes.HasPrefix(raw, oursLine) {
		t.Errorf("this run's store, set aside under its former header, was not taken back: %d bytes", len(raw))
	}
	run := t.TempDir()
	for _, args := range [][]string{
		{"--out", filepath.Join(run, "ckpt-000000099.ddpm"), "--work", filepath.Join(run, "w")},
		{"--work", filepath.Join(run, "ckpt-000000500.ddpm"), "--out", filepath.Join(run, "o")},
		{"--out", filepath.Join(run, "w", ddpm.LockFileName), "--work", filepath.Join(run, "w")},
	} {
		err := runEval(append([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "0"}, args...))
		if err == nil || !strings.Contains(err.Error(), "would be taken for a") {
			t.Errorf("eval %v: error %v, want a refusal of the name", args, err)
		}
	}
	if entries, _ := os.ReadDir(run); len(entries) > 0 {
		t.Errorf("refused runs made %s", entries[0].Name())
	}
}

// A run refused by a full disk at its lock leaves nothing: the folders made for it stayed, each with an
// empty lock file (thirty-first probe).
func TestAFullDiskAtTheLockLeavesNothing(t *testing.T) {
	full := fulldisk.Mount(t)
	samples := blankDigits(t, 20)
	for _, c := range []struct {
		run  func([]string) error
		args []string
	}{
		{runTrain, []string{"--dataset", "moons", "--steps", "3", "--ckpt", filepath.Join(full, "tr", "a")}},
		{runEval, []string{"--samples", samples, "--classifier", "../../models/mnist-classifier.ddpm", "--out", filepath.Join(full, "es")}},
		{runEval, []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--classifier", "../../models/mnist-classifier.ddpm", "--fid", "20", "--nll", "0", "--steps", "2",
			"--work", filepath.Join(full, "w"), "--out", filepath.Join(full, "eo")}},
	} {
		if err := c.run(c.args); err == nil || !strings.Contains(err.Error(), "its file system is full, of bytes or of files (no space left on device") || strings.Contains(err.Error(), "xxx") {
			t.Errorf("%v on a full disk: error %v, want a refusal saying the file system full", c.args, err)
		}
		if left, _ := os.ReadDir(full); len(left) != 1 {
			t.Errorf("%v on a full disk left %v", c.args, left)
			for _, e := range left[1:] {
				os.RemoveAll(filepath.Join(full, e.Name()))
			}
		}
	}
}

// eval checks that --out and --work have room for everything it writes before its work, and a refusal
// leaves nothing made for it: a full disk was found at the writes, after the whole bound or scoring
// (thirty-first probe). The bounds hold for what is written.
func TestEvalChecksTheRoomBeforeItsWork(t *testing.T) {
	defer func(f func(string) (float64, error)) { ddpm.FreeSpace = f }(ddpm.FreeSpace)
	const nllN, fidN, K = 8, 20, 2
	dir := t.TempDir()
	work, out := filepath.Join(dir, "w"), filepath.Join(dir, "o")
	args := []string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--classifier", "../../models/mnist-classifier.ddpm",
		"--nll", fmt.Sprint(nllN), "--nll-batch", "4", "--fid", fmt.Sprint(fidN), "--fid-batch", "10", "--steps", fmt.Sprint(K),
		"--work", work, "--out", out}
	need := 0.0 // both on one file system, where their sum is needed
	for _, p := range evalRoom(out, work, nllN, K, "", fidN, 0, 28*28, []int{28, 28, 1}) {
		need += p.bytes
	}
	ddpm.FreeSpace = func(string) (float64, error) { return need - 1, nil }
	if err := runEval(args); err == nil || !strings.Contains(err.Error(), "--out "+out+" and --work "+work+": its file system has") {
		t.Errorf("one byte short: error %v, want a refusal naming --out %s and --work %s", err, out, work)
	}
	for _, made := range []string{out, work} {
		if _, err := os.Lstat(made); !os.IsNotExist(err) {
			t.Errorf("one byte short: %s was left (%v)", made, err)
		}
	}
	// Samples made elsewhere: the report and the grid, before the scoring.
	samples, scored := blankDigits(t, fidN), filepath.Join(dir, "s")
	ddpm.FreeSpace = func(string) (float64, error) {
		return evalReportBytes + ddpm.ImageGridPNGBound(fidN, []int{28, 28, 1}, 0) - 1, nil
	}
	err := runEval([]string{"--samples", samples, "--classifier", "../../models/mnist-classifier.ddpm", "--out", scored})
	if err == nil || !strings.Contains(err.Error(), "--out "+scored+": its file system has") {
		t.Errorf("--samples, one byte short: error %v, want a refusal naming --out %s", err, scored)
	}
	if _, err := os.Lstat(scored); !os.IsNotExist(err) {
		t.Errorf("--samples, one byte short: %s was left (%v)", scored, err)
	}
	// Out of files with bytes to spare, before the count of files is checked: the lock's probe said
	// "no space left" of a temporary name the user never gave (hundred-and-second probe's nit).
	if full := t.TempDir(); syscall.Mount("tmpfs", full, "tmpfs", 0, "size=4m,nr_inodes=3") == nil {
		defer syscall.Unmount(full, 0) //nolint:errcheck
		e := filepath.Join(full, "e")
		err := runEval([]string{"--samples", samples, "--classifier", "../../models/mnist-classifier.ddpm", "--out", e})
		if err == nil || !strings.Contains(err.Error(), "--out "+e+" cannot be written: its file system is full, of bytes or of files") || strings.Contains(err.Error(), "xxx") {
			t.Errorf("--out on a file system of two files free: %v, want it said full, of bytes or of files", err)
		}
		if _, err := os.Lstat(e); !os.IsNotExist(err) {
			t.Errorf("--out on a file system of two files free: %s was left (%v)", e, err)
		}
	}
	ddpm.FreeSpace = func(string) (float64, error) { return 1 << 40, nil }
	if err := runEval(args); err != nil {
		t.Fatal(err)
	}
	var progress boundProgress
	if raw, err := os.ReadFile(filepath.Join(work, boundProgressFile)); err != nil || json.Unmarshal(raw, &progress) != nil {
		t.Fatalf("the bound's progress: %v", err)
	}
	stores, _ := filepath.Glob(filepath.Join(work, "fid-samples-*.u8"))
	if len(stores) != 1 {
		t.Fatalf("sample stores in --work: %v", stores)
	}
	for _, p := range evalRoom(out, work, nllN, K, progress.Desc, fidN, 0, 28*28, []int{28, 28, 1}) {
		path := p.path
		if strings.HasSuffix(path, ".u8") {
			path = stores[0] // its name holds a hash of its settings; the bound leaves out its header line
			if raw, err := os.ReadFile(path); err == nil {
				p.bytes += float64(bytes.IndexByte(raw, '\n') + 1)
			}
		}
		if info, err := os.Stat(path); err != nil || float64(info.Size()) > p.bytes {
			t.Errorf("%s takes more than the %.0f bytes it was given room for (%v)", path, p.bytes, err)
		}
	}
}

// blankDigits writes n black 28×28 images as .npy samples, and returns the file.
func blankDigits(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	digits := make([][][]uint8, n)
	for i := range digits {
		digits[i] = make([][]uint8, 28)
		for y := range digits[i] {
			digits[i][y] = make([]uint8, 28)
		}
	}
	if err := npy.Write(f, digits); err != nil {
		t.Fatal(err)
	}
	return path
}

// Heun at 2 or 3 steps is said to diverge: its samples were noise, exit 0, without a word (thirty-second
// probe); from 4 steps on nothing is said.
func TestHeunOnFewStepsIsSaidToDiverge(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		steps string
		warns bool
	}{{"2", true}, {"3", true}, {"4", false}} {
		out, err := ddpmCommand("sample", "--ckpt", "models/mnist-ch8-ema.ddpm", "--n", "1", "--sampler", "heun", "--steps", c.steps,
			"--out", filepath.Join(dir, "h"+c.steps+".png")).CombinedOutput()
		if err != nil {
			t.Fatalf("heun at %s steps: %v\n%s", c.steps, err, out)
		}
		if warned := strings.Contains(string(out), "warning: --sampler heun at "+c.steps+" steps diverges"); warned != c.warns {
			t.Errorf("heun at %s steps: warned %v, want %v:\n%s", c.steps, warned, c.warns, out)
		}
	}
}

// sample does not clip a 2-D toy model's x̂_0 to [-1, 1] unless told to: that is the images' range, the
// toy sets reach beyond it, and a moons model's samples piled on the square's edges (sixtieth probe). A
// model trained one step predicts points far out; clipped, every final point is x̂_0 within [-1, 1].
func TestToySamplesAreNotClippedByDefault(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "moons")
	if err := runTrain([]string{"--dataset", "moons", "--toy-n", "64", "--steps", "1", "--progress=false", "--ckpt", ckpt}); err != nil {
		t.Fatal(err)
	}
	largest := func(args ...string) float64 {
		out := filepath.Join(dir, "s.npy")
		if err := runSample(append([]string{"--ckpt", ckpt, "--n", "256", "--steps", "20", "--out", out}, args...)); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var points []float32
		if err := npy.Read(f, &points); err != nil {
			t.Fatal(err)
		}
		m := 0.0
		for _, v := range points {
			m = max(m, math.Abs(float64(v)))
		}
		return m
	}
	if m := largest(); m <= 1 {
		t.Errorf("a 2-D model's samples by default: all within [-1, 1] (largest %v), as clipped", m)
	}
	if m := largest("--clip"); m > 1 {
		t.Errorf("a 2-D model's samples with --clip: %v beyond 1", m)
	}
}

// eval's --out is a run's folder: its report is read back (a section of it kept), so what is there
// must be the user's and writable by no other user; a bound of another user's was carried into
// root's new report, exit 0 (sixty-fourth probe).
func TestEvalOutIsCheckedAsARunFolder(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "o")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(out, reportFile)
	if err := os.WriteFile(report, []byte("{}"), 0o644); err != nil || os.Chmod(report, 0o666) != nil {
		t.Fatal("writing the report")
	}
	err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--nll", "2", "--fid", "0", "--work", filepath.Join(dir, "w"), "--out", out})
	if err == nil || !strings.Contains(err.Error(), "--out") || !strings.Contains(err.Error(), reportFile+" can be changed by other users") {
		t.Errorf("eval with a report anyone may write in --out: error %v, want it refused", err)
	}
}

// A sampler without a bound takes --nll to 0; with --fid 0 nothing is left to do, which is refused as
// `--nll 0 --fid 0` is: it wrote a report of neither, exit 0 (sixty-fourth probe).
func TestEvalWithASamplerWithoutABoundAndNoFID(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "w")
	err := runEval([]string{"--ckpt", "../../models/mnist-ch8-ema.ddpm", "--sampler", "ddim", "--steps", "50", "--fid", "0", "--work", work, "--out", filepath.Join(dir, "o")})
	if err == nil || !strings.Contains(err.Error(), "--fid 0 with --sampler ddim") || !strings.Contains(err.Error(), "nothing to evaluate") {
		t.Errorf("eval --sampler ddim --fid 0: error %v, want nothing to evaluate", err)
	}
	if _, err := os.Stat(work); err == nil {
		t.Errorf("the refused eval made its --work")
	}
}

// A FID section's class counts and its tied rows are every sample, as scoreSamples writes them: a row
// tied between two classes is in no count (quality.Confident), and a report with one was refused by its
// own check (ninety-sixth probe); counts that miss samples with no ties to say so are still refused.
func TestFIDSectionCountsItsTies(t *testing.T) {
	counts := []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 0}
	for _, c := range []struct {
		ties    int
		wantErr bool
	}{{1, false}, {0, true}, {2, true}, {-1, true}} {
		o := &fidOut{Samples: 10, ClassCounts: counts, ClassTies: c.ties}
		if err := o.check(false); (err != nil) != c.wantErr {
			t.Errorf("9 counted and %d tied of 10 samples: %v, want an error: %v", c.ties, err, c.wantErr)
		}
	}
}

// The paths eval.json records are UTF-8 text, or refused before any work: a name that is not was
// recorded as U+FFFD, a file that is not there (ninety-seventh probe's nit).
func TestEvalRefusesPathsJSONCannotRecord(t *testing.T) {
	for _, args := range [][]string{{"--samples", "s\xff.npy"}, {"--ckpt", "m\xff.ddpm", "--fid", "4"}, {"--ckpt", "../../models/mnist-ema.ddpm", "--nll", "0", "--fid", "4", "--classifier", "c\xff.ddpm"}} {
		if err := runEval(append(args, "--out", t.TempDir())); err == nil || !strings.Contains(err.Error(), "not UTF-8 text") {
			t.Errorf("eval %q: %v, want a refusal naming the path as not UTF-8", args, err)
		}
	}
	// The defaults, in a cache whose path is not UTF-8 (ninety-eighth probe).
	cache := filepath.Join(t.TempDir(), "c\xff")
	shipped, err := os.ReadFile("../../models/mnist-ema.ddpm")
	if err != nil || os.MkdirAll(filepath.Join(cache, "ddpm-go", "models"), 0o755) != nil ||
		os.WriteFile(filepath.Join(cache, "ddpm-go", "models", "mnist-ema.ddpm"), shipped, 0o644) != nil {
		t.Fatal("a cache")
	}
	t.Setenv("XDG_CACHE_HOME", cache)
	if err := runEval([]string{"--out", t.TempDir()}); err == nil || !strings.Contains(err.Error(), "--ckpt") || !strings.Contains(err.Error(), "not UTF-8 text") {
		t.Errorf("eval of the cache's default model, the cache's path not UTF-8: %v, want a refusal naming it", err)
	}
}

// classifier records its command line in its file: an argument that is not UTF-8 is refused before any
// training (it was recorded as U+FFFD; ninety-ninth probe's nit).
func TestClassifierRefusesArgumentsItCannotRecord(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c\xff.ddpm")
	if err := runClassifier([]string{"--epochs", "1", "--out", out}); err == nil || !strings.Contains(err.Error(), "not UTF-8 text") {
		t.Errorf("classifier --out %q: %v, want a refusal naming it as not UTF-8", out, err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("classifier wrote %q", out)
	}
}
