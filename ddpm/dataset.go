package ddpm

import (
	"fmt"
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
	BatchSize   int
	Seed        uint64

	step      int64
	perm      []int
	permEpoch int64
}

// NewArrayDataset wraps data, a row-major [n, exampleDims...] array.
func NewArrayDataset(name string, data []float32, exampleDims []int, batchSize int, seed uint64) (*ArrayDataset, error) {
	size := 1
	for _, d := range exampleDims {
		size *= d
	}
	if size == 0 || len(data)%size != 0 {
		return nil, fmt.Errorf("dataset %s: %d values are not a whole number of examples of shape %v", name, len(data), exampleDims)
	}
	n := len(data) / size
	if batchSize < 1 || batchSize > n {
		return nil, fmt.Errorf("dataset %s: batch size %d must be between 1 and the number of examples, %d", name, batchSize, n)
	}
	return &ArrayDataset{name: name, data: data, exampleDims: exampleDims, n: n, size: size, BatchSize: batchSize, Seed: seed, permEpoch: -1}, nil
}

// Name implements train.Dataset.
func (d *ArrayDataset) Name() string { return d.name }

// Len is the number of examples.
func (d *ArrayDataset) Len() int { return d.n }

// StepsPerEpoch is the number of batches in one pass over the data.
func (d *ArrayDataset) StepsPerEpoch() int { return d.n / d.BatchSize }

// Reset implements train.Dataset: back to the first batch.
func (d *ArrayDataset) Reset() { d.step = 0 }

// SeekStep makes the next batch the one of the given (0-based) step.
func (d *ArrayDataset) SeekStep(step int64) { d.step = step }

// Batch returns the batch of the given step as a [BatchSize, exampleDims...] slice.
func (d *ArrayDataset) Batch(step int64) []float32 {
	perEpoch := int64(d.StepsPerEpoch())
	epoch, i := step/perEpoch, int(step%perEpoch)
	if epoch != d.permEpoch {
		d.perm = rand.New(rand.NewPCG(d.Seed, uint64(epoch))).Perm(d.n)
		d.permEpoch = epoch
	}
	out := make([]float32, d.BatchSize*d.size)
	for j := 0; j < d.BatchSize; j++ {
		k := d.perm[i*d.BatchSize+j]
		copy(out[j*d.size:(j+1)*d.size], d.data[k*d.size:(k+1)*d.size])
	}
	return out
}

// Yield implements train.Dataset. It never ends: the training loop decides the number of steps.
func (d *ArrayDataset) Yield() (spec any, inputs []*tensors.Tensor, labels []*tensors.Tensor, err error) {
	batch := d.Batch(d.step)
	d.step++
	dims := append([]int{d.BatchSize}, d.exampleDims...)
	return nil, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(batch, dims...)}, nil, nil
}
