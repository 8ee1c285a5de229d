package quality

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

func nilCounts(c []int) error {
	if c != nil {
		return fmt.Errorf("%d counts, want none", len(c))
	}
	return nil
}

func sweepInf(v float64) error {
	if !math.IsInf(v, 1) {
		return fmt.Errorf("got %v, want +Inf", v)
	}
	return nil
}

// sweepCase is one call with hostile arguments (sweep.Call runs it).
type sweepCase struct {
	name  string
	check func() error
}

// TestHostileArguments calls every exported function and method of the package with arguments out of
// its range, files that are not what it reads, and counts that would not fit in memory: each must
// answer with an error (or its documented NaN, +Inf or nil), at once, without a panic. Logits, which
// builds a graph on its caller's nodes, is left out.
func TestHostileArguments(t *testing.T) {
	dir := t.TempDir()
	shipped := filepath.Join("..", "models", "mnist-classifier.ddpm")
	info, err := os.Stat(shipped)
	if err != nil {
		t.Fatal(err)
	}
	fifo := sweep.FIFO(t, filepath.Join(dir, "fifo.ddpm"))
	write := func(name string, content []byte) string { return sweep.Write(t, filepath.Join(dir, name), content) }
	missing := filepath.Join(dir, "missing.ddpm")
	empty := write("empty.ddpm", nil)
	junk := write("junk.ddpm", bytes.Repeat([]byte("junk\x00\xff"), 300))
	cutHeader := sweep.Cut(t, shipped, filepath.Join(dir, "cut-header.ddpm"), 100)
	cutWeights := sweep.Cut(t, shipped, filepath.Join(dir, "cut-weights.ddpm"), int(info.Size()/2))
	diffusion := filepath.Join("..", "models", "mnist-ch8-ema.ddpm")

	var spec ClassifierSpec
	ctx := context.New()
	if _, err := ddpm.LoadCheckpoint(shipped, ctx, &spec); err != nil {
		t.Fatal(err)
	}
	clf, err := NewClassifier(backend, ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	image := make([]float32, 28*28)

	// Tiny training data: 4 images of 8×8 in 2 classes.
	cfg, dims := ClassifierConfig{Channels: [2]int{2, 2}, Features: 4, Classes: 2}, []int{8, 8, 1}
	images, labels := make([]float32, 4*64), []uint8{0, 1, 0, 1}
	opts := ClassifierTraining{Epochs: 1, BatchSize: 2, LearningRate: 1e-3}
	trainWith := func(mod func(cfg *ClassifierConfig, images *[]float32, labels *[]uint8, dims *[]int, opts *ClassifierTraining)) error {
		c, im, l, d, o := cfg, append([]float32{}, images...), append([]uint8{}, labels...), append([]int{}, dims...), opts
		mod(&c, &im, &l, &d, &o)
		return TrainClassifier(backend, context.New(), c, im, l, d, o)
	}

	// Sample stores.
	storeDir := filepath.Join(dir, "stores")
	os.Mkdir(storeDir, 0o755)
	storePath := func(name string) string { return filepath.Join(storeDir, name) }
	storeFIFO := storePath("fifo.store")
	syscall.Mkfifo(storeFIFO, 0o644)
	storeJunk := storePath("junk.store")
	os.WriteFile(storeJunk, bytes.Repeat([]byte{0xff, 0}, 100), 0o644)
	store, err := OpenSampleStore(storePath("good.store"), 4, 3, "desc")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Append([]float32{0, 0.5, 1, -1}); err != nil {
		t.Fatal(err)
	}
	// A store of 2 images cut inside its first line, and one cut inside its second image.
	func() {
		s, err := OpenSampleStore(storePath("full.store"), 4, 3, "desc")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Append(make([]float32, 8)); err != nil {
			t.Fatal(err)
		}
	}()
	full, _ := os.ReadFile(storePath("full.store"))
	os.WriteFile(storePath("cut-header.store"), full[:10], 0o644)
	os.WriteFile(storePath("cut-image.store"), full[:len(full)-2], 0o644)

	nan, inf := math.NaN(), math.Inf(1)
	nan32 := float32(nan)
	gauss := func(mean []float64, cov ...float64) *Gaussian {
		return &Gaussian{Mean: mean, Cov: mat.NewSymDense(len(mean), cov), N: 10}
	}
	unit := gauss([]float64{0, 0}, 1, 0, 0, 1)
	cases := []sweepCase{
		// Accuracy.
		{"Accuracy of nothing", func() error { return sweep.NaN(Accuracy(nil, nil)) }},
		{"Accuracy of no label", func() error { return sweep.NaN(Accuracy([]float32{1, 0}, []uint8{})) }},
		{"Accuracy of a partial row", func() error { return sweep.NaN(Accuracy([]float32{1, 0, 1}, []uint8{0, 0})) }},
		{"Accuracy of more labels than values", func() error { return sweep.NaN(Accuracy([]float32{1}, []uint8{0, 0})) }},
		{"Accuracy of NaN", func() error { return sweep.NaN(Accuracy([]float32{nan32, 1}, []uint8{1})) }},
		{"Accuracy of +Inf", func() error { return sweep.NaN(Accuracy([]float32{float32(inf), 0}, []uint8{0})) }},
		{"Accuracy of 1.5", func() error { return sweep.NaN(Accuracy([]float32{1.5, 0}, []uint8{0})) }},
		{"Accuracy of -0.5", func() error { return sweep.NaN(Accuracy([]float32{-0.5, 1}, []uint8{1})) }},
		{"Accuracy of a label of no class", func() error { return sweep.NaN(Accuracy([]float32{0.2, 0.8}, []uint8{5})) }},
		{"Confident of MaxInt classes", func() error { f, c := Confident(nil, math.MaxInt, 0.9); return errors.Join(sweep.NaN(f), nilCounts(c)) }},
		{"Confident of 2^40 classes", func() error {
			f, c := Confident([]float32{1}, 1<<40, 0.9)
			return errors.Join(sweep.NaN(f), nilCounts(c))
		}},
		{"TrainingMemory of MaxInt + 1 images", func() error {
			if m := DefaultClassifierConfig().TrainingMemory([]int{28, 28, 1}, math.MaxInt, 1, 1); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"TrainingMemory of MaxInt + MaxInt images", func() error {
			if m := DefaultClassifierConfig().TrainingMemory([]int{28, 28, 1}, math.MaxInt, math.MaxInt, 1); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"AsStored keeps NaN", func() error {
			if out := AsStored([]float32{nan32, 0.5}); !math.IsNaN(float64(out[0])) || math.Abs(float64(out[1])-0.5) > 0.01 {
				return fmt.Errorf("AsStored(NaN, 0.5) = %v, want NaN and about 0.5", out)
			}
			return nil
		}},

		// Confident.
		{"Confident of nothing", func() error { f, _ := Confident(nil, 10, 0.9); return sweep.NaN(f) }},
		{"Confident of 0 classes", func() error {
			f, c := Confident([]float32{1}, 0, 0.9)
			if len(c) != 0 {
				return fmt.Errorf("counts %v, want none", c)
			}
			return sweep.NaN(f)
		}},
		{"Confident of -1 classes", func() error {
			f, c := Confident([]float32{1}, -1, 0.9)
			if len(c) != 0 {
				return fmt.Errorf("counts %v, want none", c)
			}
			return sweep.NaN(f)
		}},
		{"Confident of MinInt classes", func() error { f, _ := Confident([]float32{1}, math.MinInt, 0.9); return sweep.NaN(f) }},
		{"Confident of a partial row", func() error { f, _ := Confident([]float32{1, 0, 1}, 2, 0.9); return sweep.NaN(f) }},
		{"Confident threshold NaN", func() error { f, _ := Confident([]float32{1, 0}, 2, nan32); return sweep.NaN(f) }},
		{"Confident of NaN", func() error { f, _ := Confident([]float32{nan32, 0}, 2, 0.9); return sweep.NaN(f) }},
		{"Confident of 2", func() error { f, _ := Confident([]float32{2, 0}, 2, 0.9); return sweep.NaN(f) }},
		{"Confident threshold +Inf, no probability", func() error {
			f, c := Confident([]float32{1, 0}, 2, float32(inf))
			if !math.IsNaN(f) || c != nil {
				return fmt.Errorf("got %v, %v; want NaN and no counts", f, c)
			}
			return nil
		}},

		// ConditionalAccuracy.
		{"ConditionalAccuracy of 0 classes", func() error {
			_, _, err := ConditionalAccuracy([]float32{1}, 0, []int{0})
			return sweep.WantErr(err, "0 classes")
		}},
		{"ConditionalAccuracy of -1 classes", func() error {
			_, _, err := ConditionalAccuracy([]float32{1}, -1, []int{0})
			return sweep.WantErr(err, "-1 classes")
		}},
		{"ConditionalAccuracy of MaxInt classes", func() error {
			_, _, err := ConditionalAccuracy([]float32{1, 0}, math.MaxInt, []int{0})
			return sweep.WantErr(err, "requested classes")
		}},
		{"ConditionalAccuracy of nothing", func() error {
			_, _, err := ConditionalAccuracy(nil, 2, nil)
			return sweep.WantErr(err, "0 requested classes for 0 values")
		}},
		{"ConditionalAccuracy of a partial row", func() error {
			_, _, err := ConditionalAccuracy([]float32{1, 0, 1}, 2, []int{0})
			return sweep.WantErr(err, "3 values")
		}},
		{"ConditionalAccuracy of fewer requests", func() error {
			_, _, err := ConditionalAccuracy([]float32{1, 0, 1, 0}, 2, []int{0})
			return sweep.WantErr(err, "1 requested classes")
		}},
		{"ConditionalAccuracy class -1", func() error {
			_, _, err := ConditionalAccuracy([]float32{1, 0}, 2, []int{-1})
			return sweep.WantErr(err, "class -1")
		}},
		{"ConditionalAccuracy class 2 of 2", func() error {
			_, _, err := ConditionalAccuracy([]float32{1, 0}, 2, []int{2})
			return sweep.WantErr(err, "class 2")
		}},
		{"ConditionalAccuracy of NaN", func() error {
			_, _, err := ConditionalAccuracy([]float32{nan32, 0}, 2, []int{0})
			return sweep.WantErr(err, "NaN")
		}},
		{"ConditionalAccuracy of a class never asked", func() error {
			all, per, err := ConditionalAccuracy([]float32{1, 0}, 2, []int{0})
			if err != nil || all != 1 || per[0] != 1 || !math.IsNaN(per[1]) {
				return fmt.Errorf("got %v, %v, %v; want 1, [1 NaN]", all, per, err)
			}
			return nil
		}},

		// ClassifierScore.
		{"ClassifierScore of nothing", func() error { _, err := ClassifierScore(nil, 10); return sweep.WantErr(err, "0 values") }},
		{"ClassifierScore of 0 classes", func() error { _, err := ClassifierScore([]float32{1}, 0); return sweep.WantErr(err, "rows of 0") }},
		{"ClassifierScore of -1 classes", func() error { _, err := ClassifierScore([]float32{1}, -1); return sweep.WantErr(err, "rows of -1") }},
		{"ClassifierScore of MaxInt classes", func() error {
			_, err := ClassifierScore([]float32{1}, math.MaxInt)
			return sweep.WantErr(err, "rows of")
		}},
		{"ClassifierScore of a partial row", func() error { _, err := ClassifierScore([]float32{1, 0, 1}, 2); return sweep.WantErr(err, "3 values") }},
		{"ClassifierScore of NaN", func() error { _, err := ClassifierScore([]float32{nan32, 1}, 2); return sweep.WantErr(err, "NaN") }},
		{"ClassifierScore of -Inf", func() error {
			_, err := ClassifierScore([]float32{float32(math.Inf(-1)), 1}, 2)
			return sweep.WantErr(err, "-Inf")
		}},
		{"ClassifierScore of 1.5", func() error { _, err := ClassifierScore([]float32{1.5, 0}, 2); return sweep.WantErr(err, "1.5") }},

		// FitGaussian.
		{"FitGaussian dim 0", func() error { _, err := FitGaussian([]float32{1, 2}, 0); return sweep.WantErr(err, "length 0") }},
		{"FitGaussian dim -1", func() error { _, err := FitGaussian([]float32{1, 2}, -1); return sweep.WantErr(err, "length -1") }},
		{"FitGaussian dim MaxInt", func() error {
			_, err := FitGaussian([]float32{1, 2}, math.MaxInt)
			return sweep.WantErr(err, "2 vectors")
		}},
		{"FitGaussian of nothing", func() error { _, err := FitGaussian(nil, 2); return sweep.WantErr(err, "got 0 values") }},
		{"FitGaussian of one vector", func() error { _, err := FitGaussian([]float32{1, 2}, 2); return sweep.WantErr(err, "2 vectors") }},
		{"FitGaussian of a partial vector", func() error {
			_, err := FitGaussian([]float32{1, 2, 3, 4, 5}, 2)
			return sweep.WantErr(err, "got 5 values")
		}},
		{"FitGaussian of NaN", func() error { _, err := FitGaussian([]float32{1, nan32, 3, 4}, 2); return sweep.WantErr(err, "NaN") }},
		{"FitGaussian of +Inf", func() error {
			_, err := FitGaussian([]float32{1, 2, float32(inf), 4}, 2)
			return sweep.WantErr(err, "vector 1")
		}},
		{"FitGaussian of a covariance beyond the memory", func() error {
			_, err := FitGaussian(make([]float32, 2<<20), 1<<20)
			return sweep.WantErr(err, "covariance")
		}},

		// FrechetDistance.
		{"FrechetDistance of nil", func() error {
			_, err := FrechetDistance(nil, unit)
			return sweep.WantErr(err, "first Gaussian is missing")
		}},
		{"FrechetDistance of nil second", func() error {
			_, err := FrechetDistance(unit, nil)
			return sweep.WantErr(err, "second Gaussian is missing")
		}},
		{"FrechetDistance of a zero Gaussian", func() error { _, err := FrechetDistance(&Gaussian{}, unit); return sweep.WantErr(err, "no mean") }},
		{"FrechetDistance without a covariance", func() error {
			_, err := FrechetDistance(unit, &Gaussian{Mean: []float64{0, 0}})
			return sweep.WantErr(err, "no covariance")
		}},
		{"FrechetDistance of another size", func() error {
			_, err := FrechetDistance(unit, gauss([]float64{0}, 1))
			return sweep.WantErr(err, "differ")
		}},
		{"FrechetDistance of a covariance of another size", func() error {
			_, err := FrechetDistance(unit, &Gaussian{Mean: []float64{0}, Cov: unit.Cov})
			return sweep.WantErr(err, "2×2")
		}},
		{"FrechetDistance of a NaN mean", func() error {
			_, err := FrechetDistance(unit, gauss([]float64{nan, 0}, 1, 0, 0, 1))
			return sweep.WantErr(err, "mean holds NaN")
		}},
		{"FrechetDistance of an Inf covariance", func() error {
			_, err := FrechetDistance(gauss([]float64{0, 0}, 1, inf, inf, 1), unit)
			return sweep.WantErr(err, "+Inf")
		}},
		{"FrechetDistance of a negative variance", func() error {
			_, err := FrechetDistance(gauss([]float64{0, 0}, -5, 0, 0, -5), unit)
			return sweep.WantErr(err, "below 0")
		}},
		{"FrechetDistance of a covariance that is not one", func() error {
			_, err := FrechetDistance(gauss([]float64{0, 0}, 1, 3, 3, 1), unit)
			return sweep.WantErr(err, "positive semi-definite")
		}},
		{"FrechetDistance of itself is 0", func() error {
			d, err := FrechetDistance(unit, unit)
			if err != nil || math.Abs(d) > 1e-12 {
				return fmt.Errorf("got %v, %v; want 0", d, err)
			}
			return nil
		}},
		{"FrechetDistance of a 1e308 variance", func() error {
			g := gauss([]float64{0}, 1e308)
			_, err := FrechetDistance(g, g)
			return sweep.WantErr(err, "too large for float64")
		}},
		{"FrechetDistance of means ±1e308", func() error {
			_, err := FrechetDistance(gauss([]float64{1e308}, 1), gauss([]float64{-1e308}, 1))
			return sweep.WantErr(err, "too large for float64")
		}},
		{"FrechetStdErr of ±3e38 features is a number or an error", func() error {
			s, err := FrechetStdErr([]float32{3e38, -3e38, 3e38, -3e38}, 1, gauss([]float64{0}, 1), 2, 0)
			if err == nil && (math.IsNaN(s) || math.IsInf(s, 0)) {
				return fmt.Errorf("got %v and no error", s)
			}
			return nil
		}},
		{"SqrtPSD of 1e308 entries", func() error {
			_, err := SqrtPSD(mat.NewSymDense(2, []float64{1e308, 1e308, 1e308, 1e308}))
			return sweep.WantErr(err, "overflows float64")
		}},

		// FrechetStdErr.
		{"FrechetStdErr 0 resamples", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 2, unit, 0, 1)
			return sweep.WantErr(err, "0 resamples")
		}},
		{"FrechetStdErr 1 resample", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 2, unit, 1, 1)
			return sweep.WantErr(err, "1 resamples")
		}},
		{"FrechetStdErr -1 resamples", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 2, unit, -1, 1)
			return sweep.WantErr(err, "-1 resamples")
		}},
		{"FrechetStdErr MaxInt resamples", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 2, unit, math.MaxInt, 1)
			return sweep.WantErr(err, "resamples")
		}},
		{"FrechetStdErr 1<<40 resamples", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 2, unit, 1<<40, 1)
			return sweep.WantErr(err, "resamples")
		}},
		{"FrechetStdErr dim 0", func() error {
			_, err := FrechetStdErr(make([]float32, 8), 0, unit, 2, 1)
			return sweep.WantErr(err, "length 0")
		}},
		{"FrechetStdErr dim -1", func() error {
			_, err := FrechetStdErr(make([]float32, 8), -1, unit, 2, 1)
			return sweep.WantErr(err, "length -1")
		}},
		{"FrechetStdErr a partial vector", func() error {
			_, err := FrechetStdErr(make([]float32, 7), 2, unit, 2, 1)
			return sweep.WantErr(err, "7 values")
		}},
		{"FrechetStdErr of nothing", func() error { _, err := FrechetStdErr(nil, 2, unit, 2, 1); return sweep.WantErr(err, "got 0 values") }},
		{"FrechetStdErr of NaN", func() error {
			_, err := FrechetStdErr([]float32{nan32, nan32, nan32, nan32}, 2, unit, 2, 1)
			return sweep.WantErr(err, "NaN")
		}},
		{"FrechetStdErr without a reference", func() error {
			_, err := FrechetStdErr([]float32{1, 2, 3, 4, 5, 7}, 2, nil, 2, 1)
			return sweep.WantErr(err, "second Gaussian is missing")
		}},

		// SqrtPSD.
		{"SqrtPSD of nil", func() error { _, err := SqrtPSD(nil); return sweep.WantErr(err, "nil") }},
		{"SqrtPSD of a nil *SymDense", func() error { _, err := SqrtPSD((*mat.SymDense)(nil)); return sweep.WantErr(err, "nil") }},
		{"SqrtPSD of 0×0", func() error { _, err := SqrtPSD(&mat.SymDense{}); return sweep.WantErr(err, "0×0") }},
		{"SqrtPSD of NaN", func() error { _, err := SqrtPSD(mat.NewSymDense(1, []float64{nan})); return sweep.WantErr(err, "NaN") }},
		{"SqrtPSD of -Inf", func() error {
			_, err := SqrtPSD(mat.NewSymDense(1, []float64{math.Inf(-1)}))
			return sweep.WantErr(err, "-Inf")
		}},
		{"SqrtPSD of -5·I", func() error {
			_, err := SqrtPSD(mat.NewSymDense(2, []float64{-5, 0, 0, -5}))
			return sweep.WantErr(err, "positive semi-definite")
		}},
		{"SqrtPSD of 1e308", func() error {
			r, err := SqrtPSD(mat.NewSymDense(1, []float64{1e308}))
			if err != nil || r.At(0, 0) != 1e154 {
				return fmt.Errorf("got %v, %v; want 1e154", r, err)
			}
			return nil
		}},

		// AsStored.
		{"AsStored of nothing", func() error {
			if got := AsStored(nil); len(got) != 0 {
				return fmt.Errorf("got %v, want nothing", got)
			}
			return nil
		}},
		// ±Inf stays for the scoring to refuse, as a store's Append refuses it (it was made ±1, a pixel a
		// store never holds; sixty-fourth probe's nit); 1e38 is a value, clipped as the store clips it.
		{"AsStored keeps ±Inf and clips 1e38", func() error {
			got := AsStored([]float32{float32(inf), float32(math.Inf(-1)), 1e38, -1e38})
			if !math.IsInf(float64(got[0]), 1) || !math.IsInf(float64(got[1]), -1) || got[2] != 1 || got[3] != -1 {
				return fmt.Errorf("got %v, want [+Inf -Inf 1 -1]", got)
			}
			return nil
		}},

		// StoreDescription.
		{"StoreDescription of nothing", func() error { _, _, err := StoreDescription(nil); return sweep.WantErr(err, "JSON object") }},
		{"StoreDescription of junk", func() error {
			_, _, err := StoreDescription([]byte("\x00\xff{"))
			return sweep.WantErr(err, "JSON object")
		}},
		{"StoreDescription of an array", func() error {
			_, _, err := StoreDescription([]byte("[1, 2]"))
			return sweep.WantErr(err, "JSON object")
		}},
		{"StoreDescription of a cut line", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":4,"description":"de`))
			return sweep.WantErr(err, "JSON object")
		}},
		{"StoreDescription image size 0", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":0,"description":"d"}`))
			return sweep.WantErr(err, "image size is 0")
		}},
		{"StoreDescription image size -1", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":-1,"description":"d"}`))
			return sweep.WantErr(err, "image size is -1")
		}},
		{"StoreDescription image size 1e400", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":1e400,"description":"d"}`))
			return sweep.WantErr(err, "image size is 1e400")
		}},
		{"StoreDescription image size 2.5", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":2.5,"description":"d"}`))
			return sweep.WantErr(err, "image size is 2.5")
		}},
		{"StoreDescription image size of 2⁶⁴", func() error {
			_, _, err := StoreDescription([]byte(`{"image_size":18446744073709551616,"description":"d"}`))
			return sweep.WantErr(err, "image size")
		}},

		// OpenSampleStore and SampleStore.
		{"OpenSampleStore image size 0", func() error {
			_, err := OpenSampleStore(storePath("a"), 0, 1, "d")
			return sweep.WantErr(err, "images of 0 values")
		}},
		{"OpenSampleStore image size -1", func() error {
			_, err := OpenSampleStore(storePath("a"), -1, 1, "d")
			return sweep.WantErr(err, "images of -1 values")
		}},
		{"OpenSampleStore most -1", func() error {
			_, err := OpenSampleStore(storePath("a"), 4, -1, "d")
			return sweep.WantErr(err, "at most -1")
		}},
		{"OpenSampleStore of a description JSON cannot hold", func() error {
			_, err := OpenSampleStore(storePath("a"), 4, 1, map[string]float64{"x": nan})
			return sweep.WantErr(err, "NaN")
		}},
		{"OpenSampleStore of a func description", func() error {
			_, err := OpenSampleStore(storePath("a"), 4, 1, func() {})
			return sweep.WantErr(err, "func")
		}},
		{"OpenSampleStore empty path", func() error { _, err := OpenSampleStore("", 4, 1, "d"); return sweep.WantErr(err, "no such file") }},
		{"OpenSampleStore in a missing folder", func() error {
			_, err := OpenSampleStore(filepath.Join(storeDir, "no", "a"), 4, 1, "d")
			return sweep.WantErr(err, "no such file")
		}},
		{"OpenSampleStore on a folder", func() error { _, err := OpenSampleStore(storeDir, 4, 1, "d"); return sweep.WantErr(err, "stores") }},
		{"OpenSampleStore on a FIFO", func() error { _, err := OpenSampleStore(storeFIFO, 4, 1, "d"); return sweep.WantErr(err, "FIFO") }},
		{"OpenSampleStore on junk", func() error { _, err := OpenSampleStore(storeJunk, 4, 1, "d"); return sweep.WantErr(err, "junk.store") }},
		{"OpenSampleStore cut in its first line", func() error {
			_, err := OpenSampleStore(storePath("cut-header.store"), 4, 3, "desc")
			return sweep.WantErr(err, "cut-header.store")
		}},
		{"OpenSampleStore cut in an image drops it", func() error {
			s, err := OpenSampleStore(storePath("cut-image.store"), 4, 3, "desc")
			if err != nil {
				return err
			}
			defer s.Close()
			if s.Len() != 1 || s.OnDisk() != 1 {
				return fmt.Errorf("Len %d, OnDisk %d; want the one whole image", s.Len(), s.OnDisk())
			}
			return nil
		}},
		{"OpenSampleStore of another image size", func() error {
			_, err := OpenSampleStore(storePath("full.store"), 8, 3, "desc")
			return sweep.WantErr(err, "full.store")
		}},
		{"OpenSampleStore of fewer images than held", func() error {
			_, err := OpenSampleStore(storePath("full.store"), 4, 1, "desc")
			return sweep.WantErr(err, "holds 2 images")
		}},
		{"OpenSampleStore held by another store", func() error {
			_, err := OpenSampleStore(storePath("good.store"), 4, 3, "desc")
			return sweep.WantErr(err, "another store")
		}},
		{"OpenSampleStore of huge sizes", func() error {
			s, err := OpenSampleStore(storePath("huge.store"), math.MaxInt, math.MaxInt, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Append(make([]float32, 3)); err == nil {
				return fmt.Errorf("Append of 3 values to images of MaxInt values: no error")
			}
			if _, err := s.Images(1); err == nil {
				return fmt.Errorf("Images(1) of none: no error")
			}
			return nil
		}},
		{"SampleStore Append of a partial image", func() error { return sweep.WantErr(store.Append(make([]float32, 3)), "3 values") }},
		{"SampleStore Append beyond its most", func() error { return sweep.WantErr(store.Append(make([]float32, 12)), "3 more do not fit") }},
		{"SampleStore Append of NaN", func() error { return sweep.WantErr(store.Append([]float32{0, nan32, 0, 0}), "NaN") }},
		{"SampleStore Append of +Inf", func() error { return sweep.WantErr(store.Append([]float32{0, float32(inf), 0, 0}), "+Inf") }},
		{"SampleStore Append of nothing", func() error {
			if err := store.Append(nil); err != nil || store.Len() != 1 {
				return fmt.Errorf("got %v, Len %d; want nil, 1", err, store.Len())
			}
			return nil
		}},
		{"SampleStore Images(-1)", func() error { _, err := store.Images(-1); return sweep.WantErr(err, "-1 asked") }},
		{"SampleStore Images(2) of 1", func() error { _, err := store.Images(2); return sweep.WantErr(err, "2 asked") }},
		{"SampleStore Images(MaxInt)", func() error { _, err := store.Images(math.MaxInt); return sweep.WantErr(err, "asked") }},
		{"SampleStore Truncate(-1)", func() error { return sweep.WantErr(store.Truncate(-1), "cannot keep -1") }},
		{"SampleStore Truncate(MaxInt)", func() error { return sweep.WantErr(store.Truncate(math.MaxInt), "cannot keep") }},
		{"SampleStore still holds its image", func() error {
			x, err := store.Images(1)
			if err != nil || len(x) != 4 || x[3] != -1 || store.OnDisk() != 1 {
				return fmt.Errorf("got %v, %v, OnDisk %d", x, err, store.OnDisk())
			}
			return nil
		}},

		{"SampleStore after Close", func() error {
			s, err := OpenSampleStore(storePath("closed.store"), 4, 3, "desc")
			if err != nil {
				return err
			}
			if err := s.Append(make([]float32, 4)); err != nil {
				return err
			}
			if err := s.Close(); err != nil {
				return err
			}
			if err := sweep.WantErr(s.Append(make([]float32, 4)), "closed"); err != nil {
				return fmt.Errorf("Append: %w", err)
			}
			if _, err := s.Images(1); sweep.WantErr(err, "closed") != nil {
				return fmt.Errorf("Images: %w", sweep.WantErr(err, "closed"))
			}
			if err := sweep.WantErr(s.Truncate(0), "closed"); err != nil {
				return fmt.Errorf("Truncate: %w", err)
			}
			if err := sweep.WantErr(s.Close(), "closed"); err != nil {
				return fmt.Errorf("second Close: %w", err)
			}
			if s.Len() != 1 || s.OnDisk() != 0 {
				return fmt.Errorf("Len %d, OnDisk %d; want 1 and 0 (it cannot be seen)", s.Len(), s.OnDisk())
			}
			return nil
		}},

		// ClassifierConfig.
		{"Validate nil dims", func() error { return sweep.WantErr(cfg.Validate(nil), "images of shape []") }},
		{"Validate dims of rank 2", func() error { return sweep.WantErr(cfg.Validate([]int{28, 28}), "[28 28]") }},
		{"Validate negative dims", func() error { return sweep.WantErr(cfg.Validate([]int{-28, 28, 1}), "[-28 28 1]") }},
		{"Validate huge dims", func() error { return sweep.WantErr(cfg.Validate([]int{1 << 40, 1 << 40, 1}), "4..4096") }},
		{"Validate zero config", func() error { return sweep.WantErr(ClassifierConfig{}.Validate(dims), "architecture") }},
		{"Validate 1 class", func() error {
			return sweep.WantErr(ClassifierConfig{Channels: [2]int{1, 1}, Features: 1, Classes: 1}.Validate(dims), "classes")
		}},
		{"Validate MaxInt features", func() error {
			return sweep.WantErr(ClassifierConfig{Channels: [2]int{1, 1}, Features: math.MaxInt, Classes: 2}.Validate(dims), "features")
		}},
		{"Validate negative channels", func() error {
			return sweep.WantErr(ClassifierConfig{Channels: [2]int{-1, 1}, Features: 1, Classes: 2}.Validate(dims), "channels")
		}},
		{"FileBytes nil dims", func() error { return sweepInf(cfg.FileBytes(nil)) }},
		{"FileBytes zero config", func() error { return sweepInf(ClassifierConfig{}.FileBytes(dims)) }},
		{"TrainingMemory nil dims", func() error { return sweepInf(cfg.TrainingMemory(nil, 1, 1, 1)) }},
		{"TrainingMemory n -1", func() error { return sweepInf(cfg.TrainingMemory(dims, -1, 1, 1)) }},
		{"TrainingMemory test MinInt", func() error { return sweepInf(cfg.TrainingMemory(dims, 1, math.MinInt, 1)) }},
		{"TrainingMemory batch 0", func() error { return sweepInf(cfg.TrainingMemory(dims, 1, 1, 0)) }},
		{"TrainingMemory batch MaxInt is beyond any memory", func() error {
			if m := cfg.TrainingMemory(dims, 1, 1, math.MaxInt); !(m > 1e18) {
				return fmt.Errorf("got %g bytes", m)
			}
			return nil
		}},

		// ReadClassifierSpec and LoadClassifier.
		{"ReadClassifierSpec empty path", func() error { _, err := ReadClassifierSpec(""); return sweep.WantErr(err, "no such file") }},
		{"ReadClassifierSpec missing", func() error { _, err := ReadClassifierSpec(missing); return sweep.WantErr(err, "missing.ddpm") }},
		{"ReadClassifierSpec folder", func() error { _, err := ReadClassifierSpec(dir); return sweep.WantErr(err, "folder") }},
		{"ReadClassifierSpec FIFO", func() error { _, err := ReadClassifierSpec(fifo); return sweep.WantErr(err, "FIFO") }},
		{"ReadClassifierSpec empty", func() error { _, err := ReadClassifierSpec(empty); return sweep.WantErr(err, "empty.ddpm") }},
		{"ReadClassifierSpec junk", func() error { _, err := ReadClassifierSpec(junk); return sweep.WantErr(err, "junk.ddpm") }},
		{"ReadClassifierSpec cut in its header", func() error { _, err := ReadClassifierSpec(cutHeader); return sweep.WantErr(err, "cut-header.ddpm") }},
		{"ReadClassifierSpec cut in its weights", func() error { _, err := ReadClassifierSpec(cutWeights); return sweep.WantErr(err, "cut-weights.ddpm") }},
		{"ReadClassifierSpec of a diffusion model", func() error { _, err := ReadClassifierSpec(diffusion); return sweep.WantErr(err, "not a classifier") }},
		{"LoadClassifier FIFO", func() error { _, err := LoadClassifier(backend, fifo); return sweep.WantErr(err, "FIFO") }},
		{"LoadClassifier junk", func() error { _, err := LoadClassifier(backend, junk); return sweep.WantErr(err, "junk.ddpm") }},
		{"LoadClassifier cut in its weights", func() error {
			_, err := LoadClassifier(backend, cutWeights)
			return sweep.WantErr(err, "cut-weights.ddpm")
		}},
		{"LoadClassifier without a backend", func() error { _, err := LoadClassifier(nil, shipped); return sweep.WantErr(err, "backend") }},

		// NewClassifier and Evaluate.
		{"NewClassifier without a backend", func() error { _, err := NewClassifier(nil, ctx, spec); return sweep.WantErr(err, "backend") }},
		{"NewClassifier without a context", func() error { _, err := NewClassifier(backend, nil, spec); return sweep.WantErr(err, "context") }},
		{"NewClassifier of a zero spec", func() error {
			_, err := NewClassifier(backend, context.New(), ClassifierSpec{})
			return sweep.WantErr(err, "images of shape")
		}},
		{"Evaluate of a partial image", func() error { _, _, err := clf.Evaluate(image[:783], 1); return sweep.WantErr(err, "783 values") }},
		{"Evaluate batch 0", func() error { _, _, err := clf.Evaluate(image, 0); return sweep.WantErr(err, "batch size 0") }},
		{"Evaluate batch MinInt", func() error { _, _, err := clf.Evaluate(image, math.MinInt); return sweep.WantErr(err, "batch size") }},
		{"Evaluate of NaN", func() error {
			im := append([]float32{}, image...)
			im[5] = nan32
			_, _, err := clf.Evaluate(im, 1)
			return sweep.WantErr(err, "NaN")
		}},
		{"Evaluate of -Inf", func() error {
			im := append(append([]float32{}, image...), image...)
			im[800] = float32(math.Inf(-1))
			_, _, err := clf.Evaluate(im, 1)
			return sweep.WantErr(err, "image 1")
		}},
		{"Evaluate of nothing", func() error {
			f, p, err := clf.Evaluate(nil, 1)
			if err != nil || len(f) != 0 || len(p) != 0 {
				return fmt.Errorf("got %d features, %d probabilities, %v; want none and no error", len(f), len(p), err)
			}
			return nil
		}},

		// SaveClassifier.
		{"SaveClassifier without a context", func() error { return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), nil, spec), "nil") }},
		{"SaveClassifier of an empty context", func() error {
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), context.New(), spec), "not written")
		}},
		{"SaveClassifier accuracy NaN", func() error {
			s := spec
			s.TestAccuracy = nan
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), ctx, s), "test accuracy of NaN")
		}},
		{"SaveClassifier accuracy 5", func() error {
			s := spec
			s.TestAccuracy = 5
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), ctx, s), "test accuracy of 5")
		}},
		{"SaveClassifier of other images", func() error {
			s := spec
			s.ImageDims = []int{32, 32, 3}
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), ctx, s), "not written")
		}},
		{"SaveClassifier of nil dims", func() error {
			s := spec
			s.ImageDims = nil
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "c.ddpm"), ctx, s), "images of shape []")
		}},
		{"SaveClassifier onto a folder", func() error { return sweep.WantErr(SaveClassifier(storeDir, ctx, spec), "stores") }},
		{"SaveClassifier into a missing folder", func() error {
			return sweep.WantErr(SaveClassifier(filepath.Join(dir, "no", "c.ddpm"), ctx, spec), "no such file")
		}},
		{"SaveClassifier wrote nothing it refused", func() error {
			if _, err := os.Stat(filepath.Join(dir, "c.ddpm")); !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("a refused save left c.ddpm (%v)", err)
			}
			return nil
		}},

		// TrainClassifier (every case is refused before the first step).
		{"TrainClassifier without a backend", func() error {
			return sweep.WantErr(TrainClassifier(nil, context.New(), cfg, images, labels, dims, opts), "backend")
		}},
		{"TrainClassifier without a context", func() error {
			return sweep.WantErr(TrainClassifier(backend, nil, cfg, images, labels, dims, opts), "context")
		}},
		{"TrainClassifier zero config", func() error {
			return sweep.WantErr(trainWith(func(c *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, _ *ClassifierTraining) {
				*c = ClassifierConfig{}
			}), "architecture")
		}},
		{"TrainClassifier nil dims", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, d *[]int, _ *ClassifierTraining) { *d = nil }), "images of shape []")
		}},
		{"TrainClassifier no image", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, im *[]float32, l *[]uint8, _ *[]int, _ *ClassifierTraining) {
				*im, *l = nil, nil
			}), "BatchSize 2")
		}},
		{"TrainClassifier a partial image", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, im *[]float32, _ *[]uint8, _ *[]int, _ *ClassifierTraining) {
				*im = (*im)[:255]
			}), "255 values for 4 labels")
		}},
		{"TrainClassifier fewer labels", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, l *[]uint8, _ *[]int, _ *ClassifierTraining) { *l = (*l)[:3] }), "for 3 labels")
		}},
		{"TrainClassifier Epochs 0", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) { o.Epochs = 0 }), "Epochs 0")
		}},
		{"TrainClassifier Epochs MaxInt", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.Epochs = math.MaxInt
			}), "Epochs")
		}},
		{"TrainClassifier BatchSize -1", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) { o.BatchSize = -1 }), "BatchSize -1")
		}},
		{"TrainClassifier BatchSize beyond the images", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.BatchSize = 1 << 40
			}), "BatchSize")
		}},
		{"TrainClassifier LearningRate NaN", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.LearningRate = nan
			}), "LearningRate NaN")
		}},
		{"TrainClassifier LearningRate +Inf", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.LearningRate = inf
			}), "LearningRate +Inf")
		}},
		{"TrainClassifier LearningRate 0", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.LearningRate = 0
			}), "LearningRate 0")
		}},
		{"TrainClassifier LearningRate -1e308", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, _ *[]uint8, _ *[]int, o *ClassifierTraining) {
				o.LearningRate = -1e308
			}), "LearningRate")
		}},
		{"TrainClassifier label 2 of 2 classes", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, _ *[]float32, l *[]uint8, _ *[]int, _ *ClassifierTraining) { (*l)[3] = 2 }), "label 3 is 2")
		}},
		{"TrainClassifier NaN image", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, im *[]float32, _ *[]uint8, _ *[]int, _ *ClassifierTraining) {
				(*im)[130] = nan32
			}), "image 2")
		}},
		{"TrainClassifier -Inf image", func() error {
			return sweep.WantErr(trainWith(func(_ *ClassifierConfig, im *[]float32, _ *[]uint8, _ *[]int, _ *ClassifierTraining) {
				(*im)[0] = float32(math.Inf(-1))
			}), "-Inf")
		}},
	}
	for _, c := range cases {
		sweep.Call(t, c.name, c.check)
	}
}
