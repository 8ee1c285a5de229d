package ddpm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Model kinds of a RunSpec.
const (
	ModelUNet = "unet" // images
	ModelMLP  = "mlp"  // 2-D points
)

// RunSpec describes a training run: what is needed to rebuild the model and the schedule from a
// checkpoint, saved in every checkpoint as its description.
type RunSpec struct {
	Model    string      `json:"model"` // ModelUNet or ModelMLP
	UNet     *UNetConfig `json:"unet,omitempty"`
	MLP      *MLPConfig  `json:"mlp,omitempty"`
	Schedule string      `json:"schedule"`
	T        int         `json:"T"`
	Dataset  string      `json:"dataset"`
	Dims     []int       `json:"dims"` // shape of one example, e.g. [28, 28, 1] or [2]

	BatchSize int             `json:"batch_size"`
	Steps     int             `json:"steps"`
	Seed      uint64          `json:"seed"`
	Optimizer OptimizerConfig `json:"optimizer"`

	// ClassNames names the classes of a class-conditional model (label i is ClassNames[i]);
	// PUncond is the probability with which training replaced a label by "no label".
	ClassNames []string `json:"class_names,omitempty"`
	PUncond    float64  `json:"p_uncond,omitempty"`

	// HFlip: the training images were mirrored left to right with probability 1/2 (ArrayDataset.HFlip).
	HFlip bool `json:"hflip,omitempty"`

	// DataSHA256 fingerprints the training examples (and labels), so that a run resumed on other data
	// says so; empty in checkpoints written before it was recorded.
	DataSHA256 string `json:"data_sha256,omitempty"`
}

// DataSHA256 fingerprints training examples (values, flat, of the shape dims) and their labels (nil
// for none), as RunSpec.DataSHA256 records them.
func DataSHA256(values []float32, dims []int, labels []int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%v %d\n", dims, len(values))
	buf := make([]byte, 0, 1<<16) // in pieces: a copy of the whole set would double its memory
	for i, v := range values {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) || i == len(values)-1 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	for _, l := range labels {
		h.Write(binary.LittleEndian.AppendUint32(buf[:0], uint32(l)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BuildSchedule returns the run's noise schedule.
func (r *RunSpec) BuildSchedule() (*Schedule, error) { return NewSchedule(r.Schedule, r.T) }

// LearnsSigma reports whether the run's model learns its variances Σ_θ (and trains on L_hybrid).
func (r *RunSpec) LearnsSigma() bool {
	switch u, m := r.network(); {
	case u != nil:
		return u.LearnSigma
	case m != nil:
		return m.LearnSigma
	}
	return false
}

// NumClasses is the number of classes of a class-conditional model, 0 for an unconditional one.
func (r *RunSpec) NumClasses() int {
	switch u, m := r.network(); {
	case u != nil:
		return u.NumClasses
	case m != nil:
		return m.NumClasses
	}
	return 0
}

// network returns the configuration of the run's Model, one of them non-nil (both nil for an
// unknown model or a missing configuration): settings come from the model the run names, not from
// whichever configuration a file holds (a stray "mlp" with learn_sigma made a U-Net count as learning
// its variances; sixteenth probe).
func (r *RunSpec) network() (*UNetConfig, *MLPConfig) {
	switch r.Model {
	case ModelUNet:
		return r.UNet, nil
	case ModelMLP:
		return nil, r.MLP
	}
	return nil, nil
}

// Printable is s, quoted where a character would not print as itself: a newline in a class folder's
// name (fifteenth probe), or a newline and an escape sequence in an edited checkpoint's data set name
// (seventeenth), forged a line of output.
func Printable(s string) string {
	if q := strconv.Quote(s); q[1:len(q)-1] != s {
		return q
	}
	return s
}

// ClassLabel returns the label of a class given by name or by number, or an error naming the valid
// ones.
func (r *RunSpec) ClassLabel(class string) (int, error) {
	k := r.NumClasses()
	if k == 0 {
		return 0, fmt.Errorf("class %q: the model is not class-conditional (it was trained without class labels)", class)
	}
	if i := slices.Index(r.ClassNames, class); i >= 0 {
		return i, nil
	}
	// Only a label's own spelling: "07" or "+7" may be a typing slip, and a class may be named "07".
	if i, err := strconv.Atoi(class); err == nil && i >= 0 && i < k && strconv.Itoa(i) == class {
		return i, nil
	}
	var names []string
	for _, name := range r.ClassNames {
		names = append(names, Printable(name))
	}
	if len(names) == 0 {
		names = []string{fmt.Sprintf("0..%d", k-1)}
	}
	// The first few names only: 300 classes of long names made a 76 KB message (seventh probe).
	const listed = 12
	if len(names) > listed {
		names = append(slices.Clip(names[:listed]), fmt.Sprintf("… and %d more", len(names)-listed))
	}
	return 0, fmt.Errorf("class %q is not one of the model's %d classes: %s (or their numbers 0..%d)", class, k, strings.Join(names, ", "), k-1)
}

// ClassDescription names a label for a message: "class 7" where the label is its own name (MNIST's),
// `class "cat" (label 3)` otherwise, so that a name that is another label's number (class folders
// named 1 and 2: "1" is label 0) cannot be mistaken.
func (r *RunSpec) ClassDescription(label int) string {
	if label < 0 || label >= len(r.ClassNames) || r.ClassNames[label] == strconv.Itoa(label) {
		return fmt.Sprintf("class %d", label)
	}
	return fmt.Sprintf("class %q (label %d)", r.ClassNames[label], label)
}

// BuildConditional returns the run's class-conditional noise predictor, or nil for an
// unconditional model.
func (r *RunSpec) BuildConditional() (ConditionalModel, error) {
	if r.NumClasses() == 0 {
		return nil, nil
	}
	if _, err := r.BuildModel(); err != nil { // validates the configuration
		return nil, err
	}
	if u, _ := r.network(); u != nil {
		return UNetConditionalModel(*u), nil
	}
	return MLPConditional(*r.MLP), nil
}

// BuildModel returns the run's noise predictor (given "no label" for a class-conditional model).
func (r *RunSpec) BuildModel() (EpsModel, error) {
	switch r.Model {
	case ModelUNet:
		if r.UNet == nil {
			return nil, fmt.Errorf("run spec: model %q without its configuration", r.Model)
		}
		if r.MLP != nil {
			return nil, errBothNetworks(r.Model)
		}
		if err := r.UNet.Validate(); err != nil {
			return nil, err
		}
		// The examples' shape is the network's: another one, whose weights may coincide, failed inside
		// GoMLX or was split as learned variances (fifteenth probe).
		if u := r.UNet; !slices.Equal(r.Dims, []int{u.ImageSize, u.ImageSize, u.Channels}) {
			return nil, fmt.Errorf("run spec: examples of shape %v, and the U-Net takes %d×%d×%d images", r.Dims, u.ImageSize, u.ImageSize, u.Channels)
		}
		return UNetModel(*r.UNet), nil
	case ModelMLP:
		if r.MLP == nil {
			return nil, fmt.Errorf("run spec: model %q without its configuration", r.Model)
		}
		if r.UNet != nil {
			return nil, errBothNetworks(r.Model)
		}
		if err := r.MLP.Validate(); err != nil {
			return nil, err
		}
		if !slices.Equal(r.Dims, []int{r.MLP.Dim}) {
			return nil, fmt.Errorf("run spec: examples of shape %v, and the MLP takes points of %d values", r.Dims, r.MLP.Dim)
		}
		return MLPModel(*r.MLP), nil
	default:
		return nil, fmt.Errorf("run spec: unknown model %q (want %q or %q)", r.Model, ModelUNet, ModelMLP)
	}
}

// errBothNetworks refuses a description holding both networks' configurations: a stray "unet" beside
// an MLP's panicked in the memory estimate (sixteenth probe).
func errBothNetworks(model string) error {
	return fmt.Errorf("run spec: it holds a U-Net's and an MLP's configuration, and its model is the %s: "+
		"the file was edited, or written by another program", model)
}

// Trained is a model ready to sample: the run's description, its schedule and model, and a context
// holding the EMA weights.
type Trained struct {
	Spec     RunSpec
	Step     int64
	Path     string
	Schedule *Schedule
	Model    EpsModel
	Cond     ConditionalModel // nil for an unconditional model
	Ctx      *context.Context

	// FromEMA says that Ctx's weights are the checkpoint's EMA: false for an export (which holds the
	// EMA as its weights) and for a run trained without one.
	FromEMA bool
	// SHA256 is the hex SHA-256 of the bytes that were read: a report filed under it is the model's
	// even when the file is replaced meanwhile (hashed again, a replaced file's SHA labelled another
	// model's bound; seventeenth probe).
	SHA256 string
}

// Export writes the model as a weights-only checkpoint: its weights (the EMA of a training
// checkpoint's) and its description, without the training state. It is about a quarter of a
// training checkpoint, small enough to ship, and LoadTrained reads it as it reads the checkpoint.
func (tr *Trained) Export(path string) error {
	if !tr.FromEMA { // the export would be the file itself, or the raw weights of a run without an EMA
		return fmt.Errorf("%s has no EMA weights to export (it is already an export, or was trained with --ema 0, "+
			"whose checkpoint can be sampled from as it is): %s not written", tr.Path, path)
	}
	// Never over the file it was read from, by any name: the library replaced a training checkpoint
	// by its export, and its training state was lost (thirty-second probe; the command refused it).
	if err := CheckOutput("export", path, tr.Path); err != nil {
		return err
	}
	// Nor under a training checkpoint's name, which train would take for its newest and refuse (the
	// command refused it, the library wrote it; thirty-third probe).
	if IsCheckpointName(filepath.Base(path)) {
		return fmt.Errorf("export %q: a training checkpoint's name (ckpt-<step>.ddpm), which train would take for a run's newest: choose another name", path)
	}
	if err := tr.checkWeightsOnly("export " + path); err != nil {
		return err
	}
	keepTrainable := func(v *context.Variable) (string, bool) { return v.Scope(), true }
	return writeCheckpoint(path, tr.Ctx, tr.Step, &tr.Spec, nil, keepTrainable, false)
}

// checkWeightsOnly refuses a Trained whose context holds more than the network's weights: it was
// trained after it was loaded (fine-tuned), and holds the raw weights, Adam's state and an EMA of its
// own. Its export held them all, marked as weights, which no reader took (fifty-third probe), and its
// sampler and bound used the raw weights where a Trained stands for the EMA's, under the step read
// (fifty-fourth).
func (tr *Trained) checkWeightsOnly(what string) error {
	want, err := tr.Spec.NetworkWeights()
	if err != nil {
		return err
	}
	for name := range ContextWeights(tr.Ctx) {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("%s: the context of %s holds %s, no weight of the network: it was trained after it was loaded; "+
				"use the newest checkpoint of that training (LoadTrained of its folder)", what, tr.Path, name)
		}
	}
	return nil
}

// NewSampler prepares sampling from the trained model on sched (its own schedule, or a respacing of
// it): a conditional sampler for a class-conditional model.
func (tr *Trained) NewSampler(backend backends.Backend, sched *Schedule, cfg SamplerConfig) (*Sampler, error) {
	if err := tr.CheckSchedule(sched); err != nil {
		return nil, err
	}
	if err := tr.checkWeightsOnly("sampler"); err != nil {
		return nil, err
	}
	if err := tr.checkVariance(cfg); err != nil {
		return nil, err
	}
	if tr.neverUnlabelled() && cfg.Guidance > 0 {
		return nil, fmt.Errorf("checkpoint %s: guidance %g: the model was trained with p_uncond 0 and never saw \"no label\", which guidance subtracts",
			tr.Path, cfg.Guidance)
	}
	var s *Sampler
	var err error
	if tr.Cond != nil {
		s, err = NewConditionalSampler(backend, tr.Ctx, sched, tr.Cond, tr.Spec.NumClasses(), cfg)
	} else {
		s, err = NewSampler(backend, tr.Ctx, sched, tr.Model, cfg)
	}
	if err == nil {
		s.dims = slices.Clone(tr.Spec.Dims)
		s.neverUnlabelled = tr.neverUnlabelled()
	}
	return s, err
}

// neverUnlabelled says whether the model is conditional and was trained with p_uncond 0: its "no label"
// was never trained, and what it makes of it means nothing (the command line refused it; the library
// sampled and bounded with it; fiftieth probe).
func (tr *Trained) neverUnlabelled() bool { return tr.Cond != nil && float32(tr.Spec.PUncond) == 0 }

// NewBoundEvaluator is NewBoundEvaluator for the trained model, on sched (its own schedule, or a
// respacing of it).
func (tr *Trained) NewBoundEvaluator(backend backends.Backend, sched *Schedule, cfg SamplerConfig) (*BoundEvaluator, error) {
	if err := tr.CheckSchedule(sched); err != nil {
		return nil, err
	}
	if err := tr.checkWeightsOnly("bound"); err != nil {
		return nil, err
	}
	if err := tr.checkVariance(cfg); err != nil {
		return nil, err
	}
	if tr.neverUnlabelled() { // the bound is of the model given "no label"
		return nil, fmt.Errorf("checkpoint %s: the bound is the model's without a label, which it never saw (trained with p_uncond 0)", tr.Path)
	}
	e, err := NewBoundEvaluator(backend, tr.Ctx, sched, tr.Model, cfg)
	if err == nil {
		e.dims = slices.Clone(tr.Spec.Dims)
	}
	return e, err
}

// checkVariance refuses the learned variance for a model that learns none, before anything is compiled:
// it was refused at the first step of the chain, or of the bound (forty-eighth sweep).
func (tr *Trained) checkVariance(cfg SamplerConfig) error {
	if cfg.Variance == VarianceLearned && !tr.Spec.LearnsSigma() {
		return fmt.Errorf("checkpoint %s: variance %q needs a model that learns its variances, and this one does not (use %q or %q)",
			tr.Path, VarianceLearned, VarianceBeta, VariancePosterior)
	}
	return nil
}

// CheckSchedule refuses a schedule that is neither the model's own nor a respacing of it: the network
// would be evaluated at its time steps under another ᾱ (a cosine schedule of T = 10 for a linear model
// of T = 1000 gave noise, and a bound of 2.355 bits/dim that meant nothing; ninth probe).
func (tr *Trained) CheckSchedule(sched *Schedule) error {
	if sched == nil {
		return fmt.Errorf("checkpoint %s: no schedule given (the model's own is Trained.Schedule)", tr.Path)
	}
	if err := sched.Check(); err != nil { // a hand-made one panicked here, and a zero one passed (thirty-third probe)
		return fmt.Errorf("checkpoint %s: %w", tr.Path, err)
	}
	own := tr.Schedule
	if sched == own {
		return nil
	}
	// ᾱ at each model time step that the model's schedule (itself perhaps a respacing) reaches.
	alphaBar := make(map[int]float64, own.T)
	for j := 1; j <= own.T; j++ {
		alphaBar[own.ModelStep(j)] = own.AlphaBar[j]
	}
	for k := 1; k <= sched.T; k++ {
		t := sched.ModelStep(k)
		want, ok := alphaBar[t]
		if !ok || !sameAlphaBar(sched.AlphaBar[k], want) {
			if !ok {
				want = math.NaN()
			}
			return fmt.Errorf("checkpoint %s: the schedule %q is neither the model's own (%s, T=%d) nor a respacing of it: its step %d "+
				"evaluates the model at t=%d with ᾱ = %.10g, where the model was trained with %.10g", tr.Path, sched.Name, own.Name, own.T, k, t,
				sched.AlphaBar[k], want)
		}
	}
	return nil
}

// sameAlphaBar says whether a respacing's ᾱ (recomputed from its β′, 1 − ᾱ_t/ᾱ_{t'}) is the model's:
// to 1e-9 relatively, or to 1e-7 in √ᾱ, the scale of x_0 in x_t. Where ᾱ is tiny (2.4e-9 at the end of
// a cosine schedule) the recomputation loses more than 1e-9 of it, and valid respacings were refused
// with two equal numbers in the message (twelfth probe); another schedule differs far more.
func sameAlphaBar(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(a, b) || math.Abs(math.Sqrt(a)-math.Sqrt(b)) <= 1e-7
}

// ResolveCheckpoint returns path itself for a file, or the newest checkpoint for a folder.
func ResolveCheckpoint(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if !info.IsDir() {
		return path, nil
	}
	latest, err := LatestCheckpoint(path)
	if err != nil {
		return "", err
	}
	if latest == "" {
		return "", fmt.Errorf("checkpoint folder %s holds no checkpoint (%s*%s)", path, checkpointPrefix, checkpointSuffix)
	}
	// A file, so that the path resolves to itself: export resolved a folder named like the newest
	// checkpoint a second time, and exported another run's checkpoint from inside it (seventeenth probe).
	if info, err := os.Stat(latest); err != nil || info.IsDir() {
		return "", fmt.Errorf("checkpoint folder %s: its newest checkpoint %s is not a file: move it away", path, filepath.Base(latest))
	}
	return latest, nil
}

// LoadTrained reads a checkpoint (a file, or the newest in a folder) for sampling or evaluation: the
// weights are replaced by their EMA.
func LoadTrained(path string) (*Trained, error) {
	path, err := ResolveCheckpoint(path)
	if err != nil {
		return nil, err
	}
	tr := &Trained{Path: path}
	// The description, and the variables' names and shapes, from the header: a file they refuse has no
	// value read.
	var want Weights
	ctx := context.New()
	sum := sha256.New()
	tr.Step, err = loadCheckpoint(path, ctx, &tr.Spec, sum, func(h checkpointContents) error {
		if tr.Spec.Model == "" {
			return NotTrainCheckpoint(path)
		}
		if err := tr.build(); err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		var err error
		if want, err = tr.Spec.NetworkWeights(); err != nil {
			return fmt.Errorf("checkpoint %s: %w", path, err)
		}
		if err := checkState(path, h, want); err != nil {
			return fmt.Errorf("checkpoint %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tr.SHA256 = hex.EncodeToString(sum.Sum(nil))
	for v := range ctx.IterVariables() {
		tr.FromEMA = tr.FromEMA || strings.HasPrefix(v.Scope(), EMAScope+"/")
	}
	if tr.Ctx, err = EMAContext(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := want.CheckWeights(ContextWeights(tr.Ctx)); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return tr, nil
}

// build makes the schedule and the model that tr's description gives, and checks the rest of it.
func (tr *Trained) build() (err error) {
	if tr.Schedule, err = tr.Spec.BuildSchedule(); err != nil {
		return err
	}
	if tr.Model, err = tr.Spec.BuildModel(); err != nil {
		return err
	}
	if tr.Cond, err = tr.Spec.BuildConditional(); err != nil {
		return err
	}
	if err := tr.Spec.CheckClassNames(); err != nil {
		return err
	}
	return CheckPUncond(tr.Spec.PUncond)
}

// ClassAll is the word that asks a conditional sampler for every class in turn; no class may be named
// so.
const ClassAll = "all"

// maxClassName is the longest class name: a folder's name, from which `train --class-cond` takes it.
const maxClassName = 255

// CheckClassNames requires one name per class, each used once, none empty, longer than maxClassName or ClassAll. (A class may be
// named by another's number: `--class` looks names up first.)
func (r *RunSpec) CheckClassNames() error {
	names := r.ClassNames
	if len(names) == 0 {
		return nil
	}
	if len(names) != r.NumClasses() {
		return fmt.Errorf("%d class names for a model of %d classes", len(names), r.NumClasses())
	}
	first := make(map[string]int, len(names)) // by name: slices.Index was quadratic (300 000 names took 107 s; twelfth probe)
	for i, name := range names {
		j, seen := first[name]
		if !seen {
			first[name], j = i, i
		}
		switch {
		case name == "":
			return fmt.Errorf("class %d has an empty name", i)
		case len(name) > maxClassName: // every message quoted it (10 of 1.5 MB each; eleventh probe)
			return fmt.Errorf("class %d has a name of %d bytes, more than a folder's name may have (%d)", i, len(name), maxClassName)
		case name == ClassAll:
			return fmt.Errorf("class %d is named %q, the word that asks for every class", i, name)
		case !utf8.ValidString(name):
			// JSON, a checkpoint's description, holds text: two folders' names were saved as one, and the
			// run could not be sampled from (eighteenth probe).
			return fmt.Errorf("class %d is named %q, which is not UTF-8 text: a checkpoint's description cannot hold it; rename the folder", i, name)
		case j != i:
			return fmt.Errorf("class name %q is given to both label %d and label %d", name, j, i)
		}
	}
	// As a checkpoint's header writes them: JSON spells <, >, & and control bytes in 6 bytes each, and
	// 11 500 names of 255 bytes made a header that no reader takes (twenty-second probe).
	if raw, err := json.Marshal(names); err != nil || len(raw) > maxClassNameBytes {
		return fmt.Errorf("%d class names take %d bytes in a checkpoint's description, more than the %d MiB it may give them: use fewer or shorter names",
			len(names), len(raw), maxClassNameBytes>>20)
	}
	return nil
}

// maxClassNameBytes bounds the class names in a checkpoint's header, half of what a header may take.
const maxClassNameBytes = maxHeaderBytes / 2
