package data

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// idxBytes encodes an IDX file of unsigned bytes with the given dimensions.
func idxBytes(dims []int, payload []byte) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, uint32(0x0800|len(dims)))
	for _, d := range dims {
		binary.Write(&buf, binary.BigEndian, uint32(d))
	}
	buf.Write(payload)
	return buf.Bytes()
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadIDXImagesRawAndGzip(t *testing.T) {
	pixels := make([]byte, 3*2*4)
	for i := range pixels {
		pixels[i] = byte(i * 10)
	}
	raw := idxBytes([]int{3, 2, 4}, pixels)
	for name, content := range map[string][]byte{"raw.idx": raw, "packed.idx.gz": gzipped(raw)} {
		im, err := ReadIDXImages(writeFile(t, name, content))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if im.N != 3 || im.Height != 2 || im.Width != 4 || im.Channels != 1 {
			t.Fatalf("%s: got %d images of %dx%dx%d, want 3 of 2x4x1", name, im.N, im.Height, im.Width, im.Channels)
		}
		if !bytes.Equal(im.Image(1), pixels[8:16]) {
			t.Errorf("%s: image 1 = %v, want %v", name, im.Image(1), pixels[8:16])
		}
		scaled := im.Scaled(0, 1)
		if scaled[0] != -1 || scaled[7] != float32(70)/127.5-1 {
			t.Errorf("%s: scaled pixels %v are not mapped from [0, 255] to [-1, 1]", name, scaled)
		}
	}
}

func TestReadIDXErrorsNameFileAndOffset(t *testing.T) {
	good := idxBytes([]int{3, 2, 4}, make([]byte, 24))
	cases := []struct {
		name, file string
		content    []byte
		mentions   []string
	}{
		{"truncated pixels", "cut.idx", good[:16+10], []string{"cut.idx", "truncated at offset 26", "image 2 of 3"}},
		{"truncated gzip", "cut.idx.gz", gzipped(good)[:30], []string{"cut.idx.gz", "offset"}},
		{"truncated header", "short.idx", good[:6], []string{"short.idx", "offset 6", "IDX header"}},
		{"labels given as images", "labels.idx", idxBytes([]int{5}, make([]byte, 5)), []string{"labels.idx", "an IDX file of rank 1, want rank 3"}},
		{"absurd dimension", "huge.idx", idxBytes([]int{1 << 30, 1 << 10, 1 << 10}, nil), []string{"huge.idx", "offset 8"}},
	}
	for _, c := range cases {
		_, err := ReadIDXImages(writeFile(t, c.file, c.content))
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, m := range c.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, m)
			}
		}
	}
	if _, err := ReadIDXLabels(writeFile(t, "labels.idx", idxBytes([]int{5}, make([]byte, 3)))); err == nil ||
		!strings.Contains(err.Error(), "label 4 of 5") {
		t.Errorf("truncated labels: error %v does not name the label where the file ends", err)
	}
}

func TestLoadMNISTFromGoModule(t *testing.T) {
	m, err := LoadMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if m.Train.N != 60000 || m.Test.N != 10000 || m.Train.Height != 28 || m.Train.Width != 28 {
		t.Fatalf("MNIST from %s: %d train and %d test images of %dx%d, want 60000 and 10000 of 28x28",
			m.Dir, m.Train.N, m.Test.N, m.Train.Height, m.Train.Width)
	}
	// The first training digit of MNIST is a 5, the first test digit a 7.
	if m.TrainLabels[0] != 5 || m.TestLabels[0] != 7 {
		t.Errorf("first labels are %d (train) and %d (test), want 5 and 7", m.TrainLabels[0], m.TestLabels[0])
	}
	counts := make([]int, 10)
	for _, l := range m.TrainLabels {
		counts[l]++
	}
	for d, c := range counts { // Every class holds between 5421 (fives) and 6742 (ones) examples.
		if c < 5421 || c > 6742 {
			t.Errorf("digit %d has %d training examples, outside MNIST's 5421..6742", d, c)
		}
	}
}

// A header announcing the largest plausible file (2³¹ pixels) over a few bytes of data must fail at
// the end of the data without allocating the 2 GiB first.
func TestReadIDXHugeHeaderAllocatesLittle(t *testing.T) {
	path := writeFile(t, "huge.idx", idxBytes([]int{2048, 1024, 1024}, make([]byte, 100)))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDXImages(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated at offset 116") {
		t.Errorf("error %v does not say the file ends at offset 116", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 8<<20 {
		t.Errorf("reading a 116-byte file allocated %d MiB", allocated>>20)
	}
}

// Images in MNIST's format may be far more than MNIST's (18 MB of gzip held 2.7 million, and training
// took 17 GB): LoadMNISTWithin refuses, from the header and before reading a pixel, files of more than
// its limit, naming the file and both sizes (issue 32's fourth probe).
func TestLoadMNISTWithinRefusesFromTheHeader(t *testing.T) {
	dir := t.TempDir()
	// Only the header: the refusal must come before the pixels are read (there are none).
	files := map[string][]byte{
		MNISTTrainImages: gzipped(idxBytes([]int{2_500_000, 28, 28}, nil)),
		MNISTTrainLabels: gzipped(idxBytes([]int{3}, make([]byte, 3))),
		MNISTTestImages:  gzipped(idxBytes([]int{3, 28, 28}, make([]byte, 3*28*28))),
		MNISTTestLabels:  gzipped(idxBytes([]int{3}, make([]byte, 3))),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadMNISTWithin(dir, 1<<30)
	if err == nil || !strings.Contains(err.Error(), MNISTTrainImages) || !strings.Contains(err.Error(), "2500000 images of 28×28 are 1.83 GiB") {
		t.Errorf("2.5 million images within 1 GiB: error %v, want a refusal naming the file and the sizes", err)
	}
}

// The go command is not run with anything another user could change: root with their $HOME (or
// $XDG_CONFIG_HOME, or $GOENV) ran their programs through their go and git settings (forty-seventh
// probe); their go in $PATH ran as root, and $HOME=/tmp (root's, sticky) gave a module cache another
// user had made there (forty-eighth). Each refusal names what it refuses, before the go command runs,
// or, for the module cache that it names, before MNIST is read from it or downloaded into it.
func TestMNISTDirRunsNoGoCommandWithAnotherUsersSettings(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a folder to another user")
	}
	bin, ran, envOf := t.TempDir(), filepath.Join(t.TempDir(), "ran"), filepath.Join(t.TempDir(), "env")
	made, root, asked := filepath.Join(t.TempDir(), "made"), t.TempDir(), filepath.Join(t.TempDir(), "asked")
	// A go command that names the module cache, GOPATH and GOROOT it is given (root where none is),
	// writes its environment down, makes a folder, and marks any other run than go env.
	fakeGo := "#!/bin/sh\ncase \"$1\" in env) : > " + asked + "; printf '{\"GOMODCACHE\": \"%s\", \"GOPATH\": \"%s\", \"GOROOT\": \"%s\"}\\n' \"$FAKE_GOMODCACHE\" \"$FAKE_GOPATH\" \"${GOROOT:-" + root + "}\";; " +
		"*) : > " + ran + "; env > " + envOf + "; mkdir -p " + made + "; echo '{\"Error\": \"the proxy said no\"}'; exit 1;; esac\n"
	defer func(vars []string) { goVars = vars }(goVars)
	goVars = append(slices.Clone(goVars), "FAKE_GOMODCACHE", "FAKE_GOPATH")
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	t.Setenv(EnvMNISTDir, "")
	theirs, sticky, mine := t.TempDir(), t.TempDir(), t.TempDir()
	theirBin := t.TempDir()
	if err := os.WriteFile(filepath.Join(theirBin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{theirs, theirBin, filepath.Join(theirBin, "go")} {
		if err := os.Chown(dir, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ home, config, goenv, path, cache, want string }{
		{theirs, "", "", "", "", "$HOME (" + theirs + "), and " + theirs + " belongs to another user (uid 4242)"},
		{sticky, "", "", "", "", "$HOME (" + sticky + "), and " + sticky + " is a sticky folder that others may add files to"},
		{mine, theirs, "", "", "", "its env file ($XDG_CONFIG_HOME/go/env; $GOENV is unset) (" + filepath.Join(theirs, "go", "env") + "), and " + theirs + " belongs to another user"},
		{mine, "", filepath.Join(theirs, "env"), "", "", "$GOENV (" + filepath.Join(theirs, "env") + "), and " + theirs + " belongs to another user"},
		{mine, "", "", theirBin + ":/usr/bin:/bin", "", "the go command " + filepath.Join(theirBin, "go") + " is not run"},
		{mine, "", "", "", theirs, "the Go module cache " + theirs + " (go env GOMODCACHE): " + theirs + " belongs to another user"},
	} {
		t.Setenv("HOME", c.home)
		t.Setenv("XDG_CONFIG_HOME", c.config)
		t.Setenv("GOENV", c.goenv)
		t.Setenv("FAKE_GOMODCACHE", c.cache)
		if c.path != "" {
			t.Setenv("PATH", c.path)
		}
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("HOME=%s XDG_CONFIG_HOME=%s GOENV=%s PATH=%s GOMODCACHE=%s: error %v, want one containing %q", c.home, c.config, c.goenv, c.path, c.cache, err, c.want)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("HOME=%s XDG_CONFIG_HOME=%s GOENV=%s PATH=%s GOMODCACHE=%s: the go command ran to download", c.home, c.config, c.goenv, c.path, c.cache)
		}
		t.Setenv("PATH", bin+":/usr/bin:/bin")
	}
	// What else the go command and git read, and where it runs (fiftieth probe): git's configuration of
	// another user's in one's $HOME, a FIFO as $NETRC, $GOROOT/go.env of another user's, a $TMPDIR of
	// another user's, and another user's folders below one's own module cache.
	t.Setenv("HOME", mine)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("GOENV", "")
	t.Setenv("FAKE_GOMODCACHE", mine) // a cache of one's own: only the cause tried is refused
	gitconfig := filepath.Join(mine, ".gitconfig")
	fifo := filepath.Join(t.TempDir(), "netrc")
	goroot := t.TempDir()
	for _, f := range []string{gitconfig, filepath.Join(goroot, "go.env")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil || os.Chown(f, 4242, 4242) != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ env, value, want string }{
		{"HOME", mine, "git's configuration (" + gitconfig + "), and " + gitconfig + " belongs to another user"},
		{"NETRC", fifo, "$NETRC (" + fifo + "), and " + fifo + " is a FIFO"},
		{"GOROOT", goroot, "$GOROOT/go.env (" + filepath.Join(goroot, "go.env") + "), and " + filepath.Join(goroot, "go.env") + " belongs to another user (uid 4242); unset $GOROOT"},
		{"TMPDIR", theirs, "a temporary folder for the go command, in " + theirs + " ($TMPDIR)"},
	} {
		t.Setenv(c.env, c.value)
		if c.env != "HOME" {
			os.Remove(gitconfig)
		}
		os.Remove(asked)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("$%s=%s: error %v, want one containing %q", c.env, c.value, err, c.want)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("$%s=%s: the go command ran to download", c.env, c.value)
		}
		// Another user's GOROOT is refused before the go command runs at all: its first run read their
		// go.env, and a FIFO there held every command for 30 s (fifty-third probe).
		if _, err := os.Stat(asked); err == nil && c.env == "GOROOT" {
			t.Errorf("$GOROOT of another user's go.env: the go command ran before it was refused")
		}
		t.Setenv(c.env, "")
	}
	// Nor $HOME/.netrc where $NETRC names another file: git's libcurl reads it whatever $NETRC says, and
	// another user's link there, with $NETRC set to a file of one's own, gave root's git their login
	// (hundred-and-second probe).
	ownNetrc, theirNetrc, link := filepath.Join(mine, "own-netrc"), filepath.Join(theirs, "netrc"), filepath.Join(mine, ".netrc")
	if os.WriteFile(ownNetrc, nil, 0o600) != nil || os.WriteFile(theirNetrc, nil, 0o644) != nil || os.Chown(theirNetrc, 4242, 4242) != nil ||
		os.Symlink(theirNetrc, link) != nil {
		t.Fatal("the .netrc files")
	}
	os.Remove(gitconfig)
	t.Setenv("HOME", mine)
	t.Setenv("NETRC", ownNetrc)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "git's .netrc (libcurl reads it whatever $NETRC says) ("+link+")") {
		t.Errorf("$NETRC of one's own, $HOME/.netrc another user's: error %v, want git's .netrc refused", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatalf("$HOME/.netrc of another user's: the go command ran to download")
	}
	os.Remove(link)
	t.Setenv("NETRC", "")
	t.Setenv("HOME", "")
	// Nor the installation it takes from its own path where no GOROOT is named (the folder above bin/
	// that holds pkg/tool): a sticky one, whose go.env another user made a FIFO, held every command for
	// 30 s before checkRoot refused it (ninety-third probe); nor one of root's with another user's go.env.
	for _, sticky := range []bool{true, false} {
		install := t.TempDir()
		goEnv := filepath.Join(install, "go.env")
		if err := os.MkdirAll(filepath.Join(install, "pkg", "tool"), 0o755); err != nil || os.Mkdir(filepath.Join(install, "bin"), 0o755) != nil ||
			os.WriteFile(filepath.Join(install, "bin", "go"), []byte(fakeGo), 0o755) != nil || syscall.Mkfifo(goEnv, 0o644) != nil || os.Chown(goEnv, 4242, 4242) != nil {
			t.Fatal("an installation of the go command")
		}
		want := "its GOROOT (" + install + "), and " + install + " is a sticky folder"
		if !sticky {
			want = "$GOROOT/go.env (" + goEnv + "), and " + goEnv + " belongs to another user"
		} else if err := os.Chmod(install, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", filepath.Join(install, "bin")+":/usr/bin:/bin")
		os.Remove(asked)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "use a go installed where only you or root can write") {
			t.Errorf("the go command's own installation (sticky %v) with another user's go.env: error %v, want one containing %q", sticky, err, want)
		}
		if _, err := os.Stat(asked); err == nil {
			t.Errorf("the go command's own installation (sticky %v) with another user's go.env: the go command ran before it was refused", sticky)
		}
		t.Setenv("PATH", bin+":/usr/bin:/bin")
	}
	t.Setenv("HOME", mine)
	cacheOfMine := t.TempDir()
	petar := filepath.Join(cacheOfMine, "github.com", "petar")
	data := filepath.Join(petar, "!go!m!n!i!s!t@"+mnistPinnedVersion, "data")
	if err := os.MkdirAll(data, 0o755); err != nil || os.WriteFile(filepath.Join(data, MNISTTrainImages), nil, 0o644) != nil || os.Chown(petar, 4242, 4242) != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_GOMODCACHE", cacheOfMine)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "is not read: "+petar+" belongs to another user") {
		t.Errorf("another user's folder below one's module cache: error %v, want a refusal naming it", err)
	}
	// The fifty-first probe: paths that are not absolute (checked from here, read by the go command from
	// its own folder), what else it writes (its checksum database's state in another user's $GOPATH, their
	// download folder below one's own cache), and its certificates.
	certs := t.TempDir()
	stickyBin := t.TempDir()
	inSticky := filepath.Join(stickyBin, "auth.py")
	if err := os.WriteFile(inSticky, []byte("#!/usr/bin/python3\n"), 0o755); err != nil || os.Chmod(stickyBin, 0o777|os.ModeSticky) != nil {
		t.Fatal(err)
	}
	theirCert := filepath.Join(certs, "theirs.pem")
	if err := os.WriteFile(theirCert, nil, 0o644); err != nil || os.Chown(theirCert, 4242, 4242) != nil {
		t.Fatal(err)
	}
	theirClone, theirSumdb := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(theirClone, "cache", "vcs", "0ed0"), 0o755); err != nil ||
		os.WriteFile(filepath.Join(theirClone, "cache", "vcs", "0ed0", "config"), nil, 0o644) != nil ||
		os.Chown(filepath.Join(theirClone, "cache", "vcs", "0ed0", "config"), 4242, 4242) != nil ||
		os.MkdirAll(filepath.Join(theirSumdb, "pkg", "sumdb", "sum.golang.org"), 0o755) != nil ||
		os.Symlink(filepath.Join(theirSumdb, "elsewhere"), filepath.Join(theirSumdb, "pkg", "sumdb", "sum.golang.org", "latest")) != nil ||
		os.Lchown(filepath.Join(theirSumdb, "pkg", "sumdb", "sum.golang.org", "latest"), 4242, 4242) != nil {
		t.Fatal(err)
	}
	theirDownload := t.TempDir()
	petar = filepath.Join(theirDownload, "cache", "download", "github.com", "petar")
	if err := os.MkdirAll(petar, 0o755); err != nil || os.Chown(petar, 4242, 4242) != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ env, value, want string }{
		{"GOENV", "../env", `$GOENV="../env": the go command runs in a folder of its own`},
		// Through /proc/self/cwd: checked from here, read by the go command from / (seventy-seventh probe).
		{"GOENV", "/proc/self/cwd/tmp/env", `$GOENV="/proc/self/cwd/tmp/env": the go command runs in a folder of its own`},
		{"HOME", "/dev/fd/3", `$HOME="/dev/fd/3"`},
		{"GOENV", "//proc/self/cwd/tmp/env", `$GOENV="//proc/self/cwd/tmp/env": the go command runs in a folder of its own`}, // (seventy-eighth probe)
		{"HOME", "..", `$HOME=".."`},
		{"GOROOT", "goroot", `$GOROOT="goroot"`},
		{"SSL_CERT_FILE", fifo, "$SSL_CERT_FILE (" + fifo + "), and " + fifo + " is a FIFO"},
		{"FAKE_GOPATH", theirs, "download it into " + filepath.Join(theirs, "pkg", "sumdb") + ": " + theirs + " belongs to another user"},
		{"FAKE_GOMODCACHE", theirDownload, "download it into " + filepath.Join(petar, "!go!m!n!i!s!t", "@v") + ": " + petar + " belongs to another user"},
		// What those folders hold: a clone's config of another user's (git ran its sshCommand as root), their
		// link in pkg/sumdb (root wrote through it; ninety-second probe).
		{"FAKE_GOMODCACHE", theirClone, "download it into " + filepath.Join(theirClone, "cache", "vcs") + ": " + filepath.Join(theirClone, "cache", "vcs", "0ed0", "config") + " belongs to another user"},
		{"FAKE_GOPATH", theirSumdb, "download it into " + filepath.Join(theirSumdb, "pkg", "sumdb") + ": " + filepath.Join(theirSumdb, "pkg", "sumdb", "sum.golang.org", "latest")},
		// The fifty-second: a $TMPDIR not there, which another user could make under a sticky /tmp.
		{"TMPDIR", filepath.Join(sticky, "not-yet"), "in " + filepath.Join(sticky, "not-yet") + " ($TMPDIR): it is no folder that exists"},
		// GOAUTH: off and netrc only. A program of another user's ran as root before each request
		// (sixty-seventh probe), and any program, whatever the checks of its words, read what they could
		// not follow (an interpreter's argument, a module behind "-mX", node's ~/.node_modules, bash -l's
		// ~/.profile; eighty-second to eighty-eighth probes); git's method ran a repository's helpers,
		// aliases for their names and a credential store's file of another user's (eightieth to
		// eighty-ninth probes). A quote or white space the go command does not part at is refused first.
		{"GOAUTH", "netrc; " + filepath.Join(theirBin, "go") + " --flag", "$GOAUTH=\"netrc; " + filepath.Join(theirBin, "go") + " --flag\": " +
			"the go command would run the program " + filepath.Join(theirBin, "go") + " as you"},
		{"GOAUTH", "bin/auth", "would run the program bin/auth as you"},
		{"GOAUTH", inSticky, "would run the program " + inSticky + " as you"},
		{"GOAUTH", "sh " + filepath.Join(theirs, "evil.sh"), "the go command would run the program sh as you"},
		{"GOAUTH", "/usr/bin/python3 -m" + strings.ReplaceAll(strings.TrimPrefix(theirs, "/"), "/", ".") + ".evil", "would run the program /usr/bin/python3 as you"},
		{"GOAUTH", "node -r evil -p 1", "would run the program node as you"},
		{"GOAUTH", "/usr/bin/git -C " + mine + " pwn", "would run the program /usr/bin/git as you"},
		{"GOAUTH", "git " + mine, "the go command would run git's credential helpers of " + mine + " as you"},
		{"GOAUTH", "git -C " + mine, "git's credential helpers of -C " + mine},
		{"GOAUTH", "netrc x", "netrc takes no words after it"},
		{"GOAUTH", "netrc\v/x", "a quote or a character other than printable ASCII"},
		{"GOAUTH", `"netrc"`, "a quote or a character other than printable ASCII"},
		// The eightieth: the go command reads every certificate in $SSL_CERT_DIR; the eighty-second: paths
		// the go command reads from / that were checked from here, through /proc/self/cwd.
		{"SSL_CERT_DIR", certs, theirCert + " belongs to another user"},
		{"GOPROXY", "file:///proc/self/cwd" + mine, "leads through /proc or /dev/fd"},
		{"TMPDIR", "/proc/self/cwd/tmp", `$TMPDIR="/proc/self/cwd/tmp"`},
		{"FAKE_GOMODCACHE", "/proc/self/cwd" + mine, "(go env GOMODCACHE) is no absolute path without"},
		{"GOPROXY", "https://proxy.golang.org|file://" + theirs, "the go command would read the modules in " + theirs + ": " + theirs + " belongs to another user"},
		{"GOPROXY", "file://" + theirDownload, "the go command would read the modules in " + theirDownload + ": " + petar + " belongs to another user"},
	} {
		t.Setenv(c.env, c.value)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("$%s=%s: error %v, want one containing %q", c.env, c.value, err, c.want)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("$%s=%s: the go command ran to download", c.env, c.value)
		}
		t.Setenv(c.env, "")
		t.Setenv("HOME", mine)
		t.Setenv("FAKE_GOMODCACHE", mine)
	}
	// The env file's GOAUTH is checked as $GOAUTH is; netrc is run as asked.
	goEnvFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(goEnvFile, []byte("GOAUTH="+filepath.Join(theirBin, "go")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOENV", goEnvFile)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), goEnvFile+"'s GOAUTH=") {
		t.Errorf("an env file whose GOAUTH is another user's program: error %v, want a refusal naming the file's GOAUTH", err)
	}
	t.Setenv("GOENV", "")
	t.Setenv("GOAUTH", "netrc;off")
	t.Setenv("GOPROXY", "file://"+mine+",direct")
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "the proxy said no") {
		t.Errorf("GOAUTH=netrc;off GOPROXY=file://%s: error %v, want the go command run (the fake's refusal)", mine, err)
	}
	os.Remove(ran)
	t.Setenv("GOAUTH", "")
	t.Setenv("GOPROXY", "")
	// git reads $HOME/.config/git/config as it reads $HOME/.gitconfig.
	xdgGit := filepath.Join(mine, ".config", "git", "config")
	if err := os.MkdirAll(filepath.Dir(xdgGit), 0o755); err != nil || os.WriteFile(xdgGit, nil, 0o644) != nil || os.Chown(xdgGit, 4242, 4242) != nil {
		t.Fatal(err)
	}
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "git's configuration ("+xdgGit+"), and "+xdgGit+" belongs to another user") {
		t.Errorf("another user's %s: error %v, want a refusal naming it", xdgGit, err)
	}
	os.Remove(xdgGit)
	// And the files they include, at any depth: root's .gitconfig included another user's, which turned
	// on ext:: for github.com, and the go command's git ran their command as root (sixty-eighth probe).
	theirInclude := filepath.Join(theirs, "extra.gitconfig")
	ownInclude := filepath.Join(mine, "own.gitconfig")
	if err := os.WriteFile(theirInclude, nil, 0o644); err != nil || os.Chown(theirInclude, 4242, 4242) != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ gitconfig, own, want string }{
		{"[include]\n\tpath = " + theirInclude + "\n", "", theirInclude + ", which " + gitconfig + " includes"},
		{"[includeIf \"gitdir:/srv/\"]\n  path = \"" + theirInclude + "\"\n", "", theirInclude + ", which " + gitconfig + " includes"},
		{"[include]\n\tpath = own.gitconfig\n", "[include] path = " + theirInclude + "\n", theirInclude + ", which " + ownInclude + " includes"},
		{"[include]\n\tpath = ~/own.gitconfig\n[url \"x\"]\n\tpath = " + theirInclude + "\n", "", ""},
	} {
		if err := os.WriteFile(gitconfig, []byte(c.gitconfig), 0o644); err != nil || os.WriteFile(ownInclude, []byte(c.own), 0o644) != nil {
			t.Fatal(err)
		}
		_, err := MNISTDir()
		if c.want == "" && (err == nil || !strings.Contains(err.Error(), "the proxy said no")) || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("a .gitconfig of %q including %q: error %v, want one containing %q (the fake go's refusal where empty)", c.gitconfig, c.own, err, cmp.Or(c.want, "the proxy said no"))
		}
		os.Remove(ran)
	}
	os.Remove(gitconfig)
	os.Remove(ownInclude)
	// A full $TMPDIR is named as the trouble, not answered with `go mod download` (fifty-ninth probe).
	if full := t.TempDir(); syscall.Mount("tmpfs", full, "tmpfs", 0, "size=64k") == nil {
		defer syscall.Unmount(full, syscall.MNT_DETACH) //nolint:errcheck
		fill, err := os.Create(filepath.Join(full, "fill"))
		for err == nil {
			_, err = fill.Write(make([]byte, 4096))
		}
		fill.Close()
		t.Setenv("TMPDIR", full)
		_, err = MNISTDir()
		if err == nil || !strings.Contains(err.Error(), "in $TMPDIR") || !strings.Contains(err.Error(), "free some space") || strings.Contains(err.Error(), "go mod download") {
			t.Errorf("a full $TMPDIR: error %v, want one naming $TMPDIR and no `go mod download`", err)
		}
		t.Setenv("TMPDIR", "")
	}
	// A GOROOT that the env file names is checked before the first run too, and a -modcacherw in its
	// GOFLAGS is kept (it was dropped: the GOFLAGS given wins over the file's; fifty-third probe).
	envFile := filepath.Join(mine, ".config", "go", "env")
	if err := os.MkdirAll(filepath.Dir(envFile), 0o755); err != nil || os.WriteFile(envFile, []byte("GOROOT="+theirs+"\n"), 0o644) != nil {
		t.Fatal(err)
	}
	os.Remove(asked)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "its GOROOT ("+theirs+")") {
		t.Errorf("the env file's GOROOT of another user's: %v", err)
	}
	if _, err := os.Stat(asked); err == nil {
		t.Errorf("the env file's GOROOT of another user's: the go command ran before it was refused")
	}
	// The env file read as the go command reads it (fifty-fourth probe): a GOROOT with a space at its end
	// names another folder than the one without, here one others may make in a sticky folder; a line
	// that does not begin with a capital is not read; and the file's GOROOT is checked where $GOROOT is
	// set too (the go command takes the file's for its go.env).
	if err := os.Mkdir(filepath.Join(sticky, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, goroot, want string }{
		{"GOROOT=" + filepath.Join(sticky, "root") + " \n", "", "its GOROOT (" + filepath.Join(sticky, "root") + " )"},
		{"GOROOT=" + theirs + "\n", root, "its GOROOT (" + theirs + ")"},
		{" GOROOT=" + theirs + "\n", "", "the proxy said no"},
	} {
		if err := os.WriteFile(envFile, []byte(c.file), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GOROOT", c.goroot)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("an env file of %q, $GOROOT %q: %v, want an error containing %q", c.file, c.goroot, err, c.want)
		}
		os.Remove(ran)
	}
	t.Setenv("GOROOT", "")
	if err := os.WriteFile(envFile, []byte("GOFLAGS=-modcacherw=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// One's own settings: the go command runs, and why it failed is said (-json says it on the standard
	// output), not only that it did (forty-eighth probe). It gets the variables it needs, not git's
	// GIT_* or $BASH_ENV (another user's ran as root through them), its own configuration folder (its
	// telemetry), and $GOROOT (a GOROOT in the env file chose another go.env; fifty-first probe).
	t.Setenv("HOME", mine)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("GOENV", "")
	t.Setenv("FAKE_GOMODCACHE", mine)
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(theirs, "gitconfig"))
	t.Setenv("BASH_ENV", filepath.Join(theirs, "bashenv"))
	umask := syscall.Umask(0o002) // with a group of others, what the go command made was refused after (fifty-second probe)
	_, err := MNISTDir()
	syscall.Umask(umask)
	if err == nil || !strings.Contains(err.Error(), "the proxy said no") {
		t.Errorf("a download that fails: error %v, want the go command's reason", err)
	}
	if info, err := os.Stat(made); err != nil || info.Mode().Perm()&0o022 != 0 {
		t.Errorf("under umask 002, the go command made %s with mode %v (%v), want no group or other write", made, info.Mode(), err)
	}
	if _, err := os.Stat(ran); err != nil {
		t.Error("with one's own settings, the go command did not run")
	}
	env, err := os.ReadFile(envOf)
	if err != nil {
		t.Fatal(err)
	}
	// git reads no configuration of the user's or the system's (GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM): a
	// .gitconfig that git read otherwise than the include check (a byte-order mark, two sections on a
	// line, a continued value) included another user's, and a core.hooksPath of theirs ran as root
	// (seventieth probe).
	for _, want := range []string{"GOROOT=" + root, "GOENV=" + envFile, "HOME=" + mine, "GOFLAGS=-mod=mod -modcacherw",
		"GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_NOSYSTEM=1"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("the go command's environment lacks %s:\n%s", want, env)
		}
	}
	for _, not := range []string{"GIT_CONFIG_GLOBAL=" + filepath.Join(theirs, "gitconfig"), "BASH_ENV", "XDG_CONFIG_HOME=" + mine} {
		if strings.Contains(string(env), not) {
			t.Errorf("the go command's environment holds %s:\n%s", not, env)
		}
	}
	// Settings that name the same files are taken: a slash at the end (useradd -d /home/u/), /dev/null
	// as an empty env file (both were refused; fifty-second probe).
	for _, c := range []struct{ env, value string }{{"HOME", mine + "/"}, {"GOENV", os.DevNull}, {"NETRC", os.DevNull}} {
		t.Setenv(c.env, c.value)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "the proxy said no") {
			t.Errorf("$%s=%s: error %v, want the go command run", c.env, c.value, err)
		}
		t.Setenv(c.env, "")
		t.Setenv("HOME", mine)
	}
	// What keeps the go command from saying where the cache is, is said, not that MNIST is not in it.
	for _, c := range []struct{ cache, tmp, want string }{
		{"", "", "names no module cache"},
		{"relative", "", `module cache "relative" is not an absolute path`},
		{mine + " ", "", `module cache "` + mine + ` " begins or ends with a space`},
		{mine, "/nonexistent", "in /nonexistent ($TMPDIR)"},
	} {
		t.Setenv("FAKE_GOMODCACHE", c.cache)
		t.Setenv("TMPDIR", c.tmp)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "is not in the Go module cache") {
			t.Errorf("GOMODCACHE %q, TMPDIR %q: error %v, want one containing %q", c.cache, c.tmp, err, c.want)
		}
	}
}

// A go command that hangs does not hang MNISTDir (every command that reads MNIST by default): it is
// given a time limit and named (issue 32's sixth probe).
func TestMNISTDirDoesNotWaitForAHangingGoCommand(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\nsleep 100\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	t.Setenv(EnvMNISTDir, "")
	defer func(e, d time.Duration) { goEnvTimeout, goDownloadTimeout = e, d }(goEnvTimeout, goDownloadTimeout)
	goEnvTimeout, goDownloadTimeout = time.Second, time.Second
	start := time.Now()
	_, err := MNISTDir()
	if err == nil || !strings.Contains(err.Error(), "did not answer in 1s") || time.Since(start) > 20*time.Second {
		t.Errorf("a hanging go command: error %v after %s, want one saying it did not answer", err, time.Since(start))
	}
}

// writeMNISTDir writes the four MNIST files (gzip) into a new folder: training and test images of the
// given dimensions, pixels all zero, and labels trainLabels and testLabels.
func writeMNISTDir(t *testing.T, trainDims, testDims []int, trainLabels, testLabels []byte) string {
	t.Helper()
	dir := t.TempDir()
	pixels := func(dims []int) []byte { return make([]byte, dims[0]*dims[1]*dims[2]) }
	for name, content := range map[string][]byte{
		MNISTTrainImages: idxBytes(trainDims, pixels(trainDims)),
		MNISTTrainLabels: idxBytes([]int{len(trainLabels)}, trainLabels),
		MNISTTestImages:  idxBytes(testDims, pixels(testDims)),
		MNISTTestLabels:  idxBytes([]int{len(testLabels)}, testLabels),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), gzipped(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// digits is n labels 0..9.
func digits(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i % 10)
	}
	return out
}

// MNIST's labels are digits: a label 200 is refused when its file is read, naming the file, the label's
// number and offset, and its value (it trained a classifier to a lower accuracy, exit 0; eleventh probe).
func TestLoadMNISTRefusesLabelsAboveNine(t *testing.T) {
	labels := digits(20)
	labels[15] = 200
	dir := writeMNISTDir(t, []int{20, 28, 28}, []int{10, 28, 28}, labels, digits(10))
	_, err := LoadMNIST(dir)
	for _, want := range []string{filepath.Join(dir, MNISTTrainLabels), "label 16 of 20 (offset 23) is 200", "want 0..9"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a label 200: error %v, want one saying %q", err, want)
		}
	}
	if _, err := ReadIDXLabels(filepath.Join(dir, MNISTTrainLabels)); err != nil {
		t.Errorf("ReadIDXLabels, for IDX labels of any kind: %v", err)
	}
}

// Training and test images of different shapes are refused, naming both files and shapes: the
// classifier read 16×49 training images as 28×28 (the same 784 values), and test images of 32×32
// failed only after training (eleventh probe).
func TestLoadMNISTRefusesTrainingAndTestImagesOfDifferentShapes(t *testing.T) {
	for _, c := range []struct{ train, test []int }{
		{[]int{20, 16, 49}, []int{10, 28, 28}},
		{[]int{20, 32, 32}, []int{10, 28, 28}},
		{[]int{20, 28, 28}, []int{10, 32, 32}},
	} {
		dir := writeMNISTDir(t, c.train, c.test, digits(20), digits(10))
		_, err := LoadMNISTWithin(dir, 1<<30)
		want := []string{MNISTTrainImages, fmt.Sprintf("%d×%d", c.train[1], c.train[2]), MNISTTestImages, fmt.Sprintf("%d×%d", c.test[1], c.test[2])}
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("training images %v, test images %v: error %v, want one naming %q", c.train, c.test, err, w)
			}
		}
	}
}

// The headers of the four files are compared before any data is read: a labels file that claims
// 2 000 000 000 labels (gzip packs them small) is refused for not matching the images' count, naming
// both files, without reading its 50 MiB (it took 4.3 GB and 10 s; eleventh probe).
func TestLoadMNISTComparesTheCountsBeforeReading(t *testing.T) {
	dir := writeMNISTDir(t, []int{3, 28, 28}, []int{2, 28, 28}, digits(3), digits(2))
	huge := gzipped(idxBytes([]int{2_000_000_000}, make([]byte, 50<<20)))
	if err := os.WriteFile(filepath.Join(dir, MNISTTrainLabels), huge, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadMNIST(dir)
	runtime.ReadMemStats(&after)
	for _, want := range []string{MNISTTrainImages, "3 images", MNISTTrainLabels, "2000000000 labels"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("2 000 000 000 labels for 3 images: error %v, want one naming %q", err, want)
		}
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 16<<20 {
		t.Errorf("refusing the counts allocated %d MiB: the labels were read first", allocated>>20)
	}
	// Within a budget, the labels are bounded by it too, from the header.
	if _, err := LoadMNISTWithin(dir, 1<<20); err == nil || !strings.Contains(err.Error(), "2000000000 labels are 1.86 GiB") {
		t.Errorf("2 000 000 000 labels within 1 MiB: error %v, want a refusal naming the size and the limit", err)
	}
}

// Data after the images is found at its first byte, not decompressed to the end to be counted (20 GB
// of zeros in 21 MB of gzip took 28 s; eleventh probe).
func TestReadIDXStopsAtTheFirstByteAfterTheData(t *testing.T) {
	raw := append(idxBytes([]int{1, 2, 2}, []byte{1, 2, 3, 4}), make([]byte, 64<<20)...)
	path := writeFile(t, "long.idx.gz", gzipped(raw))
	// And nothing is returned beside the error: the images read were (seventy-second probe).
	if im, err := ReadIDXImages(path); err == nil || !strings.Contains(err.Error(), "long.idx.gz: data after the images, which end at offset 20") || im != nil {
		t.Errorf("64 MiB after the images: %v, error %v, want nothing and one saying that data follows them", im, err)
	}
	if labels, err := ReadIDXLabels(writeFile(t, "long.idx", append(idxBytes([]int{2}, []byte{1, 2}), 0))); err == nil ||
		!strings.Contains(err.Error(), "long.idx: data after the labels, which end at offset 10") || labels != nil {
		t.Errorf("a byte after the labels: %v, error %v, want nothing and one saying that data follows them", labels, err)
	}
}

// MNIST's files unpacked (without .gz, as torchvision's raw folder holds them) are read as the packed
// ones are, and a file compressed twice is said to be: the first were missing files, the second a
// magic number 0x1f8b08.. (twentieth probe).
func TestLoadMNISTUnpackedAndTwicePacked(t *testing.T) {
	dir := writeMNISTDir(t, []int{3, 28, 28}, []int{2, 28, 28}, digits(3), digits(2))
	for _, name := range []string{MNISTTrainImages, MNISTTestLabels} {
		packed, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		raw.ReadFrom(r) //nolint:errcheck
		os.Remove(filepath.Join(dir, name))
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(name, ".gz")), raw.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := LoadMNIST(dir)
	if err != nil || m.Train.N != 3 || len(m.TestLabels) != 2 {
		t.Fatalf("MNIST with two files unpacked: %v", err)
	}
	// An unpacked file's length is its header's: one cut short, or longer, is refused from the headers,
	// where it was found when read, after a command's other inputs (twenty-fourth probe).
	unpacked := filepath.Join(dir, strings.TrimSuffix(MNISTTrainImages, ".gz"))
	raw, err := os.ReadFile(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		content []byte
		want    string
	}{
		{raw[:len(raw)-1], "2367 bytes, where its header (dimensions [3 28 28]) makes it 2368: cut short"},
		{append(raw[:len(raw):len(raw)], 0), "2369 bytes, where its header (dimensions [3 28 28]) makes it 2368: with data after its values"},
	} {
		if err := os.WriteFile(unpacked, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadMNISTSizes(dir); err == nil || !strings.Contains(err.Error(), unpacked) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d bytes of images: error %v, want one saying %q", len(c.content), err, c.want)
		}
	}
	if err := os.WriteFile(unpacked, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	// Both names of one file: which is read would go unsaid (twenty-first probe).
	both := filepath.Join(dir, MNISTTrainImages)
	if err := os.Symlink("nothing", both); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), "both "+MNISTTrainImages+" and train-images-idx3-ubyte are there") {
		t.Errorf("images under both names: error %v, want one naming both", err)
	}
	os.Remove(both)
	twice := gzipped(gzipped(idxBytes([]int{3}, digits(3))))
	if err := os.WriteFile(filepath.Join(dir, MNISTTrainLabels), twice, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), MNISTTrainLabels) || !strings.Contains(err.Error(), "compressed twice") {
		t.Errorf("labels compressed twice: error %v, want one saying so", err)
	}
}

// ReadMNISTSizes reads the labels and checks the image files' lengths before any pixel is read: a
// label above 9, or a packed file cut short, was found after every image file had been read, or a
// command's other inputs (twenty-fifth probe). A file packed as two gzip members, whose trailer
// records the second's length only, is read through and taken.
func TestReadMNISTSizesChecksLengthsAndLabels(t *testing.T) {
	dir := writeMNISTDir(t, []int{30, 28, 28}, []int{20, 28, 28}, digits(30), append(digits(19), 3))
	s, err := ReadMNISTSizes(dir)
	if err != nil || s.Train != 30 || s.Test != 20 || !slices.Equal(s.Dims, []int{28, 28, 1}) ||
		!slices.Equal(s.TrainDigits, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}) || !slices.Equal(s.TestDigits, []int{2, 2, 2, 3, 2, 2, 2, 2, 2, 1}) {
		t.Fatalf("ReadMNISTSizes: %+v, %v", s, err)
	}
	pixels := make([]byte, 20*28*28)
	for i := range pixels {
		pixels[i] = byte(i * i % 251) // that gzip does not pack into a few bytes
	}
	raw := idxBytes([]int{20, 28, 28}, pixels)
	packed := gzipped(raw)
	for _, c := range []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"a packed file cut short", MNISTTestImages, packed[:len(packed)*3/4], "corrupt or cut short after offset"},
		{"a packed file with a byte after its values", MNISTTestImages, gzipped(append(raw[:len(raw):len(raw)], 0)), "15697 bytes unpacked, where its header (dimensions [20 28 28]) makes it 15696: with data after its values"},
		{"a label of 10", MNISTTestLabels, gzipped(idxBytes([]int{20}, append(digits(19), 10))), "label 20 of 20 (offset 27) is 10, want 0..9"},
		{"two gzip members", MNISTTestImages, append(gzipped(raw[:1000]), gzipped(raw[1000:])...), ""},
		// Two members of the whole file: the trailer records the second's length, the header's (twenty-sixth probe).
		{"the file packed twice over", MNISTTestImages, append(gzipped(raw), gzipped(raw)...), "31392 bytes unpacked, where its header (dimensions [20 28 28]) makes it 15696: with data after its values"},
	} {
		path := filepath.Join(dir, c.file)
		old, _ := os.ReadFile(path)
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadMNISTSizes(dir)
		if c.want == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.want != "" && (err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.want)
		}
		os.WriteFile(path, old, 0o644) //nolint:errcheck
	}
}

// MNIST is found from a working directory that was removed: the go command failed there ("cannot
// determine current directory"), and the module was said to be missing from the cache (thirty-first
// probe).
func TestMNISTDirFromARemovedWorkingDirectory(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	want, err := MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	if got, err := MNISTDir(); err != nil || got != want {
		t.Errorf("from a removed working directory: %q, %v; want %s", got, err, want)
	}
}

// MNIST is found from inside a Go project whose go.mod asks for a newer Go (the go command set off to
// download that toolchain, and MNIST was said to be missing from the cache), and from a folder whose
// go.mod is a FIFO (the go command waited on it for its 5-minute limit; thirty-ninth probe).
func TestMNISTDirIsNotSteeredByTheWorkingDirectorysGoMod(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	want, err := MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOTOOLCHAIN", "auto")
	t.Setenv("GOPROXY", "off") // a toolchain download fails at once, not after a network timeout
	newer := t.TempDir()
	if err := os.WriteFile(filepath.Join(newer, "go.mod"), []byte("module x\n\ngo 1.99.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifo, "go.mod"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(saved time.Duration) { goEnvTimeout = saved }(goEnvTimeout)
	goEnvTimeout = 20 * time.Second
	for _, dir := range []string{newer, fifo} {
		t.Chdir(dir)
		start := time.Now()
		if got, err := MNISTDir(); err != nil || got != want {
			t.Errorf("from %s: %q, %v; want %s", dir, got, err, want)
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("from %s: %s", dir, took)
		}
	}
}

// The go command runs from /, not from a folder in $TMPDIR: a version manager's shim in place of go
// (asdf, goenv, mise) looks for its version files from the working folder up, and another user may put
// a .tool-versions naming a go of theirs in a sticky /tmp (sixty-second probe).
func TestMNISTDirRunsTheGoCommandFromTheRoot(t *testing.T) {
	bin, wd := t.TempDir(), filepath.Join(t.TempDir(), "wd")
	fakeGo := "#!/bin/sh\npwd -P >> " + wd + "\necho '{\"Error\": \"the proxy said no\"}'; exit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	t.Setenv(EnvMNISTDir, "")
	t.Chdir(t.TempDir())
	if _, err := MNISTDir(); err == nil {
		t.Fatal("a go command that fails: no error")
	}
	raw, err := os.ReadFile(wd)
	if err != nil {
		t.Fatalf("the go command did not run: %v", err)
	}
	for _, line := range strings.Fields(string(raw)) {
		if line != "/" {
			t.Errorf("the go command ran in %s, want /", line)
		}
	}
}

// The go command that finds MNIST leaves nothing in $TMPDIR: its telemetry's crash monitor, in a
// session of its own, wrote its counters into the go command's folder after it was removed, and a
// folder was left at each run (fifty-first probe's rerun). Run with the real go command.
func TestMNISTDirLeavesNothingInTMPDIR(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in $PATH")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv(EnvMNISTDir, "")
	for range 3 {
		if _, err := MNISTDir(); err != nil {
			t.Skipf("MNIST is not found here: %v", err)
		}
	}
	time.Sleep(2 * time.Second) // the monitor wrote within a second
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left in $TMPDIR: %v", left)
	}
}

// The go command's spellings of -modcacherw are kept, others not (fifty-fourth probe's nit).
func TestModCacheRWSpellings(t *testing.T) {
	for flag, want := range map[string]bool{"-modcacherw": true, "--modcacherw": true, "-modcacherw=1": true, "-modcacherw=true": true,
		"-modcacherw=false": false, "-modcacherw=x": false, "-mod=mod": false, "modcacherw": false} {
		if got := modCacheRW(flag); got != want {
			t.Errorf("modCacheRW(%q) = %v, want %v", flag, got, want)
		}
	}
}

// The module cache's MNIST files are read only where no other user can change them, as their folder
// is: a file there that anyone may write (or another user's, as a copy of their cache leaves it) was
// read as MNIST (sixty-fifth probe). A missing file is left to the reader to name.
func TestModuleCacheMNISTFilesAreTheUsersOwn(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := ownData(dir); err != nil || got != dir {
		t.Errorf("a folder of the user's files, one missing: %q, %v", got, err)
	}
	writable := filepath.Join(dir, MNISTTrainLabels)
	if err := os.WriteFile(writable, []byte("x"), 0o644); err != nil || os.Chmod(writable, 0o666) != nil {
		t.Fatal("making a file anyone may write")
	}
	if _, err := ownData(dir); err == nil || !strings.Contains(err.Error(), "file "+writable+" is not read") {
		t.Errorf("a file anyone may write: %v, want a refusal naming it", err)
	}
}

// Only GoMNIST's own files are read from the module cache, whatever put them there: with GOSUMDB=off,
// a proxy of another user's on a loopback port gave root their "MNIST" (64 digits, all sevens), which
// was downloaded into root's cache and trained on (sixty-ninth probe). The module must hash as go.sum says.
func TestMNISTDirReadsOnlyGoMNISTsOwnFiles(t *testing.T) {
	t.Setenv(EnvMNISTDir, "")
	real, err := MNISTDir()
	if err != nil {
		t.Skipf("MNIST is not found here: %v", err)
	}
	bin, root, cache, other := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	// A go command that names the cache it is given and "downloads" the module into the folder named.
	fakeGo := "#!/bin/sh\ncase \"$1\" in env) printf '{\"GOMODCACHE\": \"%s\", \"GOPATH\": \"\", \"GOROOT\": \"" + root + "\"}\\n' \"$FAKE_GOMODCACHE\";; " +
		"*) printf '{\"Dir\": \"%s\"}\\n' \"$FAKE_DOWNLOAD_DIR\";; esac\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(vars []string) { goVars = vars }(goVars)
	goVars = append(slices.Clone(goVars), "FAKE_GOMODCACHE", "FAKE_DOWNLOAD_DIR")
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GOENV", "off")
	// copyModule copies GoMNIST's module folder to dir, its training labels' last byte changed where tamper.
	copyModule := func(dir string, tamper bool) string {
		if err := os.CopyFS(dir, os.DirFS(filepath.Dir(real))); err != nil {
			t.Fatal(err)
		}
		if tamper {
			labels := filepath.Join(dir, "data", MNISTTrainLabels)
			b, err := os.ReadFile(labels)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 1
			if err := os.WriteFile(labels, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, "data")
	}
	inCache := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+mnistPinnedVersion)
	t.Setenv("FAKE_GOMODCACHE", cache)
	if want := copyModule(inCache, false); true {
		if got, err := MNISTDir(); err != nil || got != want {
			t.Errorf("GoMNIST's own files in the cache: %q, %v; want %s", got, err, want)
		}
	}
	os.RemoveAll(inCache)
	copyModule(inCache, true)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "is not GoMNIST's") || !strings.Contains(err.Error(), inCache) {
		t.Errorf("other files in the cache under GoMNIST's name: %v, want a refusal naming the folder", err)
	}
	os.RemoveAll(inCache)
	downloaded := filepath.Join(other, "!go!m!n!i!s!t@"+mnistPinnedVersion)
	copyModule(downloaded, true)
	t.Setenv("FAKE_DOWNLOAD_DIR", downloaded)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "is not GoMNIST's") {
		t.Errorf("other files downloaded under GoMNIST's name: %v, want a refusal", err)
	}
}

// The go command run to find MNIST is no script: a version manager's shim (goenv's, asdf's) reads hook
// files from fixed folders and version files before any go starts, as pyenv's did for Python (sixty-
// eighth probe). A shim in $PATH is passed over for the next go; one alone is refused, by name.
func TestMNISTDirRunsNoScriptAsGo(t *testing.T) {
	defer func() { goScripts = true }()
	goScripts = false
	real, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in $PATH")
	}
	shims := t.TempDir()
	ran := filepath.Join(t.TempDir(), "ran")
	if err := os.WriteFile(filepath.Join(shims, "go"), []byte("#!/bin/sh\n: > "+ran+"\nexec goenv exec go \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvMNISTDir, "")
	t.Setenv("PATH", shims)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "it is a script") || !strings.Contains(err.Error(), "goenv root") {
		t.Errorf("go in $PATH only as a shim: %v, want a refusal of a script", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the shim ran")
	}
	t.Setenv("PATH", shims+":"+filepath.Dir(real))
	got, err := trustedGo()
	if want, _ := filepath.EvalSymlinks(real); err != nil || got != want {
		t.Errorf("go in $PATH as a shim, then an installation's: %s, %v; want %s", got, err, want)
	}
}

// $DDPM_MNIST_DIR with a ".." after a link is the folder the kernel reaches, as --data is: tidied as
// text, "lnk/../m" was read as ./m (eighty-fifth probe).
func TestMNISTDirFollowsLinksBeforeDotDot(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil || os.Mkdir(filepath.Join(dir, "a", "m"), 0o755) != nil ||
		os.Mkdir(filepath.Join(dir, "m"), 0o755) != nil || os.Symlink(filepath.Join(dir, "a", "b"), filepath.Join(dir, "lnk")) != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv(EnvMNISTDir, "lnk/../m")
	if got, err := MNISTDir(); err != nil || got != filepath.Join(dir, "a", "m") && got != "a/m" {
		t.Errorf("MNISTDir() = %q, %v; want a/m, where the kernel leads (not ./m)", got, err)
	}
	t.Setenv(EnvMNISTDir, "gone/../m")
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "$"+EnvMNISTDir+`="gone/../m" cannot be followed`) {
		t.Errorf("a way that cannot be followed: %v, want a refusal naming $%s", err, EnvMNISTDir)
	}
}

// $DDPM_MNIST_DIR beginning with a ~ that a shell expands, come unexpanded, is said to be one (it was
// "no such file" of a path that looked right; ninety-fourth probe's nit); ~m, which no shell expands,
// is a name (ninety-fifth).
func TestMNISTDirSaysWhereATildeWasNotExpanded(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, v := range []string{"~/mnist", "~root/mnist", "~+/mnist"} {
		t.Setenv(EnvMNISTDir, v)
		if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "to a shell, but came here unexpanded") {
			t.Errorf("$%s=%s: %v, want a refusal saying the ~ was not expanded", EnvMNISTDir, v, err)
		}
	}
	for _, v := range []string{"~m", "~no-such-user-ddpm/m"} {
		t.Setenv(EnvMNISTDir, v)
		if got, err := MNISTDir(); err != nil || got != v {
			t.Errorf("$%s=%s, a name: %q, %v", EnvMNISTDir, v, got, err)
		}
	}
}
