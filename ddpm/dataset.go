package ddpm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// ArrayDataset yields training batches of examples held in memory (images scaled to [−1, 1], or
// points of a 2-D toy set) for GoMLX's train.Loop.
//
// Each epoch visits the examples in a permutation drawn from (Seed, epoch), and the batch of a given
// step depends on nothing else: Seek positions the dataset at any step, so a resumed run sees exactly
// the batches an uninterrupted run would. The last partial batch of an epoch is dropped, keeping one
// shape (one compiled graph).
type ArrayDataset struct {
	name        string
	data        []float32
	exampleDims []int
	n, size     int
	labels      []int32 // class labels, or nil (SetLabels)
	numClasses  int
	BatchSize   int
	Seed        uint64
	// HFlip mirrors each image of a batch left to right with probability 1/2, drawn from (Seed, step),
	// so that a resumed run sees the batches an uninterrupted one does: the paper's augmentation for
	// CIFAR-10 ("random horizontal flips during training"). Only for images, [H, W, C].
	HFlip bool

	step      int64
	perm      []int
	permEpoch int64
}

// NewArrayDataset wraps data, a row-major [n, exampleDims...] array.
func NewArrayDataset(name string, data []float32, exampleDims []int, batchSize int, seed uint64) (*ArrayDataset, error) {
	size, sizeF := 1, 1.0
	for _, d := range exampleDims {
		if d < 1 { // two negative sizes made a positive one, and Train panicked (ninth probe)
			size = 0
		}
		size, sizeF = size*d, sizeF*float64(d)
	}
	// In floats too: a product that overflowed could divide the data evenly.
	if len(exampleDims) == 0 || size == 0 || sizeF > float64(len(data)) || len(data)%size != 0 {
		return nil, fmt.Errorf("dataset %s: %d values are not a whole number of examples of shape %v", name, len(data), exampleDims)
	}
	// A NaN trained until the loss was NaN, and the learning rate was blamed (forty-sixth probe).
	if i, v := firstNotFinite(data); i >= 0 {
		return nil, fmt.Errorf("dataset %s: value %d (example %d) is %v", name, i, i/size, v)
	}
	n := len(data) / size
	if batchSize < 1 || batchSize > n {
		return nil, fmt.Errorf("dataset %s: batch size %d must be between 1 and the number of examples, %d", name, batchSize, n)
	}
	return &ArrayDataset{name: name, data: data, exampleDims: exampleDims, n: n, size: size, BatchSize: batchSize, Seed: seed, permEpoch: -1}, nil
}

// SetLabels attaches a class label in 0..numClasses−1 to each example (for a class-conditional
// model): batches then carry their labels as a second input. Errors name the first bad label.
func (d *ArrayDataset) SetLabels(labels []int, numClasses int) error {
	if len(labels) != d.n {
		return fmt.Errorf("dataset %s: %d labels for %d examples", d.name, len(labels), d.n)
	}
	// Labels, and the "no label" that follows them (DropLabels), are int32s: more classes wrapped around
	// (forty-third probe's nit).
	if numClasses < 1 || numClasses >= math.MaxInt32 {
		return fmt.Errorf("dataset %s: %d classes, want 1 to %d", d.name, numClasses, math.MaxInt32-1)
	}
	d.labels = make([]int32, d.n)
	for i, c := range labels {
		if c < 0 || c >= numClasses {
			d.labels = nil
			return fmt.Errorf("dataset %s: example %d has label %d, want 0..%d", d.name, i, c, numClasses-1)
		}
		d.labels[i] = int32(c)
	}
	d.numClasses = numClasses
	return nil
}

// NumClasses is the number of classes of the labels, 0 without labels.
func (d *ArrayDataset) NumClasses() int { return d.numClasses }

// Name implements train.Dataset.
func (d *ArrayDataset) Name() string { return d.name }

// Len is the number of examples.
func (d *ArrayDataset) Len() int { return d.n }

// StepsPerEpoch is the number of batches in one pass over the data: 0 for a BatchSize below 1, which
// Yield refuses (it divided by zero, or gave a negative count; fifty-sixth probe).
func (d *ArrayDataset) StepsPerEpoch() int {
	if d.BatchSize < 1 {
		return 0
	}
	return d.n / d.BatchSize
}

// Reset implements train.Dataset: back to the first batch.
func (d *ArrayDataset) Reset() { d.step = 0 }

// SeekStep makes the next batch the one of the given (0-based) step.
func (d *ArrayDataset) SeekStep(step int64) { d.step = step }

// check refuses a step before the first, and a BatchSize changed to one that NewArrayDataset refuses:
// a negative step panicked in Batch and Yield (forty-third probe).
func (d *ArrayDataset) check(step int64) error {
	if step < 0 {
		return fmt.Errorf("dataset %s: step %d, want 0 or more", d.name, step)
	}
	if d.BatchSize < 1 || d.BatchSize > d.n {
		return fmt.Errorf("dataset %s: batch size %d must be between 1 and the number of examples, %d", d.name, d.BatchSize, d.n)
	}
	if d.HFlip && len(d.exampleDims) != 3 {
		return fmt.Errorf("dataset %s: examples of shape %v are no images [H, W, C] to mirror (HFlip)", d.name, d.exampleDims)
	}
	return nil
}

// Batch returns the batch of the given step as a [BatchSize, exampleDims...] slice; nil for a step
// or a BatchSize that Yield refuses.
func (d *ArrayDataset) Batch(step int64) []float32 {
	if d.check(step) != nil {
		return nil
	}
	out := make([]float32, d.BatchSize*d.size)
	for j, k := range d.batchIndices(step) {
		copy(out[j*d.size:(j+1)*d.size], d.data[k*d.size:(k+1)*d.size])
	}
	if d.HFlip {
		flips := rand.New(rand.NewPCG(d.Seed^hflipStream, uint64(step)))
		for j := range d.BatchSize {
			if flips.IntN(2) == 1 {
				mirror(out[j*d.size:(j+1)*d.size], d.exampleDims[1], d.exampleDims[2])
			}
		}
	}
	return out
}

// hflipStream keeps the flips' random stream apart from the data order's, drawn from the same seed.
const hflipStream = 0x68666c6970 // "hflip"

// mirror reverses each row of an image [H, W, C] of width w and c channels, in place.
func mirror(image []float32, w, c int) {
	for row := 0; row < len(image); row += w * c {
		for x := range w / 2 {
			a, b := row+x*c, row+(w-1-x)*c
			for ch := range c {
				image[a+ch], image[b+ch] = image[b+ch], image[a+ch]
			}
		}
	}
}

// BatchLabels returns the labels of the batch of the given step (nil without labels, and where Batch
// is nil).
func (d *ArrayDataset) BatchLabels(step int64) []int32 {
	if d.labels == nil || d.check(step) != nil {
		return nil
	}
	out := make([]int32, d.BatchSize)
	for j, k := range d.batchIndices(step) {
		out[j] = d.labels[k]
	}
	return out
}

// batchIndices are the examples of the batch of the given step.
func (d *ArrayDataset) batchIndices(step int64) []int {
	perEpoch := int64(d.StepsPerEpoch())
	epoch, i := step/perEpoch, int(step%perEpoch)
	if epoch != d.permEpoch {
		d.perm = rand.New(rand.NewPCG(d.Seed, uint64(epoch))).Perm(d.n)
		d.permEpoch = epoch
	}
	return d.perm[i*d.BatchSize : (i+1)*d.BatchSize]
}

// Yield implements train.Dataset. It never ends: the training loop decides the number of steps.
func (d *ArrayDataset) Yield() (spec any, inputs []*tensors.Tensor, labels []*tensors.Tensor, err error) {
	if err := d.check(d.step); err != nil {
		return nil, nil, nil, err
	}
	batch, y := d.Batch(d.step), d.BatchLabels(d.step)
	d.step++
	dims := append([]int{d.BatchSize}, d.exampleDims...)
	inputs = []*tensors.Tensor{tensors.FromFlatDataAndDimensions(batch, dims...)}
	if y != nil {
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(y, d.BatchSize))
	}
	return nil, inputs, nil, nil
}

// sha256 is the digest of the examples and their labels, as RunSpec.DataSHA256 records it (DataSHA256).
func (d *ArrayDataset) sha256() string {
	labels := make([]int, len(d.labels))
	for i, l := range d.labels {
		labels[i] = int(l)
	}
	return DataSHA256(d.data, d.exampleDims, labels)
}
