package ddpm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// sweepCase is one call with hostile arguments (sweep.Call runs it).
type sweepCase struct {
	name  string
	check func() error
}

func sweepNilInts(s []int) error {
	if s != nil {
		return fmt.Errorf("got %d steps, want nil", len(s))
	}
	return nil
}

func sweepNilFloats(s []float64) error {
	if s != nil {
		return fmt.Errorf("got %d values, want nil", len(s))
	}
	return nil
}

func sweepFalse(what string, b bool) error {
	if b {
		return fmt.Errorf("%s: true, want false", what)
	}
	return nil
}

// TestHostileArguments calls every exported function and method of the package with arguments out of
// its range, files that are not what it reads, and sizes that would not fit in memory: each must answer
// with an error (or its documented NaN, nil or zero), at once, without a panic. By design and left
// out: nil receivers and nil function arguments, accessors' indices out of range, negative sizes to the
// tensor constructors, the Must* functions, and the graph-building functions (on the caller's nodes);
// nor are those that read only this machine's setup (ChooseBackend, NewBackend, UserDir and the other
// setup paths, ReexecWithMallocTunables), which take no argument to be hostile with.
func TestHostileArguments(t *testing.T) {
	dir := t.TempDir()
	shipped := filepath.Join("..", "models", "mnist-ch8-ema.ddpm")
	condShipped := filepath.Join("..", "models", "mnist-cond-ema.ddpm")
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
	folder := filepath.Join(dir, "folder.ddpm")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	emptyFolder := filepath.Join(dir, "no-checkpoints")
	if err := os.Mkdir(emptyFolder, 0o755); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere", "at-all"), dangling); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	extended := write("extended.ddpm", append(append([]byte{}, raw...), "more"...))
	flipped := append([]byte{}, raw...)
	flipped[len(flipped)-100] ^= 0x55 // a weight's byte: the header reads, the checksum does not match
	corrupt := write("corrupt.ddpm", flipped)
	hardLink := filepath.Join(dir, "hard.ddpm")
	if err := os.Link(junk, hardLink); err != nil {
		t.Fatal(err)
	}
	pngLink := filepath.Join(dir, "grid.png")
	if err := os.Symlink(junk, pngLink); err != nil {
		t.Fatal(err)
	}
	unreadable := []struct{ name, path string }{
		{"a missing file", missing}, {"an empty file", empty}, {"junk", junk}, {"a header cut short", cutHeader},
		{"weights cut short", cutWeights}, {"a folder", folder}, {"a FIFO", fifo}, {"an empty name", ""},
		{"a file extended", extended},
	}

	tr, err := LoadTrained(shipped)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := LoadTrained(condShipped)
	if err != nil {
		t.Fatal(err)
	}
	sampler, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true})
	if err != nil {
		t.Fatal(err)
	}
	condSampler, err := cond.NewSampler(backend, cond.Schedule, SamplerConfig{DDIM: true})
	if err != nil {
		t.Fatal(err)
	}
	solver, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{Solver: SolverEuler, Steps: 5})
	if err != nil {
		t.Fatal(err)
	}
	bound, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceBeta})
	if err != nil {
		t.Fatal(err)
	}
	trWeights, err := tr.Spec.NetworkWeights()
	if err != nil {
		t.Fatal(err)
	}
	// A training checkpoint of the 2-D MLP (three steps), for what only those hold.
	ckpt := trainedPoints(t)
	pts, err := LoadTrained(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	ptsWeights, err := pts.Spec.NetworkWeights()
	if err != nil {
		t.Fatal(err)
	}
	ckptInfo, err := os.Stat(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	cutCkpt := sweep.Cut(t, ckpt, filepath.Join(dir, "cut-ckpt.ddpm"), int(ckptInfo.Size()-10))
	dims := []int{28, 28, 1}
	image := make([]float32, 28*28)
	sched := MustNewSchedule(ScheduleLinear, 20)

	nan, inf := math.NaN(), math.Inf(1)
	nan32 := float32(nan)
	points := func() *ArrayDataset {
		ds, err := NewArrayDataset("points", make([]float32, 2*8), []int{2}, 4, 1)
		if err != nil {
			panic(err)
		}
		return ds
	}
	mlp := DefaultMLPConfig()
	mlpSpec := func(mod func(r *RunSpec)) *RunSpec {
		m := mlp
		r := &RunSpec{Model: ModelMLP, MLP: &m, Schedule: ScheduleLinear, T: 20, Dims: []int{2}, BatchSize: 4, Steps: 3,
			Optimizer: OptimizerConfig{LearningRate: 1e-3}}
		if mod != nil {
			mod(r)
		}
		return r
	}
	unetSpec := func(mod func(r *RunSpec)) *RunSpec {
		u := MNISTSmallConfig()
		r := &RunSpec{Model: ModelUNet, UNet: &u, Schedule: ScheduleLinear, T: 1000, Dims: []int{28, 28, 1}, BatchSize: 4, Steps: 3,
			Optimizer: PaperOptimizer()}
		if mod != nil {
			mod(r)
		}
		return r
	}
	unet := func(mod func(c *UNetConfig)) error { c := MNISTSmallConfig(); mod(&c); return c.Validate() }
	mlpWith := func(mod func(c *MLPConfig)) error { c := DefaultMLPConfig(); mod(&c); return c.Validate() }
	optWith := func(mod func(c *OptimizerConfig)) error { c := PaperOptimizer(); mod(&c); return c.Validate() }
	newOptWith := func(mod func(c *OptimizerConfig)) error {
		c := PaperOptimizer()
		mod(&c)
		o, err := NewOptimizer(c)
		if o != nil {
			return fmt.Errorf("an optimizer with the error %v", err)
		}
		return err
	}
	trainWith := func(mod func(cfg *TrainConfig)) error {
		cfg := quickTrainConfig(3, t.TempDir())
		mod(&cfg)
		steps := 0
		cfg.OnStep = func(int, float64) { steps++ }
		_, err := Train(backend, context.New(), sched, MLPModel(mlp), points(), cfg)
		if steps > 0 {
			return fmt.Errorf("trained %d steps before %v", steps, err)
		}
		return err
	}
	sample := func(s *Sampler, opts SampleOptions) error {
		res, err := s.Sample(opts)
		if res != nil {
			return fmt.Errorf("samples with the error %v", err)
		}
		return err
	}
	evaluate := func(images []float32, opts BoundOptions) error {
		res, err := bound.Evaluate(images, opts)
		if res != nil {
			return fmt.Errorf("a bound with the error %v", err)
		}
		return err
	}
	x0 := tensors.FromFlatDataAndDimensions(image, 1, 28, 28, 1)
	black := func() []float32 {
		x := make([]float32, 784)
		for i := range x {
			x[i] = -1
		}
		return x
	}

	cases := []sweepCase{
		// Schedules.
		{"NewSchedule T 0", func() error { _, err := NewSchedule(ScheduleLinear, 0); return sweep.WantErr(err, "T=0") }},
		{"NewSchedule T -1", func() error { _, err := NewSchedule(ScheduleCosine, -1); return sweep.WantErr(err, "T=-1") }},
		{"NewSchedule T MinInt", func() error {
			_, err := NewSchedule(ScheduleLinear, math.MinInt)
			return sweep.WantErr(err, "at least 1")
		}},
		{"NewSchedule T MaxInt", func() error { _, err := NewSchedule(ScheduleLinear, math.MaxInt); return sweep.WantErr(err, "T=") }},
		{"NewSchedule T 2^40", func() error {
			_, err := NewSchedule(ScheduleCosine, 1<<40)
			return sweep.WantErr(err, "T=1099511627776")
		}},
		{"NewSchedule linear-scaled T 2^40", func() error {
			_, err := NewSchedule(ScheduleLinearScaled, 1<<40)
			return sweep.WantErr(err, "T=1099511627776")
		}},
		{"NewSchedule linear-scaled T 20", func() error { _, err := NewSchedule(ScheduleLinearScaled, 20); return sweep.WantErr(err, "T ≥ 21") }},
		{"NewSchedule linear-scaled T 0", func() error { _, err := NewSchedule(ScheduleLinearScaled, 0); return sweep.WantErr(err, "T=0") }},
		{"NewSchedule of no name", func() error { _, err := NewSchedule("", 10); return sweep.WantErr(err, "unknown schedule") }},
		{"NewSchedule of another name", func() error { _, err := NewSchedule("quadratic\n", 10); return sweep.WantErr(err, "unknown schedule") }},
		{"LinearSchedule T 0", func() error { _, err := LinearSchedule(0, 1e-4, 0.02); return sweep.WantErr(err, "T=0") }},
		{"LinearSchedule T 2^40", func() error { _, err := LinearSchedule(1<<40, 1e-4, 0.02); return sweep.WantErr(err, "T=") }},
		{"LinearSchedule start NaN", func() error { _, err := LinearSchedule(10, nan, 0.02); return sweep.WantErr(err, "beta_start=NaN") }},
		{"LinearSchedule end +Inf", func() error { _, err := LinearSchedule(10, 1e-4, inf); return sweep.WantErr(err, "beta_end=+Inf") }},
		{"LinearSchedule end 1", func() error { _, err := LinearSchedule(10, 1e-4, 1); return sweep.WantErr(err, "(0, 1)") }},
		// Computed, the last β of (0.1, 1) over 10 steps came out an ulp below 1 (seventy-sixth probe).
		{"LinearSchedule end 1 from 0.1", func() error { _, err := LinearSchedule(10, 0.1, 1); return sweep.WantErr(err, "(0, 1)") }},
		{"LinearSchedule T 1, end NaN", func() error { _, err := LinearSchedule(1, 0.5, nan); return sweep.WantErr(err, "beta_end=NaN") }},
		{"LinearSchedule T 1, end 7", func() error { _, err := LinearSchedule(1, 0.5, 7); return sweep.WantErr(err, "beta_end=7") }},
		{"LinearSchedule start 0", func() error { _, err := LinearSchedule(10, 0, 0.02); return sweep.WantErr(err, "beta_1 = 0") }},
		{"LinearSchedule start -1e308", func() error { _, err := LinearSchedule(10, -1e308, 0.02); return sweep.WantErr(err, "beta_1") }},
		{"LinearSchedule start 1e-300", func() error { _, err := LinearSchedule(1, 1e-300, 1e-300); return sweep.WantErr(err, "rounds to 1") }},
		{"CosineSchedule T 0", func() error { _, err := CosineSchedule(0, 0.008, 0.999); return sweep.WantErr(err, "T=0") }},
		{"CosineSchedule T 2^40", func() error { _, err := CosineSchedule(1<<40, 0.008, 0.999); return sweep.WantErr(err, "T=") }},
		{"CosineSchedule s NaN", func() error { _, err := CosineSchedule(10, nan, 0.999); return sweep.WantErr(err, "s=NaN") }},
		{"CosineSchedule s 0", func() error { _, err := CosineSchedule(10, 0, 0.999); return sweep.WantErr(err, "s=0") }},
		{"CosineSchedule s -1", func() error { _, err := CosineSchedule(10, -1, 0.999); return sweep.WantErr(err, "s=-1") }},
		{"CosineSchedule s +Inf", func() error { _, err := CosineSchedule(10, inf, 0.999); return sweep.WantErr(err, "offset s=+Inf") }},
		{"CosineSchedule max beta NaN", func() error { _, err := CosineSchedule(10, 0.008, nan); return sweep.WantErr(err, "max beta NaN") }},
		{"CosineSchedule max beta 1", func() error { _, err := CosineSchedule(10, 0.008, 1); return sweep.WantErr(err, "max beta 1") }},
		{"CosineSchedule max beta 0", func() error { _, err := CosineSchedule(10, 0.008, 0); return sweep.WantErr(err, "max beta 0") }},
		{"CosineSchedule max beta -Inf", func() error { _, err := CosineSchedule(10, 0.008, math.Inf(-1)); return sweep.WantErr(err, "max beta") }},
		{"ScheduleFromBetas nil", func() error { _, err := ScheduleFromBetas("hand", nil); return sweep.WantErr(err, "T=0") }},
		{"ScheduleFromBetas empty", func() error { _, err := ScheduleFromBetas("hand", []float64{}); return sweep.WantErr(err, "T=0") }},
		{"ScheduleFromBetas NaN", func() error {
			_, err := ScheduleFromBetas("hand", []float64{0.1, nan})
			return sweep.WantErr(err, "beta_2 = NaN")
		}},
		{"ScheduleFromBetas +Inf", func() error {
			_, err := ScheduleFromBetas("hand", []float64{inf})
			return sweep.WantErr(err, "beta_1 = +Inf")
		}},
		{"ScheduleFromBetas 0", func() error {
			_, err := ScheduleFromBetas("hand", []float64{0.1, 0})
			return sweep.WantErr(err, "beta_2 = 0")
		}},
		{"ScheduleFromBetas 1", func() error {
			_, err := ScheduleFromBetas("hand", []float64{1})
			return sweep.WantErr(err, "beta_1 = 1")
		}},
		{"ScheduleFromBetas -0.5", func() error {
			_, err := ScheduleFromBetas("hand", []float64{-0.5})
			return sweep.WantErr(err, "beta_1 = -0.5")
		}},
		{"ScheduleFromBetas 1e-300", func() error {
			_, err := ScheduleFromBetas("hand", []float64{1e-300})
			return sweep.WantErr(err, "rounds to 1")
		}},
		{"ScheduleFromBetas ᾱ underflows", func() error {
			betas := make([]float64, 2000)
			for i := range betas {
				betas[i] = 0.9
			}
			_, err := ScheduleFromBetas("hand", betas)
			return sweep.WantErr(err, "float64's range")
		}},

		// Steps.
		{"EvenSteps K 0", func() error { return sweepNilInts(EvenSteps(10, 0)) }},
		{"EvenSteps K -1", func() error { return sweepNilInts(EvenSteps(10, -1)) }},
		{"EvenSteps K MinInt", func() error { return sweepNilInts(EvenSteps(10, math.MinInt)) }},
		{"EvenSteps K > T", func() error { return sweepNilInts(EvenSteps(10, 11)) }},
		{"EvenSteps T 0", func() error { return sweepNilInts(EvenSteps(0, 1)) }},
		{"EvenSteps T -5", func() error { return sweepNilInts(EvenSteps(-5, 1)) }},
		{"EvenSteps T MaxInt", func() error { return sweepNilInts(EvenSteps(math.MaxInt, 3)) }},
		{"EvenSteps K MaxInt", func() error { return sweepNilInts(EvenSteps(math.MaxInt, math.MaxInt)) }},
		{"EvenSteps K 2^40", func() error { return sweepNilInts(EvenSteps(1<<41, 1<<40)) }},
		{"DPMSolverSteps K 0", func() error { return sweepNilInts(DPMSolverSteps(10, 0)) }},
		{"DPMSolverSteps K -1", func() error { return sweepNilInts(DPMSolverSteps(10, -1)) }},
		{"DPMSolverSteps K = T", func() error { return sweepNilInts(DPMSolverSteps(10, 10)) }},
		{"DPMSolverSteps T 0", func() error { return sweepNilInts(DPMSolverSteps(0, 1)) }},
		{"DPMSolverSteps T MaxInt", func() error { return sweepNilInts(DPMSolverSteps(math.MaxInt, 3)) }},
		{"DPMSolverSteps K 2^40", func() error { return sweepNilInts(DPMSolverSteps(1<<41, 1<<40)) }},
		{"ParseSteps T 0", func() error { _, err := ParseSteps("", 0); return sweep.WantErr(err, "T=0") }},
		{"ParseSteps T -1", func() error { _, err := ParseSteps("5", -1); return sweep.WantErr(err, "T=-1") }},
		{"ParseSteps T 2^40", func() error { _, err := ParseSteps("", 1<<40); return sweep.WantErr(err, "T=1099511627776") }},
		{"ParseSteps K 0", func() error { _, err := ParseSteps("0", 10); return sweep.WantErr(err, "1..10") }},
		{"ParseSteps K -3", func() error { _, err := ParseSteps("-3", 10); return sweep.WantErr(err, "1..10") }},
		{"ParseSteps K > T", func() error { _, err := ParseSteps("11", 10); return sweep.WantErr(err, "1..10") }},
		{"ParseSteps K beyond int", func() error { _, err := ParseSteps("99999999999999999999999", 10); return sweep.WantErr(err, "1..10") }},
		{"ParseSteps junk", func() error { _, err := ParseSteps("five", 10); return sweep.WantErr(err, `"five"`) }},
		{"ParseSteps ddim", func() error { _, err := ParseSteps("ddim", 10); return sweep.WantErr(err, "ddimK") }},
		{"ParseSteps ddim0", func() error { _, err := ParseSteps("ddim0", 10); return sweep.WantErr(err, "ddimK") }},
		{"ParseSteps ddim-1", func() error { _, err := ParseSteps("ddim-1", 10); return sweep.WantErr(err, "ddimK") }},
		{"ParseSteps ddim11 of 10", func() error { _, err := ParseSteps("ddim11", 10); return sweep.WantErr(err, "1..10") }},
		{"ParseSteps ddim MaxInt", func() error {
			_, err := ParseSteps(fmt.Sprintf("ddim%d", math.MaxInt), 10)
			return sweep.WantErr(err, "ddimK")
		}},
		{"ParseSteps decreasing", func() error { _, err := ParseSteps("5,3", 10); return sweep.WantErr(err, "step 3") }},
		{"ParseSteps repeated", func() error { _, err := ParseSteps("3,3", 10); return sweep.WantErr(err, "step 3") }},
		{"ParseSteps step 0", func() error { _, err := ParseSteps("0,1", 10); return sweep.WantErr(err, "step 0") }},
		{"ParseSteps step > T", func() error { _, err := ParseSteps("1,11", 10); return sweep.WantErr(err, "step 11") }},
		{"ParseSteps an empty step", func() error { _, err := ParseSteps("1,,2", 10); return sweep.WantErr(err, "not a time step") }},
		{"ParseSteps a trailing comma", func() error { _, err := ParseSteps("1,", 10); return sweep.WantErr(err, "not a time step") }},
		{"Steps of nil", func() error { return sweepNilFloats(Steps(nil)) }},
		{"Steps of an empty table", func() error { return sweepNilFloats(Steps([]float64{})) }},

		// Schedule methods.
		{"Respace nil", func() error { _, err := sched.Respace(nil); return sweep.WantErr(err, "no steps") }},
		{"Respace empty", func() error { _, err := sched.Respace([]int{}); return sweep.WantErr(err, "no steps") }},
		{"Respace step 0", func() error { _, err := sched.Respace([]int{0, 5}); return sweep.WantErr(err, "step 0") }},
		{"Respace step -1", func() error { _, err := sched.Respace([]int{-1}); return sweep.WantErr(err, "step -1") }},
		{"Respace step > T", func() error { _, err := sched.Respace([]int{1, 21}); return sweep.WantErr(err, "step 21") }},
		{"Respace step MaxInt", func() error { _, err := sched.Respace([]int{math.MaxInt}); return sweep.WantErr(err, "1..20") }},
		{"Respace decreasing", func() error { _, err := sched.Respace([]int{5, 3}); return sweep.WantErr(err, "step 3") }},
		{"Respace repeated", func() error { _, err := sched.Respace([]int{3, 3}); return sweep.WantErr(err, "step 3") }},
		{"Respace of a zero schedule", func() error { _, err := (&Schedule{}).Respace([]int{1}); return sweep.WantErr(err, "respacing") }},
		{"Respace of a hand-made schedule", func() error {
			_, err := (&Schedule{Name: "hand", T: 5}).Respace([]int{1})
			return sweep.WantErr(err, "respacing")
		}},
		{"Check of a zero schedule", func() error { return sweep.WantErr((&Schedule{}).Check(), "at least one step") }},
		{"Check of T -1", func() error { return sweep.WantErr((&Schedule{T: -1}).Check(), "T=-1") }},
		{"Check of tables missing", func() error { return sweep.WantErr((&Schedule{Name: "hand", T: 5}).Check(), "want T + 1") }},
		{"Check of a NaN", func() error {
			s := MustNewSchedule(ScheduleLinear, 5)
			s.AlphaBar[2] = nan
			return sweep.WantErr(s.Check(), "AlphaBar at t=2")
		}},
		{"Check of an +Inf", func() error {
			s := MustNewSchedule(ScheduleLinear, 5)
			s.EpsCoef[5] = inf
			return sweep.WantErr(s.Check(), "EpsCoef at t=5")
		}},
		{"Check of model steps of another length", func() error {
			s := MustNewSchedule(ScheduleLinear, 5)
			s.ModelSteps = []int{0, 1}
			return sweep.WantErr(s.Check(), "model steps")
		}},
		{"CheckStep 0", func() error { return sweep.WantErr(sched.CheckStep(0), "t=0") }},
		{"CheckStep -1", func() error { return sweep.WantErr(sched.CheckStep(-1), "t=-1") }},
		{"CheckStep T+1", func() error { return sweep.WantErr(sched.CheckStep(21), "t=21") }},
		{"CheckStep MaxInt", func() error { return sweep.WantErr(sched.CheckStep(math.MaxInt), "1..20") }},
		{"CheckStep MinInt", func() error { return sweep.WantErr(sched.CheckStep(math.MinInt), "1..20") }},
		{"CheckSolver steps > T", func() error {
			return sweep.WantErr(sched.CheckSolver(SamplerConfig{Solver: SolverDPMPP2M, Steps: 21}), "21")
		}},
		{"CheckSolver steps 2^40", func() error {
			return sweep.WantErr(sched.CheckSolver(SamplerConfig{Solver: SolverEuler, Steps: 1 << 40}), "1099511627776")
		}},
		{"CheckSolver steps MaxInt", func() error {
			return sweep.WantErr(sched.CheckSolver(SamplerConfig{Solver: SolverHeun, Steps: math.MaxInt}), "steps")
		}},
		{"CheckSolver of a zero schedule", func() error {
			return sweep.WantErr((&Schedule{}).CheckSolver(SamplerConfig{Solver: SolverEuler, Steps: 1}), "schedule")
		}},
		{"KarrasSigmas K 0", func() error { return sweepNilFloats(sched.KarrasSigmas(0)) }},
		{"KarrasSigmas K -1", func() error { return sweepNilFloats(sched.KarrasSigmas(-1)) }},
		{"KarrasSigmas K > T", func() error { return sweepNilFloats(sched.KarrasSigmas(21)) }},
		{"KarrasSigmas K 2^40", func() error { return sweepNilFloats(sched.KarrasSigmas(1 << 40)) }},
		{"KarrasSigmas of a zero schedule", func() error { return sweepNilFloats((&Schedule{}).KarrasSigmas(1)) }},
		{"DataSHA256 of nothing, and of labels without values", func() error {
			if a, b := DataSHA256(nil, nil, nil), DataSHA256(nil, []int{-1}, []int{-5, 1 << 40}); len(a) != 64 || len(b) != 64 || a == b {
				return fmt.Errorf("digests %q and %q", a, b)
			}
			return nil
		}},
		{"NFE without a schedule", func() error {
			if n := NFE(nil, SamplerConfig{DDIM: true}); n != 0 {
				return fmt.Errorf("got %d, want 0", n)
			}
			return nil
		}},
		{"NFE Heun of 0 steps", func() error {
			if n := NFE(sched, SamplerConfig{Solver: SolverHeun}); n != 0 {
				return fmt.Errorf("got %d, want 0", n)
			}
			return nil
		}},

		// Sampler options.
		{"SamplerConfig variance empty", func() error { return sweep.WantErr(SamplerConfig{}.Validate(), "variance") }},
		{"SamplerConfig variance junk", func() error { return sweep.WantErr(SamplerConfig{Variance: "big"}.Validate(), `"big"`) }},
		{"SamplerConfig eta NaN", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Eta: nan}.Validate(), "eta NaN") }},
		{"SamplerConfig eta -1", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Eta: -1}.Validate(), "eta -1") }},
		{"SamplerConfig eta 1e308", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Eta: 1e308}.Validate(), "eta 1e+308") }},
		{"SamplerConfig eta +Inf", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Eta: inf}.Validate(), "eta +Inf") }},
		{"SamplerConfig eta without DDIM", func() error {
			return sweep.WantErr(SamplerConfig{Variance: VarianceBeta, Eta: 0.5}.Validate(), "needs the DDIM sampler")
		}},
		{"SamplerConfig devices -1", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Devices: -1}.Validate(), "-1 devices") }},
		{"SamplerConfig devices MinInt", func() error {
			return sweep.WantErr(SamplerConfig{DDIM: true, Devices: math.MinInt}.Validate(), "devices")
		}},
		{"SamplerConfig guidance NaN", func() error {
			return sweep.WantErr(SamplerConfig{DDIM: true, Guidance: nan}.Validate(), "guidance weight NaN")
		}},
		{"SamplerConfig guidance -1", func() error {
			return sweep.WantErr(SamplerConfig{DDIM: true, Guidance: -1}.Validate(), "guidance weight -1")
		}},
		{"SamplerConfig guidance +Inf", func() error {
			return sweep.WantErr(SamplerConfig{DDIM: true, Guidance: inf}.Validate(), "guidance weight +Inf")
		}},
		{"SamplerConfig solver junk", func() error { return sweep.WantErr(SamplerConfig{Solver: "rk4", Steps: 5}.Validate(), `"rk4"`) }},
		{"SamplerConfig solver 0 steps", func() error { return sweep.WantErr(SamplerConfig{Solver: SolverEuler}.Validate(), "0 steps") }},
		{"SamplerConfig solver -1 steps", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverHeun, Steps: -1}.Validate(), "-1 steps")
		}},
		{"SamplerConfig solver with DDIM", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverEuler, Steps: 5, DDIM: true}.Validate(), "choose one sampler")
		}},
		{"SamplerConfig churn NaN", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverEuler, Steps: 5, Churn: nan}.Validate(), "churn NaN")
		}},
		{"SamplerConfig churn +Inf", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverHeun, Steps: 5, Churn: inf}.Validate(), "churn +Inf")
		}},
		{"SamplerConfig churn -1", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverEuler, Steps: 5, Churn: -1}.Validate(), "churn -1")
		}},
		{"SamplerConfig churn for DPM-Solver++", func() error {
			return sweep.WantErr(SamplerConfig{Solver: SolverDPMPP2M, Steps: 5, Churn: 1}.Validate(), "churn 1")
		}},
		{"SamplerConfig steps without a solver", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Steps: 5}.Validate(), "steps 5") }},
		{"SamplerConfig churn without a solver", func() error { return sweep.WantErr(SamplerConfig{DDIM: true, Churn: nan}.Validate(), "churn NaN") }},

		// Optimizer.
		{"OptimizerConfig learning rate NaN", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.LearningRate = nan }), "learning rate NaN")
		}},
		{"OptimizerConfig learning rate 0", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.LearningRate = 0 }), "learning rate 0")
		}},
		{"OptimizerConfig learning rate -1", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.LearningRate = -1 }), "learning rate -1")
		}},
		{"OptimizerConfig learning rate +Inf", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.LearningRate = inf }), "learning rate +Inf")
		}},
		{"OptimizerConfig warm-up -1", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.WarmupSteps = -1 }), "warm-up steps -1")
		}},
		{"OptimizerConfig warm-up MinInt", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.WarmupSteps = math.MinInt }), "warm-up steps")
		}},
		{"OptimizerConfig clip NaN", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.ClipNorm = nan }), "clipping norm NaN")
		}},
		{"OptimizerConfig clip -1", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.ClipNorm = -1 }), "clipping norm -1")
		}},
		{"OptimizerConfig clip +Inf", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.ClipNorm = inf }), "clipping norm +Inf")
		}},
		{"OptimizerConfig EMA NaN", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.EMADecay = nan }), "EMA decay NaN")
		}},
		{"OptimizerConfig EMA 1", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.EMADecay = 1 }), "EMA decay 1")
		}},
		{"OptimizerConfig EMA -0.1", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.EMADecay = -0.1 }), "EMA decay -0.1")
		}},
		{"OptimizerConfig EMA 1e308", func() error {
			return sweep.WantErr(optWith(func(c *OptimizerConfig) { c.EMADecay = 1e308 }), "EMA decay")
		}},
		{"NewOptimizer learning rate NaN", func() error {
			return sweep.WantErr(newOptWith(func(c *OptimizerConfig) { c.LearningRate = nan }), "learning rate NaN")
		}},
		{"NewOptimizer EMA +Inf", func() error {
			return sweep.WantErr(newOptWith(func(c *OptimizerConfig) { c.EMADecay = inf }), "EMA decay")
		}},
		{"NewOptimizer of the zero config", func() error {
			return sweep.WantErr(newOptWith(func(c *OptimizerConfig) { *c = OptimizerConfig{} }), "learning rate 0")
		}},

		// Networks.
		{"MLPConfig dim 0", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.Dim = 0 }), "dim 0") }},
		{"MLPConfig dim -1", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.Dim = -1 }), "dim -1") }},
		{"MLPConfig hidden 0", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.Hidden = 0 }), "hidden width 0") }},
		{"MLPConfig layers 0", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.Layers = 0 }), "layers 0") }},
		{"MLPConfig layers MaxInt", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.Layers = math.MaxInt }), "layers") }},
		{"MLPConfig time embedding 1", func() error {
			return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.TimeEmbed = 1 }), "time embedding 1")
		}},
		{"MLPConfig time embedding -2", func() error {
			return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.TimeEmbed = -2 }), "time embedding -2")
		}},
		{"MLPConfig classes -1", func() error { return sweep.WantErr(mlpWith(func(c *MLPConfig) { c.NumClasses = -1 }), "classes -1") }},
		{"UNetConfig image size 0", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.ImageSize = 0 }), "ImageSize=0") }},
		{"UNetConfig image size MaxInt", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.ImageSize = math.MaxInt }), "ImageSize")
		}},
		{"UNetConfig channels 0", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.Channels = 0 }), "Channels=0") }},
		{"UNetConfig base channels -1", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.BaseChannels = -1 }), "BaseChannels=-1")
		}},
		{"UNetConfig no levels", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.ChannelMult = nil }), "ChannelMult is empty")
		}},
		{"UNetConfig a level of 0", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.ChannelMult = []int{1, 0} }), "ChannelMult[1]=0")
		}},
		{"UNetConfig a level of -1", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.ChannelMult = []int{-1} }), "ChannelMult[0]=-1")
		}},
		{"UNetConfig 1000 levels", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.ChannelMult = make([]int, 1000) }), "levels")
		}},
		{"UNetConfig res blocks 0", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.NumResBlocks = 0 }), "NumResBlocks=0") }},
		{"UNetConfig res blocks MaxInt", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.NumResBlocks = math.MaxInt }), "NumResBlocks")
		}},
		{"UNetConfig dropout NaN", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.Dropout = nan }), "Dropout=NaN") }},
		{"UNetConfig dropout 1", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.Dropout = 1 }), "Dropout=1") }},
		{"UNetConfig dropout -Inf", func() error {
			return sweep.WantErr(unet(func(c *UNetConfig) { c.Dropout = math.Inf(-1) }), "Dropout=-Inf")
		}},
		{"UNetConfig max groups 0", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.MaxGroups = 0 }), "MaxGroups=0") }},
		{"UNetConfig classes -1", func() error { return sweep.WantErr(unet(func(c *UNetConfig) { c.NumClasses = -1 }), "NumClasses=-1") }},
		{"NetworkWeights of examples of no shape", func() error {
			w, err := NetworkWeights(UNetModel(MNISTSmallConfig()), nil, nil)
			if w != nil {
				return fmt.Errorf("weights %v with %v", w, err)
			}
			return sweep.WantErr(err, "want [batch, 28, 28, 1]")
		}},
		{"NetworkWeights of an invalid U-Net", func() error {
			_, err := NetworkWeights(UNetModel(UNetConfig{}), nil, []int{28, 28, 1})
			return sweep.WantErr(err, "ImageSize=0")
		}},

		// Run descriptions.
		{"RunSpec model unknown", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Model = "gan" }).BuildModel()
			return sweep.WantErr(err, "gan")
		}},
		{"RunSpec model empty", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Model = "" }).BuildModel()
			return sweep.WantErr(err, "unknown model")
		}},
		{"RunSpec MLP without its config", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP = nil }).BuildModel()
			return sweep.WantErr(err, "mlp")
		}},
		{"RunSpec U-Net without its config", func() error {
			_, err := unetSpec(func(r *RunSpec) { r.UNet = nil }).BuildModel()
			return sweep.WantErr(err, "unet")
		}},
		{"RunSpec both networks", func() error {
			u := MNISTSmallConfig()
			_, err := mlpSpec(func(r *RunSpec) { r.UNet = &u }).BuildModel()
			return sweep.WantErr(err)
		}},
		{"RunSpec invalid MLP", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.Hidden = -1 }).BuildModel()
			return sweep.WantErr(err, "hidden width -1")
		}},
		{"RunSpec invalid conditional MLP", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.MLP.TimeEmbed = 0 }).BuildConditional()
			return sweep.WantErr(err, "time embedding 0")
		}},
		{"RunSpec NetworkWeights of dims [0]", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Dims = []int{0} }).NetworkWeights()
			return sweep.WantErr(err, "shape [0]")
		}},
		{"RunSpec schedule T 0", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.T = 0 }).BuildSchedule()
			return sweep.WantErr(err, "T=0")
		}},
		{"RunSpec schedule T 2^40", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.T = 1 << 40 }).BuildSchedule()
			return sweep.WantErr(err, "T=")
		}},
		{"RunSpec schedule unknown", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Schedule = "sigmoid" }).BuildSchedule()
			return sweep.WantErr(err, "sigmoid")
		}},
		{"RunSpec NetworkWeights of dims nil", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Dims = nil }).NetworkWeights()
			return sweep.WantErr(err, "shape []")
		}},
		{"RunSpec NetworkWeights of dims [-1]", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.Dims = []int{-1} }).NetworkWeights()
			return sweep.WantErr(err)
		}},
		{"RunSpec ExportBytes of an unknown model", func() error {
			b, err := mlpSpec(func(r *RunSpec) { r.Model = "gan" }).ExportBytes()
			if b != 0 {
				return fmt.Errorf("%g bytes with %v", b, err)
			}
			return sweep.WantErr(err, "gan")
		}},
		{"RunSpec CheckpointBytes of an unknown model", func() error {
			b, err := mlpSpec(func(r *RunSpec) { r.Model = "gan" }).CheckpointBytes()
			if b != 0 {
				return fmt.Errorf("%g bytes with %v", b, err)
			}
			return sweep.WantErr(err, "gan")
		}},
		{"RunSpec TrainMemory of a batch of MaxInt", func() error {
			if m := unetSpec(func(r *RunSpec) { r.BatchSize = math.MaxInt }).TrainMemory(); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"RunSpec TrainMemory of T MaxInt", func() error {
			if m := mlpSpec(func(r *RunSpec) { r.T = math.MaxInt }).TrainMemory(); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"RunSpec TrainMemory of a U-Net of MaxInt pixels", func() error {
			if m := unetSpec(func(r *RunSpec) { r.UNet.ImageSize = math.MaxInt }).TrainMemory(); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"RunSpec SampleMemory of MaxInt samples", func() error {
			if m := unetSpec(nil).SampleMemory(math.MaxInt); !(m > 1e18) {
				return fmt.Errorf("got %g bytes, want more than any memory", m)
			}
			return nil
		}},
		{"RunSpec SampleMemory of -1 samples", func() error {
			r := unetSpec(nil)
			if m, zero := r.SampleMemory(-1), r.SampleMemory(0); m != zero {
				return fmt.Errorf("got %g bytes, want those of 0 samples, %g", m, zero)
			}
			return nil
		}},
		{"RunSpec ClassLabel of an unconditional model", func() error {
			_, err := mlpSpec(nil).ClassLabel("0")
			return sweep.WantErr(err, "not class-conditional")
		}},
		{"RunSpec ClassLabel empty", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "b"} }).ClassLabel("")
			return sweep.WantErr(err, "not one of the model's 2 classes")
		}},
		{"RunSpec ClassLabel -1", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "b"} }).ClassLabel("-1")
			return sweep.WantErr(err, "not one of the model's 2 classes")
		}},
		{"RunSpec ClassLabel beyond int", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "b"} }).ClassLabel("99999999999999999999999")
			return sweep.WantErr(err, "not one of the model's 2 classes")
		}},
		{"RunSpec ClassLabel 2 of 2", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "b"} }).ClassLabel("2")
			return sweep.WantErr(err, "not one of the model's 2 classes")
		}},
		{"RunSpec ClassLabel +1", func() error {
			_, err := mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "b"} }).ClassLabel("+1")
			return sweep.WantErr(err, "not one of the model's 2 classes")
		}},
		{"RunSpec CheckClassNames repeated", func() error {
			return sweep.WantErr(mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", "a"} }).CheckClassNames(), `"a"`)
		}},
		{"RunSpec CheckClassNames empty name", func() error {
			return sweep.WantErr(mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 2; r.ClassNames = []string{"a", ""} }).CheckClassNames(), "empty name")
		}},
		{"RunSpec CheckClassNames too few", func() error {
			return sweep.WantErr(mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 3; r.ClassNames = []string{"a"} }).CheckClassNames(), "1 class names")
		}},
		{"RunSpec CheckClassNames too long", func() error {
			return sweep.WantErr(mlpSpec(func(r *RunSpec) { r.MLP.NumClasses = 1; r.ClassNames = []string{strings.Repeat("x", 1<<16)} }).CheckClassNames(), "65536 bytes")
		}},
		{"RunSpec CheckWeights of nothing", func() error { return sweep.WantErr(mlpSpec(nil).CheckWeights(nil), "is missing") }},
		{"RunSpec CheckWeights of another network", func() error { return sweep.WantErr(mlpSpec(nil).CheckWeights(trWeights), "is missing") }},
		{"Weights.CheckWeights of nothing", func() error { return sweep.WantErr(trWeights.CheckWeights(Weights{}), "is missing") }},

		// Labels and probabilities.
		{"CheckPUncond NaN", func() error { return sweep.WantErr(CheckPUncond(nan), "p_uncond NaN") }},
		{"CheckPUncond 1", func() error { return sweep.WantErr(CheckPUncond(1), "p_uncond 1") }},
		{"CheckPUncond -1", func() error { return sweep.WantErr(CheckPUncond(-1), "p_uncond -1") }},
		{"CheckPUncond +Inf", func() error { return sweep.WantErr(CheckPUncond(inf), "p_uncond +Inf") }},
		{"CheckPUncond 0.99999999999", func() error { return sweep.WantErr(CheckPUncond(0.99999999999), "float32") }},
		{"CheckLabels 0 classes", func() error { return sweep.WantErr(CheckLabels([]int{0}, 0), "0 classes") }},
		{"CheckLabels MinInt classes", func() error { return sweep.WantErr(CheckLabels(nil, math.MinInt), "classes") }},
		{"CheckLabels -1", func() error { return sweep.WantErr(CheckLabels([]int{0, -1}, 10), "class label -1") }},
		{"CheckLabels beyond no label", func() error { return sweep.WantErr(CheckLabels([]int{11}, 10), "class label 11") }},
		{"CheckLabels MaxInt", func() error { return sweep.WantErr(CheckLabels([]int{math.MaxInt}, 10), "out of range") }},

		// Devices.
		{"CheckShardable 0 devices", func() error { return sweep.WantErr(CheckShardable("batch size", 4, 0), "batch size") }},
		{"CheckShardable -1 devices", func() error { return sweep.WantErr(CheckShardable("batch size", 4, -1), "batch size") }},
		{"CheckShardable 3 over 2", func() error { return sweep.WantErr(CheckShardable("batch size", 3, 2), "batch size") }},
		{"CheckShardable -3 over 2", func() error {
			return sweep.WantErr(CheckShardable("batch size", -3, 2), "batch size -3: want at least 1")
		}},
		{"CheckShardable 0 over 2", func() error {
			return sweep.WantErr(CheckShardable("batch size", 0, 2), "batch size 0: want at least 1")
		}},
		{"CheckShardable MinInt devices", func() error { return sweep.WantErr(CheckShardable("batch size", 4, math.MinInt), "batch size") }},
		{"CheckDevices 0", func() error { return sweep.WantErr(CheckDevices(backend, 0), "0") }},
		{"CheckDevices -1", func() error { return sweep.WantErr(CheckDevices(backend, -1), "-1") }},
		{"CheckDevices 2^40", func() error { return sweep.WantErr(CheckDevices(backend, 1<<40), "1099511627776") }},
		{"NewShardedDataset 0 devices", func() error {
			_, err := NewShardedDataset(backend, points(), 0)
			return sweep.WantErr(err, "0 devices")
		}},
		{"NewShardedDataset -1 devices", func() error {
			_, err := NewShardedDataset(backend, points(), -1)
			return sweep.WantErr(err, "-1 devices")
		}},
		{"NewShardedDataset 3 devices for a batch of 4", func() error {
			_, err := NewShardedDataset(backend, points(), 3)
			return sweep.WantErr(err, "batch size 4")
		}},
		{"NewShardedDataset 2^40 devices", func() error {
			_, err := NewShardedDataset(backend, points(), 1<<40)
			return sweep.WantErr(err, "1099511627776 devices")
		}},

		{"ShardedDataset DistributedYield after SeekStep -1", func() error {
			sh, err := NewShardedDataset(backend, points(), 2)
			if err != nil {
				return err
			}
			sh.SeekStep(-1)
			_, in, _, err := sh.DistributedYield()
			if in != nil {
				return fmt.Errorf("inputs with %v", err)
			}
			return sweep.WantErr(err, "step -1")
		}},
		{"ShardedDataset DistributedYield of batch size 3 over 2", func() error {
			sh, err := NewShardedDataset(backend, points(), 2)
			if err != nil {
				return err
			}
			sh.BatchSize = 3
			_, in, _, err := sh.DistributedYield()
			if in != nil {
				return fmt.Errorf("inputs with %v", err)
			}
			return sweep.WantErr(err, "3")
		}},

		// Data sets.
		{"NewArrayDataset of nothing", func() error {
			_, err := NewArrayDataset("d", nil, []int{2}, 1, 0)
			return sweep.WantErr(err, "0 values")
		}},
		{"NewArrayDataset of no shape", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), nil, 1, 0)
			return sweep.WantErr(err, "shape []")
		}},
		{"NewArrayDataset of shape [0]", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{0}, 1, 0)
			return sweep.WantErr(err, "shape [0]")
		}},
		{"NewArrayDataset of shape [-2 -2]", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{-2, -2}, 1, 0)
			return sweep.WantErr(err, "shape [-2 -2]")
		}},
		{"NewArrayDataset of an overflowing shape", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{1 << 32, 1 << 32}, 1, 0)
			return sweep.WantErr(err, "not a whole number")
		}},
		{"NewArrayDataset of a partial example", func() error {
			_, err := NewArrayDataset("d", make([]float32, 5), []int{2}, 1, 0)
			return sweep.WantErr(err, "5 values")
		}},
		{"NewArrayDataset of NaN", func() error {
			_, err := NewArrayDataset("d", []float32{0, 0, 0, nan32}, []int{2}, 1, 0)
			return sweep.WantErr(err, "value 3 (example 1) is NaN")
		}},
		{"NewArrayDataset of -Inf", func() error {
			_, err := NewArrayDataset("d", []float32{float32(math.Inf(-1)), 0}, []int{2}, 1, 0)
			return sweep.WantErr(err, "-Inf")
		}},
		{"NewArrayDataset batch 0", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{2}, 0, 0)
			return sweep.WantErr(err, "batch size 0")
		}},
		{"NewArrayDataset batch -1", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{2}, -1, 0)
			return sweep.WantErr(err, "batch size -1")
		}},
		{"NewArrayDataset batch beyond the examples", func() error {
			_, err := NewArrayDataset("d", make([]float32, 4), []int{2}, math.MaxInt, 0)
			return sweep.WantErr(err, "batch size")
		}},
		{"ArrayDataset Batch -1", func() error {
			if b := points().Batch(-1); b != nil {
				return fmt.Errorf("%d values, want nil", len(b))
			}
			return nil
		}},
		{"ArrayDataset Batch MinInt64", func() error {
			if b := points().Batch(math.MinInt64); b != nil {
				return fmt.Errorf("%d values, want nil", len(b))
			}
			return nil
		}},
		{"ArrayDataset Batch of batch size 0", func() error {
			ds := points()
			ds.BatchSize = 0
			if b := ds.Batch(0); b != nil {
				return fmt.Errorf("%d values, want nil", len(b))
			}
			return nil
		}},
		{"ArrayDataset Batch of batch size MaxInt", func() error {
			ds := points()
			ds.BatchSize = math.MaxInt
			if b := ds.Batch(0); b != nil {
				return fmt.Errorf("%d values, want nil", len(b))
			}
			return nil
		}},
		{"ArrayDataset Batch MaxInt64", func() error {
			if b := points().Batch(math.MaxInt64); len(b) != 8 {
				return fmt.Errorf("%d values, want a batch of 8", len(b))
			}
			return nil
		}},
		{"ArrayDataset BatchLabels -1", func() error {
			ds := points()
			if err := ds.SetLabels(make([]int, 8), 2); err != nil {
				return err
			}
			if l := ds.BatchLabels(-1); l != nil {
				return fmt.Errorf("%d labels, want nil", len(l))
			}
			return nil
		}},
		{"ArrayDataset Yield after SeekStep -1", func() error {
			ds := points()
			ds.SeekStep(-1)
			_, in, _, err := ds.Yield()
			if in != nil {
				return fmt.Errorf("inputs with %v", err)
			}
			return sweep.WantErr(err, "step -1")
		}},
		{"ArrayDataset Yield of batch size -1", func() error {
			ds := points()
			ds.BatchSize = -1
			_, _, _, err := ds.Yield()
			return sweep.WantErr(err, "batch size -1")
		}},
		{"ArrayDataset SetLabels nil", func() error { return sweep.WantErr(points().SetLabels(nil, 2), "0 labels for 8") }},
		{"ArrayDataset SetLabels too many", func() error { return sweep.WantErr(points().SetLabels(make([]int, 9), 2), "9 labels") }},
		{"ArrayDataset SetLabels 0 classes", func() error { return sweep.WantErr(points().SetLabels(make([]int, 8), 0), "0 classes") }},
		{"ArrayDataset SetLabels MaxInt classes", func() error { return sweep.WantErr(points().SetLabels(make([]int, 8), math.MaxInt), "classes") }},
		{"ArrayDataset SetLabels MaxInt32 classes", func() error {
			return sweep.WantErr(points().SetLabels(make([]int, 8), math.MaxInt32), "classes")
		}},
		{"ArrayDataset SetLabels label -1", func() error {
			l := make([]int, 8)
			l[5] = -1
			return sweep.WantErr(points().SetLabels(l, 2), "example 5 has label -1")
		}},
		{"ArrayDataset SetLabels label 2 of 2", func() error {
			l := make([]int, 8)
			l[7] = 2
			ds := points()
			err := ds.SetLabels(l, 2)
			if ds.NumClasses() != 0 || ds.BatchLabels(0) != nil {
				return fmt.Errorf("refused labels kept (%d classes)", ds.NumClasses())
			}
			return sweep.WantErr(err, "example 7 has label 2")
		}},

		// Memory, room and file size.
		{"CheckMemory +Inf", func() error { return sweep.WantErr(CheckMemory("a run", inf), "a run") }},
		{"CheckMemory 1e308", func() error { return sweep.WantErr(CheckMemory("a run", 1e308), "a run") }},
		{"CheckMemory MaxInt", func() error { return sweep.WantErr(CheckMemory("a run", math.MaxInt), "a run") }},
		{"CheckMemory NaN", func() error { return sweep.WantErr(CheckMemory("a run", nan), "NaN") }},
		{"CheckRoom +Inf", func() error { return sweep.WantErr(CheckRoom("--ckpt x", dir, inf, 1), "--ckpt x") }},
		{"CheckRoom 1e308", func() error { return sweep.WantErr(CheckRoom("--ckpt x", dir, 1e308, 1), "--ckpt x") }},
		{"CheckRoom MaxInt files", func() error { return sweep.WantErr(CheckRoom("--ckpt x", dir, 1, math.MaxInt), "files") }},
		{"CheckTrainingRoom of a run of +Inf bytes", func() error {
			return sweep.WantErr(CheckTrainingRoom("--ckpt x", dir, "", 0, 1000, 0, func() (float64, error) { return inf, nil }), "--ckpt x")
		}},
		{"CheckTrainingRoom of a grid of 1e308 bytes", func() error {
			return sweep.WantErr(CheckTrainingRoom("--ckpt x", dir, "", 0, 1000, 1e308, func() (float64, error) { return 1, nil }), "--ckpt x")
		}},
		{"CheckTrainingRoom of a missing latest", func() error {
			if err := CheckTrainingRoom("--ckpt x", dir, missing, 0, 1000, 0, nil); err != nil {
				return fmt.Errorf("error %v, want none (the reading names it)", err)
			}
			return nil
		}},
		{"CheckFileSize +Inf under a limit", func() error {
			old := FileSizeLimit
			defer func() { FileSizeLimit = old }()
			FileSizeLimit = func() (float64, bool) { return 1 << 20, true }
			return sweep.WantErr(CheckFileSize("--out x", inf), "--out x")
		}},
		{"CheckFileSize 1e308 under a limit", func() error {
			old := FileSizeLimit
			defer func() { FileSizeLimit = old }()
			FileSizeLimit = func() (float64, bool) { return 1 << 20, true }
			return sweep.WantErr(CheckFileSize("--out x", 1e308), "ulimit")
		}},
		{"TrainingGridBytes every -1 steps", func() error {
			if b := TrainingGridBytes(-1, 16, dims); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"TrainingGridBytes of points", func() error {
			if b := TrainingGridBytes(10, 16, []int{2}); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"TrainingGridBytes of MaxInt images", func() error {
			if b := TrainingGridBytes(10, math.MaxInt, dims); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"ImageGridPNGBound of -1 images", func() error {
			if b := ImageGridPNGBound(-1, dims, 0); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"ImageGridPNGBound of 2 channels", func() error {
			if b := ImageGridPNGBound(4, []int{28, 28, 2}, 0); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"ImageGridPNGBound of shape [-28 -28 1]", func() error {
			if b := ImageGridPNGBound(4, []int{-28, -28, 1}, 0); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"ImageGridPNGBound of 2^40 images", func() error {
			if b := ImageGridPNGBound(1<<40, dims, 0); b != 0 {
				return fmt.Errorf("%g bytes, want 0", b)
			}
			return nil
		}},
		{"CheckImageGrid of 0 images", func() error { return sweep.WantErr(CheckImageGrid("--grid", 0, dims, 0), "--grid") }},
		{"CheckImageGrid of -1 images", func() error { return sweep.WantErr(CheckImageGrid("--grid", -1, dims, 0), "--grid") }},
		{"CheckImageGrid of MaxInt images", func() error { return sweep.WantErr(CheckImageGrid("--grid", math.MaxInt, dims, 0), "--grid") }},
		{"CheckImageGrid of no shape", func() error { return sweep.WantErr(CheckImageGrid("--grid", 4, nil, 0), "--grid") }},
		{"CheckImageGrid of 4 channels", func() error { return sweep.WantErr(CheckImageGrid("--grid", 4, []int{28, 28, 4}, 0), "--grid") }},
		{"CheckImageGrid of MinInt columns is about square", func() error { return CheckImageGrid("--grid", 4, dims, math.MinInt) }},
		{"WriteImageGridPNG of too few pixels", func() error {
			return sweep.WantErr(WriteImageGridPNG(filepath.Join(dir, "few.png"), image, 2, dims, 0))
		}},
		{"WriteImageGridPNG of -1 images", func() error {
			return sweep.WantErr(WriteImageGridPNG(filepath.Join(dir, "neg.png"), nil, -1, dims, 0))
		}},
		{"WriteImageGridPNG into a folder", func() error { return sweep.WantErr(WriteImageGridPNG(folder, image, 1, dims, 0), "is a folder") }},
		{"WriteImageGridPNG into a FIFO", func() error { return sweep.WantErr(WriteImageGridPNG(fifo, image, 1, dims, 0), "is a FIFO") }},
		{"WriteImageGridPNG to no name", func() error { return sweep.WantErr(WriteImageGridPNG("", image, 1, dims, 0)) }},
		{"WriteOwnImageGridPNG into a FIFO", func() error { return sweep.WantErr(WriteOwnImageGridPNG(fifo, image, 1, dims, 0), "is a FIFO") }},

		// Output paths.
		{"CheckOutput of no name", func() error { return sweep.WantErr(CheckOutput("--out", ""), "--out") }},
		{"CheckOutput of a folder", func() error { return sweep.WantErr(CheckOutput("--out", folder), "--out") }},
		{"CheckOutput of a FIFO", func() error { return sweep.WantErr(CheckOutput("--out", fifo), "--out") }},
		{"CheckOutput in a missing folder", func() error {
			return sweep.WantErr(CheckOutput("--out", filepath.Join(missing, "x.png")), "--out")
		}},
		{"CheckOutput of its input", func() error { return sweep.WantErr(CheckOutput("--out", junk, empty, junk), "--out") }},
		{"CheckOutput of its input under another name", func() error {
			return sweep.WantErr(CheckOutput("--out", hardLink, junk), "--out")
		}},
		{"OutputTarget of a link to a file of another kind", func() error { _, err := OutputTarget(pngLink); return sweep.WantErr(err) }},
		{"CheckOwnOutput of a link", func() error { return sweep.WantErr(CheckOwnOutput("--out", dangling), "--out") }},
		{"CheckOwnOutput of a FIFO", func() error { return sweep.WantErr(CheckOwnOutput("--out", fifo), "--out") }},
		{"OutputTarget of no name", func() error { _, err := OutputTarget(""); return sweep.WantErr(err, "empty") }},
		{"OutputTarget of a folder", func() error { _, err := OutputTarget(folder); return sweep.WantErr(err, "is a folder") }},
		{"OutputTarget of a FIFO", func() error { _, err := OutputTarget(fifo); return sweep.WantErr(err, "is a FIFO") }},
		{"OutputTarget of a link to nothing", func() error { _, err := OutputTarget(dangling); return sweep.WantErr(err, "missing") }},
		{"ParentDir of no name", func() error {
			if p := ParentDir(""); p != "." {
				return fmt.Errorf("got %q, want %q", p, ".")
			}
			return nil
		}},
		{"ParentDir of the root", func() error {
			if p := ParentDir("/"); p != "/" {
				return fmt.Errorf("got %q, want %q", p, "/")
			}
			return nil
		}},
		{"IsCheckpointName of no name", func() error { return sweepFalse(`""`, IsCheckpointName("")) }},
		{"IsCheckpointName of no step", func() error { return sweepFalse("ckpt-.ddpm", IsCheckpointName("ckpt-.ddpm")) }},
		{"IsCheckpointName of a negative step", func() error { return sweepFalse("ckpt--1.ddpm", IsCheckpointName("ckpt--1.ddpm")) }},
		{"IsCheckpointName of a step beyond uint64", func() error {
			return sweepFalse("ckpt-99999999999999999999999.ddpm", IsCheckpointName("ckpt-99999999999999999999999.ddpm"))
		}},
		{"IsCheckpointName of a path", func() error { return sweepFalse("x/ckpt-1.ddpm", IsCheckpointName("x/ckpt-1.ddpm")) }},
		{"CheckpointStep of a step beyond uint64", func() error {
			if _, ok := CheckpointStep("ckpt-99999999999999999999999.ddpm"); ok {
				return errors.New("ok, want false")
			}
			return nil
		}},
		{"CheckpointStep of a sign", func() error {
			s, ok := CheckpointStep("ckpt-+5.ddpm")
			if ok || s != 0 {
				return fmt.Errorf("got %d, %v; want 0, false", s, ok)
			}
			return nil
		}},
		{"IsTemporaryOf of no name", func() error { return sweepFalse(`""`, IsTemporaryOf("", IsCheckpointName)) }},
		{"IsTemporaryOf without digits", func() error {
			return sweepFalse(".ckpt-1.ddpm.tmp-", IsTemporaryOf(".ckpt-1.ddpm.tmp-", IsCheckpointName))
		}},
		{"GridFolder of a file", func() error { _, err := GridFolder(junk); return sweep.WantErr(err, "is a file") }},
		{"GridFolder of a FIFO", func() error { _, err := GridFolder(fifo); return sweep.WantErr(err, "is a FIFO") }},
		{"MakeDir of a file", func() error { return sweep.WantErr(MakeDir(junk), "is a file") }},
		{"MakeDir of a FIFO", func() error { return sweep.WantErr(MakeDir(fifo), "is a FIFO") }},
		{"MakeDir below a file", func() error { return sweep.WantErr(MakeDir(filepath.Join(junk, "x"))) }},
		{"MakeDir of a link to nothing", func() error { return sweep.WantErr(MakeDir(dangling), "link") }},
		{"MakeFolders of a file", func() error { _, _, err := MakeFolders(junk); return sweep.WantErr(err, "is a file") }},
		{"MakeFolders below a file", func() error { _, _, err := MakeFolders(filepath.Join(junk, "x")); return sweep.WantErr(err) }},
		{"MakeFolders of a link to nothing", func() error { _, _, err := MakeFolders(dangling); return sweep.WantErr(err, "link") }},
		{"MakeFolders of no name", func() error { _, _, err := MakeFolders(""); return sweep.WantErr(err) }},
		{"WriteFileAtomic of no name", func() error { return sweep.WantErr(WriteFileAtomic("", func(io.Writer) error { return nil })) }},
		{"WriteFileAtomic into a folder", func() error {
			return sweep.WantErr(WriteFileAtomic(folder, func(io.Writer) error { return nil }), "is a folder")
		}},
		{"WriteFileAtomic into a FIFO", func() error {
			return sweep.WantErr(WriteFileAtomic(fifo, func(io.Writer) error { return nil }), "is a FIFO")
		}},
		{"WriteFileAtomic of a failing writer", func() error {
			p := filepath.Join(dir, "failed.txt")
			err := WriteFileAtomic(p, func(io.Writer) error { return errors.New("writer failed") })
			if _, serr := os.Stat(p); serr == nil {
				return fmt.Errorf("the file was written (error %v)", err)
			}
			return sweep.WantErr(err, "writer failed")
		}},
		{"WriteOwnFileAtomic through a link", func() error {
			return sweep.WantErr(WriteOwnFileAtomic(dangling, func(io.Writer) error { return nil }), "link")
		}},

		// Checkpoints: files that are not one.
		{"WriteCheckpoint into a folder", func() error { return sweep.WantErr(WriteCheckpoint(folder, context.New(), 1, nil, nil), "is a folder") }},
		{"WriteCheckpoint into a FIFO", func() error { return sweep.WantErr(WriteCheckpoint(fifo, context.New(), 1, nil, nil), "is a FIFO") }},
		{"WriteCheckpoint of step MinInt64", func() error {
			return sweep.WantErr(WriteCheckpoint(filepath.Join(dir, "min.ddpm"), context.New(), math.MinInt64, nil, nil))
		}},
		{"WriteCheckpoint of a description of NaN", func() error {
			return sweep.WantErr(WriteCheckpoint(filepath.Join(dir, "nan.ddpm"), context.New(), 1, map[string]float64{"x": nan}, nil))
		}},
		{"WriteCheckpoint of a description of a channel", func() error {
			return sweep.WantErr(WriteCheckpoint(filepath.Join(dir, "chan.ddpm"), context.New(), 1, make(chan int), nil))
		}},
		{"Checkpointer.Save into a file", func() error {
			_, err := (Checkpointer{Dir: junk}).Save(context.New(), 1, nil)
			return sweep.WantErr(err, "is a file")
		}},
		{"Checkpointer.Save into a FIFO", func() error {
			_, err := (Checkpointer{Dir: fifo}).Save(context.New(), 1, nil)
			return sweep.WantErr(err, "is a FIFO")
		}},
		{"Checkpointer.Save into no folder", func() error {
			_, err := (Checkpointer{}).Save(context.New(), 1, nil)
			return sweep.WantErr(err, "checkpoint directory")
		}},
		{"Checkpointer.Save keeping -1 keeps all", func() error {
			c := Checkpointer{Dir: filepath.Join(dir, "keep"), Keep: -1}
			for _, step := range []int64{1, 2} {
				if _, err := c.Save(context.New(), step, nil); err != nil {
					return err
				}
			}
			if all, err := ListCheckpoints(c.Dir); len(all) != 2 {
				return fmt.Errorf("kept %v (%v), want both", all, err)
			}
			return nil
		}},
		{"Checkpointer.Save of step MinInt64", func() error {
			_, err := (Checkpointer{Dir: filepath.Join(dir, "min")}).Save(context.New(), math.MinInt64, nil)
			return sweep.WantErr(err)
		}},
		{"ListCheckpoints of a missing folder", func() error {
			if all, err := ListCheckpoints(missing); all != nil || err != nil {
				return fmt.Errorf("got %v, %v; want none and no error", all, err)
			}
			return nil
		}},
		{"ListCheckpoints of a file", func() error { _, err := ListCheckpoints(junk); return sweep.WantErr(err, "not a directory") }},
		{"ListCheckpoints of a FIFO", func() error { _, err := ListCheckpoints(fifo); return sweep.WantErr(err, "not a directory") }},
		{"LatestCheckpoint of a missing folder", func() error {
			if p, err := LatestCheckpoint(missing); p != "" || err != nil {
				return fmt.Errorf("got %q, %v; want \"\" and no error", p, err)
			}
			return nil
		}},
		{"LatestCheckpoint of an empty folder", func() error {
			p, err := LatestCheckpoint(emptyFolder)
			if p != "" || err != nil {
				return fmt.Errorf("got %q, %v; want \"\" and no error", p, err)
			}
			return nil
		}},
		{"ResolveCheckpoint of an empty folder", func() error {
			_, err := ResolveCheckpoint(emptyFolder)
			return sweep.WantErr(err, "holds no checkpoint")
		}},
		{"ResolveCheckpoint of a missing file", func() error { _, err := ResolveCheckpoint(missing); return sweep.WantErr(err, "no such file") }},
		{"ResolveCheckpoint of no name", func() error { _, err := ResolveCheckpoint(""); return sweep.WantErr(err, "no such file") }},
		{"LoadCheckpoint into a description of another type", func() error {
			var meta int
			ctx := context.New()
			_, err := LoadCheckpoint(shipped, ctx, &meta)
			if len(ContextWeights(ctx)) != 0 {
				return fmt.Errorf("variables loaded with the error %v", err)
			}
			return sweep.WantErr(err)
		}},
		{"ReadCheckpointMeta into a non-pointer", func() error {
			var meta RunSpec
			_, err := ReadCheckpointMeta(shipped, meta)
			return sweep.WantErr(err)
		}},
		{"CheckResume of an export", func() error { return sweep.WantErr(CheckResume(shipped, trWeights, 0.999), "weights only") }},
		{"CheckResume EMA decay 0 of a run with one", func() error { return sweep.WantErr(CheckResume(ckpt, ptsWeights, 0), "EMA") }},
		{"CheckResume of no weights", func() error { return sweep.WantErr(CheckResume(ckpt, nil, 0.999)) }},
		{"CheckResume of another network", func() error { return sweep.WantErr(CheckResume(ckpt, trWeights, 0.999), "is missing") }},
		{"CheckResume of a checkpoint cut short", func() error { return sweep.WantErr(CheckResume(cutCkpt, ptsWeights, 0.999), "truncated") }},
		{"Trained.Export into a folder", func() error { return sweep.WantErr(pts.Export(folder), "is a folder") }},
		{"Trained.Export into a FIFO", func() error { return sweep.WantErr(pts.Export(fifo), "is a FIFO") }},
		{"Trained.Export to no name", func() error { return sweep.WantErr(pts.Export(""), "empty") }},
		{"Trained.Export over its checkpoint", func() error { return sweep.WantErr(pts.Export(ckpt), "is the input") }},
		{"Trained.Export under a checkpoint's name", func() error {
			return sweep.WantErr(pts.Export(filepath.Join(dir, "ckpt-5.ddpm")), "a training checkpoint's name")
		}},
		{"Trained.Export through a link to nothing", func() error { return sweep.WantErr(pts.Export(dangling)) }},
		{"LoadCheckpoint of a corrupt value", func() error {
			ctx := context.New()
			_, err := LoadCheckpoint(corrupt, ctx, nil)
			if n := len(ContextWeights(ctx)); n != 0 {
				return fmt.Errorf("%d variables loaded with %v", n, err)
			}
			return sweep.WantErr(err, "CRC-32 mismatch")
		}},
		{"LoadTrained of a corrupt value", func() error {
			tr, err := LoadTrained(corrupt)
			if tr != nil {
				return fmt.Errorf("a model with %v", err)
			}
			return sweep.WantErr(err, "CRC-32 mismatch")
		}},
		{"LoadTrained of an empty folder", func() error { _, err := LoadTrained(emptyFolder); return sweep.WantErr(err, "holds no checkpoint") }},
		{"NotTrainCheckpoint names its path", func() error { return sweep.WantErr(NotTrainCheckpoint(junk), junk) }},
		{"WeightsOnly of nothing", func() error {
			if !WeightsOnly(nil) {
				return errors.New("false, want true (no training state)")
			}
			return nil
		}},

		// Locks and trust.
		{"LockDir of a file", func() error { l, err := LockDir(junk, "--ckpt"); return sweepLock(l, err) }},
		{"LockDir of a FIFO", func() error { l, err := LockDir(fifo, "--ckpt"); return sweepLock(l, err) }},
		{"LockDir of no name", func() error { l, err := LockDir("", "--ckpt"); return sweepLock(l, err) }},
		{"LockDir below a file", func() error { l, err := LockDir(filepath.Join(junk, "x"), "--ckpt"); return sweepLock(l, err) }},
		{"CheckSecureFile of no name", func() error { _, err := CheckSecureFile(""); return sweep.WantErr(err, "not a regular file") }},
		{"CheckSecureFile of a missing file", func() error { _, err := CheckSecureFile(missing); return sweep.WantErr(err, "no such file") }},
		{"CheckSecureFile of a folder", func() error { _, err := CheckSecureFile(folder); return sweep.WantErr(err, "is a folder") }},
		{"CheckSecureFile of a FIFO", func() error { _, err := CheckSecureFile(fifo); return sweep.WantErr(err, "is a FIFO") }},
		{"CheckSecureFile of a link to nothing", func() error { _, err := CheckSecureFile(dangling); return sweep.WantErr(err, "no such file") }},
		{"NearestFolder of a link to nothing", func() error {
			_, err := NearestFolder(dangling)
			return sweep.WantErr(err, "link to what is not there")
		}},
		{"NearestFolder below a link to nothing", func() error {
			_, err := NearestFolder(filepath.Join(dangling, "x"))
			return sweep.WantErr(err, "link to what is not there")
		}},
		{"PluginPathError of a comma", func() error { return sweep.WantErr(PluginPathError("/a,b.so"), "comma") }},
		{"Printable of a newline", func() error {
			if p := Printable("a\nb\x1b[31m"); strings.ContainsAny(p, "\n\x1b") {
				return fmt.Errorf("got %q, want it quoted", p)
			}
			return nil
		}},
		{"VenvPlugin of a missing folder", func() error {
			if p, ok := VenvPlugin(missing); ok || p != "" {
				return fmt.Errorf("got %q, %v; want none", p, ok)
			}
			return nil
		}},
		{"VenvPlugin of a FIFO", func() error {
			if p, ok := VenvPlugin(fifo); ok || p != "" {
				return fmt.Errorf("got %q, %v; want none", p, ok)
			}
			return nil
		}},
		{"RemoveStaleTemporaries of a file", func() error { return sweep.WantErr(RemoveStaleTemporaries(junk, IsCheckpointName), "not a directory") }},
		{"RemoveStaleTemporaries of a FIFO", func() error { return sweep.WantErr(RemoveStaleTemporaries(fifo, IsCheckpointName), "not a directory") }},
		{"WriteSetupStamp into a file", func() error { return sweep.WantErr(WriteSetupStamp(junk), "no plugin file") }},
		{"EMAContext of partial averages", func() error {
			ctx := context.New()
			ctx.In("unet").VariableWithValue("a", []float32{1})
			ctx.In("unet").VariableWithValue("b", []float32{1})
			ctx.InAbsPath(EMAScope+"/unet").VariableWithValue("a", []float32{1})
			_, err := EMAContext(ctx)
			return sweep.WantErr(err)
		}},

		// A trained model.
		{"Trained.CheckSchedule of a zero schedule", func() error { return sweep.WantErr(tr.CheckSchedule(&Schedule{}), "at least one step") }},
		{"Trained.CheckSchedule of another T", func() error { return sweep.WantErr(tr.CheckSchedule(sched), "neither the model") }},
		{"Trained.CheckSchedule of a cosine schedule", func() error {
			return sweep.WantErr(tr.CheckSchedule(MustNewSchedule(ScheduleCosine, tr.Schedule.T)))
		}},
		{"Trained.NewSampler of a NaN eta", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true, Eta: nan})
			return sweep.WantErr(err, "eta NaN")
		}},
		{"SamplerConfig of a guidance weight float32 cannot add 1 to", func() error {
			return sweep.WantErr(SamplerConfig{Variance: VarianceBeta, Guidance: MaxGuidance}.Validate(), "guidance weight", "1 + w")
		}},
		{"Trained.NewSampler of guidance on an unconditional model", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true, Guidance: 1})
			return sweep.WantErr(err, "guidance")
		}},
		{"Trained.NewSampler of a solver of 2^40 steps", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{Solver: SolverDPMPP2M, Steps: 1 << 40})
			return sweep.WantErr(err, "1099511627776")
		}},
		{"Trained.NewSampler of -1 devices", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true, Devices: -1})
			return sweep.WantErr(err, "-1 devices")
		}},
		{"Trained.NewSampler of 2^40 devices", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{DDIM: true, Devices: 1 << 40})
			return sweep.WantErr(err, "1099511627776")
		}},
		{"Trained.NewBoundEvaluator of a zero schedule", func() error {
			_, err := tr.NewBoundEvaluator(backend, &Schedule{}, SamplerConfig{Variance: VarianceBeta})
			return sweep.WantErr(err)
		}},
		// The forty-eighth sweep's findings.
		{"Encode of 2^60 examples of nothing", func() error {
			_, err := sampler.Encode(nil, 1<<60, []int{28, 28, 1})
			return sweep.WantErr(err, "0 values for 1152921504606846976 examples")
		}},
		{"CheckpointBytes of 2^31 base channels", func() error {
			r := unetSpec(func(r *RunSpec) { r.UNet.BaseChannels = 1 << 31 })
			if b, err := r.CheckpointBytes(); err == nil && !(b > 1e18) {
				return fmt.Errorf("got %g bytes and no error, want more than any disk", b)
			}
			return nil
		}},
		{"SampleMemory of 2^32×2^32 points", func() error {
			if m := mlpSpec(func(r *RunSpec) { r.Dims = []int{1 << 32, 1 << 32} }).SampleMemory(1); !(m > 1e19) {
				return fmt.Errorf("got %g bytes, want more than 16·2⁶⁴", m)
			}
			return nil
		}},
		{"SampleMemory of a negative shape", func() error {
			if m, base := mlpSpec(func(r *RunSpec) { r.Dims = []int{-1 << 40} }).SampleMemory(1000), mlpSpec(nil).SampleMemory(0); m < base {
				return fmt.Errorf("got %g bytes, less than no sample's %g", m, base)
			}
			return nil
		}},
		{"NFE of -5 steps", func() error {
			for _, solver := range []string{SolverDPMPP2M, SolverEuler, SolverHeun} {
				if n := NFE(nil, SamplerConfig{Solver: solver, Steps: -5}); n != 0 {
					return fmt.Errorf("%s: %d evaluations, want 0", solver, n)
				}
			}
			return nil
		}},
		{"SNR of an incomplete schedule", func() error {
			if snr := (&Schedule{T: 3}).SNR(); snr != nil {
				return fmt.Errorf("got %v, want nil", snr)
			}
			return nil
		}},
		{"StepTensor of a step beyond int32", func() error {
			return sweep.WantPanic(func() { StepTensor(1, 1<<40+7) }, "1099511627783")
		}},
		{"StepsTensor of a step beyond int32", func() error { return sweep.WantPanic(func() { StepsTensor(1<<32 + 5) }, "4294967301") }},
		{"StepsPerEpoch of BatchSize 0 and -2", func() error {
			ds, err := NewArrayDataset("x", []float32{0, 1, 2, 3}, []int{1}, 2, 1)
			if err != nil {
				return err
			}
			for _, b := range []int{0, -2} {
				ds.BatchSize = b
				if got := ds.StepsPerEpoch(); got != 0 {
					return fmt.Errorf("BatchSize %d: %d steps per epoch, want 0", b, got)
				}
			}
			return nil
		}},
		{"StepsTensor of no steps", func() error {
			if got := StepsTensor().Shape(); got.Rank() != 1 || got.Dimensions[0] != 0 || got.DType != dtypes.Int32 {
				return fmt.Errorf("StepsTensor() has shape %s, want (Int32)[0]", got)
			}
			return nil
		}},
		{"CheckAddressSpace NaN", func() error { return sweep.WantErr(CheckAddressSpace("--n x", nan, 1), "--n x", "NaN") }},
		{"CheckAddressSpace -Inf", func() error { return sweep.WantErr(CheckAddressSpace("--n x", 1, -inf), "--n x", "-Inf") }},
		{"SampleBlock and SampleAddressSpace of n -5", func() error {
			spec := RunSpec{Model: ModelMLP, MLP: &MLPConfig{Layers: 2, Hidden: 8}, T: 10, Dims: []int{2}}
			if b, s := spec.SampleBlock(-5), spec.SampleAddressSpace(-5); b != 0 || s != 0 {
				return fmt.Errorf("a block of %v and an address space of %v for n = -5, want 0", b, s)
			}
			return nil
		}},
		{"BoundSums.Check of nil", func() error { return sweep.WantErr((*BoundSums)(nil).Check(), "nil") }},
		{"CheckRoom NaN", func() error { return sweep.WantErr(CheckRoom("--ckpt x", dir, nan, 1), "--ckpt x", "NaN") }},
		{"CheckFileSize NaN", func() error { return sweep.WantErr(CheckFileSize("--ckpt x", nan), "--ckpt x", "NaN") }},
		{"CheckTrainingRoom of a new run of NaN bytes", func() error {
			return sweep.WantErr(CheckTrainingRoom("--ckpt x", dir, "", 0, 1000, 0, func() (float64, error) { return nan, nil }), "NaN")
		}},
		{"CheckTrainingRoom of a new run of -Inf bytes", func() error {
			return sweep.WantErr(CheckTrainingRoom("--ckpt x", dir, "", 0, 1000, 0, func() (float64, error) { return -inf, nil }), "-Inf")
		}},
		{"Trained.NewBoundEvaluator of DDIM", func() error {
			_, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{DDIM: true})
			return sweep.WantErr(err, "DDIM and the ODE solvers have none")
		}},
		{"Trained.NewBoundEvaluator of Euler", func() error {
			_, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Solver: SolverEuler, Steps: 5})
			return sweep.WantErr(err, "DDIM and the ODE solvers have none")
		}},
		{"Trained.NewSampler of the learned variance of a model that learns none", func() error {
			_, err := tr.NewSampler(backend, tr.Schedule, SamplerConfig{Variance: VarianceLearned})
			return sweep.WantErr(err, "does not")
		}},
		{"Trained.NewBoundEvaluator of the learned variance of a model that learns none", func() error {
			_, err := tr.NewBoundEvaluator(backend, tr.Schedule, SamplerConfig{Variance: VarianceLearned})
			return sweep.WantErr(err, "does not")
		}},
		{"CheckResume EMA decay NaN", func() error { return sweep.WantErr(CheckResume(ckpt, ptsWeights, nan), "EMA decay NaN") }},
		{"CheckResume EMA decay -1", func() error { return sweep.WantErr(CheckResume(ckpt, ptsWeights, -1), "EMA decay -1") }},
		{"NetworkWeights of examples of shape [0]", func() error {
			_, err := NetworkWeights(MLPModel(mlp), nil, []int{0})
			return sweep.WantErr(err, "at least 1")
		}},
		{"GridFolder of no folder", func() error { _, err := GridFolder(""); return sweep.WantErr(err, "no checkpoint folder") }},
		{"Trained.Export of an export", func() error { return sweep.WantErr(tr.Export(filepath.Join(dir, "again.ddpm")), "no EMA weights") }},
		{"NewConditionalSampler 0 classes", func() error {
			_, err := NewConditionalSampler(backend, cond.Ctx, cond.Schedule, cond.Cond, 0, SamplerConfig{DDIM: true})
			return sweep.WantErr(err, "0 classes")
		}},
		{"NewConditionalSampler -1 classes", func() error {
			_, err := NewConditionalSampler(backend, cond.Ctx, cond.Schedule, cond.Cond, -1, SamplerConfig{DDIM: true})
			return sweep.WantErr(err, "-1 classes")
		}},
		{"NewConditionalSampler guidance NaN", func() error {
			_, err := NewConditionalSampler(backend, cond.Ctx, cond.Schedule, cond.Cond, 10, SamplerConfig{DDIM: true, Guidance: nan})
			return sweep.WantErr(err, "guidance weight NaN")
		}},
		{"NewSampler of a nil schedule", func() error {
			_, err := NewSampler(backend, tr.Ctx, nil, tr.Model, SamplerConfig{DDIM: true})
			return sweep.WantErr(err, "schedule")
		}},

		// Sampling.
		{"Sample N 0", func() error { return sweep.WantErr(sample(sampler, SampleOptions{N: 0, Dims: dims}), "N=0") }},
		{"Sample N -1", func() error { return sweep.WantErr(sample(sampler, SampleOptions{N: -1, Dims: dims}), "N=-1") }},
		{"Sample N MaxInt", func() error { return sweep.WantErr(sample(sampler, SampleOptions{N: math.MaxInt, Dims: dims}), "N=") }},
		{"Sample N 2^40", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1 << 40, Dims: dims}), "N=1099511627776")
		}},
		{"Sample of no shape", func() error { return sweep.WantErr(sample(sampler, SampleOptions{N: 1}), "the model's are [28 28 1]") }},
		{"Sample of shape [-28 -28 1]", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: []int{-28, -28, 1}}), "dims")
		}},
		{"Sample of shape [2^32 2^32 1]", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: []int{1 << 32, 1 << 32, 1}}), "the model's are")
		}},
		{"Sample of another shape", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: []int{8, 8, 1}}), "the model's are")
		}},
		{"Sample recording step 0", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, RecordX0At: []int{0}}), "RecordX0At step 0")
		}},
		{"Sample recording step T+1", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, RecordXtAt: []int{tr.Schedule.T + 1}}), "RecordXtAt step")
		}},
		{"Sample recording step MinInt", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, RecordXtAt: []int{math.MinInt}}), "RecordXtAt step")
		}},
		{"Sample StartT without Start", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, StartT: 5}), "StartT 5 without Start")
		}},
		{"Sample Start of another length", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Start: make([]float32, 3), StartT: 5}), "3 values")
		}},
		{"Sample Start of NaN", func() error {
			start := make([]float32, 784)
			start[9] = nan32
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Start: start, StartT: 5}), "NaN at 9")
		}},
		{"Sample Start at step 0", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Start: image, StartT: 0}), "t=0")
		}},
		{"Sample Start at step T+1", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Start: image, StartT: tr.Schedule.T + 1}), "start step")
		}},
		{"Sample recording above the start", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Start: image, StartT: 3, RecordX0At: []int{5}}), "never reached")
		}},
		{"Sample labels for an unconditional model", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1, Dims: dims, Labels: []int{0}}), "unconditional")
		}},
		{"Sample of 2^40 recorded steps", func() error {
			return sweep.WantErr(sample(sampler, SampleOptions{N: 1 << 20, Dims: dims, RecordX0At: make([]int, 1<<10)}), "N=1048576")
		}},
		{"Sample conditional labels too few", func() error {
			return sweep.WantErr(sample(condSampler, SampleOptions{N: 2, Dims: dims, Labels: []int{1}}), "1 class labels for 2")
		}},
		{"Sample conditional label -1", func() error {
			return sweep.WantErr(sample(condSampler, SampleOptions{N: 1, Dims: dims, Labels: []int{-1}}), "class label -1")
		}},
		{"Sample conditional label 11 of 10", func() error {
			return sweep.WantErr(sample(condSampler, SampleOptions{N: 1, Dims: dims, Labels: []int{11}}), "class label 11")
		}},
		{"Sample conditional label MaxInt", func() error {
			return sweep.WantErr(sample(condSampler, SampleOptions{N: 1, Dims: dims, Labels: []int{math.MaxInt}}), "out of range")
		}},
		{"Sampler.StepTime 0", func() error { return sweep.NaN(sampler.StepTime(0)) }},
		{"Sampler.StepTime -1", func() error { return sweep.NaN(sampler.StepTime(-1)) }},
		{"Sampler.StepTime Steps+1", func() error { return sweep.NaN(sampler.StepTime(sampler.Steps() + 1)) }},
		{"Sampler.StepTime MaxInt", func() error { return sweep.NaN(sampler.StepTime(math.MaxInt)) }},
		{"Sampler.StepTime MinInt", func() error { return sweep.NaN(sampler.StepTime(math.MinInt)) }},
		{"Sample of a solver from a start", func() error {
			return sweep.WantErr(sample(solver, SampleOptions{N: 1, Dims: dims, Start: image, StartT: 3}), "starts from x_T only")
		}},
		{"Sample of a solver recording step 6 of 5", func() error {
			return sweep.WantErr(sample(solver, SampleOptions{N: 1, Dims: dims, RecordX0At: []int{6}}), "1..5")
		}},
		{"Sample of a solver N 0", func() error { return sweep.WantErr(sample(solver, SampleOptions{Dims: dims}), "N=0") }},
		{"Sampler.StepTime of a solver 0", func() error { return sweep.NaN(solver.StepTime(0)) }},
		{"Sampler.StepTime of a solver 6 of 5", func() error { return sweep.NaN(solver.StepTime(6)) }},
		{"Sampler.NumClasses of an unconditional model", func() error {
			if n := sampler.NumClasses(); n != 0 {
				return fmt.Errorf("got %d, want 0", n)
			}
			return nil
		}},
		{"Encode of nothing", func() error { _, err := sampler.Encode(nil, 0, dims); return sweep.WantErr(err, "encode") }},
		{"Encode n -1", func() error { _, err := sampler.Encode(image, -1, dims); return sweep.WantErr(err, "-1 examples") }},
		{"Encode of too few values", func() error { _, err := sampler.Encode(image[:10], 1, dims); return sweep.WantErr(err, "10 values") }},
		{"Encode of shape [0]", func() error { _, err := sampler.Encode(image, 1, []int{0}); return sweep.WantErr(err, "at least 1") }},
		{"Encode of shape [-28 -28 1]", func() error {
			_, err := sampler.Encode(image, 1, []int{-28, -28, 1})
			return sweep.WantErr(err, "at least 1")
		}},
		{"Encode of an overflowing shape", func() error {
			_, err := sampler.Encode(image, 1, []int{1 << 32, 1 << 32, 1})
			return sweep.WantErr(err, "encode")
		}},
		{"Encode of another shape", func() error {
			_, err := sampler.Encode(make([]float32, 64), 1, []int{8, 8, 1})
			return sweep.WantErr(err, "the model's are")
		}},
		{"Encode of +Inf", func() error {
			x := make([]float32, 784)
			x[3] = float32(inf)
			_, err := sampler.Encode(x, 1, dims)
			return sweep.WantErr(err, "value 3")
		}},

		// The bound.
		{"Evaluate of nothing", func() error { return sweep.WantErr(evaluate(nil, BoundOptions{Dims: dims}), "0 values") }},
		{"Evaluate of a partial image", func() error { return sweep.WantErr(evaluate(image[:100], BoundOptions{Dims: dims}), "100 values") }},
		{"Evaluate of no shape", func() error { return sweep.WantErr(evaluate(image, BoundOptions{}), "shape []") }},
		{"Evaluate of shape [-28 -28 1]", func() error { return sweep.WantErr(evaluate(image, BoundOptions{Dims: []int{-28, -28, 1}}), "bound") }},
		{"Evaluate of another shape", func() error {
			return sweep.WantErr(evaluate(image, BoundOptions{Dims: []int{784}}), "the model's are")
		}},
		{"Evaluate batch -1", func() error {
			return sweep.WantErr(evaluate(image, BoundOptions{Dims: dims, BatchSize: -1}), "batch size -1")
		}},
		{"Evaluate batch MinInt", func() error {
			return sweep.WantErr(evaluate(image, BoundOptions{Dims: dims, BatchSize: math.MinInt}), "batch size")
		}},
		{"Evaluate of NaN", func() error {
			x := black()
			x[7] = nan32
			return sweep.WantErr(evaluate(x, BoundOptions{Dims: dims}), "value 7 is NaN")
		}},
		{"Evaluate off the 8-bit grid", func() error {
			x := black()
			x[7] = 0.001
			return sweep.WantErr(evaluate(x, BoundOptions{Dims: dims}), "value 7 is 0.001")
		}},
		{"Evaluate beyond [-1, 1]", func() error {
			x := black()
			x[7] = 3
			return sweep.WantErr(evaluate(x, BoundOptions{Dims: dims}), "value 7 is 3")
		}},
		{"Term t 0", func() error { _, _, err := bound.Term(x0, 0, x0); return sweep.WantErr(err, "t=0") }},
		{"Term t -1", func() error { _, _, err := bound.Term(x0, -1, x0); return sweep.WantErr(err, "t=-1") }},
		{"Term t T+1", func() error { _, _, err := bound.Term(x0, tr.Schedule.T+1, x0); return sweep.WantErr(err, "t=") }},
		{"Term t MaxInt", func() error { _, _, err := bound.Term(x0, math.MaxInt, x0); return sweep.WantErr(err, "t=") }},
		// Nor noise of another shape (a scalar was every image's), noise that is not finite, or data off
		// the 8-bit grid, which Evaluate refuses (fifty-sixth probe).
		{"Term of scalar noise", func() error {
			_, _, err := bound.Term(x0, 1, tensors.FromScalar(float32(0.1)))
			return sweep.WantErr(err, "of one shape")
		}},
		{"Term of NaN noise", func() error {
			grid, noise := make([]float32, x0.Shape().Size()), make([]float32, x0.Shape().Size())
			for i := range grid {
				grid[i] = -1
			}
			noise[1] = float32(math.NaN())
			dims := x0.Shape().Dimensions
			_, _, err := bound.Term(tensors.FromFlatDataAndDimensions(grid, dims...), 1, tensors.FromFlatDataAndDimensions(noise, dims...))
			return sweep.WantErr(err, "noise holds NaN (at 1)")
		}},
		{"Term of data off the grid", func() error {
			_, _, err := bound.Term(x0, 1, tensors.FromShape(x0.Shape()))
			return sweep.WantErr(err, "not on the 8-bit grid")
		}},
		{"BoundResult.Decoder of an empty result", func() error { return sweep.NaN((&BoundResult{}).Decoder()) }},
		{"BoundResult.Rate of an empty result", func() error { return sweepNilFloats((&BoundResult{}).Rate()) }},
		{"BoundResult.DistortionRMSE of an empty result", func() error {
			if d := (&BoundResult{}).DistortionRMSE(); len(d) != 0 {
				return fmt.Errorf("got %v, want none", d)
			}
			return nil
		}},
		{"BoundSums.Add of an empty result", func() error { return sweep.WantErr((&BoundSums{}).Add(&BoundResult{}), "Evaluate did not make") }},
		{"BoundSums.Add of N -1", func() error {
			return sweep.WantErr((&BoundSums{}).Add(&BoundResult{N: -1, Terms: make([]float64, 3), MSE: make([]float64, 3)}), "Evaluate did not make")
		}},
		{"BoundSums.Add of PerImage of another length", func() error {
			return sweep.WantErr((&BoundSums{}).Add(&BoundResult{N: 2, PerImage: []float64{1}, Terms: make([]float64, 3), MSE: make([]float64, 3)}), "Evaluate did not make")
		}},
		{"BoundSums.Add of another T", func() error {
			s := &BoundSums{}
			if err := s.Add(&BoundResult{N: 1, Total: 1, PerImage: []float64{1}, Terms: []float64{0, 1, 0}, MSE: make([]float64, 3)}); err != nil {
				return err
			}
			return sweep.WantErr(s.Add(&BoundResult{N: 1, Total: 1, PerImage: []float64{1}, Terms: []float64{0, 1, 0, 0, 0}, MSE: make([]float64, 5)}), "over 4 steps")
		}},
		// Sums read back from JSON are checked before they are added to: PerImage shorter than the tables
		// panicked, and a count that was not PerImage's made a Result whose Total was not its Prior plus its
		// Terms (fifty-sixth probe). Nor is a result whose bits are not its prior's and terms' added.
		{"BoundSums.Add to sums of no per-image values", func() error {
			s := &BoundSums{N: 1, Prior: 1, Terms: []float64{0, 1, 1}, MSE: []float64{0}, PerImage: []float64{3}}
			return sweep.WantErr(s.Add(&BoundResult{N: 1, Total: 3, Prior: 1, Terms: []float64{0, 1, 1}, MSE: []float64{0, .1, .2}, PerImage: []float64{3}}), "3 term sums and 1 MSE sums")
		}},
		{"BoundSums.Add to sums of another count", func() error {
			s := &BoundSums{N: 5, Prior: 1, Terms: []float64{0, 1, 1}, MSE: []float64{0, .1, .2}, PerImage: []float64{3}}
			return sweep.WantErr(s.Add(&BoundResult{N: 1, Total: 3, Prior: 1, Terms: []float64{0, 1, 1}, MSE: []float64{0, .1, .2}, PerImage: []float64{3}}), "a count of 5 images and 1 per-image values")
		}},
		{"BoundSums.Add of bits that are not the prior's and the terms'", func() error {
			return sweep.WantErr((&BoundSums{}).Add(&BoundResult{N: 1, Total: 7, Prior: 1, Terms: []float64{0, 1, 1}, MSE: make([]float64, 3), PerImage: []float64{7}}), "not its Prior plus its Terms")
		}},

		// Training, refused before its first step.
		{"Train steps -1", func() error { return sweep.WantErr(trainWith(func(c *TrainConfig) { c.Steps = -1 }), "steps -1") }},
		{"Train learning rate NaN", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.Optimizer.LearningRate = nan }), "learning rate NaN")
		}},
		{"Train EMA decay 1", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.Optimizer.EMADecay = 1 }), "EMA decay 1")
		}},
		{"Train devices -1", func() error { return sweep.WantErr(trainWith(func(c *TrainConfig) { c.Devices = -1 }), "Devices -1") }},
		{"Train devices 2^40", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.Devices = 1 << 40 }), "1099511627776 devices")
		}},
		{"Train sample every -1", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.SampleEvery = -1 }), "SampleEvery -1")
		}},
		{"Train sample grids of points", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.SampleEvery = 1; c.SampleDims = []int{2} }), "sample grids")
		}},
		{"Train sample N -1", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.SampleEvery = 1; c.SampleN = -1 }), "SampleN -1")
		}},
		{"Train keep -1", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.KeepCheckpoints = -1 }), "KeepCheckpoints -1")
		}},
		{"Train checkpoint every -1s", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.CheckpointEvery = -1 }), "CheckpointEvery -1ns")
		}},
		{"Train into a file", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.CheckpointDir = junk }), "is a file")
		}},
		{"Train into a FIFO", func() error {
			return sweep.WantErr(trainWith(func(c *TrainConfig) { c.CheckpointDir = fifo }), "is a FIFO")
		}},
		{"Train p_uncond NaN with a conditional model", func() error {
			ds := points()
			if err := ds.SetLabels([]int{0, 1, 0, 1, 0, 1, 0, 1}, 2); err != nil {
				return err
			}
			c := mlp
			c.NumClasses = 2
			cfg := quickTrainConfig(3, t.TempDir())
			cfg.Conditional, cfg.PUncond = MLPConditional(c), nan
			steps := 0
			cfg.OnStep = func(int, float64) { steps++ }
			_, err := Train(backend, context.New(), sched, MLPConditional(c).Unconditional(), ds, cfg)
			if steps > 0 {
				return fmt.Errorf("trained %d steps before %v", steps, err)
			}
			return sweep.WantErr(err, "p_uncond NaN")
		}},
	}
	for _, u := range unreadable {
		cases = append(cases,
			sweepCase{"ReadCheckpointWeights of " + u.name, func() error {
				_, w, err := ReadCheckpointWeights(u.path, nil)
				if w != nil {
					return fmt.Errorf("%d weights with %v", len(w), err)
				}
				return sweep.WantErr(err, "checkpoint")
			}},
			sweepCase{"ReadCheckpointMeta of " + u.name, func() error {
				var meta RunSpec
				_, err := ReadCheckpointMeta(u.path, &meta)
				return sweep.WantErr(err, "checkpoint")
			}},
			sweepCase{"LoadCheckpoint of " + u.name, func() error {
				ctx := context.New()
				_, err := LoadCheckpoint(u.path, ctx, nil)
				if n := len(ContextWeights(ctx)); n != 0 {
					return fmt.Errorf("%d variables loaded with %v", n, err)
				}
				return sweep.WantErr(err, "checkpoint")
			}},
			sweepCase{"LoadTrained of " + u.name, func() error {
				tr, err := LoadTrained(u.path)
				if tr != nil {
					return fmt.Errorf("a model with %v", err)
				}
				return sweep.WantErr(err, "checkpoint")
			}},
			sweepCase{"CheckResume of " + u.name, func() error { return sweep.WantErr(CheckResume(u.path, trWeights, 0.999), "checkpoint") }},
		)
	}
	for _, c := range cases {
		sweep.Call(t, c.name, c.check)
	}
}

// sweepLock is nil when LockDir refused (and holds no lock), else what it did.
func sweepLock(l *DirLock, err error) error {
	if l != nil {
		l.Unlock()
		return fmt.Errorf("a lock taken (error %v)", err)
	}
	return sweep.WantErr(err, "--ckpt")
}
