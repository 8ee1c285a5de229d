package ddpm

import (
	"fmt"
	"os"

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
}

// BuildSchedule returns the run's noise schedule.
func (r *RunSpec) BuildSchedule() (*Schedule, error) { return NewSchedule(r.Schedule, r.T) }

// LearnsSigma reports whether the run's model learns its variances Σ_θ (and trains on L_hybrid).
func (r *RunSpec) LearnsSigma() bool {
	return (r.UNet != nil && r.UNet.LearnSigma) || (r.MLP != nil && r.MLP.LearnSigma)
}

// BuildModel returns the run's noise predictor.
func (r *RunSpec) BuildModel() (EpsModel, error) {
	switch r.Model {
	case ModelUNet:
		if r.UNet == nil {
			return nil, fmt.Errorf("run spec: model %q without its configuration", r.Model)
		}
		if err := r.UNet.Validate(); err != nil {
			return nil, err
		}
		return UNetModel(*r.UNet), nil
	case ModelMLP:
		if r.MLP == nil {
			return nil, fmt.Errorf("run spec: model %q without its configuration", r.Model)
		}
		if err := r.MLP.Validate(); err != nil {
			return nil, err
		}
		return MLPModel(*r.MLP), nil
	default:
		return nil, fmt.Errorf("run spec: unknown model %q (want %q or %q)", r.Model, ModelUNet, ModelMLP)
	}
}

// Trained is a model ready to sample: the run's description, its schedule and model, and a context
// holding the EMA weights.
type Trained struct {
	Spec     RunSpec
	Step     int64
	Path     string
	Schedule *Schedule
	Model    EpsModel
	Ctx      *context.Context
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
	ctx := context.New()
	step, err := LoadCheckpoint(path, ctx, &tr.Spec)
	if err != nil {
		return nil, err
	}
	tr.Step = step
	if tr.Spec.Model == "" {
		return nil, fmt.Errorf("checkpoint %s has no run description: it was not written by ddpm-go's training", path)
	}
	if tr.Schedule, err = tr.Spec.BuildSchedule(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if tr.Model, err = tr.Spec.BuildModel(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if tr.Ctx, err = EMAContext(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return tr, nil
}
