package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// An index that answers a pin with its genuine source archive only (its digest listed, as PyPI's
// would be) and serves the build backend the archive asks for: pip built the archive, taking that
// backend from the index without checking any digest, and ran it (as root, when root ran make setup;
// seventy-fourth probe). setup --venv installs wheels only, so nothing from the index runs. A real
// Python and pip against a local index: the fakes of the other setup tests cannot show what pip does.
func TestSetupVenvRunsNothingFromTheIndex(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("setup --venv is run by make setup on Linux")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3 is needed (setup --venv makes a virtual environment with it): %v", err)
	}
	defer func() { scriptInterpreters = true }()
	scriptInterpreters = false // the interpreter make setup would take, a version manager's shim passed over
	work := t.TempDir()
	ran := filepath.Join(work, "the backend ran")
	backend := wheelOf(t, "backend", "1.0", map[string]string{
		"backend.py": fmt.Sprintf("open(%q, 'w').write('ran')\n", ran), // at import, before any hook
	})
	sdist := sourceArchiveOf(t, "evil", "1.0", map[string]string{
		"PKG-INFO":       "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
		"pyproject.toml": "[build-system]\nrequires = [\"backend\"]\nbuild-backend = \"backend\"\n",
	})
	sum := sha256.Sum256(sdist)
	files := map[string][]byte{"evil-1.0.tar.gz": sdist, "backend-1.0-py3-none-any.whl": backend}
	index := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch project, _ := strings.CutPrefix(r.URL.Path, "/simple/"); project {
		case "evil/":
			fmt.Fprintf(w, "<html><body><a href=\"/files/evil-1.0.tar.gz#sha256=%x\">evil-1.0.tar.gz</a></body></html>", sum)
		case "backend/":
			fmt.Fprint(w, "<html><body><a href=\"/files/backend-1.0-py3-none-any.whl\">backend-1.0-py3-none-any.whl</a></body></html>")
		default:
			if b, ok := files[strings.TrimPrefix(r.URL.Path, "/files/")]; ok {
				w.Write(b)
				return
			}
			http.NotFound(w, r)
		}
	}))
	defer index.Close()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("PIP_CONFIG_FILE", "")
	t.Setenv("PIP_CACHE_DIR", "")
	t.Setenv("PIP_INDEX_URL", index.URL+"/simple")
	req := filepath.Join(work, "requirements.txt")
	if err := os.WriteFile(req, []byte("evil==1.0 --hash=sha256:"+hex.EncodeToString(sum[:])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runSetup([]string{"--venv", filepath.Join(work, ".venv"), "--requirements", req})
	if _, statErr := os.Stat(ran); statErr == nil {
		t.Fatalf("setup --venv ran the build backend the index served (setup: %v)", err)
	}
	if err == nil || !strings.Contains(err.Error(), "pip install") {
		t.Errorf("setup --venv of a pin with a source archive only: %v, want pip's refusal", err)
	}
}

// wheelOf is a pure-Python wheel of name at version holding files.
func wheelOf(t *testing.T, name, version string, files map[string]string) []byte {
	t.Helper()
	info := name + "-" + version + ".dist-info/"
	files[info+"METADATA"] = "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
	files[info+"WHEEL"] = "Wheel-Version: 1.0\nGenerator: ddpm-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	var record strings.Builder
	for path := range files {
		record.WriteString(path + ",,\n")
	}
	files[info+"RECORD"] = record.String() + info + "RECORD,,\n"
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for path, text := range files {
		f, err := z.Create(path)
		if err == nil {
			_, err = f.Write([]byte(text))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sourceArchiveOf is a source archive (.tar.gz) of name at version holding files.
func sourceArchiveOf(t *testing.T, name, version string, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for path, text := range files {
		err := tw.WriteHeader(&tar.Header{Name: name + "-" + version + "/" + path, Mode: 0o644, Size: int64(len(text))})
		if err == nil {
			_, err = tw.Write([]byte(text))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if tw.Close() != nil || gz.Close() != nil {
		t.Fatal("cannot write the archive")
	}
	return b.Bytes()
}
