package ddpm

import (
	"math"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want, relTol float64) {
	t.Helper()
	if math.Abs(got-want) > relTol*math.Abs(want) {
		t.Errorf("%s = %.10g, want %.10g (relative tolerance %g)", what, got, want, relTol)
	}
}

func TestLinearScheduleKnownValues(t *testing.T) {
	s := MustNewSchedule("linear", PaperT)
	near(t, "β_1", s.Beta[1], 1e-4, 1e-12)
	near(t, "β_T", s.Beta[PaperT], 0.02, 1e-12)
	near(t, "ᾱ_1", s.AlphaBar[1], 0.9999, 1e-12)
	near(t, "ᾱ_1000", s.AlphaBar[1000], 4.0358e-5, 1e-4)
	if s.PosteriorVariance[1] != 0 {
		t.Errorf("β̃_1 = %g, want 0 (x_0 is known exactly given x_1 and x_0)", s.PosteriorVariance[1])
	}
	// The clipped log variance at t = 1 borrows β̃_2, as in the paper's code.
	near(t, "clipped log β̃_1", s.PosteriorLogVarClip[1], math.Log(s.PosteriorVariance[2]), 1e-12)
	// β increases linearly: constant differences.
	step := (0.02 - 1e-4) / 999
	for _, tt := range []int{2, 500, 1000} {
		near(t, "β_t − β_{t−1}", s.Beta[tt]-s.Beta[tt-1], step, 1e-9)
	}
}

func TestDerivedTermsAreConsistent(t *testing.T) {
	for _, name := range []string{ScheduleLinear, ScheduleCosine} {
		s := MustNewSchedule(name, 200)
		for tt := 1; tt <= s.T; tt++ {
			ab, abPrev, beta := s.AlphaBar[tt], s.AlphaBarPrev[tt], s.Beta[tt]
			near(t, name+" α_t", s.Alpha[tt], 1-beta, 1e-15)
			near(t, name+" ᾱ_t = ᾱ_{t−1} α_t", ab, abPrev*s.Alpha[tt], 1e-13)
			near(t, name+" √ᾱ_t² + √(1−ᾱ_t)² = 1", s.SqrtAlphaBar[tt]*s.SqrtAlphaBar[tt]+
				s.SqrtOneMinusAlphaBar[tt]*s.SqrtOneMinusAlphaBar[tt], 1, 1e-13)
			near(t, name+" 1/√α_t", s.SqrtRecipAlpha[tt]*math.Sqrt(s.Alpha[tt]), 1, 1e-13)
			near(t, name+" 1/√ᾱ_t", s.SqrtRecipAlphaBar[tt]*s.SqrtAlphaBar[tt], 1, 1e-13)
			near(t, name+" ε coefficient", s.EpsCoef[tt], (1-s.Alpha[tt])/s.SqrtOneMinusAlphaBar[tt], 1e-9)
			// The posterior mean of x_{t−1} for x_t = √ᾱ_t x_0 (no noise) must be √ᾱ_{t−1} x_0.
			near(t, name+" posterior mean coefficients", s.PosteriorMeanCoefX0[tt]+s.PosteriorMeanCoefXt[tt]*s.SqrtAlphaBar[tt],
				math.Sqrt(abPrev), 1e-12)
			if tt > 1 {
				near(t, name+" β̃_t", s.PosteriorVariance[tt], beta*(1-abPrev)/(1-ab), 1e-13)
				if !(s.PosteriorVariance[tt] > 0 && s.PosteriorVariance[tt] <= beta) {
					t.Errorf("%s: β̃_%d = %g must lie in (0, β_t = %g]", name, tt, s.PosteriorVariance[tt], beta)
				}
				near(t, name+" clipped log β̃_t", s.PosteriorLogVarClip[tt], math.Log(s.PosteriorVariance[tt]), 1e-12)
			}
		}
	}
}

func TestCosineScheduleFollowsClosedForm(t *testing.T) {
	const T = 1000
	s, err := CosineSchedule(T, CosineOffset, CosineMaxBeta)
	if err != nil {
		t.Fatal(err)
	}
	// Below the cap, the cumulative product of the derived α_t must reproduce the closed form.
	for _, tt := range []int{1, 10, 100, 500, 900, 990, 999} {
		near(t, "cosine ᾱ_t", s.AlphaBar[tt], CosineAlphaBar(tt, T, CosineOffset), 1e-9)
	}
	// The closed form reaches 0 at t = T, so β_T would be 1: it is capped.
	if s.Beta[T] != CosineMaxBeta {
		t.Errorf("cosine β_T = %g, want the cap %g", s.Beta[T], CosineMaxBeta)
	}
	for tt := 1; tt <= T; tt++ {
		if s.Beta[tt] > CosineMaxBeta {
			t.Fatalf("cosine β_%d = %g exceeds the cap %g", tt, s.Beta[tt], CosineMaxBeta)
		}
	}
	// Nichol and Dhariwal's point: ᾱ falls roughly linearly in the middle, ᾱ_{T/2} ≈ 0.5.
	near(t, "cosine ᾱ_{T/2}", s.AlphaBar[T/2], 0.4937, 1e-3)
}

func TestBadConfigurationsNameTheValue(t *testing.T) {
	cases := []struct {
		name    string
		build   func() (*Schedule, error)
		mention string
	}{
		{"T=0", func() (*Schedule, error) { return NewSchedule("linear", 0) }, "T=0"},
		{"T<0", func() (*Schedule, error) { return CosineSchedule(-3, 0.008, 0.999) }, "T=-3"},
		{"unknown name", func() (*Schedule, error) { return NewSchedule("quadratic", 10) }, `"quadratic"`},
		{"beta 0", func() (*Schedule, error) { return LinearSchedule(10, 0, 0.02) }, "beta_1 = 0"},
		{"beta 1", func() (*Schedule, error) { return LinearSchedule(10, 1e-4, 1) }, "beta_10 = 1"},
		{"beta negative", func() (*Schedule, error) { return ScheduleFromBetas("x", []float64{0.1, -0.2}) }, "beta_2 = -0.2"},
		{"beta NaN", func() (*Schedule, error) { return ScheduleFromBetas("x", []float64{math.NaN()}) }, "beta_1 = NaN"},
		{"cosine cap", func() (*Schedule, error) { return CosineSchedule(10, 0.008, 1) }, "max beta 1"},
		{"cosine offset huge", func() (*Schedule, error) { return CosineSchedule(10, 1e300, 0.999) }, "offset s=1e+300"},
	}
	for _, c := range cases {
		s, err := c.build()
		if err == nil {
			t.Errorf("%s: got a schedule (%v), want an error", c.name, s.Name)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mention)
		}
	}
	s := MustNewSchedule("linear", 10)
	if err := s.CheckStep(11); err == nil || !strings.Contains(err.Error(), "t=11") {
		t.Errorf("CheckStep(11) = %v, want an error naming t=11", err)
	}
}

func TestSNRDecreases(t *testing.T) {
	for _, name := range []string{ScheduleLinear, ScheduleCosine} {
		snr := MustNewSchedule(name, PaperT).SNR()
		for i := 1; i < len(snr); i++ {
			if !(snr[i] < snr[i-1]) {
				t.Fatalf("%s: SNR(%d) = %g is not below SNR(%d) = %g", name, i+1, snr[i], i, snr[i-1])
			}
		}
	}
}

// "linear-scaled" is improved DDPM's convention: the paper's linear schedule at T = 1000, and β scaled
// by 1000/T otherwise, so that ᾱ_T stays near 0 (the paper's constants at T = 200 leave ᾱ_T = 0.13).
func TestLinearScaledSchedule(t *testing.T) {
	paper, scaled := MustNewSchedule(ScheduleLinear, PaperT), MustNewSchedule(ScheduleLinearScaled, PaperT)
	for i := range paper.Beta {
		if paper.Beta[i] != scaled.Beta[i] {
			t.Fatalf("at T = 1000, linear-scaled β_%d = %g, linear %g", i, scaled.Beta[i], paper.Beta[i])
		}
	}
	short, unscaled := MustNewSchedule(ScheduleLinearScaled, 200), MustNewSchedule(ScheduleLinear, 200)
	within(t, "linear-scaled T=200: β_1", short.Beta[1], 5e-4, 1e-12)
	within(t, "linear-scaled T=200: β_200", short.Beta[200], 0.1, 1e-12)
	if short.AlphaBar[200] > 1e-3 || unscaled.AlphaBar[200] < 0.1 {
		t.Errorf("ᾱ_200: linear-scaled %g (want < 1e-3), linear %g (want ≈ 0.13)", short.AlphaBar[200], unscaled.AlphaBar[200])
	}
	if short.AlphaBar[200] > MaxPriorAlphaBar || unscaled.AlphaBar[200] <= MaxPriorAlphaBar {
		t.Errorf("MaxPriorAlphaBar %g does not separate linear-scaled (%g) from linear (%g) at T = 200", MaxPriorAlphaBar, short.AlphaBar[200], unscaled.AlphaBar[200])
	}
	if _, err := NewSchedule(ScheduleLinearScaled, 20); err == nil || !strings.Contains(err.Error(), "T=20") {
		t.Errorf("linear-scaled with T = 20 (β_T = 1): error %v", err)
	}
}

// CosineAlphaBar is NaN outside its domain: t beyond T wrapped round the cosine (ᾱ(5) of T = 2 was
// 0.519), and T = 0 divided by zero (fifty-eighth probe's nit).
func TestCosineAlphaBarOutsideItsDomain(t *testing.T) {
	for _, c := range []struct {
		t, T int
		s    float64
	}{{5, 2, 0.008}, {-1, 10, 0.008}, {0, 0, 0.008}, {1, 10, -1}, {1, 10, math.NaN()}, {1, 10, math.Inf(1)}} {
		if got := CosineAlphaBar(c.t, c.T, c.s); !math.IsNaN(got) {
			t.Errorf("CosineAlphaBar(%d, %d, %v) = %v, want NaN", c.t, c.T, c.s, got)
		}
	}
	if got := CosineAlphaBar(0, 10, 0.008); got != 1 {
		t.Errorf("CosineAlphaBar(0, 10, 0.008) = %v, want 1", got)
	}
}

// Every table is built from the β that α holds: just above 2⁻⁵³, 1 − β rounds to a multiple of 2⁻⁵³,
// and ᾱ took that β while the tables of β took the one given, 1 − ᾱ_1 33% from β_1 (ninety-ninth probe).
func TestTablesAgreeOnTinyBetas(t *testing.T) {
	for _, b := range []float64{0x1p-53, 0x1.4p-53, 0x1.8p-53, 0x1.cp-53, 0x1.8p-52, 3e-16, 1e-12} {
		s, err := ScheduleFromBetas("tiny", []float64{b, b, 0.5})
		if err != nil {
			t.Fatalf("β = %g: %v", b, err)
		}
		if got := 1 - s.AlphaBar[1]; got != s.Beta[1] {
			t.Errorf("β = %g: 1 − ᾱ_1 = %g, β_1 = %g (%.0f%% apart): want one β", b, got, s.Beta[1], 100*math.Abs(got/s.Beta[1]-1))
		}
		if d := math.Abs(s.Beta[1] - b); d > 0x1p-54 {
			t.Errorf("β = %g taken as %g: moved by %g, more than 2⁻⁵⁴", b, s.Beta[1], d)
		}
		// β̃_2 = β_2 (1 − ᾱ_1)/(1 − ᾱ_2) is about β/2 here; with two βs it was off by a third.
		want := s.Beta[2] * (1 - s.AlphaBar[1]) / (1 - s.AlphaBar[2])
		if got := s.PosteriorVariance[2]; math.Abs(got-want) > 1e-12*want {
			t.Errorf("β = %g: β̃_2 = %g, want %g", b, got, want)
		}
		if got := s.SqrtOneMinusAlphaBar[1]; math.Abs(got*got-s.Beta[1]) > 1e-12*s.Beta[1] {
			t.Errorf("β = %g: √(1 − ᾱ_1)² = %g, want β_1 = %g", b, got*got, s.Beta[1])
		}
	}
}
