package main

import (
	"flag"
	"fmt"

	"github.com/gomlx/gomlx/backends"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// samplerFlags are the flags that choose a sampler, shared by sample and eval.
type samplerFlags struct {
	fs                      *flag.FlagSet
	variance, method, steps *string
	clip                    *bool
	eta, guidance           *float64
	devices                 *int
}

func addSamplerFlags(fs *flag.FlagSet) *samplerFlags {
	return &samplerFlags{
		fs: fs,
		variance: fs.String("variance", ddpm.VarianceBeta, "σ_t² of the ancestral sampler: beta (β_t), posterior (β̃_t) or learned (Σ_θ); "+
			"the default is learned for a model trained with --learn-sigma, else posterior with --steps fewer than T, else beta"),
		clip:   fs.Bool("clip", true, "clip the predicted x̂_0 to [-1, 1] at each step"),
		method: fs.String("sampler", "ancestral", "ancestral (the paper's Algorithm 2) or ddim (Song et al. 2021)"),
		steps:  fs.String("steps", "", "sampling steps: K (K evenly spaced steps of the model's T), ddimK (every T/K-th), or a list 1,10,...; empty: all T"),
		eta:    fs.Float64("eta", 0, "DDIM's η in [0, 1]: 0 deterministic, 1 the posterior variance (with --sampler ddim)"),
		guidance: fs.Float64("guidance", defaultGuidance, "classifier-free guidance weight w >= 0 for a class-conditional model: "+
			"ε̃ = (1+w)·ε(x_t, t, class) − w·ε(x_t, t, no class); 0: plain conditional sampling"),
		devices: fs.Int("devices", 0, "split every batch (of samples, and of test images for the bound) over N devices of the backend, "+
			"with the same results; 0: every device of a GPU backend, 1 on the XLA CPU plugin, whose devices share the same cores"),
	}
}

// batchFlag is a batch size that a flag sets (or that follows from flags, as the last, partial batch).
type batchFlag struct {
	name string
	n    int
}

// setDevices puts --devices into cfg (0: the backend's default, ddpm.DefaultDevices) and checks that
// each batch splits evenly over them; errors name the flag.
func (f *samplerFlags) setDevices(backend backends.Backend, cfg *ddpm.SamplerConfig, batches ...batchFlag) error {
	if *f.devices < 0 {
		return fmt.Errorf("--devices %d: the number of devices must be >= 0 (0: the backend's default)", *f.devices)
	}
	cfg.Devices = *f.devices
	if cfg.Devices == 0 {
		cfg.Devices = ddpm.DefaultDevices(backend)
	}
	if err := ddpm.CheckDevices(backend, cfg.Devices); err != nil {
		return fmt.Errorf("--devices: %w", err)
	}
	for _, b := range batches {
		if b.n > 0 {
			if err := ddpm.CheckShardable(b.name, b.n, cfg.Devices); err != nil {
				return err
			}
		}
	}
	return nil
}

// build returns the (possibly respaced) schedule and the sampler configuration the flags ask for,
// for the trained model tr; errors name the flag.
func (f *samplerFlags) build(tr *ddpm.Trained) (*ddpm.Schedule, ddpm.SamplerConfig, error) {
	sched := tr.Schedule
	cfg := ddpm.SamplerConfig{Variance: *f.variance, ClipX0: *f.clip, DDIM: *f.method == "ddim", Eta: *f.eta, Guidance: *f.guidance}
	if err := resolveVariance(f.fs, &cfg.Variance, tr); err != nil {
		return nil, cfg, err
	}
	if tr.Cond == nil {
		if isSet(f.fs, "guidance") && cfg.Guidance != 0 {
			return nil, cfg, fmt.Errorf("--guidance %g: %s is not class-conditional (it was trained without --class-cond)", cfg.Guidance, tr.Path)
		}
		cfg.Guidance = 0
	}
	if !(cfg.Guidance >= 0) {
		return nil, cfg, fmt.Errorf("--guidance %g: the guidance weight must be >= 0 (0: none)", cfg.Guidance)
	}
	if *f.method != "ancestral" && *f.method != "ddim" {
		return nil, cfg, fmt.Errorf("--sampler %q: valid samplers are ancestral and ddim", *f.method)
	}
	if err := cfg.Validate(); err != nil {
		return nil, cfg, fmt.Errorf("--variance, --eta: %w", err)
	}
	steps, err := ddpm.ParseSteps(*f.steps, sched.T)
	if err != nil {
		return nil, cfg, fmt.Errorf("--steps: %w", err)
	}
	if len(steps) != sched.T {
		if sched, err = sched.Respace(steps); err != nil {
			return nil, cfg, fmt.Errorf("--steps: %w", err)
		}
		// On few steps σ² = β'_k (each β' carrying many original steps of noise) leaves visible noise
		// and a much worse FID than β̃'_k (README, "Fewer steps"): posterior is the default there.
		if !isSet(f.fs, "variance") && cfg.Variance != ddpm.VarianceLearned {
			cfg.Variance = ddpm.VariancePosterior
		}
	}
	return sched, cfg, nil
}

// defaultGuidance is --guidance's default: the smallest weight of the measured sweep at which the
// shipped conditional MNIST model draws every digit asked for at least 95% of the time (98.8% overall,
// at a classifier-FID of 8.8 against 3.9 unguided; w = 0.25 reaches 97.6% overall but 93.5% for the
// 9s). README, "Class-conditional models".
const defaultGuidance = 0.5

// resolveVariance makes learned variances the default of --variance for a model that has them, and
// refuses --variance learned for one that does not.
func resolveVariance(fs *flag.FlagSet, variance *string, tr *ddpm.Trained) error {
	learns := tr.Spec.LearnsSigma()
	if learns && !isSet(fs, "variance") {
		*variance = ddpm.VarianceLearned
	}
	if *variance == ddpm.VarianceLearned && !learns {
		return fmt.Errorf("--variance %s: %s does not learn its variances (it was trained without --learn-sigma); use %s or %s",
			ddpm.VarianceLearned, tr.Path, ddpm.VarianceBeta, ddpm.VariancePosterior)
	}
	return nil
}
