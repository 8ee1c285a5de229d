package ddpm

import (
	"os"
	"path/filepath"
	"testing"
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
