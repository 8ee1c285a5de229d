package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/learn-ddpm/ddpm-go/data"
	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// datasetNames lists what --dataset accepts.
var datasetNames = append([]string{"mnist", "cifar10", "folder"}, data.Toy2DNames...)

// loadedData is a training set flattened to [n, dims...] in [−1, 1], with its class labels when
// they were asked for.
type loadedData struct {
	Name    string
	Values  []float32
	Dims    []int
	Labels  []int    // label of each example, or nil
	Classes []string // names of the labels
}

// sha256 fingerprints the examples, their shape and their labels (RunSpec.DataSHA256).
func (d *loadedData) sha256() string { return ddpm.DataSHA256(d.Values, d.Dims, d.Labels) }

// mnistClasses names MNIST's labels.
var mnistClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// checkRegularFile refuses, naming the flag, a path that is not a regular file this process can open
// (missing, a folder, a FIFO...), before any work that needs it.
func checkRegularFile(flagName, path string) error {
	f, err := safefile.Open(path)
	if err != nil {
		return fmt.Errorf("%s %q: %w", flagName, path, err)
	}
	return f.Close()
}

// maxSmallFile bounds the JSON files that eval keeps (its progress, its report): a few MB at most.
const maxSmallFile = 64 << 20

// readSmallFile reads a file that the command wrote itself (a report, a progress file): only a regular
// file, and only up to maxSmallFile, so that a FIFO or device planted there is refused instead of
// hanging or filling memory. A missing file gives an error that wraps os.ErrNotExist.
func readSmallFile(path string) ([]byte, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(raw) > maxSmallFile {
		return nil, fmt.Errorf("%s is larger than the %d MiB that eval ever writes there: remove it", path, maxSmallFile>>20)
	}
	return raw, nil
}

// loadMNIST is data.LoadMNIST with the flag that names its folder in its errors. The files read must
// be those whose sizes were checked: files replaced between the two reads panicked on a slice of the
// --nll or --pairs checked against the old count (twenty-seventh probe).
func loadMNIST(dir string, checked *data.MNISTSizes) (*data.MNIST, error) {
	// The pixels, their float32 copy and the batches: about 8 bytes per pixel at the peak of training
	// (17.2 GB for 2.1 GB of pixels, measured), so an eighth of the memory available for them.
	limit, _ := ddpm.AvailableMemory()
	m, err := data.LoadMNISTWithin(dir, limit/8)
	if err != nil {
		return nil, mnistError(dir, err)
	}
	read := data.MNISTSizes{Train: m.Train.N, Test: m.Test.N, Dims: imageDims(m.Train),
		TrainDigits: digitCounts(m.TrainLabels), TestDigits: digitCounts(m.TestLabels)}
	if read.Train != checked.Train || read.Test != checked.Test || !slices.Equal(read.Dims, checked.Dims) ||
		!slices.Equal(read.TrainDigits, checked.TrainDigits) || !slices.Equal(read.TestDigits, checked.TestDigits) {
		return nil, fmt.Errorf("%s changed while it was read: its headers and labels gave %s, the files read hold %s; run again once they are no longer being written",
			mnistSource(dir), describeMNIST(checked), describeMNIST(&read))
	}
	return m, nil
}

// describeMNIST says what MNIST's files hold, for messages.
func describeMNIST(s *data.MNISTSizes) string {
	return fmt.Sprintf("%d training and %d test digits of %v (of each digit: %v and %v)", s.Train, s.Test, s.Dims, s.TrainDigits, s.TestDigits)
}

// digitCounts counts MNIST's labels of each digit, 0..9.
func digitCounts(labels []uint8) []int {
	counts := make([]int, len(mnistClasses))
	for _, c := range labels {
		if int(c) < len(counts) { // the reader refuses any other
			counts[c]++
		}
	}
	return counts
}

// mnistSource names the MNIST files read, for messages: --data "dir", $DDPM_MNIST_DIR where --data
// was not given and it is set, or the GoMNIST module's files.
func mnistSource(dir string) string {
	switch env := os.Getenv(data.EnvMNISTDir); {
	case dir != "":
		return fmt.Sprintf("--data %q", dir)
	case env != "":
		return fmt.Sprintf("$%s %q", data.EnvMNISTDir, env)
	}
	return "MNIST (the GoMNIST module's files)"
}

// mnistError names --data, $DDPM_MNIST_DIR or what to give, in an error of MNIST's files in dir.
func mnistError(dir string, err error) error {
	if dir == "" && os.Getenv(data.EnvMNISTDir) == "" { // the GoMNIST module, found through the go command
		return fmt.Errorf("%w; or give --data, a folder with them", err)
	}
	return fmt.Errorf("%s: %w", mnistSource(dir), err)
}

// loadTrained is ddpm.LoadTrained with the flag that names the checkpoint in its errors.
func loadTrained(path string) (*ddpm.Trained, error) {
	if path == "" { // it said `checkpoint : stat : no such file or directory` (twenty-seventh probe)
		return nil, fmt.Errorf(`--ckpt "": name a checkpoint file, or a training run's folder for its newest`)
	}
	tr, err := ddpm.LoadTrained(path)
	if err != nil {
		return nil, fmt.Errorf("--ckpt %q: %w", path, err)
	}
	// A chain from N(0, I) at T is q(x_T) only where ᾱ_T is near 0, as train asks of a new run: a
	// checkpoint edited to T = 10 drew pure noise, exit 0 (fourteenth probe).
	if top := tr.Schedule.AlphaBar[tr.Schedule.T]; top > ddpm.MaxPriorAlphaBar {
		return nil, fmt.Errorf("--ckpt %q: its %s schedule with T=%d leaves ᾱ_T = %.3g, so x_T keeps %.1f%% of the image's scale, far from the "+
			"N(0, I) that sampling starts from (train refuses ᾱ_T > %g)", tr.Path, tr.Spec.Schedule, tr.Spec.T, top, math.Floor(1000*math.Sqrt(top))/10, ddpm.MaxPriorAlphaBar)
	}
	return tr, nil
}

// imageDims is the shape [H, W, C] of one of im's images.
func imageDims(im *data.Images) []int { return []int{im.Height, im.Width, im.Channels} }

// loadDataset reads --dataset from --data (a folder; MNIST defaults to the GoMNIST module). With
// labelled, it also reads the class labels (a folder then holds one subfolder per class), or says
// that the data set has none.
func loadDataset(name, dir string, resize int, gray, labelled bool, toyN int, seed uint64, check func(dims []int, classes []string, n int) error) (*loadedData, error) {
	images := func(im *data.Images) *loadedData {
		return &loadedData{Name: name, Values: im.Scaled(0, im.N), Dims: imageDims(im)}
	}
	withLabels := func(d *loadedData, labels []uint8, classes []string) *loadedData {
		if labelled {
			d.Labels, d.Classes = make([]int, len(labels)), classes
			for i, c := range labels {
				d.Labels[i] = int(c)
			}
		}
		return d
	}
	switch {
	case name == "mnist":
		// The shape from the files' headers, checked before the pixels are read.
		sizes, err := data.ReadMNISTSizes(dir)
		if err != nil {
			return nil, mnistError(dir, err)
		}
		if err := check(sizes.Dims, mnistClasses, sizes.Train); err != nil {
			return nil, err
		}
		m, err := loadMNIST(dir, sizes)
		if err != nil {
			return nil, err
		}
		return withLabels(images(m.Train), m.TrainLabels, mnistClasses), nil
	case name == "cifar10":
		if dir == "" {
			return nil, fmt.Errorf("--dataset cifar10 needs --data, the folder with data_batch_1.bin … data_batch_5.bin")
		}
		// Bounded as MNIST is, from the batches' sizes before any is read (eleventh probe: sparse batches of
		// 640 MiB each ran training out of memory).
		if err := check([]int{32, 32, 3}, data.CIFAR10Classes, -1); err != nil { // the format's one shape; the count is the batches' to say
			return nil, err
		}
		limit, _ := ddpm.AvailableMemory()
		train, labels, _, _, err := data.LoadCIFAR10Within(dir, limit/8)
		if err != nil {
			return nil, fmt.Errorf("--data %q: %w", dir, err)
		}
		return withLabels(images(train), labels, data.CIFAR10Classes), nil
	case name == "folder":
		if dir == "" {
			return nil, fmt.Errorf("--dataset folder needs --data, a folder of PNG or JPEG images")
		}
		// The decoded bytes, then their float32 copy and the batches: a fifth of what is available.
		// The decoded bytes, their float32 copy and the batches: about 6 bytes per decoded byte at the peak
		// (17.1 GB for 3 GiB, measured), so an eighth of the memory available. check sees the images'
		// shape from their headers, before any is decoded.
		limit, _ := ddpm.AvailableMemory()
		opts := data.FolderOptions{Resize: resize, Gray: gray, MaxBytes: limit / 8, Check: check}
		if labelled {
			im, labels, classes, err := data.LoadClassFolders(dir, opts)
			if err != nil {
				return nil, fmt.Errorf("--class-cond --data %q: %w", dir, err)
			}
			d := images(im)
			d.Labels, d.Classes = labels, classes
			return d, nil
		}
		im, err := data.LoadImageFolder(dir, opts)
		if err != nil {
			return nil, fmt.Errorf("--data %q: %w", dir, err)
		}
		return images(im), nil
	case slices.Contains(data.Toy2DNames, name):
		if labelled {
			return nil, fmt.Errorf("--class-cond: the 2-D toy set %s has no class labels (mnist, cifar10 and folder have)", name)
		}
		// The points, made in float64 and copied to float32, with room to spare: a flag's check, before
		// check's, which takes the backend and the lock.
		if err := ddpm.CheckMemory(fmt.Sprintf("--toy-n %d", toyN), 64*float64(toyN)); err != nil {
			return nil, err
		}
		if err := check([]int{2}, nil, toyN); err != nil {
			return nil, err
		}
		points, err := data.Toy2D(name, toyN, seed)
		if err != nil {
			return nil, err
		}
		return &loadedData{Name: name, Values: points, Dims: []int{2}}, nil
	default:
		return nil, fmt.Errorf("--dataset %q: valid data sets are %v", name, datasetNames)
	}
}
