package ddpm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/gomlx/gomlx/ui/commandline"
)

// TrainConfig configures Train.
type TrainConfig struct {
	Steps     int    // train until the global step reaches Steps
	Seed      uint64 // a new run's initial weights, t, ε and dropout follow from it (a resumed or continued run goes on with its own); the data order follows the data set's Seed
	Optimizer OptimizerConfig

	CheckpointDir   string        // "" disables checkpoints (and resuming)
	CheckpointEvery time.Duration // also saved at the end and on Stop; 0 means 5 minutes
	KeepCheckpoints int           // newest checkpoints kept; 0 means 3

	SampleEvery int           // steps between sample grids written to CheckpointDir/samples/; 0 disables
	SampleN     int           // images per grid (default 16)
	SampleDims  []int         // shape of one sample, e.g. {28, 28, 1}
	GridSampler SamplerConfig // the grids' sampler; the zero value means σ² = β_t with clipping, an empty Variance σ² = β_t
	OnSamples   func(step int, pngPath string)

	// Devices > 1 splits every batch over that many devices of the backend (data parallelism, see
	// ShardedDataset); the batch size must be a multiple of it. 0 or 1: one device.
	Devices int

	ProgressBar bool                         // GoMLX's progress bar, with the loss and steps/s
	OnStep      func(step int, loss float64) // e.g. to record the loss curve
	Stop        func() bool                  // polled before the first step and after each: true saves a checkpoint (after a step) and returns ErrStopped
	// Meta is the description saved in checkpoints. One whose JSON names a model (a RunSpec, or a type
	// of the caller's embedding one) is read as a RunSpec by LoadTrained and by a resumed run, and is
	// checked against this run (network, shape, schedule, classes, p_uncond, optimizer, batch, seed)
	// and, on resuming, against the checkpoint's. Nil on resuming carries the checkpoint's forward, with
	// this run's recipe. Any other value is saved as it is.
	Meta any

	// Conditional is the class-conditional form of the model, required when the dataset has labels
	// (ArrayDataset.SetLabels): each label is replaced by "no label" with probability PUncond and
	// the loss is that of Conditional.Given(labels). The sample grids then show the classes in turn,
	// with GridSampler.Guidance. Without Conditional, PUncond is not used (the command line passes its
	// default to every run).
	Conditional ConditionalModel
	PUncond     float64
}

// ErrStopped is returned by Train when TrainConfig.Stop asked it to stop (a checkpoint was saved).
var ErrStopped = errors.New("training stopped on request")

// ErrSampleGrid is wrapped by Train's error when a sample grid could not be written (training stops,
// with a checkpoint of that step saved).
var ErrSampleGrid = errors.New("writing the sample grid")

// TrainResult reports what Train did.
type TrainResult struct {
	StartStep, Step int           // global steps at the start (non-zero when resumed) and at the end
	Checkpoint      string        // last checkpoint written ("" if none)
	Duration        time.Duration // wall time of this run
	LastLoss        float64       // the loss of the last step taken, NaN where none was (a run already at Steps)
}

// Train runs Algorithm 1 on ds with GoMLX's train.Trainer and train.Loop: L_simple (L_hybrid for a
// model that learns its variances), Adam with warm-up and clipping, and an EMA of the weights. When
// cfg.CheckpointDir holds a checkpoint, training resumes from the newest one and continues exactly as
// an uninterrupted run would. Train holds the folder's lock (LockDir) while it runs; two runs in one
// process on one folder are the caller's to keep apart (LockDir's lock is the process's).
//
// ctx is a new context (context.New()), one that this run trained (it goes on where it is, exactly),
// or one holding the network's weights alone (LoadTrained's), which are fine-tuned from step 0. A
// context that holds weights or training resumes from the folder's checkpoint only where that holds its
// very state.
//
// A non-finite loss stops training with an error; no checkpoint is written after it, so the last
// good one is kept.
func Train(backend backends.Backend, ctx *context.Context, sched *Schedule, model EpsModel, ds *ArrayDataset, cfg TrainConfig) (*TrainResult, error) {
	opt, err := NewOptimizer(cfg.Optimizer)
	if err != nil {
		return nil, err
	}
	// What the command line checks, the library checks too (each passed silently here; ninth probe).
	switch {
	case backend == nil || ctx == nil || ds == nil || sched == nil || model == nil:
		return nil, fmt.Errorf("train: the backend, the context, the data set, the schedule and the model are all needed (one is nil)")
	case ds.n == 0: // a zero ArrayDataset divided by zero (thirty-second probe)
		return nil, fmt.Errorf("train: data set %q holds no examples (NewArrayDataset makes one)", ds.name)
	case ds.BatchSize < 1 || ds.BatchSize > ds.n:
		return nil, fmt.Errorf("train: data set %q: batch size %d must be between 1 and the number of examples, %d", ds.name, ds.BatchSize, ds.n)
	case cfg.Steps < 0:
		return nil, fmt.Errorf("train: steps %d: the step to train to must be >= 0", cfg.Steps)
	case cfg.SampleEvery > 0 && cfg.CheckpointDir == "":
		return nil, fmt.Errorf("train: sample grids every %d steps are written under CheckpointDir, which is empty", cfg.SampleEvery)
	case cfg.CheckpointEvery < 0 || cfg.KeepCheckpoints < 0 || cfg.SampleEvery < 0 || cfg.SampleN < 0:
		return nil, fmt.Errorf("train: CheckpointEvery %v, KeepCheckpoints %d, SampleEvery %d and SampleN %d must not be negative",
			cfg.CheckpointEvery, cfg.KeepCheckpoints, cfg.SampleEvery, cfg.SampleN)
	case cfg.Devices < 0: // taken silently for one device (forty-third probe's nit)
		return nil, fmt.Errorf("train: Devices %d: want 0 or 1 (one device) or more", cfg.Devices)
	}
	if err := sched.Check(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// What the first save and the first grid would refuse, refused before the first step: a description
	// that JSON cannot hold failed the first save, and every step since the start was lost; a grid
	// sampler, count or shape that cannot be drawn stopped the run at its first grid (thirty-second probe).
	if spec, ok := cfg.Meta.(*RunSpec); ok && spec == nil { // no description, as nil is ("Meta is a *ddpm.RunSpec"; fifty-third probe's nit)
		cfg.Meta = nil
	}
	raw, err := json.Marshal(cfg.Meta)
	if err != nil {
		return nil, fmt.Errorf("train: the description saved in checkpoints (Meta) cannot be written as JSON: %w", err)
	}
	if err := checkHeaderTokens(raw); err != nil { // a string of 5 000 bytes failed the first save (thirty-third probe)
		return nil, fmt.Errorf("train: the description saved in checkpoints (Meta) holds %w", err)
	}
	// A context that holds another model's variables trained, and saved checkpoints that no run could
	// resume (thirty-third probe): it may hold this run's variables only (a run continued in-process).
	want, learnsSigma, err := networkWeights(model, cfg.Conditional, ds.exampleDims)
	if err != nil {
		return nil, err
	}
	if cfg.Conditional != nil && ds.NumClasses() > 0 {
		if err := want.checkClasses("dataset "+ds.Name()+" has labels of", ds.NumClasses()); err != nil {
			return nil, err
		}
	}
	// A network with a table of class labels trained without them learns "no label"'s row alone (the
	// reverse, labels for a network without the table, is refused below; fifty-third probe).
	if k := want.labelClasses(); k > 0 && cfg.Conditional == nil {
		return nil, fmt.Errorf("train: the network has a table of %d class labels, and the run gives no Conditional model: "+
			"give its ConditionalModel (and labelled data), or a network without classes", k)
	}
	state := runState(want)
	for v := range ctx.IterVariables() {
		if strings.HasPrefix(v.Scope(), metricsScope) {
			continue
		}
		if shape, ok := state[v.ScopeAndName()]; !ok || !shape.Equal(v.Shape()) {
			return nil, fmt.Errorf("train: the context holds %s (%s), which is no part of this model's training run: "+
				"train in a fresh context (context.New()), or in one of this model's", v.ScopeAndName(), v.Shape())
		}
	}
	// A context left with values that are no numbers by a step whose loss was not finite: it went on
	// from them at every retry, and its state was saved over the last good checkpoint (fifty-fifth probe).
	if name := firstNonFiniteVariable(ctx); name != "" {
		return nil, fmt.Errorf("train: the context's %s holds a value that is not finite (a step whose loss was not finite leaves it so): "+
			"resume in a fresh context (context.New()) from the folder's newest checkpoint", name)
	}
	// A run continued in-process keeps its EMA as one resumed from a file does (resumable): with EMA
	// decay 0 the average that EMAContext reads stayed that of the earlier steps, and one begun midway
	// is no uninterrupted run's (fifty-first probe).
	if step := trainedSteps(ctx); step > 0 {
		hasEMA := false
		for v := range ctx.IterVariables() {
			hasEMA = hasEMA || strings.HasPrefix(v.Scope(), EMAScope+"/")
		}
		switch {
		case hasEMA && cfg.Optimizer.EMADecay == 0:
			return nil, fmt.Errorf("train: the context has trained %d steps with an EMA of the weights, which training with EMA decay 0 would leave as it is, "+
				"while EMAContext and the checkpoints' samples read it: go on with its decay, or train in a fresh context", step)
		case !hasEMA && cfg.Optimizer.EMADecay > 0:
			return nil, fmt.Errorf("train: the context has trained %d steps without an EMA, and EMA decay %g would begin one midway, as no uninterrupted run does: "+
				"go on with EMA decay 0, or train in a fresh context", step, cfg.Optimizer.EMADecay)
		}
	}
	if cfg.CheckpointEvery == 0 {
		cfg.CheckpointEvery = 5 * time.Minute
	}
	if cfg.KeepCheckpoints == 0 {
		cfg.KeepCheckpoints = defaultKeptCheckpoints
	}
	if cfg.SampleN == 0 {
		cfg.SampleN = 16
	}
	// The zero value is σ² = β_t with clipping; a config that says only its guidance (or devices) keeps
	// them, with σ² = β_t: it was replaced whole, and the guidance asked for dropped (fifty-seventh probe).
	switch {
	case reflect.ValueOf(cfg.GridSampler).IsZero():
		cfg.GridSampler = SamplerConfig{Variance: VarianceBeta, ClipX0: true}
	case cfg.GridSampler.Variance == "":
		cfg.GridSampler.Variance = VarianceBeta
	}
	if cfg.SampleEvery > 0 {
		if cfg.SampleDims == nil {
			cfg.SampleDims = ds.exampleDims
		}
		if len(ds.exampleDims) != 3 { // said as "grids of shape [2]: they are images of shape [2]" (fifty-first probe's nit)
			return nil, fmt.Errorf("train: sample grids (SampleEvery %d) are images, and the data set's examples are of shape %v, no image's "+
				"([height, width, channels]): set SampleEvery to 0", cfg.SampleEvery, ds.exampleDims)
		}
		if !slices.Equal(cfg.SampleDims, ds.exampleDims) || len(cfg.SampleDims) != 3 {
			return nil, fmt.Errorf("train: sample grids of shape %v: they are images of the data set's shape, %v ([height, width, channels])",
				cfg.SampleDims, ds.exampleDims)
		}
		if err := cfg.GridSampler.Validate(); err != nil {
			return nil, fmt.Errorf("train: the grids' sampler: %w", err)
		}
		if err := sched.CheckSolver(cfg.GridSampler); err != nil {
			return nil, fmt.Errorf("train: the grids' sampler: %w", err)
		}
		if err := CheckImageGrid(fmt.Sprintf("train: a sample grid of SampleN=%d images", cfg.SampleN), cfg.SampleN, cfg.SampleDims, 0); err != nil {
			return nil, err
		}
		// And what the grid's sampler would refuse at the first grid (fiftieth probe: the run stopped there).
		if err := checkGridSampler(backend, cfg, learnsSigma); err != nil {
			return nil, fmt.Errorf("train: the grids' sampler: %w", err)
		}
	}
	// A description that is not of this run (fiftieth probe: a RunSpec of T = 1000 saved for a run of
	// T = 50 was loaded and sampled with T = 1000, without a word).
	if err := describesRun(cfg, sched, want, ds, "the description (Meta)"); err != nil {
		return nil, err
	}
	ckpt := Checkpointer{Dir: cfg.CheckpointDir, Keep: cfg.KeepCheckpoints}
	res := &TrainResult{LastLoss: math.NaN()}

	var lock *DirLock
	var loaded Weights  // a resumed run's variables, checked after its first step (newStateVariables)
	stateSaved := false // the folder's newest checkpoint holds the context's state
	if cfg.CheckpointDir != "" {
		var err error
		if lock, err = LockRunDir(cfg.CheckpointDir, "checkpoint folder"); err != nil {
			return nil, err
		}
		defer lock.Unlock()
		if err := RemoveStaleTemporaries(cfg.CheckpointDir, IsCheckpointName); err != nil {
			return nil, err
		}
		// And those of its sample grids, in its own folder (not one that a link leads to or that is
		// mounted there; GridFolder refuses those): one was left for good (twenty-seventh probe).
		if grids := filepath.Join(cfg.CheckpointDir, "samples"); isFolder(grids) {
			if err := RemoveStaleTemporaries(grids, isGridName); err != nil {
				return nil, err
			}
		}
		latest, err := LatestCheckpoint(cfg.CheckpointDir)
		if err != nil {
			return nil, err
		}
		// A context that this run saved to (or resumed from) the folder's newest checkpoint goes on where
		// it is, even ahead of it: after a failed save, the retry in the same folder was refused
		// (fifty-fourth probe).
		continues := latest != "" && continuesFrom(ctx, latest)
		if latest != "" {
			// Any other context that holds weights or training is not replaced by the folder's checkpoint,
			// unless it is that very state: run B's 20 steps in-process were thrown away for run A's
			// checkpoint of step 12 (fifty-second probe), and so were weights given to fine-tune, and a run
			// of the same step (fifty-third).
			if len(ContextWeights(ctx)) > 0 && !continues {
				if err := holdsCheckpoint(ctx, latest); err != nil {
					return nil, err
				}
			}
			if err := sameRun(latest, cfg.Meta); err != nil {
				return nil, err
			}
			carried, err := carriedDescription(latest, cfg, ds)
			if err != nil {
				return nil, err
			}
			if carried != nil {
				cfg.Meta = carried
				if err := describesRun(cfg, sched, want, ds, "the description of "+latest+", carried forward (Meta nil) with this run's recipe,"); err != nil {
					return nil, err
				}
				if raw, err = json.Marshal(cfg.Meta); err != nil {
					return nil, err
				}
			}
		}
		if latest != "" && continues {
			named, _ := CheckpointStep(filepath.Base(latest))
			stateSaved = uint64(trainedSteps(ctx)) == named
			res.Checkpoint = latest // the run's newest, named as the last good one if a step fails
		}
		if latest != "" && !continues {
			// The header's variables first: a file they refuse has no value read.
			var refused error // already said with the file's name
			step, err := loadCheckpoint(latest, ctx, nil, nil, func(h checkpointContents) error {
				refused = resumable(latest, h, want, cfg.Optimizer.EMADecay)
				return refused
			})
			if refused != nil {
				return nil, refused
			}
			if err != nil {
				return nil, fmt.Errorf("resuming: %w", err)
			}
			// The newest by name must be of that step: a copy named for step 99 was resumed from on every
			// run, each run's training since it lost (fiftieth probe; the command line refused it).
			if named, _ := CheckpointStep(filepath.Base(latest)); named != uint64(step) {
				return nil, fmt.Errorf("resuming from %s: it is named for step %d but holds step %d: a file copied or renamed into the folder; move it away",
					latest, named, step)
			}
			if err := checkSecondMoments(latest, ctx); err != nil {
				return nil, err
			}
			if err := checkTrainingState(latest, step, ctx); err != nil {
				return nil, err
			}
			if step > 0 { // a checkpoint of step 0 has no optimizer state yet
				loaded = ContextWeights(ctx)
			}
			res.Checkpoint, stateSaved = latest, true
			setContinuesFrom(ctx, latest)
		}
	}
	if (ds.NumClasses() > 0) != (cfg.Conditional != nil) {
		if cfg.Conditional == nil {
			return nil, fmt.Errorf("dataset %s has class labels, but the model is not class-conditional", ds.Name())
		}
		return nil, fmt.Errorf("a class-conditional model needs labelled data: dataset %s has no labels", ds.Name())
	}
	if err := CheckPUncond(cfg.PUncond); err != nil { // at 1 no label is ever seen (twelfth probe)
		return nil, err
	}
	// A new run's generator starts from Seed; a resumed one's is the checkpoint's, and a run continued
	// in-process goes on with its own (reset from Seed, it drew its first steps' t and ε again; fiftieth probe).
	if res.Checkpoint == "" && trainedSteps(ctx) == 0 {
		ctx.SetParam(context.ParamInitialSeed, int64(cfg.Seed))
		if err := ctx.SetRNGStateFromSeed(int64(cfg.Seed)); err != nil {
			return nil, err
		}
	}
	res.StartStep = int(optimizers.GetGlobalStep(ctx))
	ds.SeekStep(int64(res.StartStep))
	if res.StartStep >= cfg.Steps {
		res.Step = res.StartStep
		// A context trained to Steps, given a folder that lacks its state, has it written: it returned
		// with nothing saved, and the training lived only in memory (fifty-fourth probe).
		if cfg.CheckpointDir != "" && res.StartStep > 0 && !stateSaved {
			path, err := ckpt.Save(ctx, int64(res.StartStep), cfg.Meta)
			if path != "" {
				res.Checkpoint = path
				setContinuesFrom(ctx, path)
			}
			return res, err
		}
		return res, nil
	}
	if cfg.CheckpointDir != "" {
		// Room for the checkpoints kept (the next written whole before any older one is removed) before any training.
		newRun := func() (float64, error) { return checkpointBytes(want, raw), nil }
		grid := TrainingGridBytes(cfg.SampleEvery, cfg.SampleN, cfg.SampleDims)
		if err := CheckTrainingRoom("checkpoint folder "+cfg.CheckpointDir, cfg.CheckpointDir, res.Checkpoint,
			cfg.KeepCheckpoints, cfg.Steps, grid, newRun); err != nil {
			return nil, err
		}
	}

	var source train.Dataset = ds
	if cfg.Devices > 1 {
		if source, err = NewShardedDataset(backend, ds, cfg.Devices); err != nil {
			return nil, err
		}
		// A context that trained or sampled on another number of devices (continued in-process).
		split, err := splitOver(backend, cfg.Devices)
		if err == nil {
			err = split.adopt(ctx)
		}
		if err != nil {
			return nil, err
		}
	}

	modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		m := model
		if cfg.Conditional != nil {
			m = cfg.Conditional.Given(DropLabels(ctx, inputs[1], ds.NumClasses(), cfg.PUncond))
		}
		return []*Node{sched.SimpleLoss(ctx, m, inputs[0])}
	}
	lossFn := func(_, predictions []*Node) *Node { return predictions[0] }
	// Weights given in the context at step 0 (LoadTrained's, an export's) are fine-tuned: GoMLX's first
	// graph refused them as variables that already exist (fifty-second probe); past step 0 its loop
	// reuses them itself.
	if res.StartStep == 0 && len(ContextWeights(ctx)) > 0 {
		ctx = ctx.Checked(false)
	}
	trainer := train.NewTrainer(backend, ctx, modelFn, lossFn, opt, nil, nil)
	loop := train.NewLoop(trainer)
	if cfg.ProgressBar {
		commandline.AttachProgressBar(loop)
	}

	save := func(step int) error {
		if cfg.CheckpointDir == "" {
			return nil
		}
		// A folder moved or removed mid-run would be made again, unlocked, by Save: another run could
		// then take it and both would write there.
		if err := lock.Check(); err != nil {
			return fmt.Errorf("step %d not saved: %w", step, err)
		}
		path, err := ckpt.Save(ctx, int64(step), cfg.Meta)
		if path != "" { // written, even when removing an older one then failed
			res.Checkpoint = path
			setContinuesFrom(ctx, path)
		}
		return err
	}
	lastSave := time.Now()
	stopped := false
	var grids trainingGrids
	var hookErr error // the hook's own error, which GoMLX's loop wraps in its internals
	loop.OnStep("ddpm", 0, func(loop *train.Loop, metrics []*tensors.Tensor) (err error) {
		defer func() { hookErr = err }()
		step := int(optimizers.GetGlobalStep(ctx))
		loss := tensors.ToScalar[float32](metrics[0])
		res.LastLoss, res.Step = float64(loss), step
		if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
			last := res.Checkpoint
			if last == "" {
				last = "none written"
			}
			return fmt.Errorf("the loss became %v at step %d: training stopped, weights not saved (last good checkpoint: %s); "+
				"try a lower learning rate or stronger gradient clipping", loss, step, last)
		}
		if loaded != nil {
			if created := newStateVariables(loaded, ctx); len(created) > 0 {
				return fmt.Errorf("resuming from %s: it lacks part of the training state (%s), which the first step made afresh: "+
					"the run would not continue exactly; the file was edited, or written by another program (nothing was saved)",
					res.Checkpoint, strings.Join(created[:min(len(created), 4)], ", "))
			}
			loaded = nil
		}
		if cfg.OnStep != nil {
			cfg.OnStep(step, float64(loss))
		}
		if cfg.SampleEvery > 0 && cfg.CheckpointDir != "" && step%cfg.SampleEvery == 0 {
			// Asked before the grid, and by the grid after each of its steps: a Ctrl-C waited for a whole
			// grid, a thousand network evaluations, and for the next one when it came just before (fourteenth probe).
			if cfg.Stop != nil && cfg.Stop() {
				stopped = true
				return ErrStopped
			}
			err := grids.write(backend, ctx, sched, model, ds.NumClasses(), step, cfg)
			if errors.Is(err, ErrSampleStopped) {
				stopped = true
				return ErrStopped
			}
			if err != nil {
				// The grid is an optional output: the training is saved first, so that nothing is lost.
				if serr := save(step); serr != nil {
					return fmt.Errorf("writing the sample grid of step %d: %w; and saving the checkpoint: %w", step, err, serr)
				}
				return fmt.Errorf("%w of step %d: %w; training stopped with the checkpoint of that step saved (%s)",
					ErrSampleGrid, step, err, res.Checkpoint)
			}
		}
		if cfg.Stop != nil && cfg.Stop() {
			stopped = true
			return ErrStopped
		}
		if time.Since(lastSave) >= cfg.CheckpointEvery {
			lastSave = time.Now()
			return save(step)
		}
		return nil
	})

	// Asked during start-up, before the first step: nothing has changed since the checkpoint resumed (or
	// since nothing), so nothing is saved. A Ctrl-C there compiled the graph and trained a step first,
	// 8 to 15 s (eighteenth and nineteenth probes).
	if cfg.Stop != nil && cfg.Stop() {
		res.Step = res.StartStep
		return res, ErrStopped
	}
	// A run resumed at a step whose grid is due and was not drawn (a signal came in it, or just before,
	// and that step's checkpoint was saved) draws it first: it was lost for good (thirty-fourth probe).
	if step := res.StartStep; step > 0 && cfg.SampleEvery > 0 && step%cfg.SampleEvery == 0 {
		if _, err := os.Lstat(filepath.Join(cfg.CheckpointDir, "samples", gridName(step))); errors.Is(err, fs.ErrNotExist) {
			err := grids.write(backend, ctx, sched, model, ds.NumClasses(), step, cfg)
			if errors.Is(err, ErrSampleStopped) {
				res.Step = step
				return res, ErrStopped
			}
			if err != nil {
				return res, fmt.Errorf("%w of step %d, not drawn before the run stopped: %w", ErrSampleGrid, step, err)
			}
		}
	}
	start := time.Now()
	// In runs of at most maxLoopSteps: GoMLX's loop keeps a duration for each step it is asked for,
	// allocated up front, and --steps 4·10⁹ died of a fatal out-of-memory (thirtieth probe).
	var runErr error
	for at := res.StartStep; at < cfg.Steps && runErr == nil && !stopped; {
		at += min(maxLoopSteps, cfg.Steps-at) // (at + maxLoopSteps overflows near the largest int)
		_, runErr = loop.RunToGlobalStep(source, at)
	}
	err = runErr
	res.Duration = time.Since(start)
	if err != nil && !stopped {
		if hookErr != nil {
			err = hookErr
		}
		return res, err
	}
	if err := save(res.Step); err != nil {
		return res, err
	}
	if stopped {
		return res, ErrStopped
	}
	return res, nil
}

// maxLoopSteps bounds the steps asked of GoMLX's training loop at once (it allocates 8 bytes for each).
var maxLoopSteps = 1 << 20

// trainingGrids writes the sample grids of a training run. Its sampler is compiled once, on the first
// grid, for a context of the EMA weights; later grids copy the current averages into that context
// instead of compiling again (a compilation takes about 2 s for the MNIST U-Net on 2 cores).
type trainingGrids struct {
	emaCtx  *context.Context
	sampler *Sampler
}

// write samples a grid with the current EMA weights (fixed seed, so grids from different steps are
// comparable) and writes it atomically as samples/step-NNNNNNNNN.png. A conditional model's grid asks
// for the classes in turn.
func (tg *trainingGrids) write(backend backends.Backend, ctx *context.Context, sched *Schedule, model EpsModel, numClasses, step int, cfg TrainConfig) error {
	emaCtx, err := EMAContext(ctx)
	if err != nil {
		return err
	}
	if tg.sampler == nil {
		tg.emaCtx = emaCtx
		if cfg.Conditional != nil {
			tg.sampler, err = NewConditionalSampler(backend, emaCtx, sched, cfg.Conditional, numClasses, cfg.GridSampler)
		} else {
			tg.sampler, err = NewSampler(backend, emaCtx, sched, model, cfg.GridSampler)
		}
		if err != nil {
			return err
		}
	} else {
		for v := range emaCtx.IterVariables() {
			dst := tg.emaCtx.GetVariableByScopeAndName(v.Scope(), v.Name())
			if dst == nil {
				return fmt.Errorf("sample grid at step %d: weight %s appeared during training", step, v.ScopeAndName())
			}
			value, err := v.Value()
			if err != nil {
				return err
			}
			if err := dst.SetValue(value); err != nil {
				return fmt.Errorf("sample grid at step %d: weight %s: %w", step, v.ScopeAndName(), err)
			}
		}
	}
	opts := SampleOptions{N: cfg.SampleN, Dims: cfg.SampleDims, Seed: cfg.Seed, Stop: cfg.Stop}
	if numClasses > 0 {
		opts.Labels = make([]int, cfg.SampleN)
		for i := range opts.Labels {
			opts.Labels[i] = i % numClasses
		}
	}
	res, err := tg.sampler.Sample(opts)
	if err != nil {
		return err
	}
	dir, err := GridFolder(cfg.CheckpointDir)
	if err != nil {
		return err
	}
	// The grid's own name: a link there had a training image replaced (twelfth probe).
	path := filepath.Join(dir, gridName(step))
	if err := WriteOwnImageGridPNG(path, res.X0, cfg.SampleN, cfg.SampleDims, 0); err != nil {
		return err
	}
	if cfg.OnSamples != nil {
		cfg.OnSamples(step, path)
	}
	return nil
}

// gridName is the file name of the sample grid drawn at step.
func gridName(step int) string { return fmt.Sprintf("step-%09d.png", step) }

// isGridName says whether name is a sample grid's, step-<digits>.png.
func isGridName(name string) bool {
	digits, ok := strings.CutPrefix(name, "step-")
	digits, png := strings.CutSuffix(digits, ".png")
	return ok && png && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// isFolder says whether path is a folder itself, not a link to one nor one mounted there.
func isFolder(path string) bool {
	info, err := os.Lstat(path)
	return err == nil && info.IsDir() && !isMountPoint(path)
}

// checkGridSampler refuses a grid sampler that the first grid would refuse: devices the backend does not
// have or that do not split SampleN, guidance without a conditional model, and the learned variance of a
// model that learns none (learnsSigma, from the network's output).
func checkGridSampler(backend backends.Backend, cfg TrainConfig, learnsSigma bool) error {
	g := cfg.GridSampler
	if g.Devices > 1 {
		if err := CheckDevices(backend, g.Devices); err != nil {
			return err
		}
		if err := CheckShardable(fmt.Sprintf("a grid of SampleN=%d images", cfg.SampleN), cfg.SampleN, g.Devices); err != nil {
			return err
		}
	}
	if g.Guidance > 0 && cfg.Conditional == nil {
		return fmt.Errorf("guidance %g needs a class-conditional model", g.Guidance)
	}
	// Nor one trained without "no label" (p_uncond 0), whose unconditional prediction it never learned:
	// the command line's grids were guided by it, where its sample refuses (fifty-seventh probe).
	if g.Guidance > 0 && float32(cfg.PUncond) == 0 {
		return fmt.Errorf("guidance %g of the sample grids needs a model trained without a label at times (PUncond > 0); this one has PUncond %g", g.Guidance, cfg.PUncond)
	}
	if g.Variance == VarianceLearned && !learnsSigma { // checked only where Meta was a RunSpec (fiftieth probe)
		return fmt.Errorf("variance %q needs a model that learns its variances, and this one does not (its output has x_t's shape)", VarianceLearned)
	}
	return nil
}
