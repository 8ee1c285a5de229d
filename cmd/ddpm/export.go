package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/models"
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
	if err := checkExtension("--out", *out, ".ddpm"); err != nil { // a .npy or .png replaced by a model (tenth probe)
		return err
	}
	target := *out // the file written: a link's target
	if t, err := filepath.EvalSymlinks(*out); err == nil {
		target = t
	}
	if checkpointLike.MatchString(filepath.Base(*out)) || checkpointLike.MatchString(filepath.Base(target)) {
		return fmt.Errorf("--out %s: a training checkpoint's name (ckpt-<step>.ddpm); `ddpm train` would resume from "+
			"this weights-only file and fail: choose another name", *out)
	}
	if err := notSetupModel(*out); err != nil { // missing or damaged there, and setup replaced the export after (twenty-ninth probe)
		return err
	}
	if err := checkExportTarget(*out, target); err != nil {
		return err
	}
	if *ckpt == "" { // it said `checkpoint : stat : no such file or directory` (forty-eighth probe's nit)
		return fmt.Errorf(`--ckpt "": name a training checkpoint, or a training run's folder for its newest`)
	}
	if here, err := defaultHere(fs, "ckpt"); err != nil {
		return err
	} else if !here { // said as sample says it (ninth probe)
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
	// The export is the checkpoint's EMA weights, bounded from its description (a full disk was found
	// only by the write; a nit of earlier probes), else by the checkpoint's size, of which it is a part.
	need := 0.0
	var spec ddpm.RunSpec
	if _, err := ddpm.ReadCheckpointMeta(path, &spec); err == nil && spec.Model != "" {
		need, _ = spec.ExportBytes()
	}
	if info, err := os.Stat(path); err == nil && (need <= 0 || need > float64(info.Size())) {
		need = float64(info.Size())
	}
	if err := checkRoom(plannedOutput{flag: "--out", path: *out, bytes: need}); err != nil {
		return err
	}
	// Every check that sample and eval make of the file: an export of a description that they refuse
	// (p_uncond 7, an unknown schedule, T = 10, junk variables) was written, exit 0 (fifteenth probe).
	tr, err := loadTrained(path)
	if err != nil {
		return err
	}
	if err := flagsChecked(fs); err != nil {
		return err
	}
	if err := tr.Export(*out); err != nil {
		return err
	}
	printf("exported the EMA weights of %s (step %d) to %s%s\n", tr.Path, tr.Step, *out, writtenSize(*out))
	return nil
}

// checkExportTarget refuses an --out that exists and is not an earlier export: a training checkpoint
// (reached through a link, it was replaced by weights only and its run could not resume; tenth probe),
// a classifier, or another program's file, nor a shipped model (the copy in the user's cache was
// replaced, and every command that reads it by default refused it after; twenty-fourth probe).
// Replacing an export is what a second export does.
func checkExportTarget(out, target string) error {
	info, err := os.Stat(target)
	if err != nil || !info.Mode().IsRegular() {
		return nil // new, or refused by kind by CheckOutput
	}
	for _, name := range models.Names() {
		if want, err := models.Read(name); err == nil && sameContent(target, info.Size(), want) {
			return fmt.Errorf("--out %s holds the shipped model %s (a copy, or the file the commands read by default): an export over it would replace it; choose another name", out, name)
		}
	}
	var spec ddpm.RunSpec
	_, have, err := ddpm.ReadCheckpointWeights(target, &spec)
	switch {
	case err != nil:
		return fmt.Errorf("--out %s holds something other than a model (%v): choose another name", out, err)
	case spec.Model == "":
		return fmt.Errorf("--out %s holds a checkpoint of another kind (a classifier, or another program's): choose another name", out)
	}
	for name := range have {
		if strings.HasPrefix(name, "/trainer/") {
			return fmt.Errorf("--out %s is a training checkpoint (%s): exporting over it would lose its training state; choose another name", out, target)
		}
	}
	return nil
}

// writtenSize is " (12.3 MB)", the size of a file just written, or "" when it is gone already (moved or
// removed by someone else: that panicked; seventeenth probe).
func writtenSize(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if info.Size() < 1e6 {
		return fmt.Sprintf(" (%.1f kB)", float64(info.Size())/1e3)
	}
	return fmt.Sprintf(" (%.1f MB)", float64(info.Size())/1e6)
}
