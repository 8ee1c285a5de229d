package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// samplerFlags are the flags that choose a sampler, shared by sample and eval.
type samplerFlags struct {
	fs                      *flag.FlagSet
	variance, method, steps *string
	clip                    *bool
	eta, guidance, churn    *float64
	devices                 *int
	// noChain is set where no chain is sampled (eval's bound alone): a respacing that starts where x_t
	// still holds the image is then only a looser bound, its prior term large, not noise drawn as samples.
	noChain bool
}

func addSamplerFlags(fs *flag.FlagSet) *samplerFlags {
	return &samplerFlags{
		fs: fs,
		variance: fs.String("variance", ddpm.VarianceBeta, "σ_t² of the ancestral sampler: beta (β_t), posterior (β̃_t) or learned (Σ_θ); "+
			"the default is learned for a model trained with --learn-sigma, else posterior with --steps fewer than T, else beta"),
		clip: fs.Bool("clip", true, "clip the predicted x̂_0 to [-1, 1] at each step (images' range; off by default for the 2-D toy sets, whose points reach beyond it)"),
		method: fs.String("sampler", "ancestral", "ancestral (the paper's Algorithm 2), ddim (Song et al. 2021), "+
			"or a few-step ODE solver: dpm++2m (DPM-Solver++(2M), Lu et al. 2022), euler or heun (Karras et al. 2022, on their σ schedule)"),
		steps: fs.String("steps", "", "sampling steps: K (K evenly spaced steps of the model's T, improved-diffusion's respacing), "+
			"ddimK (every ⌊T/K⌋-th from 1, diffusers' DDIM spacing), or a list 1,10,...; empty: all T. "+
			"For dpm++2m, euler and heun only K, the number of steps (default 20; heun evaluates the network 2K−1 times; dpm++2m takes at most T−1)"),
		eta:   fs.Float64("eta", 0, "DDIM's η in [0, 1]: 0 deterministic, 1 the posterior variance (with --sampler ddim)"),
		churn: fs.Float64("churn", 0, "Karras et al.'s S_churn >= 0 for --sampler euler or heun: fresh noise raises each step's σ by up to 41% first; 0: deterministic"),
		guidance: fs.Float64("guidance", defaultGuidance, "classifier-free guidance weight w >= 0 for a class-conditional model: "+
			"ε̃ = (1+w)·ε(x_t, t, class) − w·ε(x_t, t, no class); 0: plain conditional sampling"),
		devices: fs.Int("devices", 0, "split every batch (of samples; for eval's bound, of test images) over N devices of the backend, "+
			"with the same results to float32 rounding (an 8-bit pixel of a stored sample may differ by 1); 0: every device of a GPU backend, 1 on the XLA CPU plugin, whose devices share the same cores"),
	}
}

// batchFlag is a batch size that a flag sets (or that follows from flags, as the last, partial batch).
type batchFlag struct {
	name string
	n    int
}

// batchesOf lists the batches that n items (--<count>) make in batches of --<batchName>, as each is
// named when it cannot be split over the devices: a count that fits one batch is named by itself (a
// --fid 3 was refused as "--fid-batch 3", which the user never gave).
func batchesOf(count string, n int, batchName string, batch int) []batchFlag {
	if batch >= n {
		return []batchFlag{{fmt.Sprintf("--%s %d in one batch of", count, n), n}}
	}
	return []batchFlag{{"--" + batchName, batch}, {fmt.Sprintf("--%s %d in batches of %d: its last batch of", count, n, batch), n % batch}}
}

// setDevices puts --devices into cfg (0: the backend's default, ddpm.DefaultDevices) and checks that
// each batch splits evenly over them; errors name the flag.
func (f *samplerFlags) setDevices(backend backends.Backend, cfg *ddpm.SamplerConfig, batches ...batchFlag) error {
	cfg.Devices = *f.devices // its sign was checked by build, before any work
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
	// + 0 makes −0 the 0 it means: "guidance w = -0" and "η = -0" were printed (fifty-eighth and sixtieth
	// probes' nits).
	cfg := ddpm.SamplerConfig{Variance: *f.variance, ClipX0: *f.clip, DDIM: *f.method == "ddim", Eta: *f.eta + 0, Guidance: *f.guidance + 0}
	// [-1, 1] is the images' range: the 2-D toy sets reach beyond it (the moons' tips at ±1 before their
	// noise, the Swiss roll to 1.07), and clipped x̂_0 piled 2.8% of a moons model's samples on the
	// square's edges (sixtieth probe).
	if tr.Spec.Model == ddpm.ModelMLP && !isSet(f.fs, "clip") {
		cfg.ClipX0 = false
	}
	if err := resolveVariance(f.fs, &cfg.Variance, tr); err != nil {
		return nil, cfg, err
	}
	if tr.Cond == nil {
		if isSet(f.fs, "guidance") && cfg.Guidance != 0 {
			return nil, cfg, fmt.Errorf("--guidance %g: %s is not class-conditional (it was trained without --class-cond)", cfg.Guidance, tr.Path)
		}
		cfg.Guidance = 0
	}
	// Guidance mixes the prediction with and without the label: a model trained with --p-uncond 0 has
	// none without it (it was guided by the default w with what it never learned; eleventh probe).
	if neverUnlabelled(tr) {
		if isSet(f.fs, "guidance") && cfg.Guidance != 0 {
			return nil, cfg, fmt.Errorf("--guidance %g: %s was trained with --p-uncond 0, never without a label, so there is no unconditional prediction to guide with", cfg.Guidance, tr.Path)
		}
		cfg.Guidance = 0
	}
	if !(cfg.Guidance >= 0) || cfg.Guidance >= ddpm.MaxGuidance {
		return nil, cfg, fmt.Errorf("--guidance %g: the guidance weight must be >= 0 (0: none) and below %g, where float32 rounds 1 + w to w and the conditional prediction drops out", cfg.Guidance, ddpm.MaxGuidance)
	}
	// The predictions are mixed in float32, where 1 + w is 1 below 2⁻²⁴: 1e-320 (0 as a float32) and 1e-10
	// evaluated the network twice a step and were reported as guided, for the images of w = 0 (sixty-sixth
	// and sixty-seventh probes), as --p-uncond 1e-50 was refused.
	if cfg.Guidance != 0 && float32(1+cfg.Guidance) == 1 {
		return nil, cfg, fmt.Errorf("--guidance %g: below float32's resolution next to 1, in which the network's two predictions are mixed "+
			"(1 + w rounds to 1): the images would be those of no guidance, at twice the cost; give 0 for none", cfg.Guidance)
	}
	if *f.devices < 0 {
		return nil, cfg, fmt.Errorf("--devices %d: the number of devices must be >= 0 (0: the backend's default)", *f.devices)
	}
	switch *f.method {
	case "ancestral", "ddim":
	case ddpm.SolverDPMPP2M, ddpm.SolverEuler, ddpm.SolverHeun:
		return f.buildSolver(tr, cfg)
	default:
		return nil, cfg, fmt.Errorf("--sampler %q: valid samplers are ancestral, ddim, %s, %s and %s", *f.method, ddpm.SolverDPMPP2M, ddpm.SolverEuler, ddpm.SolverHeun)
	}
	if isSet(f.fs, "churn") {
		return nil, cfg, fmt.Errorf("--churn %g: S_churn is for --sampler %s or %s", *f.churn, ddpm.SolverEuler, ddpm.SolverHeun)
	}
	// Each flag belongs to one sampler: --variance to the ancestral one (DDIM's σ comes from η, and
	// --variance with ddim was silently ignored; ninth probe), --eta to DDIM.
	if cfg.DDIM && isSet(f.fs, "variance") {
		return nil, cfg, fmt.Errorf("--variance %s: --sampler ddim takes its σ from --eta (η = 1 is the posterior variance), not from --variance", *f.variance)
	}
	if !cfg.DDIM && isSet(f.fs, "eta") {
		return nil, cfg, fmt.Errorf("--eta %g: η is DDIM's (--sampler ddim), not the ancestral sampler's", *f.eta)
	}
	if err := cfg.Validate(); err != nil {
		flag := "--variance"
		if cfg.DDIM {
			flag = "--eta"
		}
		return nil, cfg, fmt.Errorf("%s: %w", flag, err)
	}
	steps, err := ddpm.ParseSteps(*f.steps, sched.T)
	if err != nil {
		return nil, cfg, fmt.Errorf("--steps: %w", err)
	}
	if len(steps) != sched.T {
		full := sched
		if sched, err = sched.Respace(steps); err != nil {
			return nil, cfg, fmt.Errorf("--steps: %w", err)
		}
		if err := noisyStart(full, sched, "--steps", *f.steps); err != nil && !f.noChain {
			return nil, cfg, err
		}
		// On few steps σ² = β'_k (each β' carrying many original steps of noise) leaves visible noise
		// and a much worse FID than β̃'_k (docs/commands.md, "Fewer steps"): posterior is the default there.
		if !isSet(f.fs, "variance") && cfg.Variance != ddpm.VarianceLearned {
			cfg.Variance = ddpm.VariancePosterior
		}
	}
	if err := checkEtaResolves(sched, cfg.Eta); err != nil {
		return nil, cfg, err
	}
	return sched, cfg, nil
}

// float32Resolution is float32's resolution next to 1 (2⁻²⁴, half its spacing there): a change below
// it to a value of order 1, as the images' are, is rounded away.
const float32Resolution = 0x1p-24

// checkEtaResolves refuses a DDIM η whose noise is rounded away: σ_k = η √β̃′_k is added to values of
// order 1 in float32, and an η of 1e-50 (0 as a float32) or 1e-9 gave η = 0's images bit for bit,
// reported as of that η (sixty-seventh probe).
func checkEtaResolves(sched *ddpm.Schedule, eta float64) error {
	if eta == 0 {
		return nil
	}
	most := 0.0 // the largest σ_k/η over the chain's steps
	for _, v := range sched.PosteriorVariance {
		most = max(most, math.Sqrt(v))
	}
	if most == 0 { // one step, to t = 0, where β̃′ is 0: it was blamed on float32 (sixty-ninth probe's nit)
		return fmt.Errorf("--eta %g: DDIM adds noise only before its last step, and on this one step there is none (β̃′ = 0), so η has no effect: give 0, or more --steps", eta)
	}
	if eta*most < float32Resolution {
		return fmt.Errorf("--eta %g: the noise it adds, at most %.2g a step, is below float32's resolution next to the images' values (%.2g): "+
			"the samples would be η = 0's; give 0 for those", eta, eta*most, float32Resolution)
	}
	return nil
}

// neverUnlabelled says whether a class-conditional model never trained without a label: --p-uncond 0,
// or a value that float32, in which training draws the drop, rounds to 0 (1e-50 passed as not 0;
// thirteenth probe).
func neverUnlabelled(tr *ddpm.Trained) bool { return tr.Cond != nil && float32(tr.Spec.PUncond) == 0 }

// checkUnlabelled refuses a class-conditional model trained with --p-uncond 0 where the work needs its
// prediction without a label (what): it never saw "no label", and the bound, the interpolations and the
// draws without a class of one such were numbers and images of nothing, exit 0 (eleventh and twelfth
// probes).
func checkUnlabelled(tr *ddpm.Trained, what string) error {
	if neverUnlabelled(tr) {
		return fmt.Errorf("%s: %s was trained with --p-uncond 0, never without a label, so it has no prediction without one", what, tr.Path)
	}
	return nil
}

// noisyStart is the library's CheckChainStart of a respacing of full, said with the flag that chose
// it and the spacing to use instead (the eleventh probe's K = 1 started at t = 1 and returned noise,
// exit 0; the "trailing" spacing of Lin et al. 2024, our plain K, ends at T).
func noisyStart(full, respaced *ddpm.Schedule, flag, spec string) error {
	var noisy *ddpm.NoisyStartError
	if !errors.As(respaced.CheckChainStart(), &noisy) {
		return nil
	}
	start := "the chain would start from pure noise"
	if flag == "--ddim" { // interpolate's chain starts from the images' latents (fifty-first probe's nit)
		start = "the images would be encoded to latents"
	}
	advice := fmt.Sprintf("K evenly spaced steps end at t=%d: %s %d", full.T, flag, respaced.T)
	if flag == "--ddim" && respaced.T < 100 && full.T >= 100 { // --ddim 1 and 2 were advised, and refused (seventy-second probe)
		advice = fmt.Sprintf("evenly spaced steps end at t=%d, and DDIM's round trip needs many: %s 100", full.T, flag)
	}
	return fmt.Errorf("%s %s: %s at t=%d, where ᾱ = %.4g keeps %.1f%% of the image's scale "+
		"(the noise of x_t has forgotten the image only where ᾱ is at most %g, as train asks of T); %s",
		flag, spec, start, noisy.Step, noisy.AlphaBar, math.Floor(1000*math.Sqrt(noisy.AlphaBar))/10, ddpm.MaxPriorAlphaBar, advice)
}

// defaultSolverSteps is --steps for the ODE solvers when it is not given.
const defaultSolverSteps = 20

// buildSolver is build for the ODE solvers: the model's own schedule, and --steps a number of steps.
func (f *samplerFlags) buildSolver(tr *ddpm.Trained, cfg ddpm.SamplerConfig) (*ddpm.Schedule, ddpm.SamplerConfig, error) {
	if isSet(f.fs, "variance") {
		return nil, cfg, fmt.Errorf("--variance %s: --sampler %s solves the probability-flow ODE, which has no variance to choose (it is ancestral sampling's)", *f.variance, *f.method)
	}
	if isSet(f.fs, "eta") {
		return nil, cfg, fmt.Errorf("--eta %g: η is DDIM's (--sampler ddim), not %s's", *f.eta, *f.method)
	}
	// Named as --churn, and refused at 0 too, as beside the ancestral sampler and DDIM (it was accepted
	// at 0 and refused under --sampler's name otherwise; eleventh probe).
	if *f.method == ddpm.SolverDPMPP2M && isSet(f.fs, "churn") {
		return nil, cfg, fmt.Errorf("--churn %g: S_churn is for --sampler %s or %s; %s is deterministic", *f.churn, ddpm.SolverEuler, ddpm.SolverHeun, ddpm.SolverDPMPP2M)
	}
	// The solvers step between the model's noise levels, of which a model of T = 1 has one: its default
	// of 0 steps was refused as if asked for (sixty-sixth probe).
	if tr.Schedule.T < 2 {
		return nil, cfg, fmt.Errorf("--sampler %s: %s was trained with T = %d, and the ODE solvers need T ≥ 2; use the ancestral sampler", *f.method, tr.Path, tr.Schedule.T)
	}
	most := tr.Schedule.T // DPM-Solver++ steps between distinct time steps: at most T−1
	if *f.method == ddpm.SolverDPMPP2M {
		most = tr.Schedule.T - 1
	}
	cfg.Variance, cfg.Solver, cfg.Churn, cfg.Steps = "", *f.method, *f.churn, min(defaultSolverSteps, most)
	if !(cfg.Churn >= 0) || math.IsInf(cfg.Churn, 0) {
		return nil, cfg, fmt.Errorf("--churn %g: S_churn must be finite and >= 0 (0: deterministic)", cfg.Churn)
	}
	if *f.steps != "" {
		k, err := strconv.Atoi(strings.TrimSpace(*f.steps))
		if err != nil || k < 1 || k > most {
			return nil, cfg, fmt.Errorf("--steps %q: --sampler %s takes a number of steps K in 1..%d (it chooses its own noise levels)", *f.steps, *f.method, most)
		}
		cfg.Steps = k
	}
	// Heun's last second-order step ends at σ_min ≈ 0.01 (the final one, to 0, is Euler's); at 2 and 3
	// steps it starts from σ of 157 or 5.9, and its trapezoid averages the slope x/σ there with one near 0
	// at σ_min, so it removes about half of x's noise: it diverges with the exact score too (its variance
	// ≈ σ²/4; TestHeunDivergesAtTwoAndThreeStepsWithTheExactScore), not only by the model's error, as this
	// said until the hundredth probe. The shipped model's samples were noise, 63% and 32% white pixels
	// (from 4 steps on, 7 to 12%), and docs/sampling.md measures a classifier-FID of 501 at 3 steps.
	// It is said, not refused: that divergence is the measurement's point (thirty-second probe).
	if *f.method == ddpm.SolverHeun && (cfg.Steps == 2 || cfg.Steps == 3) {
		eprintf("warning: --sampler heun at %d steps diverges, with any model: its last step, from a noise level hundreds of times "+
			"the smallest, removes only about half the noise (docs/sampling.md): use 4 steps or more, or euler or dpm++2m\n", cfg.Steps)
	}
	// Churn raises σ_i to (1 + γ) σ_i with noise of σ_i √(2γ + γ²), added to values of at least σ_i that
	// the network reads in float32: a churn of 1e-50 gave the deterministic samples, reported as churned
	// (sixty-seventh probe).
	if gamma := min(cfg.Churn/float64(cfg.Steps), math.Sqrt2-1); cfg.Churn != 0 && math.Sqrt(2*gamma+gamma*gamma) < float32Resolution {
		return nil, cfg, fmt.Errorf("--churn %g: over %d steps it raises each noise level by a factor of 1 + %.2g, whose fresh noise is below float32's "+
			"resolution next to the values it is added to (%.2g): the samples would be the deterministic ones; give 0 for those",
			cfg.Churn, cfg.Steps, gamma, float32Resolution)
	}
	if err := cfg.Validate(); err != nil {
		return nil, cfg, fmt.Errorf("--sampler %s: %w", *f.method, err)
	}
	if err := tr.Schedule.CheckSolver(cfg); err != nil { // the steps this schedule allows
		return nil, cfg, fmt.Errorf("--steps %s: %w", *f.steps, err)
	}
	return tr.Schedule, cfg, nil
}

// describeSampler names the sampler of cfg on sched for messages.
func describeSampler(sched *ddpm.Schedule, cfg ddpm.SamplerConfig) string {
	steps := func(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "step", "steps")) } // "1 steps" (thirty-first probe's nit)
	switch {
	case cfg.Solver == ddpm.SolverDPMPP2M:
		return "DPM-Solver++(2M), " + steps(cfg.Steps)
	case cfg.Solver != "":
		// "1 network evaluations" (thirty-sixth probe's nit); with guidance, each step evaluates the
		// network with and without the label.
		nfe := ddpm.NFE(sched, cfg)
		evaluations := fmt.Sprintf("%d %s", nfe, plural(nfe, "network evaluation", "network evaluations"))
		if cfg.Guidance != 0 {
			evaluations = fmt.Sprintf("%d network evaluations, twice %d with guidance", 2*nfe, nfe)
		}
		s := fmt.Sprintf("%s sampler on Karras σ's, %s (%s)", cfg.Solver, steps(cfg.Steps), evaluations)
		if cfg.Churn > 0 {
			s += fmt.Sprintf(", S_churn %g", cfg.Churn)
		}
		return s
	case cfg.DDIM:
		return fmt.Sprintf("DDIM sampler (η = %g), %s", cfg.Eta, steps(sched.T))
	}
	return fmt.Sprintf("ancestral sampler (σ² %s), %s", cfg.Variance, steps(sched.T))
}

// defaultGuidance is --guidance's default: the smallest weight of the measured sweep at which the
// shipped conditional MNIST model draws every digit asked for at least 95% of the time (98.8% overall,
// at a classifier-FID of 8.8 against 3.9 unguided; w = 0.25 reaches 97.6% overall but 93.5% for the
// 9s). docs/guidance.md.
const defaultGuidance = 0.5

// resolveVariance makes learned variances the default of --variance for a model that has them, and
// refuses --variance learned for one that does not.
func resolveVariance(fs *flag.FlagSet, variance *string, tr *ddpm.Trained) error {
	switch *variance {
	case ddpm.VarianceBeta, ddpm.VariancePosterior, ddpm.VarianceLearned:
	default:
		return fmt.Errorf("--variance %q: valid variances are %s, %s and %s", *variance, ddpm.VarianceBeta, ddpm.VariancePosterior, ddpm.VarianceLearned)
	}
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
