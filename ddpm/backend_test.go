package ddpm

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/backends/xla"
)

// A CPU plugin shares host memory with Go (GoMLX needs telling); a GPU plugin must not be told so.
func TestXLAConfigSharesBuffersOnlyForCPUPlugins(t *testing.T) {
	for path, want := range map[string]string{
		"/v/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so":  "xla:/v/xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so,shared_buffers",
		"/p/pjrt_c_api_cpu_plugin.so":                  "xla:/p/pjrt_c_api_cpu_plugin.so,shared_buffers",
		"/s/jax_plugins/xla_cuda13/xla_cuda_plugin.so": "xla:/s/jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		"/cpu-builds/pjrt_c_api_cuda_plugin.so":        "xla:/cpu-builds/pjrt_c_api_cuda_plugin.so",
	} {
		if got := xlaConfig(path); got != want {
			t.Errorf("xlaConfig(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestChooseBackendFromPluginVariable(t *testing.T) {
	t.Setenv(EnvBackend, "")
	plugin := filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	if err := os.WriteFile(plugin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPlugin, plugin)
	choice, err := ChooseBackend()
	if err != nil || choice.Config != "xla:"+plugin || choice.Source != "$"+EnvPlugin {
		t.Errorf("ChooseBackend() = %+v, %v; want xla:%s from $%s", choice, err, plugin, EnvPlugin)
	}
	t.Setenv(EnvPlugin, plugin+".missing")
	if _, err := ChooseBackend(); err == nil {
		t.Errorf("ChooseBackend with $%s naming a missing file: no error", EnvPlugin)
	}
	t.Setenv(EnvBackend, "go")
	if choice, err := ChooseBackend(); err != nil || choice.Config != "go" {
		t.Errorf("$%s=go: ChooseBackend() = %+v, %v; want it to take precedence", EnvBackend, choice, err)
	}
}

// Without the project's plugin, the backend fails with the setup command, and never tries GoMLX's
// auto-install (a download from GitHub), even where $GOMLX_NO_AUTO_INSTALL is not set (the Makefile
// sets it; a binary run by hand does not): the test turns auto-install on as a fresh process has it.
func TestMissingPluginIsNotDownloaded(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	xla.EnableAutoInstall(true)
	_, err := newBackendWithConfig(BackendChoice{Config: "xla:cpu", Source: "test"})
	if err == nil || !strings.Contains(err.Error(), SetupCommand) {
		t.Fatalf("no plugin anywhere: error %v, want one naming %q", err, SetupCommand)
	}
	if strings.Contains(strings.ToLower(err.Error()), "download") || strings.Contains(err.Error(), "github") {
		t.Errorf("no plugin anywhere: the error shows a download was tried: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(home, ".local", "lib", "go-xla")); serr == nil {
		t.Errorf("a plugin folder was created in $HOME: auto-install ran")
	}
}

// A backend that $GOMLX_BACKEND names and GoMLX does not have is blamed on the variable, with the way
// out; the setup command would not help (fourth probe: the message ended with `make setup`).
func TestUnknownBackendVariableNamesTheVariable(t *testing.T) {
	_, err := newBackendWithConfig(BackendChoice{Config: "junk", Source: "$" + EnvBackend})
	if err == nil || !strings.Contains(err.Error(), "set $"+EnvBackend) || strings.Contains(err.Error(), SetupCommand) {
		t.Errorf("$%s=junk: error %v, want one that names the variable and not %q", EnvBackend, err, SetupCommand)
	}
}

// A venv holding two Pythons gives the newer one's plugin: by name, python3.9 came after python3.11.
func TestNewestMatchOrdersPythonsByVersion(t *testing.T) {
	venv := t.TempDir()
	for _, python := range []string{"python3.9", "python3.11", "python3.10"} {
		p := filepath.Join(venv, "lib", python, "plugin.so")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := newestMatch(venv, filepath.Join("lib", "python3*", "plugin.so"))
	if want := filepath.Join(venv, "lib", "python3.11", "plugin.so"); !ok || got != want {
		t.Errorf("newest match %q (%v), want %s", got, ok, want)
	}
}

// A folder's own name is no pattern: a clone at c[1] loaded the plugin of the clone c1 beside it, and a
// cache at c[1] that of c1's setup (seventieth probe).
func TestGlobInTakesTheFolderAsNamed(t *testing.T) {
	dir := t.TempDir()
	for _, folder := range []string{"c1", "c[1]", `c*\?`, "cx", "caf\xe9"} {
		if err := os.MkdirAll(filepath.Join(dir, folder), 0o755); err != nil || os.WriteFile(filepath.Join(dir, folder, "plugin.so"), nil, 0o644) != nil {
			t.Fatal(err)
		}
	}
	// As named, and as filepath.Join spells it: with a trailing "/" or "/.", and a name that is not UTF-8
	// (rewritten rune by rune, it found nothing; seventy-first probe).
	for _, folder := range []string{"c[1]", `c*\?`, "c1", "c[1]/", "c[1]/.", "caf\xe9", "caf\xe9/"} {
		got, err := GlobIn(dir+"/"+folder, "plug*.so")
		if want := filepath.Join(dir, folder, "plugin.so"); err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("GlobIn(%q, plug*.so) = %q, %v; want [%s]", folder, got, err, want)
		}
	}
	// "" is the working folder, as for filepath.Join (it searched /).
	t.Chdir(filepath.Join(dir, "c[1]"))
	if got, err := GlobIn("", "plug*.so"); err != nil || len(got) != 1 || got[0] != "plugin.so" {
		t.Errorf(`GlobIn("", plug*.so) in a folder holding plugin.so = %q, %v; want [plugin.so]`, got, err)
	}
}

// go-xla's CUDA checks, which take a CPU plugin for CUDA by the words of its path and set $XLA_FLAGS to
// a folder in another account's home, are off unless the user asks for them (forty-first probe).
func TestCUDAChecksAreOffUnlessAsked(t *testing.T) {
	t.Setenv("GOPJRT_CUDA_CHECKS", "")
	os.Unsetenv("GOPJRT_CUDA_CHECKS")
	for _, want := range []string{"0", "1"} {
		if b, err := newBackendWithConfig(BackendChoice{Config: "go", Source: "test"}); err == nil {
			b.Finalize()
		}
		if got := os.Getenv("GOPJRT_CUDA_CHECKS"); got != want {
			t.Errorf("GOPJRT_CUDA_CHECKS = %q after a backend was made, want %s", got, want)
		}
		t.Setenv("GOPJRT_CUDA_CHECKS", "1") // the user's choice is kept
	}
}

// A file or folder that $XLA_FLAGS names (a dump folder above all) must be one that no other user can
// change or add to: XLA writes there by names fixed from run to run, and another user's link in a dump
// folder of theirs had root write a dump over a file of root's (fifty-sixth probe).
func TestXLAFlagPathsAreTheUsersOwn(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "dumps")
	shared := filepath.Join(dir, "shared")
	sticky := filepath.Join(dir, "sticky")
	for _, d := range []string{own, shared, sticky} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if os.Chmod(shared, 0o777) != nil || os.Chmod(sticky, os.ModeSticky|0o777) != nil {
		t.Fatal("chmod")
	}
	t.Setenv("TEST_UNDECLARED_OUTPUTS_DIR", shared)
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil || os.Symlink(filepath.Join(dir, "sub"), filepath.Join(own, "tosub")) != nil ||
		os.WriteFile(filepath.Join(sticky, "profile.pb"), nil, 0o644) != nil {
		t.Fatal("making a link")
	}
	flagFile := filepath.Join(own, "flags")
	if err := os.WriteFile(flagFile, []byte("--xla_dump_to="+shared), 0o644); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(shared, "profile.pb")
	if err := os.WriteFile(profile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags, refused string // "" where the flags are taken
	}{
		{"", ""},
		{"--xla_cpu_enable_fast_math=false --xla_dump_to=" + own, ""},
		{"--xla_dump_to=-", ""},
		{"--xla_dump_to=" + filepath.Join(own, "new"), ""},
		{"--xla_dump_to=" + shared, "anyone may write"},
		{"--xla_dump_to=" + sticky, "others may add"},
		{"--xla_dump_to=" + filepath.Join(sticky, "dumps"), "others may make it"},
		{"--xla_gpu_cuda_data_dir=" + shared, "anyone may write"},
		{"--xla_gpu_pgle_profile_file_or_directory_path=" + profile, "anyone may write"},
		// A file named through link/..: the folder it is in is the one above the link's target, not the
		// link's (seventy-seventh probe).
		{"--xla_gpu_pgle_profile_file_or_directory_path=" + filepath.Join(sticky, "profile.pb"), "others may add"},
		{"--xla_gpu_pgle_profile_file_or_directory_path=" + filepath.Join(own, "tosub") + "/../sticky/profile.pb", "others may add"},
		// What XLA reads otherwise than a split at spaces and commas (fifty-seventh probe): a file of flags,
		// quotes (a space kept inside them), a comma, and Bazel's output folder under XLA's names for it.
		{`--xla_dump_to="` + shared + `"`, "holds quotes"},
		{`--xla_dump_to="` + own + ` x"`, "holds quotes"},
		{flagFile, "names a file of flags"},
		{"  " + flagFile, "names a file of flags"},
		{"--xla_dump_to=" + own + ",x", "a comma in a path"},
		{"--xla_dump_to=sponge", "anyone may write"},
		{"--xla_dump_to=test_undeclared_outputs_dir", "anyone may write"},
		{"--xla_dump_to=SPONGE", "anyone may write"}, // in any case, as XLA reads it (eighty-seventh probe)
		{"--xla_dump_to=Test_Undeclared_Outputs_Dir", "anyone may write"},
		// LLVM's options, whose -ir-dump-directory wrote through another user's link (sixty-sixth probe).
		{"--xla_backend_extra_options=-print-after-all,-ir-dump-directory=" + own, "passes options to the XLA plugin's LLVM"},
		{"-xla_backend_extra_options=-view-cfg", "passes options to the XLA plugin's LLVM"},
		{"--xla_backend_extra_options=", ""},
		// Other whitespace than XLA's " \t\r\n": a \v hid another user's dump folder inside a word, and a
		// leading \v or non-breaking space made XLA read the flags from a file of theirs (sixty-ninth probe).
		{"--xla_dump_to=" + own + "\v/../" + filepath.Base(shared), "which XLA does not take for a space"},
		{"\v--xla_dump_to=" + own, "which XLA does not take for a space"},
		{"\u00a0--xla_dump_to=" + own, "which XLA does not take for a space"},
		{"--xla_cpu_enable_fast_math=false\r\n--xla_dump_to=" + own, ""},
		// A URL, checked as a relative name and opened by XLA where it leads (eighty-fifth probe).
		{"--xla_dump_to=file://" + shared, "a URL"},
		{"--xla_gpu_pgle_profile_file_or_directory_path=file://" + profile, "a URL"},
	} {
		err := checkXLAFlagPaths(c.flags)
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("XLA_FLAGS=%q: %v, want it taken", c.flags, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused) || !strings.Contains(err.Error(), "$XLA_FLAGS")):
			t.Errorf("XLA_FLAGS=%q: %v, want a refusal naming $XLA_FLAGS and %q", c.flags, err, c.refused)
		}
	}
	// What the dump folder holds: another user's link under a dump's name had root write over a file of
	// root's (seventy-ninth probe).
	if os.Geteuid() == 0 {
		held := filepath.Join(dir, "held")
		link := filepath.Join(held, "module_0001.ll")
		if err := os.Mkdir(held, 0o755); err != nil || os.Symlink(filepath.Join(dir, "victim"), link) != nil || os.Lchown(link, 65534, 65534) != nil {
			t.Fatal("making another user's link")
		}
		if err := checkXLAFlagPaths("--xla_dump_to=" + held); err == nil || !strings.Contains(err.Error(), "module_0001.ll") {
			t.Errorf("a dump folder holding another user's link: %v, want a refusal naming it", err)
		}
	}
	// Before any plugin is loaded.
	t.Setenv("XLA_FLAGS", "--xla_dump_to="+shared)
	if b, err := NewBackend(); err == nil || !strings.Contains(err.Error(), "--xla_dump_to") {
		if b != nil {
			b.Finalize()
		}
		t.Errorf("NewBackend with a dump folder anyone may write: %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(shared); len(entries) != 1 {
		t.Errorf("something was dumped into the refused folder: %d entries", len(entries))
	}
}

// What the plugin and go-xla read from the environment beside $XLA_FLAGS is checked before the plugin
// loads (sixty-fourth probe): $XLA_DEBUG_OPTIONS, whose xla_dump_to wrote a dump through another
// user's link over root's file, is refused; a library that LLVM's JIT profiling loads must be one no
// other user can change, and the variable is set to the file checked.
// A loader's variable given twice in the environment is refused before the plugin loads: Go read the
// first $LD_LIBRARY_PATH, which was checked, and the loader the second, from which root loaded another
// user's librt (seventy-ninth probe). os/exec keeps one copy of each name, so this test binary is
// started again by ForkExec, and its TestMain's loading of the backend must refuse.
func TestLoaderVariableTwiceIsRefused(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"DDPM_NO_REEXEC=1", "GLIBC_TUNABLES=glibc.malloc.hugetlb=1", "PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"LD_LIBRARY_PATH=/usr/lib", "LD_LIBRARY_PATH=" + t.TempDir()}
	pid, err := syscall.ForkExec(exe, []string{exe, "-test.run=^$"}, &syscall.ProcAttr{Dir: ".", Env: env, Files: []uintptr{0, w.Fd(), w.Fd()}})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil || status.ExitStatus() == 0 || !strings.Contains(string(out), "holds $LD_LIBRARY_PATH twice") {
		t.Errorf("a process whose environment holds $LD_LIBRARY_PATH twice: exit %d (%v), %q; want the backend refused, naming it", status.ExitStatus(), err, out)
	}
	if name := loaderNameTwice(); name != "" {
		t.Errorf("this test's own environment: %s twice, want none", name)
	}
}

func TestPluginEnvironmentIsChecked(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil || os.Chmod(shared, 0o777) != nil {
		t.Fatal("making a folder anyone may write")
	}
	theirs, own := filepath.Join(shared, "evil.so"), filepath.Join(dir, "vtune.so")
	for _, p := range []string{theirs, own} {
		if err := os.WriteFile(p, []byte("not a library"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "profiler.so")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XLA_DEBUG_OPTIONS", `xla_dump_to: "`+shared+`"`)
	if b, err := NewBackend(); err == nil || !strings.Contains(err.Error(), "$XLA_DEBUG_OPTIONS") {
		if b != nil {
			b.Finalize()
		}
		t.Errorf("NewBackend with $XLA_DEBUG_OPTIONS: %v, want a refusal naming it", err)
	}
	t.Setenv("XLA_DEBUG_OPTIONS", "")
	for _, name := range oneDNNWriteVars {
		for _, v := range []string{"1", "2", "6", "yes"} {
			t.Setenv(name, v)
			if err := checkPluginEnvironment(); err == nil || !strings.Contains(err.Error(), "$"+name+"="+v) {
				t.Errorf("$%s=%s (oneDNN's JIT dump or profile): %v, want a refusal naming it", name, v, err)
			}
		}
		t.Setenv(name, "0")
		if err := checkPluginEnvironment(); err != nil {
			t.Errorf("$%s=0 (off): %v", name, err)
		}
		t.Setenv(name, "")
	}
	for _, name := range pluginLibraryVars {
		t.Setenv(name, theirs)
		if err := checkPluginEnvironment(); err == nil || !strings.Contains(err.Error(), "$"+name) || !strings.Contains(err.Error(), "anyone may write") {
			t.Errorf("$%s naming a library in a folder anyone may write: %v, want a refusal naming it", name, err)
		}
		t.Setenv(name, link)
		if err := checkPluginEnvironment(); err != nil || os.Getenv(name) != own {
			t.Errorf("$%s naming one's own library through a link: %v, and the variable is %q, want %q", name, err, os.Getenv(name), own)
		}
		t.Setenv(name, "")
	}
	// $LD_LIBRARY_PATH's folders are searched first for the plugin's libraries: another user's folder
	// there, or an empty element (the working folder), had root load their librt (seventy-fifth probe).
	libs, clean := filepath.Join(t.TempDir(), "libs"), t.TempDir()
	for _, c := range []struct{ value, want string }{
		{shared, "$LD_LIBRARY_PATH: " + shared},
		{clean + ":" + shared, "$LD_LIBRARY_PATH: " + shared},
		{clean + ";" + shared, "$LD_LIBRARY_PATH: " + shared}, // glibc parts at ';' too
		{clean + ":", "has an empty element"},
		{":" + clean, "has an empty element"},
		{clean + "::" + clean, "has an empty element"},
		{"lib", `"lib" is not an absolute folder`},
		{"$ORIGIN/lib", `"$ORIGIN/lib" is not an absolute folder`},
		{"/proc/self/cwd" + clean, "leads through /proc or /dev/fd"},  // another folder in setup's Python, run from / (seventy-seventh probe)
		{"//proc/self/cwd" + clean, "leads through /proc or /dev/fd"}, // and its other spellings (seventy-eighth probe)
		{"/./proc/self/cwd" + clean, "leads through /proc or /dev/fd"},
		{clean, ""},
		{clean + ":" + clean, ""},
		{"", ""},
		{dir, dir + "/shared can be changed by other users"}, // a folder of one's own, holding one anyone may write
		{libs, "whose subfolders and files the dynamic loader searches"},
	} {
		if c.value == libs { // a folder of one's own, with a subfolder the loader searches that anyone may write
			if err := os.MkdirAll(filepath.Join(libs, "glibc-hwcaps", "x86-64-v3"), 0o755); err != nil || os.Chmod(filepath.Join(libs, "glibc-hwcaps", "x86-64-v3"), 0o777) != nil {
				t.Fatal("making a library folder")
			}
		}
		t.Setenv("LD_LIBRARY_PATH", c.value)
		err := checkPluginEnvironment()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("$LD_LIBRARY_PATH=%s: %v, want %q", c.value, err, c.want)
		}
	}
	t.Setenv("LD_LIBRARY_PATH", "")
	// glibc's profile of a library loaded with the plugin, at a fixed name in a sticky folder.
	t.Setenv("LD_PROFILE", "libstdc++.so.6")
	if err := checkPluginEnvironment(); err == nil || !strings.Contains(err.Error(), "$LD_PROFILE=libstdc++.so.6") {
		t.Errorf("$LD_PROFILE set: %v, want a refusal naming it", err)
	}
}

// XLA lowers its names for Bazel's output folder in ASCII only: "ſponge" (a long s, which Go's
// EqualFold folds to s) is a folder of that name to XLA, and is checked as one (eighty-eighth probe:
// it was passed unchecked, and XLA dumped into a folder anyone could write).
func TestXLAFlagPathsLongSIsNoS(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "ſponge"), 0o777); err != nil || os.Chmod(filepath.Join(dir, "ſponge"), 0o777) != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("TEST_UNDECLARED_OUTPUTS_DIR", "")
	if err := checkXLAFlagPaths("--xla_dump_to=ſponge"); err == nil || !strings.Contains(err.Error(), "anyone may write") {
		t.Errorf("--xla_dump_to=ſponge, a folder anyone may write: %v, want a refusal", err)
	}
}
