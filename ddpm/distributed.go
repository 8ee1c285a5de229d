package ddpm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// Data-parallel training over several devices of one backend, with GoMLX's distributed execution:
// each batch is split along its first axis over a one-axis device mesh, and the training step is
// compiled with the AutoSharding strategy, so that XLA's SPMD partitioner replicates the variables
// (weights, Adam's moments, the EMA, the random-number state) on every device and reduces the
// gradients across them. No code of the project moves data between devices: XLA and the backend's
// collectives do. (GoMLX's other strategy, SPMD, fails here: it cannot create context variables.)

// MeshAxis is the name of the device mesh's one axis, along which batches are split.
const MeshAxis = "batch"

// ShardedDataset yields the batches of an ArrayDataset split over devices along the batch axis, for
// GoMLX's train.Loop (a train.DistributedDataset). The batches are the ArrayDataset's, in the same
// order, so a run on N devices sees exactly the data a one-device run sees.
type ShardedDataset struct {
	*ArrayDataset
	spec    *distributed.ShardingSpec
	devices []backends.DeviceNum
}

var _ train.DistributedDataset = (*ShardedDataset)(nil)

// NewShardedDataset splits ds's batches over the first numDevices devices of backend. The batch
// size must be a multiple of numDevices: the error names the nearest valid sizes.
func NewShardedDataset(backend backends.Backend, ds *ArrayDataset, numDevices int) (*ShardedDataset, error) {
	if ds == nil {
		return nil, errors.New("no data set given (nil)")
	}
	if err := CheckDevices(backend, numDevices); err != nil {
		return nil, err
	}
	if err := CheckShardable("batch size", ds.BatchSize, numDevices); err != nil {
		return nil, err
	}
	split, err := splitOver(backend, numDevices)
	if err != nil {
		return nil, err
	}
	return &ShardedDataset{ArrayDataset: ds, spec: split.spec, devices: split.devices}, nil
}

// DefaultDevices is how many devices training uses unless told: every device of an accelerator
// backend (a GPU plugin exposes each GPU as one), and 1 on the XLA CPU plugin, whose devices
// (4 here) share the same cores, so that splitting a batch over them only adds work (docs/devices.md,
// "Several devices": 0.85× on 2 and 0.77× on 4 for the MNIST training step).
func DefaultDevices(backend backends.Backend) int {
	if strings.Contains(strings.ToLower(backend.Description()), "cpu") {
		return 1
	}
	return backend.NumDevices()
}

// CheckDevices returns an error unless backend has at least numDevices (≥ 1) devices.
func CheckDevices(backend backends.Backend, numDevices int) error {
	if numDevices < 1 {
		return fmt.Errorf("%d devices: want at least 1", numDevices)
	}
	if backend == nil { // it panicked (forty-third probe)
		return errors.New("no backend given (nil)")
	}
	if have := backend.NumDevices(); numDevices > have {
		return fmt.Errorf("%d devices asked for, but the backend (%s) has %d", numDevices, backend.Name(), have)
	}
	return nil
}

// CheckShardable returns an error, naming what (e.g. "batch size") and the nearest valid values,
// unless n (≥ 1) splits evenly over numDevices (≥ 1).
func CheckShardable(what string, n, numDevices int) error {
	if numDevices < 1 { // it divided by zero (forty-third probe)
		return fmt.Errorf("%s %d over %d devices: want at least 1 device", what, n, numDevices)
	}
	if n < 1 { // −3 over 2 devices named −2 and 0 as "the nearest multiples" (sixty-fifth probe's nit)
		return fmt.Errorf("%s %d: want at least 1", what, n)
	}
	if n%numDevices == 0 {
		return nil
	}
	below, above := n/numDevices*numDevices, (n/numDevices+1)*numDevices
	if below == 0 { // "the smallest that can is 4" left the reader asking the smallest what (thirty-sixth probe's nit)
		return fmt.Errorf("%s %d cannot be split evenly over %d devices: it must be a multiple of %d", what, n, numDevices, numDevices)
	}
	return fmt.Errorf("%s %d cannot be split evenly over %d devices: the nearest multiples of %d are %d and %d", what, n, numDevices, numDevices, below, above)
}

// Strategy implements train.DistributedDataset: XLA's automatic sharding.
func (s *ShardedDataset) Strategy() distributed.Strategy { return distributed.AutoSharding }

// DeviceAssignment implements train.DistributedDataset: devices 0..N−1.
func (s *ShardedDataset) DeviceAssignment() []backends.DeviceNum { return s.devices }

// NumDevices is the number of devices the batches are split over.
func (s *ShardedDataset) NumDevices() int { return len(s.devices) }

// DistributedYield implements train.DistributedDataset: the ArrayDataset's next batch (and labels),
// split along the batch axis.
func (s *ShardedDataset) DistributedYield() (spec any, inputs, labels []*distributed.Tensor, err error) {
	_, local, _, err := s.ArrayDataset.Yield()
	if err != nil {
		return nil, nil, nil, err
	}
	inputs = make([]*distributed.Tensor, len(local))
	for i, t := range local {
		if inputs[i], err = distributed.ShardTensor(s.spec, t); err != nil {
			return nil, nil, nil, fmt.Errorf("dataset %s: %w", s.Name(), err)
		}
	}
	return nil, inputs, nil, nil
}

// batchSplit runs a compiled graph with its inputs and outputs split along their first (batch) axis
// over the devices of a one-axis mesh: for sampling and the bound, whose examples are independent,
// so that each device computes its share of the batch and the results equal a one-device run's (up
// to the rounding of XLA's kernels for the smaller shapes).
type batchSplit struct {
	spec    *distributed.ShardingSpec
	devices []backends.DeviceNum
}

// newBatchSplit returns the split over the first numDevices devices of backend, or nil for one device
// (numDevices 0 or 1: no splitting at all).
func newBatchSplit(backend backends.Backend, numDevices int) (*batchSplit, error) {
	if numDevices <= 1 {
		return nil, nil
	}
	return splitOver(backend, numDevices)
}

// splits holds one split per number of devices, made once: a variable that a distributed graph
// used keeps that graph's mesh, so every graph over the same variables (training, sampling, the
// bound) must use the very same mesh.
var splits = struct {
	sync.Mutex
	byDevices map[int]*batchSplit
}{byDevices: map[int]*batchSplit{}}

// splitOver is the split over the first numDevices (≥ 1) devices of backend: a one-axis mesh.
// The variables of a context that has run on one mesh stay on it until adopt moves them.
func splitOver(backend backends.Backend, numDevices int) (*batchSplit, error) {
	if err := CheckDevices(backend, numDevices); err != nil {
		return nil, err
	}
	splits.Lock()
	defer splits.Unlock()
	if b, ok := splits.byDevices[numDevices]; ok {
		return b, nil
	}
	mesh, err := distributed.NewDeviceMesh([]int{numDevices}, []string{MeshAxis})
	if err != nil {
		return nil, err
	}
	spec, err := distributed.NewShardingSpec(mesh, distributed.AxisSpec{MeshAxis})
	if err != nil {
		return nil, err
	}
	devices := make([]backends.DeviceNum, numDevices)
	for i := range devices {
		devices[i] = backends.DeviceNum(i)
	}
	b := &batchSplit{spec: spec, devices: devices}
	splits.byDevices[numDevices] = b
	return b, nil
}

// prepare configures exec, before its first use, for XLA's automatic sharding with numInputs inputs
// and numOutputs outputs all split along their first axis (variables are replicated).
func (b *batchSplit) prepare(exec *context.Exec, numInputs, numOutputs int) *context.Exec {
	return exec.AutoSharding(b.spec.Mesh).
		WithInputShardingSpecs(slices.Repeat([]*distributed.ShardingSpec{b.spec}, numInputs)...).
		WithOutputShardingSpecs(slices.Repeat([]*distributed.ShardingSpec{b.spec}, numOutputs)...).
		WithDeviceAssignment(b.devices)
}

// adopt replicates over b's mesh the variables of ctx that a graph on another mesh left there: a
// context sampled from on 2 devices failed on 4, in GoMLX, with "mesh {batch: 2} was not registered"
// (fifty-first probe). Each such variable's value is merged onto the host and replicated anew when
// next used; those of b's mesh, or of no mesh, are left as they are.
func (b *batchSplit) adopt(ctx *context.Context) error {
	for v := range ctx.IterVariables() {
		spec := v.ShardingSpec()
		if spec == nil || spec.Mesh == b.spec.Mesh {
			continue
		}
		merged, err := v.Value()
		if err != nil {
			return err
		}
		host, err := merged.LocalClone() // SetValue frees the value it replaces
		if err != nil {
			return err
		}
		if err := v.SetValue(host); err != nil {
			return err
		}
		if err := v.SetShardingSpec(distributed.NewReplicatedShardingSpec(b.spec.Mesh)); err != nil {
			return err
		}
	}
	return nil
}

// run executes exec (prepared) on the inputs split over the devices and returns the outputs merged.
func (b *batchSplit) run(exec *context.Exec, inputs []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if err := b.adopt(exec.Context()); err != nil {
		return nil, err
	}
	args := make([]any, len(inputs))
	for i, t := range inputs {
		sharded, err := distributed.ShardTensor(b.spec, t)
		if err != nil {
			return nil, err
		}
		args[i] = sharded
	}
	outs, err := exec.DistributedExec(args...)
	if err != nil {
		return nil, err
	}
	merged := make([]*tensors.Tensor, len(outs))
	for i, o := range outs {
		if merged[i], err = o.Merge(); err != nil {
			return nil, err
		}
		if err := o.Finalize(); err != nil {
			return nil, err
		}
	}
	return merged, nil
}

// numDevices is the number of devices of the split (1 for nil).
func (b *batchSplit) numDevices() int {
	if b == nil {
		return 1
	}
	return len(b.devices)
}
