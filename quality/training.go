package quality

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code.
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/gomlx/gomlx/ui/commandline"
)

// ClassifierTraining are the options of TrainClassifier.
type ClassifierTraining struct {
	Epochs       int // 1..MaxClassifierEpochs
	BatchSize    int // 1..the number of images
	LearningRate float64
	Seed         uint64
	ProgressBar  bool
}

// MaxClassifierEpochs bounds ClassifierTraining.Epochs, as `ddpm classifier --epochs` is: math.MaxInt
// epochs overflowed the count of steps, and TrainClassifier returned nil having trained nothing;
// MaxInt/2 panicked inside GoMLX (forty-third probe).
const MaxClassifierEpochs = 10000

// maxLoopSteps bounds the steps asked of GoMLX's training loop at once: it allocates a duration for
// each step it is asked for, up front (ddpm.Train runs its steps the same way).
var maxLoopSteps = 1 << 20

// labelledDataset yields shuffled batches of images and labels, one epoch's permutation at a time.
type labelledDataset struct {
	images      []float32
	labels      []uint8
	dims        []int
	size, batch int
	step        int
	perm        []int
	seed        uint64
}

func (d *labelledDataset) Name() string { return "mnist-labelled" }
func (d *labelledDataset) Reset()       { d.step = 0 }

func (d *labelledDataset) Yield() (spec any, inputs []*tensors.Tensor, labels []*tensors.Tensor, err error) {
	n := len(d.labels)
	perEpoch := n / d.batch
	epoch, i := d.step/perEpoch, d.step%perEpoch
	if i == 0 || d.perm == nil {
		d.perm = rand.New(rand.NewPCG(d.seed, uint64(epoch))).Perm(n) // #nosec G404 -- shuffling
	}
	d.step++
	x := make([]float32, d.batch*d.size)
	y := make([]int32, d.batch)
	for j := 0; j < d.batch; j++ {
		k := d.perm[i*d.batch+j]
		copy(x[j*d.size:(j+1)*d.size], d.images[k*d.size:(k+1)*d.size])
		y[j] = int32(d.labels[k])
	}
	dims := append([]int{d.batch}, d.dims...)
	return nil, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, dims...)},
		[]*tensors.Tensor{tensors.FromFlatDataAndDimensions(y, d.batch, 1)}, nil
}

// checkTraining refuses, by name and before anything is built, what TrainClassifier cannot train on.
func checkTraining(backend backends.Backend, ctx *context.Context, cfg ClassifierConfig, images []float32, labels []uint8, dims []int, opts ClassifierTraining) error {
	if backend == nil || ctx == nil {
		return errors.New("classifier: the backend and the context are both needed (one is nil)")
	}
	// The reader's rule, before any step: 4100-pixel-wide digits trained a classifier that no reader
	// took, and 3×3 ones failed inside XLA (twenty-fourth probe).
	if err := cfg.Validate(dims); err != nil {
		return fmt.Errorf("classifier: %w", err)
	}
	size := product(dims)
	if size == 0 || len(images) != len(labels)*size {
		return fmt.Errorf("classifier: %d values for %d labels of images %v", len(images), len(labels), dims)
	}
	if opts.Epochs < 1 || opts.Epochs > MaxClassifierEpochs {
		return fmt.Errorf("classifier: Epochs %d, want 1..%d", opts.Epochs, MaxClassifierEpochs)
	}
	if opts.BatchSize < 1 || opts.BatchSize > len(labels) {
		return fmt.Errorf("classifier: BatchSize %d, want 1..%d (the number of images)", opts.BatchSize, len(labels))
	}
	// Refused here, not met inside training: −1 and 0 trained and returned nil, and NaN or +Inf failed
	// as GoMLX's "batch loss is NaN" (forty-third probe).
	if !(opts.LearningRate >= 0x1p-126) || math.IsInf(opts.LearningRate, 1) { // 1e-50 is 0 as a float32 (fifty-sixth probe)
		return fmt.Errorf("classifier: LearningRate %g, want a finite rate of at least 1.2e-38, float32's least normal number", opts.LearningRate)
	}
	// A label of 200 for 10 classes trained without an error (forty-third probe; data.LoadMNIST refuses
	// it in a file, and this is the library's door).
	for i, label := range labels {
		if int(label) >= cfg.Classes {
			return fmt.Errorf("classifier: label %d is %d, want 0..%d (%d classes)", i, label, cfg.Classes-1, cfg.Classes)
		}
	}
	if i := firstNonFinite(images); i >= 0 { // as Evaluate: training failed on it as "batch loss is NaN"
		return fmt.Errorf("classifier: image %d holds a value that is not finite (%v)", i/size, images[i])
	}
	return nil
}

// TrainClassifier trains the classifier's weights in ctx on images ([N, dims...] flat, in [−1, 1])
// with their labels (0..cfg.Classes−1), by Adam on the cross-entropy.
func TrainClassifier(backend backends.Backend, ctx *context.Context, cfg ClassifierConfig, images []float32, labels []uint8, dims []int, opts ClassifierTraining) error {
	if err := checkTraining(backend, ctx, cfg, images, labels, dims, opts); err != nil {
		return err
	}
	ctx.SetParam(context.ParamInitialSeed, int64(opts.Seed))
	if err := ctx.SetRNGStateFromSeed(int64(opts.Seed)); err != nil {
		return err
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		logits, _ := cfg.Logits(ctx, inputs[0])
		return []*Node{logits}
	}
	opt := optimizers.Adam().LearningRate(opts.LearningRate).Done()
	trainer := train.NewTrainer(backend, ctx, modelFn, losses.SparseCategoricalCrossEntropyLogits, opt, nil, nil)
	loop := train.NewLoop(trainer)
	if opts.ProgressBar {
		commandline.AttachProgressBar(loop)
	}
	ds := &labelledDataset{images: images, labels: labels, dims: dims, size: product(dims), batch: opts.BatchSize, seed: opts.Seed}
	// No overflow: the images are in memory, so fewer than 2⁴² of them (64 bytes at least), times at most
	// 10⁴ epochs.
	steps := opts.Epochs * (len(labels) / opts.BatchSize)
	var err error
	for at := 0; at < steps && err == nil; { // in runs of at most maxLoopSteps (each shows its own progress bar)
		run := min(maxLoopSteps, steps-at)
		_, err = loop.RunSteps(ds, run)
		at += run
	}
	return err
}
