package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/viz"
)

func runSample(args []string) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "runs/mnist", "checkpoint file, or folder (its newest checkpoint)")
	n := fs.Int("n", 64, "number of samples (with --class all: per class, default 8)")
	class := fs.String("class", "", "class-conditional model: the class to draw, by name or number (e.g. 7, or cat), or all for a grid with one row per class; "+
		"empty: no class (the model's unconditional samples)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and --n give the same samples (another --n draws other noise)")
	sf := addSamplerFlags(fs)
	out := fs.String("out", "samples.png", "output: a PNG (an image grid, or a scatter plot of 2-D points), or the samples as a NumPy array, "+
		data.SampleArrayFormats+": images in improved-diffusion's layout N×H×W×C uint8, which eval --samples reads back; 2-D points as float32 N×2")
	cols := fs.Int("cols", 0, "images per row of the grid (0: about square)")
	progressive := fs.String("progressive", "", "also write the progressive x̂_0 predictions (the paper's Figure 6) to this PNG")
	var at intList = []int{1000, 900, 800, 700, 600, 500, 400, 300, 200, 100, 50, 1}
	fs.Var(&at, "progressive-t", "time steps shown by --progressive, comma-separated (the default's, for T = 1000, are scaled to the model's T)")
	progressN := fs.Int("progressive-n", 8, "rows (samples) in the --progressive figure")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFlags(
		flagCheck{*n >= 1, "n", *n, "need at least one sample"},
		flagCheck{*cols >= 0, "cols", *cols, "images per row must be >= 0 (0: about square)"},
		flagCheck{*progressN >= 1, "progressive-n", *progressN, "the figure needs at least one row"},
		flagCheck{*progressive == "" || len(at) > 0, "progressive-t", `""`, "name the time steps that --progressive shows"},
	); err != nil {
		return err
	}
	if err := checkFileName("--out", *out); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".png" && ext != ".npy" && ext != ".npz" {
		return fmt.Errorf("--out %q: want a .png, or %s", *out, data.SampleArrayFormats)
	}
	if err := checkOutputTarget("--out", *out); err != nil {
		return err
	}
	if *progressive == "" {
		if err := unusedFlags(fs, "without --progressive", "progressive-t", "progressive-n"); err != nil {
			return err
		}
	}
	if ext != ".png" {
		if err := unusedFlags(fs, "with --out "+*out+": an array has no grid", "cols"); err != nil {
			return err
		}
	}
	if *class == ddpm.ClassAll {
		if err := unusedFlags(fs, "with --class all: the grid has one row per class, --n images each", "cols"); err != nil {
			return err
		}
	}
	if err := checkDefaultCheckpoint(fs); err != nil {
		return err
	}
	tr, err := loadTrained(*ckpt)
	if err != nil {
		return err
	}
	if !isSet(fs, "progressive-t") {
		at = scaledSteps(at, tr.Spec.T)
	}
	if *progressive != "" && len(tr.Spec.Dims) != 3 {
		return fmt.Errorf("--progressive %s: %s models points of %v, not images; Figure 6 is a grid of images", *progressive, tr.Path, tr.Spec.Dims)
	}
	if len(tr.Spec.Dims) != 3 {
		if err := unusedFlags(fs, fmt.Sprintf("with %s, which models points of %v: they are drawn as a scatter plot, not a grid", tr.Path, tr.Spec.Dims),
			"cols"); err != nil {
			return err
		}
	}
	// Bounded before anything of that size is made (--class all checks its n × classes itself).
	guided := *class != "" && tr.Spec.NumClasses() > 0 && *sf.guidance > 0
	what, recorded := fmt.Sprintf("sampling --n %d at once", *n), 0.0
	if *progressive != "" { // every sample's x̂_0 at each recorded step, float32, held twice (eleventh probe)
		what += fmt.Sprintf(", recording %d steps of them for --progressive", len(at))
		recorded = 2 * 4 * float64(*n) * float64(len(at)) * valuesPerImage(tr.Spec.Dims)
	}
	if err := checkSampling(what, tr, *n, 1, guided, recorded); err != nil {
		return err
	}
	labels, err := classLabels(tr, *class, n, cols, isSet(fs, "n"), guided)
	if err != nil {
		return err
	}
	if labels == nil && tr.Spec.NumClasses() > 0 {
		// Without a class a conditional model draws with ∅ (no class): there is nothing to guide towards.
		if err := unusedFlags(fs, "without --class: a class-conditional model then draws with no class, unguided", "guidance"); err != nil {
			return err
		}
	}
	if ext == ".npy" && labels != nil && classesAreDigits(tr.Spec.ClassNames) { // others' labels are not written (digitLabels)
		return fmt.Errorf("--out %s: an .npy file holds one array; write a class-conditional model's samples and their labels to an .npz", *out)
	}
	// What a PNG can show, known from the model before the sampling: 3-D points and 2-channel images
	// were sampled whole, then refused (sixteenth probe).
	if err := drawable(tr.Spec.Dims); ext == ".png" && err != nil {
		return fmt.Errorf("--out %s: %w; write the samples to an .npy or .npz", *out, err)
	}
	if err := ddpm.CheckOutput("--out", *out, tr.Path); err != nil {
		return err
	}
	if *progressive != "" {
		if err := checkExtension("--progressive", *progressive, ".png"); err != nil {
			return err
		}
		if err := drawable(tr.Spec.Dims); err != nil {
			return fmt.Errorf("--progressive %s: %w", *progressive, err)
		}
		if sameFile(*progressive, *out) {
			return fmt.Errorf("--progressive %s is also --out (by name or as another name of one file): the figure would replace the samples", *progressive)
		}
		if err := ddpm.CheckOutput("--progressive", *progressive, tr.Path); err != nil {
			return err
		}
	}
	sched, cfg, err := sf.build(tr)
	if err != nil {
		return err
	}
	if *progressive != "" {
		for _, t := range at {
			if err := tr.Schedule.CheckStep(t); err != nil {
				return fmt.Errorf("--progressive-t: %w", err)
			}
		}
	}
	if *cols > *n {
		return fmt.Errorf("--cols %d: more images per row than the %d samples", *cols, *n)
	}
	if isSet(fs, "progressive-n") && *progressN > *n { // it drew --n rows without a word (tenth probe)
		drawn := "--n"
		if *class == ddpm.ClassAll { // --n is per class (it said "10 samples (--n)" of --n 1; eleventh probe)
			drawn = fmt.Sprintf("--n %d per class", *n/tr.Spec.NumClasses())
		}
		return fmt.Errorf("--progressive-n %d: more rows than the %d samples drawn (%s)", *progressN, *n, drawn)
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	if err := sf.setDevices(backend, &cfg); err != nil {
		return err
	}
	if k := tr.Spec.NumClasses(); *class == ddpm.ClassAll && *n%cfg.Devices != 0 { // --n is then per class: say which split evenly
		return fmt.Errorf("--class all --n %d: %d classes × %d = %d samples cannot be split evenly over %d devices: use --n %d, or a multiple of it",
			*n/k, k, *n/k, *n, cfg.Devices, cfg.Devices/gcd(k, cfg.Devices))
	}
	if err := ddpm.CheckShardable("--n", *n, cfg.Devices); err != nil {
		return err
	}
	if labels == nil { // drawn with ∅, unguided: the default w ran the network twice on ∅ and said "with guidance" (sixty-first probe)
		cfg.Guidance = 0
	}
	sampler, err := tr.NewSampler(backend, sched, cfg)
	if err != nil {
		return err
	}
	// --progressive-t names the model's time steps, shown along the chain (from T down, whatever the
	// order given); on fewer steps each is shown at the nearest kept one, and captioned with it. Two
	// that fall on one kept step are refused (the figure showed one step twice under two captions;
	// seventh probe), unless they are the default's: then it shows the step once (a solver's 20 steps
	// refused the default list, which the user never gave; eleventh probe).
	var record []int
	recordAt := map[int]int{} // model time step → sampler step
	var shown []string        // the captions: the time steps shown
	var kept []int            // the --progressive-t shown, in the figure's order
	var moved []string        // notes on the --progressive-t given that are shown at another step
	if *progressive != "" {
		slices.SortFunc(at, func(a, b int) int { return b - a })
		for _, t := range at {
			k := nearestStep(sampler, t)
			if j := slices.Index(record, k); j >= 0 && !isSet(fs, "progressive-t") {
				continue
			} else if j >= 0 && kept[j] == t { // it said "both shown at t=445" of one value given twice (thirty-sixth probe's nit)
				return fmt.Errorf("--progressive-t %d is given twice", t)
			} else if j >= 0 {
				return fmt.Errorf("--progressive-t %d and %d are both shown at t=%.0f, the nearest of the %d steps kept: name time steps further apart, or more --steps",
					kept[j], t, sampler.StepTime(k), sampler.Steps())
			}
			recordAt[t] = k
			record, kept = append(record, k), append(kept, t)
			shown = append(shown, fmt.Sprintf("t=%.0f", sampler.StepTime(k)))
			if at := sampler.StepTime(k); isSet(fs, "progressive-t") && math.Abs(at-float64(t)) >= 0.5 { // said in the caption only (fiftieth probe's nit)
				moved = append(moved, fmt.Sprintf("--progressive-t %d is shown at t=%.0f, the nearest of the %d steps kept", t, at, sampler.Steps()))
			}
		}
	}
	// Figures the drawing would refuse (viz.MaxPixels), refused before the sampling: they were refused
	// after it, minutes later (thirty-ninth probe).
	if ext == ".png" && len(tr.Spec.Dims) == 3 { // points are drawn as a scatter plot
		if err := ddpm.CheckImageGrid(fmt.Sprintf("--out %s: a grid of %d samples", *out, *n), *n, tr.Spec.Dims, *cols); err != nil {
			return err
		}
	}
	if *progressive != "" {
		rows := min(*progressN, *n)
		w, h := captionedGridSize(rows*(len(kept)+1), len(kept)+1, tr.Spec.Dims)
		if err := viz.CheckFigure(fmt.Sprintf("--progressive %s: %d samples (--progressive-n) at %d steps (--progressive-t)", *progressive, rows, len(kept)), w, h); err != nil {
			return err
		}
	}
	// Room for what is written, before the sampling (twenty-seventh and twenty-eighth probes).
	outputs := []plannedOutput{{flag: "--out", path: *out, bytes: samplesBytes(tr.Spec.Dims, *n, *cols, ext, labels != nil)}}
	if *progressive != "" {
		outputs = append(outputs, plannedOutput{flag: "--progressive", path: *progressive, bytes: progressiveBytes(min(*progressN, *n), len(kept), tr.Spec.Dims)})
	}
	if err := checkRoom(outputs...); err != nil {
		return err
	}
	// Said once nothing refuses the run: it came before the refusals of --guidance (thirty-first
	// probe's nit), then of --out, --progressive and --steps (thirty-second).
	if labels == nil && tr.Spec.NumClasses() > 0 {
		eprintf("%s is class-conditional: drawing without a class (--class names one of %d, or all)\n", tr.Path, tr.Spec.NumClasses())
	}
	for _, note := range moved {
		fmt.Fprintln(os.Stderr, note)
	}
	start, progress := time.Now(), newProgressLine()
	res, err := sampler.Sample(ddpm.SampleOptions{N: *n, Dims: tr.Spec.Dims, Seed: *seed, RecordX0At: record, Labels: labels,
		Progress: func(k int) {
			if k%50 == 0 || k == 1 || sampler.Steps() < 100 {
				progress.show("sampling: t=%4.0f  (%s)", sampler.StepTime(k), time.Since(start).Round(time.Second))
			}
		}})
	progress.end()
	if err != nil {
		return err
	}
	byModelStep := map[int][]float32{}
	for t, k := range recordAt {
		byModelStep[t] = res.X0s[k]
	}
	res.X0s = byModelStep
	elapsed := time.Since(start)
	switch {
	case ext != ".png":
		err = writeSampleArray(*out, ext, res.X0, *n, tr.Spec.Dims, digitLabels(tr, labels, *out))
	case len(tr.Spec.Dims) == 1:
		err = writeScatter(*out, res.X0, tr.Spec.Dims[0])
	default:
		err = recordWrite(*out, ddpm.WriteImageGridPNG(*out, res.X0, *n, tr.Spec.Dims, *cols))
	}
	if err != nil {
		return err
	}
	method := describeSampler(sched, cfg)
	if labels != nil {
		// A row of each class in turn: "every class in turn" read as labels 0, 1, 2, … (thirty-sixth probe's nit).
		drawn := fmt.Sprintf("every class, %d of each in a row of its own", *cols)
		if ext != ".png" { // an array has no rows (sixty-fifth probe's nit)
			drawn = fmt.Sprintf("every class, %d of each, one class after another", *cols)
		}
		if *class != ddpm.ClassAll {
			drawn = tr.Spec.ClassDescription(labels[0])
		}
		method += fmt.Sprintf(", %s, guidance w = %g", drawn, cfg.Guidance)
	}
	unit := "images" // points of a 2-D set are not images (twenty-seventh probe's nit)
	if len(tr.Spec.Dims) != 3 {
		unit = "points"
	}
	printf("%d %s from %s (step %d), %s, in %s (%.1f %s/s): %s\n", *n, plural(*n, "sample", "samples"), tr.Path, tr.Step,
		method, elapsed.Round(time.Millisecond), float64(*n)/elapsed.Seconds(), unit, *out)
	if *progressive != "" {
		if err := writeProgressive(*progressive, res, kept, shown, min(*progressN, *n), tr.Spec.Dims); err != nil {
			return err
		}
		printf("progressive x̂_0 at %s: %s\n", strings.Join(shown, ", "), *progressive)
	}
	return nil
}

// classLabels turns --class into one label per sample: nil for an unconditional model or no class;
// for all, n becomes the number per class (8 unless --n was given) and the grid one row per class.
func classLabels(tr *ddpm.Trained, class string, n, cols *int, nSet, guided bool) ([]int, error) {
	k := tr.Spec.NumClasses()
	switch {
	case class == "" && k == 0:
		return nil, nil
	case class == "" && neverUnlabelled(tr): // its draws without a label are noise (eleventh probe)
		return nil, fmt.Errorf("%s was trained with --p-uncond 0, never without a label, so it cannot draw without a class: name one with --class (one of %d, or all)", tr.Path, k)
	case class == "":
		return nil, nil
	case k == 0:
		return nil, fmt.Errorf("--class %s: %s is not class-conditional (it was trained without --class-cond)", class, tr.Path)
	case class == ddpm.ClassAll:
		if !nSet {
			*n = 8
		}
		// Bounded before the labels are made: n per class times k classes, drawn at once, must fit in
		// memory (the start-up cost and the schedule counted once: k times refused 90 classes of 8×8).
		if err := checkSampling(fmt.Sprintf("--class all --n %d (%d classes)", *n, k), tr, *n, k, guided, 0); err != nil {
			return nil, err
		}
		labels := make([]int, 0, k**n)
		for c := range k {
			labels = append(labels, slices.Repeat([]int{c}, *n)...)
		}
		*cols, *n = *n, k**n
		return labels, nil
	}
	c, err := tr.Spec.ClassLabel(class)
	if err != nil {
		return nil, fmt.Errorf("--class: %w", err)
	}
	return slices.Repeat([]int{c}, *n), nil
}

// valuesPerImage is the number of values in one example of shape dims, as a float for estimates.
func valuesPerImage(dims []int) float64 {
	n := 1.0
	for _, d := range dims {
		n *= float64(d)
	}
	return n
}

// samplesBytes bounds the size of the file of n samples in ext: a PNG's as the image it draws (a grid
// of cols columns, or the scatter plot), an array's a byte per pixel of images or four per value of
// points, eight per label, and a header's kilobytes.
func samplesBytes(dims []int, n, cols int, ext string, labelled bool) float64 {
	switch {
	case ext == ".png" && len(dims) == 3:
		return ddpm.ImageGridPNGBound(n, dims, cols)
	case ext == ".png":
		return viz.PNGBound(scatterPlot(nil).Size())
	}
	perSample := valuesPerImage(dims)
	if len(dims) != 3 {
		perSample *= 4
	}
	if labelled {
		perSample += 8
	}
	return float64(n)*perSample + 4<<10
}

// sampleMemory is the memory of drawing k × n samples at once: the start-up and the schedule once, the
// images' activations k × n times, twice over with classifier-free guidance, which runs the network
// with and without the label (the estimate ignored it, and guided runs that it let through asked XLA
// for twice the machine's memory; tenth probe).
func sampleMemory(tr *ddpm.Trained, n, k int, guided bool) float64 {
	perImages := tr.Spec.SampleMemory(n) - tr.Spec.SampleMemory(0)
	if guided {
		perImages *= 2
	}
	return tr.Spec.SampleMemory(0) + float64(k)*perImages
}

// checkSampling refuses drawing k × n samples at once, with extra bytes besides, where the memory
// available cannot hold them (sampleMemory) or the kernel would not grant XLA's block of temporaries
// for them (ddpm.RunSpec.SampleBlock: `sample --n 21000` passed the first and aborted in C++ after a
// minute, as did `eval --fid-batch 30000`; fifty-sixth probe).
func checkSampling(what string, tr *ddpm.Trained, n, k int, guided bool, extra float64) error {
	if err := ddpm.CheckMemory(what, sampleMemory(tr, n, k, guided)+extra); err != nil {
		return err
	}
	times := float64(k)
	if guided { // the network runs on each image with and without its label
		times *= 2
	}
	return ddpm.CheckAddressSpace(what, times*tr.Spec.SampleBlock(n), times*tr.Spec.SampleAddressSpace(n))
}

// nearestStep is the sampler's step (of a respaced schedule, or a solver's) whose model time step is
// nearest to t.
func nearestStep(sampler *ddpm.Sampler, t int) int {
	best := 1
	for k := 1; k <= sampler.Steps(); k++ {
		if math.Abs(sampler.StepTime(k)-float64(t)) < math.Abs(sampler.StepTime(best)-float64(t)) {
			best = k
		}
	}
	return best
}

// writeProgressive lays out, for each of the first rows samples, x̂_0 at each recorded step
// followed by the final sample: the paper's Figure 6.
func writeProgressive(path string, res *ddpm.SampleResult, at []int, shown []string, rows int, dims []int) error {
	size := dims[0] * dims[1] * dims[2]
	var pixels []float32
	var captions []string
	for r := 0; r < rows; r++ {
		for i, t := range at {
			pixels = append(pixels, res.X0s[t][r*size:(r+1)*size]...)
			captions = append(captions, shown[i])
		}
		pixels = append(pixels, res.X0[r*size:(r+1)*size]...)
		captions = append(captions, "x_0")
	}
	png, err := captionedGrid(pixels, captions, len(at)+1, dims).PNG()
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

// captionedGrid lays out images of shape dims with their captions in cols columns, at twice their
// size: Figure 6 (a row per sample, its x̂_0 at each step shown and then x_0) and Figure 8.
func captionedGrid(pixels []float32, captions []string, cols int, dims []int) viz.Grid {
	return viz.Grid{Pixels: pixels, N: len(captions), Height: dims[0], Width: dims[1], Channels: dims[2], Cols: cols, Scale: 2, Captions: captions}
}

// progressiveBytes bounds the bytes of Figure 6 of rows samples at shown steps, before they are drawn.
func progressiveBytes(rows, shown int, dims []int) float64 {
	return captionedGridBytes(rows*(shown+1), shown+1, dims)
}

// captionedGridBytes bounds the bytes of the PNG of a captioned grid of n images, before they are made.
func captionedGridBytes(n, cols int, dims []int) float64 {
	return viz.PNGBound(captionedGridSize(n, cols, dims))
}

// captionedGridSize is the size in pixels of a captioned grid of n images, before they are made.
func captionedGridSize(n, cols int, dims []int) (w, h int) {
	return captionedGrid(nil, make([]string, n), cols, dims).Size()
}

// drawable refuses samples of shape dims that a PNG cannot show: a scatter plot is of 2-D points, a
// grid of images of 1 or 3 channels.
func drawable(dims []int) error {
	switch {
	case len(dims) == 1 && dims[0] != 2:
		return fmt.Errorf("a plot shows 2-D points, and the model's have %d values", dims[0])
	case len(dims) == 3 && dims[2] != 1 && dims[2] != 3:
		return fmt.Errorf("an image grid shows 1 or 3 channels, and the model's images have %d", dims[2])
	}
	return nil
}

func writeScatter(path string, points []float32, dim int) error {
	if err := drawable([]int{dim}); err != nil {
		return err
	}
	xs, ys := make([]float64, len(points)/2), make([]float64, len(points)/2)
	for i := range xs {
		xs[i], ys[i] = float64(points[2*i]), float64(points[2*i+1])
	}
	png, err := scatterPlot([]viz.Series{{X: xs, Y: ys, Scatter: true}}).PNG()
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

// digitLabels is labels where tr's classes are the digits 0 to 9, in order, and nil otherwise, said on
// standard error: eval --samples scores a label i as the digit i, and the labels of classes named
// "eight" … "zero" were scored as other digits, exit 0 (seventy-ninth probe).
func digitLabels(tr *ddpm.Trained, labels []int, out string) []int {
	if labels == nil || classesAreDigits(tr.Spec.ClassNames) {
		return labels
	}
	eprintf("note: %s holds the samples without their labels: %s's classes are not the digits 0 to 9 in order, as eval --samples reads labels\n", out, tr.Path)
	return nil
}

// classesAreDigits says whether names are "0" … "9", label i named i.
func classesAreDigits(names []string) bool { return len(names) == 10 && notDigitName(names) < 0 }

// notDigitName is the first label i whose class is not named i, or -1: eval scores label i as digit i.
func notDigitName(names []string) int {
	for i, name := range names {
		if name != strconv.Itoa(i) {
			return i
		}
	}
	return -1
}

// writeSampleArray writes the samples (and a conditional model's labels) as a NumPy .npy or .npz.
func writeSampleArray(path, ext string, x []float32, n int, dims, labels []int) error {
	var buf bytes.Buffer
	if err := data.EncodeSamples(&buf, ext, x, n, dims, labels); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return writeFile(path, buf.Bytes())
}

// writeOwnFile is writeFile for a file that the command names itself: a link planted there during the
// run is refused when the file is written (the report and tables went through links planted after
// ddpm.CheckOwnOutput's check; thirteenth probe).
func writeOwnFile(path string, content []byte) error {
	return recordWrite(path, ddpm.WriteOwnFileAtomic(path, func(w io.Writer) error { _, err := w.Write(content); return err }))
}

// recordWrite records path as written (wrote) where err is nil, and returns err.
func recordWrite(path string, err error) error {
	if err == nil {
		wrote(path)
	}
	return err
}

// writeFile writes content to path whole (ddpm.WriteFileAtomic). Its folder exists: each command shows it with ddpm.CheckOutput before the work (a folder made here
// from the cleaned name was the wrong one for "link/../sub/x.png"; twelfth probe).
func writeFile(path string, content []byte) error {
	return recordWrite(path, ddpm.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(content); return err }))
}

// gcd is the greatest common divisor of two positive numbers.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// scatterPlot is the plot of a 2-D model's samples.
func scatterPlot(series []viz.Series) viz.Plot {
	return viz.Plot{Title: "samples", Width: 400, Height: 400, Series: series}
}

// scaledSteps is time steps given for the paper's T = 1000 (a flag's default) at the same places along
// a chain of T steps: the defaults were refused for a model of T = 100, under a flag never given, and
// showed only the second half of a chain of T = 2000 (thirtieth probe).
func scaledSteps(steps []int, T int) []int {
	out := make([]int, 0, len(steps))
	for _, t := range steps {
		if s := max(1, int(math.Round(float64(t)*float64(T)/ddpm.PaperT))); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
