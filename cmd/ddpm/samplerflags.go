package main

import (
	"flag"
	"fmt"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// samplerFlags are the flags that choose a sampler, shared by sample and eval.
type samplerFlags struct {
	fs                      *flag.FlagSet
	variance, method, steps *string
	clip                    *bool
	eta                     *float64
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
	}
}

// build returns the (possibly respaced) schedule and the sampler configuration the flags ask for,
// for the trained model tr; errors name the flag.
func (f *samplerFlags) build(tr *ddpm.Trained) (*ddpm.Schedule, ddpm.SamplerConfig, error) {
	sched := tr.Schedule
	cfg := ddpm.SamplerConfig{Variance: *f.variance, ClipX0: *f.clip, DDIM: *f.method == "ddim", Eta: *f.eta}
	if err := resolveVariance(f.fs, &cfg.Variance, tr); err != nil {
		return nil, cfg, err
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
