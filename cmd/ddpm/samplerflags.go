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
		variance: fs.String("variance", ddpm.VarianceBeta, "σ_t² of the ancestral sampler: beta (β_t) or posterior (β̃_t); "+
			"with --steps fewer than T the default is posterior"),
		clip:   fs.Bool("clip", true, "clip the predicted x̂_0 to [-1, 1] at each step"),
		method: fs.String("sampler", "ancestral", "ancestral (the paper's Algorithm 2) or ddim (Song et al. 2021)"),
		steps:  fs.String("steps", "", "sampling steps: K (K evenly spaced steps of the model's T), ddimK (every T/K-th), or a list 1,10,...; empty: all T"),
		eta:    fs.Float64("eta", 0, "DDIM's η in [0, 1]: 0 deterministic, 1 the posterior variance (with --sampler ddim)"),
	}
}

// build returns the (possibly respaced) schedule and the sampler configuration the flags ask for,
// for a model trained on sched; errors name the flag.
func (f *samplerFlags) build(sched *ddpm.Schedule) (*ddpm.Schedule, ddpm.SamplerConfig, error) {
	cfg := ddpm.SamplerConfig{Variance: *f.variance, ClipX0: *f.clip, DDIM: *f.method == "ddim", Eta: *f.eta}
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
		if !isSet(f.fs, "variance") {
			cfg.Variance = ddpm.VariancePosterior
		}
	}
	return sched, cfg, nil
}
