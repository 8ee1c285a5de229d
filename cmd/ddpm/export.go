package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/learn-ddpm/ddpm-go/ddpm"
)

// runExport writes a weights-only checkpoint: the EMA weights and the run's description, without
// Adam's moments. It is about a quarter of a training checkpoint, small enough to ship.
func runExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	ckpt := fs.String("ckpt", "runs/mnist", "training checkpoint file, or folder (its newest checkpoint)")
	out := fs.String("out", "", "output file (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	if _, ok := ddpm.CheckpointStep(filepath.Base(*out)); ok {
		return fmt.Errorf("--out %s: a training checkpoint's name (ckpt-<step>.ddpm); `ddpm train` would resume from "+
			"this weights-only file and fail: choose another name", *out)
	}
	if _, err := os.Stat(*ckpt); os.IsNotExist(err) && !isSet(fs, "ckpt") { // said as sample says it (ninth probe)
		return fmt.Errorf("--ckpt %s (the default, where `ddpm train` writes) does not exist: train a model first, or name a training "+
			"checkpoint with --ckpt (the shipped models are exports already)", *ckpt)
	}
	path, err := ddpm.ResolveCheckpoint(*ckpt)
	if err != nil {
		return fmt.Errorf("--ckpt %q: %w", *ckpt, err)
	}
	if err := ddpm.CheckOutput("--out", *out, path); err != nil {
		return err
	}
	ctx := context.New()
	var spec ddpm.RunSpec
	step, err := ddpm.LoadCheckpoint(path, ctx, &spec)
	if err != nil {
		return err
	}
	if spec.Model == "" {
		return fmt.Errorf("--ckpt %w", ddpm.NotTrainCheckpoint(path))
	}
	if err := spec.CheckWeights(ddpm.ContextWeights(ctx)); err != nil {
		return fmt.Errorf("--ckpt %s: %w", path, err)
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	if err := ddpm.ExportEMAWeights(*out, ctx, step, &spec); err != nil {
		return err
	}
	info, _ := os.Stat(*out)
	fmt.Printf("exported the EMA weights of %s (step %d) to %s (%.1f MB)\n", path, step, *out, float64(info.Size())/1e6)
	return nil
}
