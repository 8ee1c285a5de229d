package quality

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// ClassifierScope is the context scope of the classifier's weights.
const ClassifierScope = "classifier"

// ClassifierConfig is the architecture of the MNIST classifier: two blocks of two 3×3
// convolutions (ReLU) each followed by 2×2 max-pooling, a dense layer whose output (after ReLU) are
// the features of the Fréchet distance, and a dense layer to the class logits.
type ClassifierConfig struct {
	Channels [2]int // channels of the two convolution blocks
	Features int    // size of the penultimate layer
	Classes  int
}

// DefaultClassifierConfig reaches about 99% test accuracy on MNIST in 3 epochs.
func DefaultClassifierConfig() ClassifierConfig {
	return ClassifierConfig{Channels: [2]int{16, 32}, Features: 128, Classes: 10}
}

// MaxFeatures bounds the classifier's feature layer, whose Gaussians the FID compares: the Fréchet
// distance's square root of a d×d matrix and its bootstrap grow as d³ (on 10 000 samples, 2 cores:
// 7 s at the shipped 128, 32 s at 256, 3.4 min at 512; an edited classifier of 8192 features ran for
// hours; fourteenth probe).
const MaxFeatures = 256

// MaxChannels bounds the classifier's convolutions, whose cost grows as their channels squared: eval
// scores the 10 000 test digits before anything else, and an edited classifier of 256 channels took
// 107 s, one of 512 minutes, before its accuracy refused it (twenty-sixth probe). 64 is four times the
// shipped classifier's widest.
const MaxChannels = 64

// Validate refuses an architecture that cannot classify images of imageDims, or that costs too much (a
// header edited by hand must be refused before anything is built from it).
func (c ClassifierConfig) Validate(imageDims []int) error {
	if len(imageDims) != 3 || imageDims[0] < 4 || imageDims[1] < 4 || imageDims[2] < 1 ||
		imageDims[0] > 4096 || imageDims[1] > 4096 || imageDims[2] > 4 {
		return fmt.Errorf("images of shape %v: want height and width in 4..4096 and 1..4 channels", imageDims)
	}
	if c.Channels[0] < 1 || c.Channels[1] < 1 || c.Features < 1 || c.Classes < 2 ||
		max(c.Channels[0], c.Channels[1]) > MaxChannels || c.Classes > 1<<16 || c.Features > MaxFeatures {
		return fmt.Errorf("architecture %+v: want channels in 1..%d, features in 1..%d and 2..65536 classes", c, MaxChannels, MaxFeatures)
	}
	return nil
}

// The classifier's memory, in bytes, for the estimate that refuses what cannot fit, measured as the
// peak RSS of `ddpm classifier` on digits of 64² to 192² (0.69 to 3.35 GB): a pass over a batch keeps
// about two of the first block's full-size activations per image (XLA frees the rest as it goes);
// training keeps them all for the backward pass; Adam keeps three copies of the weights beside them.
const (
	classifierBaseBytes = 512 << 20 // the runtime and the compiled graphs
	// maxPassBytes bounds one Evaluate batch's activations: 500 MNIST digits take 50 MB, and 500 of
	// 512×512 took more than 8 GB, the machine's memory (twenty-fifth probe).
	maxPassBytes = 1 << 30
)

// passBytes is one image's peak activations in a pass (float32).
func (c ClassifierConfig) passBytes(dims []int) float64 {
	return 2 * 4 * float64(dims[0]) * float64(dims[1]) * float64(c.Channels[0])
}

// weightBytes is the size of the classifier's weights (float32): the dense layer on the second block's
// output, a quarter of the image's side, is most of it.
func (c ClassifierConfig) weightBytes(dims []int) float64 {
	c0, c1 := float64(c.Channels[0]), float64(c.Channels[1])
	convs := 9 * (float64(dims[2])*c0 + c0*c0 + c0*c1 + c1*c1)
	flat := float64(dims[0]/4) * float64(dims[1]/4) * c1
	return 4 * (convs + flat*float64(c.Features) + float64(c.Features*c.Classes))
}

// FileBytes bounds the size of the file that SaveClassifier writes for images of shape dims: the
// weights, their biases, and a header of kilobytes. A command checks its output's room with it
// before the minutes of training (twenty-eighth probe). It is +Inf for dims or an architecture that
// Validate refuses, which no room holds (nil dims panicked; forty-third probe).
func (c ClassifierConfig) FileBytes(dims []int) float64 {
	if c.Validate(dims) != nil {
		return math.Inf(1)
	}
	biases := 4 * float64(2*c.Channels[0]+2*c.Channels[1]+c.Features+c.Classes)
	return c.weightBytes(dims) + biases + 64<<10
}

// evalBatch is the batch that Evaluate runs when asked for batch: at most as many images as take
// maxPassBytes.
func (c ClassifierConfig) evalBatch(dims []int, batch int) int {
	return max(1, min(batch, int(maxPassBytes/c.passBytes(dims))))
}

// TrainingMemory estimates the peak memory, in bytes, of training the classifier on n images of dims
// in batches of batch and then scoring test images: all of them as float32, the weights with their
// gradients and Adam's two moments, and the larger of a training step's activations (seven passes'
// worth, forward and backward) and an Evaluate batch's (one and a half). It is +Inf, which every memory check refuses,
// for what TrainClassifier refuses: dims or an architecture that Validate refuses, negative counts, a
// batch below 1 (nil dims panicked, and −5 images gave a positive estimate; forty-third probe).
func (c ClassifierConfig) TrainingMemory(dims []int, n, test, batch int) float64 {
	if c.Validate(dims) != nil || n < 0 || test < 0 || batch < 1 {
		return math.Inf(1)
	}
	pixels := float64(dims[0]) * float64(dims[1]) * float64(dims[2])
	// A training step's block of temporaries is about 6.5 passes' activations per image, measured: the
	// peak grew by 651 kB per digit of 28×28 from --batch 2 000 to 8 000 (3 passes, as it was, let
	// --batch 60 000 through to XLA's refusal of a 36.6 GiB block; sixty-second probe).
	step := 7 * c.passBytes(dims) * float64(batch)
	// An Evaluate batch peaks at about 1.5 times its passBytes: 1 GiB of them on 160² digits added 1.6 GiB
	// (the estimate was 1.4 times below the peak; sixty-third probe).
	pass := 1.5 * c.passBytes(dims) * float64(c.evalBatch(dims, 500))
	return classifierBaseBytes + 4*pixels*(float64(n)+float64(test)) + 4*c.weightBytes(dims) + max(step, pass) // n+test wrapped to a negative size
}

// ClassifierSpec is the description stored in a classifier checkpoint.
type ClassifierSpec struct {
	Kind         string // always ClassifierKind
	Config       ClassifierConfig
	ImageDims    []int   // e.g. [28, 28, 1]
	TestAccuracy float64 // measured when it was trained
	Command      string  // how it was trained
}

// ClassifierKind marks classifier checkpoints, so that a diffusion checkpoint is not taken for one.
const ClassifierKind = "ddpm-go mnist classifier"

// Logits builds the classifier on images x ([batch, H, W, C], values in [−1, 1]) and returns the
// class logits and the penultimate features.
func (c ClassifierConfig) Logits(ctx *context.Context, x *Node) (logits, features *Node) {
	ctx = ctx.In(ClassifierScope)
	h := x
	for b, ch := range c.Channels {
		for i := 0; i < 2; i++ {
			h = layers.Convolution(ctx.Inf("conv_%d_%d", b, i), h).Channels(ch).KernelSize(3).PadSame().Done()
			h = activations.Relu(h)
		}
		h = MaxPool(h).Window(2).Done()
	}
	h = Reshape(h, h.Shape().Dimensions[0], -1)
	features = activations.Relu(ddpm.Dense(ctx.In("features"), h, c.Features))
	logits = ddpm.Dense(ctx.In("logits"), features, c.Classes)
	return logits, features
}

// Classifier is a trained classifier ready to compute features and class probabilities.
type Classifier struct {
	Spec ClassifierSpec
	exec *context.Exec
}

// NewClassifier compiles the classifier with the weights in ctx.
func NewClassifier(backend backends.Backend, ctx *context.Context, spec ClassifierSpec) (*Classifier, error) {
	// What it cannot use is refused here: a zero spec, or negative image sizes, gave a classifier whose
	// probabilities were empty, without an error, and a nil context panicked (thirty-second probe).
	if backend == nil || ctx == nil {
		return nil, errors.New("classifier: the backend and the context are both needed (one is nil)")
	}
	if err := spec.Config.Validate(spec.ImageDims); err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	exec, err := context.NewExec(backend, ctx.Reuse(), func(ctx *context.Context, x *Node) (*Node, *Node) {
		ctx.SetTraining(x.Graph(), false)
		logits, features := spec.Config.Logits(ctx, x)
		return features, Softmax(logits)
	})
	if err != nil {
		return nil, err
	}
	return &Classifier{Spec: spec, exec: exec}, nil
}

// ReadClassifierSpec reads the description of a classifier checkpoint from its header alone (no
// backend, no weights loaded), and checks that it is a classifier's and that the weights it lists are
// those of the network it describes.
func ReadClassifierSpec(path string) (ClassifierSpec, error) {
	var spec ClassifierSpec
	_, have, err := ddpm.ReadCheckpointWeights(path, &spec)
	if err != nil {
		return spec, err
	}
	if spec.Kind != ClassifierKind {
		return spec, fmt.Errorf("%s is not a classifier checkpoint (kind %q, want %q; `ddpm classifier` makes one)", path, spec.Kind, ClassifierKind)
	}
	if err := checkSpec(spec, have); err != nil {
		return spec, fmt.Errorf("classifier %s: %w", path, err)
	}
	return spec, nil
}

// checkSpec refuses a description, with the weights that come with it (have: a file's or a context's
// names and shapes), that is not a classifier's: ReadClassifierSpec runs it on a file's header, and
// SaveClassifier on what it is about to write, so that no file is written that its reader refuses
// (forty-third probe: an accuracy of 5, and 28×28 weights described as 14×14, were written).
func checkSpec(spec ClassifierSpec, have ddpm.Weights) error {
	if err := spec.Config.Validate(spec.ImageDims); err != nil {
		return err
	}
	// eval reported 750% as recorded (sixteenth probe), and then blamed an edit for what SaveClassifier wrote.
	if !(spec.TestAccuracy >= 0 && spec.TestAccuracy <= 1) {
		return fmt.Errorf("its description records a test accuracy of %g, want a fraction in 0..1", spec.TestAccuracy)
	}
	want, err := ddpm.GraphWeights(func(ctx *context.Context, g *Graph) {
		spec.Config.Logits(ctx, Parameter(g, "x", shapes.Make(dtypes.Float32, append([]int{1}, spec.ImageDims...)...)))
	})
	if err == nil {
		err = want.CheckWeights(have)
	}
	if err != nil {
		return err
	}
	// Its weights and nothing else: 4 GB of variables beside them, in a sparse file, were read whole
	// (seventeenth probe).
	for _, name := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("it holds %s, which is not one of its weights: edited, or written by another program", name)
		}
	}
	return nil
}

// LoadClassifier reads a classifier checkpoint written by SaveClassifier.
func LoadClassifier(backend backends.Backend, path string) (*Classifier, error) {
	spec, err := ReadClassifierSpec(path)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	if _, err := ddpm.LoadCheckpoint(path, ctx, &spec); err != nil {
		return nil, err
	}
	return NewClassifier(backend, ctx, spec)
}

// SaveClassifier writes the classifier's weights (not the optimizer's state) with its description. It
// writes nothing that LoadClassifier refuses: the description and the weights' shapes are checked as
// ReadClassifierSpec checks them, and the weights' values are finite, as the loader wants them.
func SaveClassifier(path string, ctx *context.Context, spec ClassifierSpec) error {
	spec.Kind = ClassifierKind
	if ctx == nil {
		return fmt.Errorf("classifier %s: no context given (nil)", path)
	}
	keep := func(v *context.Variable) bool {
		return v.Scope() == "/"+ClassifierScope || strings.HasPrefix(v.Scope(), "/"+ClassifierScope+"/")
	}
	have := ddpm.Weights{}
	for v := range ctx.IterVariables() {
		if keep(v) {
			have[v.ScopeAndName()] = v.Shape()
		}
	}
	if err := checkSpec(spec, have); err != nil {
		return fmt.Errorf("classifier %s: not written, as its readers would refuse it: %w", path, err)
	}
	for v := range ctx.IterVariables() { // all Float32, as checkSpec found
		if !keep(v) {
			continue
		}
		at, bad := -1, float32(0)
		value, err := v.Value()
		if err == nil {
			err = tensors.ConstFlatData(value, func(flat []float32) {
				if at = firstNonFinite(flat); at >= 0 {
					bad = flat[at]
				}
			})
		}
		if err == nil && at >= 0 {
			err = fmt.Errorf("weight %s holds %v (value %d), and its readers take only finite values", v.ScopeAndName(), bad, at)
		}
		if err != nil {
			return fmt.Errorf("classifier %s: not written: %w", path, err)
		}
	}
	return ddpm.WriteCheckpoint(path, ctx, 0, spec, keep)
}

// Evaluate runs the classifier over images ([N, dims...] flat) in batches and returns the
// features [N, Features] and class probabilities [N, Classes], both flat. Images or outputs that are not
// finite are an error: a FID or accuracy of them would be NaN, or a number that means nothing.
func (c *Classifier) Evaluate(images []float32, batch int) (features, probs []float32, err error) {
	size := product(c.Spec.ImageDims)
	if size == 0 || len(images)%size != 0 {
		return nil, nil, fmt.Errorf("classifier: %d values are not whole images of shape %v", len(images), c.Spec.ImageDims)
	}
	if batch < 1 { // it looped forever on 0
		return nil, nil, fmt.Errorf("classifier: batch size %d, want at least 1", batch)
	}
	if i := firstNonFinite(images); i >= 0 {
		return nil, nil, fmt.Errorf("classifier: image %d holds a value that is not finite (%v)", i/size, images[i])
	}
	n := len(images) / size
	batch = c.Spec.Config.evalBatch(c.Spec.ImageDims, batch) // results do not depend on it
	for i0 := 0; i0 < n; i0 += batch {
		i1 := min(i0+batch, n)
		dims := append([]int{i1 - i0}, c.Spec.ImageDims...)
		out, err := c.exec.Exec(tensors.FromFlatDataAndDimensions(images[i0*size:i1*size], dims...))
		if err != nil {
			return nil, nil, err
		}
		features = append(features, tensors.MustCopyFlatData[float32](out[0])...)
		probs = append(probs, tensors.MustCopyFlatData[float32](out[1])...)
	}
	for _, o := range []struct {
		name   string
		values []float32
	}{{"features", features}, {"probabilities", probs}} {
		if i := firstNonFinite(o.values); i >= 0 {
			return nil, nil, fmt.Errorf("classifier: its %s are not finite (%v at %d) for finite images: its weights are damaged",
				o.name, o.values[i], i)
		}
	}
	return features, probs, nil
}

// firstNonFinite is the index of the first NaN or ±Inf in x, or −1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// notDistributions says why probs ([n, classes] flat, whole rows) are not rows of class probabilities,
// or "": a value that is not a probability (NaN, or outside [0, 1]: a row of NaN was counted as class
// 0, and a negative value gave a score of NaN with no error; forty-fourth probe), or a row that does
// not sum to 1 (rows of 0s and of 1s both scored 1; fifty-sixth probe). A softmax in float32 sums to 1
// within about 1e-6 per class; 1e-3 leaves room for rounding in files written elsewhere.
func notDistributions(probs []float32, classes int) string {
	for i, p := range probs {
		if !(p >= 0 && p <= 1) {
			return fmt.Sprintf("value %d is %v, not a probability", i, p)
		}
	}
	for r := 0; r+classes <= len(probs); r += classes {
		sum := 0.0
		for _, p := range probs[r : r+classes] {
			sum += float64(p)
		}
		if math.Abs(sum-1) > 1e-3 {
			return fmt.Sprintf("row %d sums to %.6g, not 1: no class probabilities", r/classes, sum)
		}
	}
	return ""
}

// Accuracy is the fraction of rows of probs ([N, classes] flat) whose most probable class is the
// label (a row whose largest probability two classes share hits none); NaN where there is none to count, probs holds a value that is no probability, or a label is
// no class of the rows.
func Accuracy(probs []float32, labels []uint8) float64 {
	// No labels, or probabilities that are not whole rows of them: no accuracy (it divided by zero, or
	// read rows of the wrong width; ninth probe).
	if len(labels) == 0 || len(probs)%len(labels) != 0 || len(probs) < len(labels) || notDistributions(probs, len(probs)/len(labels)) != "" {
		return math.NaN()
	}
	classes := len(probs) / len(labels)
	if int(slices.Max(labels)) >= classes { // a label of no class was counted as a miss
		return math.NaN()
	}
	correct := 0
	for i, label := range labels {
		if mostProbable(probs[i*classes:(i+1)*classes]) == int(label) {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

// ConfidentThreshold is the probability at or above which `ddpm eval` counts a sample as classified with
// confidence: its "confident fraction" is Confident(probs, classes, ConfidentThreshold).
const ConfidentThreshold = 0.9

// Confident returns the fraction of rows of probs ([N, classes] flat) whose most probable class has
// probability ≥ threshold (how many images read clearly as one digit), and how many rows have each
// class as the most probable. The fraction is NaN where there is nothing to count, or probs is not whole
// rows of probabilities (a partial last row was dropped, and a row of NaN counted as class 0;
// forty-fourth probe), or the threshold is no probability (NaN counted no row, and 5 or −1 gave 0 or 1;
// sixtieth probe); the counts are nil then (they were made for any number of classes first: MaxInt
// panicked, 2⁴⁰ ran out of memory). A row whose largest probability two classes share is no class's.
func Confident(probs []float32, classes int, threshold float32) (fraction float64, counts []int) {
	if classes < 1 || !(threshold >= 0 && threshold <= 1) || len(probs) < classes || len(probs)%classes != 0 || notDistributions(probs, classes) != "" { // classes 0 divided by zero (ninth probe)
		return math.NaN(), nil
	}
	counts = make([]int, classes)
	n, sure := len(probs)/classes, 0
	for i := 0; i < n; i++ {
		row := probs[i*classes : (i+1)*classes]
		best := mostProbable(row)
		if best < 0 {
			continue
		}
		counts[best]++
		if row[best] >= threshold {
			sure++
		}
	}
	return float64(sure) / float64(n), counts
}

// ConditionalAccuracy is how often the classifier's most probable class is the one requested of each
// sample (a class-conditional model's samples), overall and for each requested class (NaN for a
// class never requested). probs is [n, classes] flat and requested has n labels in 0..classes−1.
func ConditionalAccuracy(probs []float32, classes int, requested []int) (overall float64, perClass []float64, err error) {
	if classes < 1 { // it divided by zero (thirty-third probe)
		return 0, nil, fmt.Errorf("conditional accuracy: %d classes, want at least 1", classes)
	}
	n := len(probs) / classes
	if len(requested) != n || n == 0 || len(probs)%classes != 0 {
		return 0, nil, fmt.Errorf("conditional accuracy: %d requested classes for %d values in rows of %d", len(requested), len(probs), classes)
	}
	if why := notDistributions(probs, classes); why != "" {
		return 0, nil, fmt.Errorf("conditional accuracy: %s", why)
	}
	hits, asked := make([]int, classes), make([]int, classes)
	total := 0
	for i, c := range requested {
		if c < 0 || c >= classes {
			return 0, nil, fmt.Errorf("conditional accuracy: sample %d requested class %d, want 0..%d", i, c, classes-1)
		}
		asked[c]++
		if mostProbable(probs[i*classes:(i+1)*classes]) == c {
			hits[c]++
			total++
		}
	}
	perClass = make([]float64, classes)
	for c := range perClass {
		perClass[c] = float64(hits[c]) / float64(asked[c]) // NaN when never asked
	}
	return float64(total) / float64(n), perClass, nil
}

// mostProbable is the index of the largest probability of a row, or −1 where two classes share it: a
// tie is no class's, so a classifier that knows nothing (rows of equal probabilities) hits no label,
// where the first class won every tie and its accuracy was the share of label 0 (sixtieth probe).
func mostProbable(row []float32) int {
	best, tied := 0, false
	for c, p := range row {
		switch {
		case p > row[best]:
			best, tied = c, false
		case p == row[best] && c != best:
			tied = true
		}
	}
	if tied {
		return -1
	}
	return best
}

func product(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	if len(dims) == 0 {
		return 0
	}
	return p
}
