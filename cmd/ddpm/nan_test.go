package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// A model whose outputs are not finite gives a bound that is not a number: eval says so, and saves no
// progress file (JSON cannot hold NaN: it wrote 0 bytes, and every later run failed on the empty
// file; issue 32's second probe). Its weights are finite but huge (3e38), so that its activations
// overflow: a file of NaN weights is refused when it is read (TestEditedModelsAreRefusedWhenLoaded).
func TestEvalRefusesAModelThatOutputsNaN(t *testing.T) {
	dir := t.TempDir()
	ctx := context.New()
	var spec ddpm.RunSpec
	step, err := ddpm.LoadCheckpoint("../../models/mnist-ema.ddpm", ctx, &spec)
	if err != nil {
		t.Fatal(err)
	}
	for v := range ctx.IterVariables() {
		value := tensors.FromShape(v.Shape())
		tensors.MustMutableFlatData[float32](value, func(flat []float32) {
			for i := range flat {
				flat[i] = 3e38
			}
		})
		if err := v.SetValue(value); err != nil {
			t.Fatal(err)
		}
	}
	model := filepath.Join(dir, "nan.ddpm")
	if err := ddpm.WriteCheckpoint(model, ctx, step, &spec, nil); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	args := []string{"--ckpt", model, "--nll", "2", "--nll-batch", "2", "--fid", "0", "--steps", "10", "--work", work, "--out", filepath.Join(dir, "out")}
	for run := range 2 { // the second run meets what the first left
		if err := runEval(args); err == nil || !strings.Contains(err.Error(), "not finite") {
			t.Errorf("run %d: error %v, want one saying the model's outputs are not finite", run+1, err)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "nll-progress.json")); err == nil {
		t.Errorf("a progress file was saved")
	}
	// Its samples are refused by every sampler, by interpolate and by the FID: the ancestral sampler and
	// DDIM gave black images and a FID of 1164, exit 0 (eighth probe).
	out := filepath.Join(dir, "s.png")
	for _, sampler := range []string{"ancestral", "ddim", "dpm++2m"} {
		if err := runSample([]string{"--ckpt", model, "--n", "2", "--steps", "3", "--sampler", sampler, "--out", out}); err == nil ||
			!strings.Contains(err.Error(), "not finite") {
			t.Errorf("sample --sampler %s: error %v, want one saying the model's outputs are not finite", sampler, err)
		}
	}
	if err := runInterpolate([]string{"--ckpt", model, "--pairs", "1", "--lambdas", "3", "--out", filepath.Join(dir, "i.png")}); err == nil ||
		!strings.Contains(err.Error(), "not finite") {
		t.Errorf("interpolate: error %v, want one saying the model's outputs are not finite", err)
	}
	fid := []string{"--ckpt", model, "--nll", "0", "--fid", "10", "--fid-batch", "10", "--steps", "3", "--classifier", "../../models/mnist-classifier.ddpm",
		"--work", work, "--out", filepath.Join(dir, "out")}
	if err := runEval(fid); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("eval --fid: error %v, want one saying the model's outputs are not finite", err)
	}
	for _, name := range []string{out, filepath.Join(dir, "i.png"), filepath.Join(dir, "out", "eval.json")} {
		if _, err := os.Stat(name); err == nil {
			t.Errorf("%s was written", name)
		}
	}
}
