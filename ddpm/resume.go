package ddpm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// checkTrainingState refuses a checkpoint whose training state disagrees with its header's step: the
// loop's step and Adam's (they set the data order, the warm-up and Adam's bias correction) must both
// be the step the header and the file name give. An edited global_step of −1 000 000 panicked in the
// data order, one of 2^62 "trained" nothing with exit 0, one of 5 silently redid steps (eighth probe).
func checkTrainingState(path string, step int64, ctx *context.Context) error {
	for _, scope := range []string{context.RootScope, context.RootScope + optimizers.AdamDefaultScope} {
		name := context.JoinScope(scope, optimizers.GlobalStepVariableName)
		v := ctx.GetVariableByScopeAndName(scope, optimizers.GlobalStepVariableName)
		if v == nil {
			return fmt.Errorf("resuming from %s: its training state has no %s: the file was edited, or written by another program", path, name)
		}
		value, err := v.Value()
		if err != nil {
			return fmt.Errorf("resuming from %s: %s: %w", path, name, err)
		}
		if !value.Shape().IsScalar() || value.DType() != dtypes.Int64 {
			return fmt.Errorf("resuming from %s: %s is %v, want a scalar Int64", path, name, value.Shape())
		}
		if got := tensors.ToScalar[int64](value); got != step {
			return fmt.Errorf("resuming from %s: its training state says step %d (%s), its header step %d: the file was edited, or written by another program",
				path, got, name, step)
		}
	}
	return nil
}

// holdsCheckpoint refuses a context whose variables are not those of the checkpoint at latest, with
// their values: resuming from it would replace them.
func holdsCheckpoint(ctx *context.Context, latest string) error {
	saved := context.New()
	step, err := LoadCheckpoint(latest, saved, nil)
	if err != nil {
		return fmt.Errorf("resuming: %w", err)
	}
	refuse := fmt.Errorf("train: the context holds weights or training of its own (step %d), and %s (step %d) holds another state: resuming from it would replace the context's; "+
		"go on in the context without CheckpointDir or with an empty folder (its state is saved there at once), or resume in a fresh context (context.New())", trainedSteps(ctx), latest, step)
	have := ContextWeights(ctx)
	for name := range have {
		if strings.HasPrefix(name, metricsScope) {
			delete(have, name)
		}
	}
	if len(have) != len(ContextWeights(saved)) {
		return refuse
	}
	for v := range saved.IterVariables() {
		mine := ctx.GetVariableByScopeAndName(v.Scope(), v.Name())
		if mine == nil || !sameValue(mine, v) {
			return refuse
		}
	}
	return nil
}

// checkpointParam is the context's record of the checkpoint file that Train last saved its state to,
// or resumed it from, in this process: a context holding it goes on from there (continuesFrom). The
// file is recorded by identity, not by name: a file saved over it by hand was taken for it, and the
// same file in a folder renamed was not (fifty-fifth probe).
const checkpointParam = "ddpm_checkpoint"

// fileID is a file's identity on its file system.
type fileID struct{ dev, ino uint64 }

// continuesFrom says whether ctx's run saved its state to the checkpoint file at latest, or resumed
// from it, and has not been given another since (LoadCheckpoint forgets it): it is that checkpoint's
// state, or its continuation.
func continuesFrom(ctx *context.Context, latest string) bool {
	value, _ := ctx.InAbsPath(context.RootScope).GetParam(checkpointParam)
	saved, ok := value.(fileID)
	now, err := identity(latest)
	return ok && err == nil && now == saved
}

// setContinuesFrom records in ctx the checkpoint file at path as the one holding its state
// (continuesFrom); "" forgets it.
func setContinuesFrom(ctx *context.Context, path string) {
	id, err := identity(path)
	if path == "" || err != nil {
		ctx.InAbsPath(context.RootScope).SetParam(checkpointParam, nil)
		return
	}
	ctx.InAbsPath(context.RootScope).SetParam(checkpointParam, id)
}

// identity is the identity of the file at path.
func identity(path string) (fileID, error) {
	info, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	st := info.Sys().(*syscall.Stat_t)
	return fileID{uint64(st.Dev), st.Ino}, nil
}

// sameValue says whether two variables hold the same values, bit for bit.
func sameValue(a, b *context.Variable) bool {
	va, err := a.Value()
	if err != nil {
		return false
	}
	vb, err := b.Value()
	if err != nil || !va.Shape().Equal(vb.Shape()) {
		return false
	}
	var x []byte
	if va.ConstBytes(func(data []byte) { x = slices.Clone(data) }) != nil {
		return false
	}
	same := false
	return vb.ConstBytes(func(data []byte) { same = bytes.Equal(x, data) }) == nil && same
}

// trainedSteps is the global step of ctx, 0 where it has none: read without making the variable, as
// optimizers.GetGlobalStep does, which then stood for a checkpoint's missing one (fifty-second probe's
// rerun: a file without /global_step was said to hold step 0).
func trainedSteps(ctx *context.Context) int64 {
	v := ctx.GetVariableByScopeAndName(context.RootScope, optimizers.GlobalStepVariableName)
	if v == nil {
		return 0
	}
	value, err := v.Value()
	if err != nil || !value.Shape().IsScalar() || value.DType() != dtypes.Int64 {
		return 0
	}
	return tensors.ToScalar[int64](value)
}

// newStateVariables lists the variables that the first step of a resumed run created, beyond those its
// checkpoint held (loaded): Adam's moments or the random generator's state missing from the file are
// made afresh, and the run would no longer continue exactly (eighth probe). The metrics, which are not
// saved, do not count.
func newStateVariables(loaded Weights, ctx *context.Context) []string {
	var created []string
	for v := range ctx.IterVariables() {
		name := v.ScopeAndName()
		if _, ok := loaded[name]; !ok && !strings.HasPrefix(v.Scope(), metricsScope) {
			created = append(created, name)
		}
	}
	slices.Sort(created)
	return created
}

// runState lists every variable that a checkpoint of a run whose network is want may hold, with its
// shape: the weights, their EMA, Adam's two moments of each, and the loop's and Adam's steps, the
// learning rate, the trainer's last step and the random generator's state. A file may hold fewer
// (an export holds the weights alone; newStateVariables finds a state that is missing).
func runState(want Weights) Weights {
	adam := context.RootScope + optimizers.AdamDefaultScope
	state := Weights{
		context.JoinScope(context.RootScope, optimizers.GlobalStepVariableName): shapes.Make(dtypes.Int64),
		context.JoinScope(adam, optimizers.GlobalStepVariableName):              shapes.Make(dtypes.Int64),
		context.JoinScope(context.RootScope, context.RNGStateVariableName):      graph.RNGStateShape,
		"/trainer/train_last_global_step":                                       shapes.Make(dtypes.Int64),
		"/optimizers/learning_rate":                                             shapes.Make(dtypes.Float32),
	}
	for name, shape := range want {
		state[name] = shape
		state[EMAScope+name] = shape
		state[adam+name+"_1st_moment"] = shape
		state[adam+name+"_2nd_moment"] = shape
	}
	return state
}

// checkRunState refuses a checkpoint (its variables' names and shapes, from the header: nothing is
// read yet) that holds a variable of no part of a run whose network is want, or one of another shape.
// An edited file's 3 GB of junk variables, at the root or under the EMA's or Adam's scope, were loaded,
// sampled from and carried into every later checkpoint (fourteenth and fifteenth probes), and a
// generator state or a moment of another shape failed inside GoMLX, naming no file (fifteenth).
func checkRunState(path string, have, want Weights) error {
	state := runState(want)
	for _, name := range slices.Sorted(maps.Keys(have)) {
		shape, ok := state[name]
		switch {
		case !ok:
			return fmt.Errorf("%s: it holds %s, which belongs to no part of a training run: the file was edited, or written by another program",
				path, name)
		case !shape.Equal(have[name]):
			return fmt.Errorf("%s: it holds %s of shape %s, where a training run's is %s: the file was edited, or written by another program",
				path, name, have[name], shape)
		}
	}
	return nil
}

// checkTrainable refuses a checkpoint (its header's trainable flags) whose network weights are not all
// trainable, or whose other variables are: an edited flag froze a layer silently on resume, and a file
// with every weight frozen failed in GoMLX's trainer without a name (fourteenth probe); sample called
// a frozen weight missing, and a trainable moment a weight without an EMA (seventeenth).
func checkTrainable(path string, trainable map[string]bool, want Weights) error {
	for _, name := range slices.Sorted(maps.Keys(trainable)) {
		if _, weight := want[name]; weight != trainable[name] {
			what := "a weight of the network, marked not trainable: training would leave it as it is"
			if !weight {
				what = "not a weight of the network, marked trainable: training would change it"
			}
			return fmt.Errorf("%s: %s is %s; the file was edited, or written by another program", path, name, what)
		}
	}
	return nil
}

// checkState checks, from its header h, what every reader of a training checkpoint needs: the
// weights of the network want are all there, nothing is outside a run's state, and only the weights
// are trainable. Its errors begin with path.
func checkState(path string, h checkpointContents, want Weights) error {
	if err := want.CheckWeights(h.have); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := checkRunState(path, h.have, want); err != nil {
		return err
	}
	return checkTrainable(path, h.trainable, want)
}

// resumable checks, from its header h, that a checkpoint can resume a run whose network is want and
// whose EMA decay is emaDecay: the network's weights are all there, nothing is outside the run's
// state, an EMA is kept only by a run that updates it, only the weights are trainable, and the state
// that every step keeps (Adam's, the generator's, the EMA) is there after the first.
func resumable(path string, h checkpointContents, want Weights, emaDecay float64) error {
	have := h.have
	// An export or a shipped model is no run's: said so, where it was blamed on an edit (forty-third
	// probe's nit), once its weights are found to be the network's.
	if want.CheckWeights(have) == nil && WeightsOnly(have) {
		return fmt.Errorf("resuming from %s: it holds weights only (made by `ddpm export`, or a shipped model): training cannot resume from it; "+
			"sample from it as it is", path)
	}
	if err := checkState(path, h, want); err != nil {
		return fmt.Errorf("resuming from %w", err)
	}
	// An average that this run would not update: a description edited to EMA decay 0, resumed as it
	// asked, left the EMA that sample reads stale, exit 0 (fifteenth probe).
	if emaDecay == 0 && slices.ContainsFunc(slices.Collect(maps.Keys(have)), func(name string) bool {
		return strings.HasPrefix(name, EMAScope+"/")
	}) {
		return fmt.Errorf("resuming from %s: it holds an EMA of the weights, which training without one (EMA decay 0) "+
			"would leave as it is, while sample and export read it: the file was edited, or the run trained with an EMA", path)
	}
	// The state that every step after the first keeps: without it the run would not continue exactly.
	// The first step finds the rest (newStateVariables); this is found before any value is read.
	if h.step > 0 {
		var missing []string
		for name := range runState(want) {
			kept := strings.HasPrefix(name, context.RootScope+optimizers.AdamDefaultScope+"/") || name == context.JoinScope(context.RootScope, context.RNGStateVariableName) ||
				(emaDecay > 0 && strings.HasPrefix(name, EMAScope+"/"))
			if _, ok := have[name]; kept && !ok {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("resuming from %s: it lacks part of the training state (%s): the run would not continue exactly; "+
				"the file was edited, or written by another program", path, strings.Join(missing[:min(len(missing), 4)], ", "))
		}
	}
	return nil
}

// WeightsOnly says whether a checkpoint holding the variables have holds no training loop's state (its
// global step, under /trainer/), as an export or a shipped model does.
func WeightsOnly(have Weights) bool {
	for name := range have {
		if strings.HasPrefix(name, "/trainer/") {
			return false
		}
	}
	return true
}

// CheckResume checks that Train could resume a run whose network has the weights want and whose EMA
// decay is emaDecay from the checkpoint at path, as Train checks it: from the header, the network's
// weights, nothing outside the run's state, the trainable flags and the state kept by every step; then
// every value (its checksum, finite, Adam's second moments not negative). A caller with expensive work
// before Train (a folder of images to decode) refuses a damaged or foreign checkpoint first: truncated,
// corrupt or edited ones were refused after 15 to 20 s of decoding (seventeenth and eighteenth probes).
func CheckResume(path string, want Weights, emaDecay float64) error {
	if !(emaDecay >= 0 && emaDecay < 1) { // as Train refuses it (a NaN passed here; forty-eighth sweep)
		return fmt.Errorf("EMA decay %g: it must be in [0, 1) (0 disables it)", emaDecay)
	}
	var refused error
	ctx := context.New()
	_, err := loadCheckpoint(path, ctx, nil, nil, func(h checkpointContents) error {
		refused = resumable(path, h, want, emaDecay)
		return refused
	})
	switch {
	case refused != nil:
		return refused
	case err != nil:
		return fmt.Errorf("resuming: %w", err)
	}
	return checkSecondMoments(path, ctx)
}

// checkSecondMoments refuses a loaded checkpoint whose Adam second moments (running means of squared
// gradients) hold a negative value: Adam divides by their square root, and an edited moment of −1 made
// the loss NaN at the first step, which was blamed on the learning rate, with the damaged file called
// the last good checkpoint (sixteenth probe).
func checkSecondMoments(path string, ctx *context.Context) error {
	for v := range ctx.IterVariables() {
		if !strings.HasSuffix(v.Name(), "_2nd_moment") {
			continue
		}
		value, err := v.Value()
		if err != nil || value.DType() != dtypes.Float32 {
			continue // the shape was checked against the run's state (checkRunState)
		}
		at, bad := -1, float32(0)
		tensors.MustConstFlatData(value, func(flat []float32) {
			if at = slices.IndexFunc(flat, func(x float32) bool { return x < 0 }); at >= 0 {
				bad = flat[at]
			}
		})
		if at >= 0 {
			return fmt.Errorf("resuming from %s: Adam's second moment %s holds %v (value %d), and a mean of squares is never negative: "+
				"the file was edited, or written by another program", path, v.ScopeAndName(), bad, at)
		}
	}
	return nil
}

// RunDifferences lists the settings of two run descriptions that differ, each as "key: a in the
// checkpoint, b now": model holds those that make another network, schedule or data set, which a run
// cannot resume with; recipe those of the training itself that it may (the batch, the seed, p_uncond,
// the optimizer's settings). The step count is left out (a resumed run may train longer), and so is the
// data's digest, whose meaning the caller knows (other data is fine-tuning; a toy set drawn anew).
func RunDifferences(saved, now *RunSpec) (model, recipe []string, err error) {
	was, err := flatJSON(saved)
	if err != nil {
		return nil, nil, err
	}
	is, err := flatJSON(now)
	if err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(was)+len(is))
	for k := range was {
		keys = append(keys, k)
	}
	for k := range is {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	orNone := func(key, v string) string {
		switch {
		case v == "" && key == "p_uncond": // omitted when 0: "(none)" read as no dropout set (fifty-second probe's nit)
			return "0"
		case v == "" && key == "hflip": // omitted when false (sixty-second probe's nit)
			return "false"
		case v == "":
			return "(none)"
		}
		return v
	}
	for _, key := range keys {
		if was[key] == is[key] || key == "steps" || key == "data_sha256" {
			continue
		}
		diff := fmt.Sprintf("%s: %s in the checkpoint, %s now", key, orNone(key, was[key]), orNone(key, is[key]))
		// Two names of one schedule ("linear-scaled" is "linear" at T = 1 000) are the same run: it was
		// refused as another run's (sixty-third probe).
		if key == "schedule" && sameBetas(saved, now) {
			recipe = append(recipe, diff+fmt.Sprintf(" (the same β_t at T = %d)", now.T))
			continue
		}
		if key == "p_uncond" && unlabelledChanged(saved, now.PUncond) {
			model = append(model, diff+" (whether the model learned \"no label\", which sampling without a class and guidance need, is its checkpoint's p_uncond: 0 and more than 0 cannot be mixed in one run)")
			continue
		}
		if key == "batch_size" || key == "seed" || key == "p_uncond" || key == "hflip" || strings.HasPrefix(key, "optimizer.") {
			recipe = append(recipe, diff)
		} else {
			model = append(model, diff)
		}
	}
	return model, recipe, nil
}

// unlabelledChanged says whether a conditional run resumed with p_uncond now from saved would change
// whether it ever trains on "no label": the checkpoint keeps the last run's p_uncond, and a model trained
// almost wholly with p_uncond 0 and resumed for a few steps with 0.1 was sampled and guided without a
// label; resumed the other way, what it learned was refused (eighty-fifth probe).
func unlabelledChanged(saved *RunSpec, now float64) bool {
	return saved.NumClasses() > 0 && (float32(saved.PUncond) == 0) != (float32(now) == 0)
}

// sameBetas says whether two runs' schedules have the same β_1..β_T.
func sameBetas(a, b *RunSpec) bool {
	if a.T != b.T {
		return false
	}
	sa, errA := a.BuildSchedule()
	sb, errB := b.BuildSchedule()
	return errA == nil && errB == nil && slices.Equal(sa.Beta, sb.Beta)
}

// flatJSON is v's JSON as one value per dotted key ("unet.BaseChannels": "32").
func flatJSON(v any) (map[string]string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, node any)
	walk = func(prefix string, node any) {
		if m, ok := node.(map[string]any); ok {
			for k, child := range m {
				walk(prefix+k+".", child)
			}
			return
		}
		value, _ := json.Marshal(node)
		out[strings.TrimSuffix(prefix, ".")] = string(value)
	}
	walk("", tree)
	return out, nil
}

// sameRun refuses to resume from the checkpoint at latest a run described by meta (a RunSpec) that is
// another run than the checkpoint's: the command line refused it, and Train went on, its later
// checkpoints describing with T = 80 weights trained under T = 50 (forty-ninth probe). A description of
// another type, or a checkpoint without one, is the caller's to compare.
func sameRun(latest string, meta any) error {
	now, _ := runSpecOf(meta) // Train refused one that is not a RunSpec (describesRun)
	if now == nil {
		return nil
	}
	var saved RunSpec
	if _, err := ReadCheckpointMeta(latest, &saved); err != nil || saved.Model == "" {
		return nil // the reading below names a damaged file; no description, nothing to compare
	}
	model, _, err := RunDifferences(&saved, now)
	if err != nil {
		return err
	}
	if len(model) > 0 {
		return fmt.Errorf("resuming from %s: it is a checkpoint of another run (%s): %s; use another folder to start afresh, or the same description to resume",
			latest, saved.Model, strings.Join(model, "; "))
	}
	return nil
}

// describesRun refuses a RunSpec description (Meta) that does not describe the run Train was given:
// another network (its weights), another shape of examples, another schedule, or a respaced one,
// which no description rebuilds, another p_uncond, or another recipe (optimizer, batch, seed). whose
// names the description. A description of another type is the caller's own.
func describesRun(cfg TrainConfig, sched *Schedule, want Weights, ds *ArrayDataset, whose string) error {
	spec, err := runSpecOf(cfg.Meta)
	if spec == nil || err != nil {
		return err
	}
	// What LoadTrained refuses of a description, refused before the run: class names that are not one
	// per class, a p_uncond of 1 or more (each run's checkpoints could not be loaded; fifty-third probe).
	if err := spec.CheckClassNames(); err != nil {
		return fmt.Errorf("train: %s: %w", whose, err)
	}
	if err := CheckPUncond(spec.PUncond); err != nil {
		return fmt.Errorf("train: %s: %w", whose, err)
	}
	// Classes for a run that trains none: LoadTrained made it a conditional model whose class rows were
	// never trained, and guided it (fifty-third probe).
	if (spec.NumClasses() > 0) != (cfg.Conditional != nil) {
		return fmt.Errorf("train: %s says a model of %d classes, and the run is %s", whose, spec.NumClasses(),
			map[bool]string{true: "class-conditional (Conditional)", false: "not class-conditional (no Conditional)"}[cfg.Conditional != nil])
	}
	// p_uncond decides whether the model may be drawn from without a label (Trained.neverUnlabelled).
	if cfg.Conditional != nil && float32(spec.PUncond) != float32(cfg.PUncond) {
		return fmt.Errorf("train: %s says p_uncond %g, and the run's is %g", whose, spec.PUncond, cfg.PUncond)
	}
	// The recipe that resuming compares: an EMA decay of 0 described for a run with one made a run
	// that the command line could resume with neither (fifty-first probe).
	if spec.Optimizer != cfg.Optimizer {
		return fmt.Errorf("train: %s says the optimizer %+v, and the run's is %+v", whose, spec.Optimizer, cfg.Optimizer)
	}
	if spec.BatchSize != ds.BatchSize {
		return fmt.Errorf("train: %s says batches of %d, and the data set's are of %d", whose, spec.BatchSize, ds.BatchSize)
	}
	if spec.HFlip != ds.HFlip {
		return fmt.Errorf("train: %s says hflip %v, and the data set's is %v", whose, spec.HFlip, ds.HFlip)
	}
	// One seed for the weights, t, ε and the data order, as the command line takes it: the data
	// order follows the data set's (fifty-first probe).
	if spec.Seed != cfg.Seed || ds.Seed != cfg.Seed {
		return fmt.Errorf("train: %s says seed %d, the run's is %d and its data set's %d: a description records one seed for the weights, t, ε and the data order",
			whose, spec.Seed, cfg.Seed, ds.Seed)
	}
	if !slices.Equal(spec.Dims, ds.exampleDims) {
		return fmt.Errorf("train: %s says examples of shape %v, and the data's are %v", whose, spec.Dims, ds.exampleDims)
	}
	if sched.ModelSteps != nil {
		return fmt.Errorf("train: a respaced schedule (%d of its model's steps): %s rebuilds whole schedules only; train on the schedule itself", sched.T, whose)
	}
	built, err := spec.BuildSchedule()
	if err != nil {
		return fmt.Errorf("train: %s: %w", whose, err)
	}
	if built.T != sched.T || !slices.EqualFunc(built.Beta, sched.Beta, func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(a)) }) {
		return fmt.Errorf("train: %s says the schedule %s of T = %d, and the one given is %s of T = %d",
			whose, spec.Schedule, spec.T, sched.Name, sched.T)
	}
	described, err := spec.NetworkWeights()
	if err != nil {
		return fmt.Errorf("train: %s: %w", whose, err)
	}
	if err := described.CheckWeights(want); err != nil {
		return fmt.Errorf("train: %s builds another network than the one given: %w", whose, err)
	}
	return nil
}

// carriedDescription is the description of the checkpoint at latest carried forward to a run resumed
// from it with no description (Meta nil), with this run's recipe: the run resumed without one wrote
// checkpoints that no LoadTrained could read, and trained under another schedule unchecked (fifty-first
// probe). It is nil where the checkpoint holds no RunSpec; a description of another type is refused
// where it does.
func carriedDescription(latest string, cfg TrainConfig, ds *ArrayDataset) (*RunSpec, error) {
	var saved RunSpec
	if _, err := ReadCheckpointMeta(latest, &saved); err != nil || saved.Model == "" {
		return nil, nil // the reading after names a damaged file
	}
	switch spec, _ := runSpecOf(cfg.Meta); {
	case spec != nil:
		return nil, nil // compared by sameRun
	case cfg.Meta != nil:
		return nil, fmt.Errorf("resuming from %s: it describes its run with a RunSpec, and Meta is a %T: give its RunSpec, or none to carry it forward", latest, cfg.Meta)
	}
	saved.Optimizer, saved.BatchSize, saved.Seed, saved.Steps = cfg.Optimizer, ds.BatchSize, cfg.Seed, cfg.Steps
	saved.HFlip = ds.HFlip
	// The data this run trains on: the checkpoint's digest was kept for other data, and the command line
	// resumed the run without its warning (fifty-third probe).
	saved.DataSHA256 = ds.sha256()
	if cfg.Conditional != nil && unlabelledChanged(&saved, cfg.PUncond) { // a run of no classes is refused as such after (eighty-seventh probe)
		return nil, fmt.Errorf("resuming from %s: it was trained with p_uncond %g and this run's is %g: whether the model learned \"no label\" "+
			"(which sampling without a class and guidance need) is its checkpoint's p_uncond, so 0 and more than 0 cannot be mixed in one run; resume with p_uncond %g, or start afresh",
			latest, saved.PUncond, cfg.PUncond, saved.PUncond)
	}
	if saved.NumClasses() > 0 {
		saved.PUncond = cfg.PUncond
	}
	return &saved, nil
}

// runSpecOf is Train's description meta as its readers take it (LoadTrained, a resumed run): a RunSpec
// wherever its JSON names a model, whatever its Go type (a type of the caller's that embedded a RunSpec
// was saved unchecked, and LoadTrained sampled its run with another T; fifty-second probe), and nil where
// it names none. The error is for JSON that names a model and is no RunSpec, which no reader could read.
func runSpecOf(meta any) (*RunSpec, error) {
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var named struct {
		Model json.RawMessage `json:"model"`
	}
	if json.Unmarshal(raw, &named) != nil || named.Model == nil || string(named.Model) == `""` || string(named.Model) == "null" {
		return nil, nil
	}
	var spec RunSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("train: the description (Meta) names a model (%s), as a RunSpec does, and is not one: %w", named.Model, err)
	}
	return &spec, nil
}
