package ddpm

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Schedule names accepted by NewSchedule.
const (
	ScheduleLinear       = "linear"        // β from 1e-4 to 0.02, the paper's constants for any T
	ScheduleLinearScaled = "linear-scaled" // the same scaled by 1000/T (improved DDPM): "linear" at T = 1000
	ScheduleCosine       = "cosine"
)

// MaxPriorAlphaBar is the largest ᾱ_T with which `ddpm train` starts a run: the sampler starts from
// x_T ~ N(0, I), while q(x_T | x_0) = N(√ᾱ_T x_0, (1−ᾱ_T) I) keeps √ᾱ_T of the data. The paper's
// schedule has ᾱ_T = 4e-5; "linear" with T = 200 has 0.13, a prior that sampling does not match.
const MaxPriorAlphaBar = 0.01

// The paper's linear schedule (Ho et al. 2020, section 4) and the cosine schedule of Nichol and
// Dhariwal (2021, "Improved DDPM"), with their published constants.
const (
	PaperT          = 1000
	LinearBetaStart = 1e-4
	LinearBetaEnd   = 0.02
	CosineOffset    = 0.008
	CosineMaxBeta   = 0.999
)

// Schedule holds the variances β_t of the forward process and every quantity derived from them.
//
// Every table has T+1 entries and is indexed by the paper's time step t = 1..T. Index 0 holds the
// boundary t = 0: β_0 = 0, α_0 = ᾱ_0 = 1, so that AlphaBarPrev[t] = AlphaBar[t-1] holds for t ≥ 1.
type Schedule struct {
	Name string // "linear", "linear-scaled", "cosine" or the name given to ScheduleFromBetas.
	T    int    // Number of diffusion steps.

	Beta         []float64 // β_t, the variance of q(x_t | x_{t−1}).
	Alpha        []float64 // α_t = 1 − β_t.
	AlphaBar     []float64 // ᾱ_t = ∏_{s≤t} α_s.
	AlphaBarPrev []float64 // ᾱ_{t−1} (1 at t = 0 and t = 1).

	SqrtAlphaBar         []float64 // √ᾱ_t: scale of x_0 in q(x_t | x_0).
	SqrtOneMinusAlphaBar []float64 // √(1−ᾱ_t): standard deviation of q(x_t | x_0).
	SqrtRecipAlpha       []float64 // 1/√α_t: the outer factor of Algorithm 2.
	SqrtRecipAlphaBar    []float64 // 1/√ᾱ_t: x̂_0 = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε.
	SqrtRecipAlphaBarM1  []float64 // √(1/ᾱ_t − 1).
	EpsCoef              []float64 // (1−α_t)/√(1−ᾱ_t): the weight of ε_θ in Algorithm 2.
	PosteriorVariance    []float64 // β̃_t = β_t (1−ᾱ_{t−1})/(1−ᾱ_t); 0 at t = 1.
	PosteriorLogVarClip  []float64 // log β̃_t with β̃_1 replaced by β̃_2 (β̃_1 = 0 has no log).
	PosteriorMeanCoefX0  []float64 // β_t √ᾱ_{t−1}/(1−ᾱ_t): weight of x_0 in the posterior mean.
	PosteriorMeanCoefXt  []float64 // (1−ᾱ_{t−1}) √α_t/(1−ᾱ_t): weight of x_t in the posterior mean.
	LogBeta              []float64 // log β_t (−Inf at t = 0).

	// ModelSteps, for a respaced schedule (Respace), maps each step k = 1..T to the time step of the
	// schedule the network was trained with (index 0 unused); nil for a schedule that is not respaced.
	ModelSteps []int

	// trainedTop is ᾱ_T of the schedule the network was trained with, for a respaced one: a chain that
	// starts far above it starts from noise the model has not seen (CheckChainStart).
	trainedTop float64
}

// NewSchedule returns the named schedule with its published constants and T steps:
// "linear" (β from 1e-4 to 0.02, Ho et al.), "linear-scaled" (β from 1e-4·1000/T to 0.02·1000/T,
// improved-diffusion's convention, so that ᾱ_T stays near 0 for any T ≥ 21; the same as "linear" at
// T = 1000) or "cosine" (s = 0.008, β capped at 0.999, Nichol and Dhariwal). The name is read without
// regard to case or surrounding spaces.
func NewSchedule(name string, T int) (*Schedule, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case ScheduleLinear:
		return LinearSchedule(T, LinearBetaStart, LinearBetaEnd)
	case ScheduleLinearScaled:
		if err := checkT(T); err != nil {
			return nil, err
		}
		scale := float64(PaperT) / float64(T)
		if LinearBetaEnd*scale >= 1 {
			return nil, fmt.Errorf("linear-scaled schedule with T=%d: β_T = 0.02·1000/T = %g ≥ 1; use T ≥ 21 or the cosine schedule", T, LinearBetaEnd*scale)
		}
		s, err := LinearSchedule(T, LinearBetaStart*scale, LinearBetaEnd*scale)
		if err == nil {
			s.Name = ScheduleLinearScaled
		}
		return s, err
	case ScheduleCosine:
		return CosineSchedule(T, CosineOffset, CosineMaxBeta)
	default:
		return nil, fmt.Errorf("unknown schedule %q: valid schedules are %q, %q and %q", name, ScheduleLinear, ScheduleLinearScaled, ScheduleCosine)
	}
}

// MustNewSchedule is NewSchedule for notebooks and tests; it panics on a bad configuration.
func MustNewSchedule(name string, T int) *Schedule {
	s, err := NewSchedule(name, T)
	if err != nil {
		panic(err)
	}
	return s
}

// LinearSchedule has β_t spaced linearly from betaStart (t = 1) to betaEnd (t = T). At T = 1 the one
// β is betaStart, as NumPy's linspace gives it (betaEnd is not used).
func LinearSchedule(T int, betaStart, betaEnd float64) (*Schedule, error) {
	if err := checkT(T); err != nil {
		return nil, err
	}
	// At T = 1 beta_end is not used, and NaN or 7 passed without a word (sixty-second probe's nit); at
	// larger T the betas' check names the β_t it makes.
	if T == 1 && !(betaEnd > 0 && betaEnd < 1) {
		return nil, fmt.Errorf("linear schedule with beta_start=%g, beta_end=%g: beta_end must be in the open interval (0, 1)", betaStart, betaEnd)
	}
	betas := make([]float64, T)
	for i := range betas {
		if T == 1 {
			betas[i] = betaStart
			continue
		}
		betas[i] = betaStart + (betaEnd-betaStart)*float64(i)/float64(T-1)
	}
	if T > 1 {
		// The last exactly beta_end, as NumPy's linspace sets it: computed, it came out an ulp below a
		// beta_end of 1, which passed the check of (0, 1) (seventy-sixth probe).
		betas[T-1] = betaEnd
	}
	s, err := ScheduleFromBetas(ScheduleLinear, betas)
	if err != nil {
		return nil, fmt.Errorf("linear schedule with beta_start=%g, beta_end=%g: %w", betaStart, betaEnd, err)
	}
	return s, nil
}

// CosineAlphaBar is the closed form of the cosine schedule: ᾱ(t) = f(t)/f(0) with
// f(t) = cos²(π/2 · (t/T + s)/(1 + s)), for 0 ≤ t ≤ T and an offset s ≥ 0; outside them it is NaN
// (a t beyond T wrapped round the cosine: ᾱ(5) of T = 2 was 0.519; fifty-eighth probe's nit).
func CosineAlphaBar(t, T int, s float64) float64 {
	if T < 1 || t < 0 || t > T || !(s >= 0) || math.IsInf(s, 1) {
		return math.NaN()
	}
	f := func(t int) float64 {
		c := math.Cos(math.Pi / 2 * (float64(t)/float64(T) + s) / (1 + s))
		return c * c
	}
	return f(t) / f(0)
}

// CosineSchedule derives β_t = 1 − ᾱ(t)/ᾱ(t−1) from the closed form of ᾱ, capped at maxBeta to
// avoid the singularity at t = T.
func CosineSchedule(T int, s, maxBeta float64) (*Schedule, error) {
	if err := checkT(T); err != nil {
		return nil, err
	}
	if !(s > 0) || math.IsInf(s, 1) { // +Inf was refused as "beta_1 = NaN" (forty-eighth sweep)
		return nil, fmt.Errorf("cosine schedule offset s=%g: it must be > 0 and finite", s)
	}
	if !(maxBeta > 0 && maxBeta < 1) {
		return nil, fmt.Errorf("cosine schedule max beta %g: it must be in (0, 1)", maxBeta)
	}
	betas := make([]float64, T)
	for t := 1; t <= T; t++ {
		betas[t-1] = min(1-CosineAlphaBar(t, T, s)/CosineAlphaBar(t-1, T, s), maxBeta)
	}
	sched, err := ScheduleFromBetas(ScheduleCosine, betas)
	if err != nil { // the betas follow from s: s = 1e300 was blamed on β_1 alone (sixty-second probe's nit)
		return nil, fmt.Errorf("cosine schedule offset s=%g: %w", s, err)
	}
	return sched, nil
}

// ScheduleFromBetas builds a schedule from β_1..β_T; each must lie in the open interval (0, 1) and be
// at least 2⁻⁵³. Each β is taken as 1 − fl(1 − β), the value α_t = 1 − β_t holds in float64 (it moves
// by at most 2⁻⁵⁴), so that every table is built from one β.
func ScheduleFromBetas(name string, betas []float64) (*Schedule, error) {
	T := len(betas)
	if err := checkT(T); err != nil {
		return nil, err
	}
	for i, b := range betas {
		if !(b > 0 && b < 1) {
			return nil, fmt.Errorf("beta_%d = %g: every beta must be in the open interval (0, 1)", i+1, b)
		}
		// α = 1 − β rounds to 1 below float64's resolution, and ᾱ does not fall: its tables divided by
		// 1 − ᾱ = 0, Inf and NaN without an error (thirty-second probe). Just above 2⁻⁵⁴, 1 − β rounds to
		// 1 − 2⁻⁵³ instead: ᾱ took that β and the tables of β itself the one given, 46% apart (eighty-seventh probe).
		if b < minBeta {
			return nil, fmt.Errorf("beta_%d = %g: 1 − β rounds to 1 in float64, or to 1 − %g, so the step's tables would disagree; every beta must be at least %g",
				i+1, b, minBeta, minBeta)
		}
	}
	s := &Schedule{Name: name, T: T}
	s.Beta = make([]float64, T+1)
	for i, b := range betas {
		// The β that α = 1 − β holds: 1 − β rounds to a multiple of 2⁻⁵³, and a β a few ulps above 2⁻⁵³
		// gave ᾱ one value and the tables of β itself another, 1 − ᾱ_1 33% off (ninety-ninth probe).
		// 1 − fl(1 − β) is exact (Sterbenz), so α and β agree; β moves by at most 2⁻⁵⁴.
		s.Beta[i+1] = 1 - (1 - b)
	}
	n := T + 1
	tables := []*[]float64{&s.Alpha, &s.AlphaBar, &s.AlphaBarPrev, &s.SqrtAlphaBar, &s.SqrtOneMinusAlphaBar,
		&s.SqrtRecipAlpha, &s.SqrtRecipAlphaBar, &s.SqrtRecipAlphaBarM1, &s.EpsCoef, &s.PosteriorVariance,
		&s.PosteriorLogVarClip, &s.PosteriorMeanCoefX0, &s.PosteriorMeanCoefXt, &s.LogBeta}
	for _, tbl := range tables {
		*tbl = make([]float64, n)
	}
	s.Alpha[0], s.AlphaBar[0], s.AlphaBarPrev[0] = 1, 1, 1
	s.SqrtAlphaBar[0], s.SqrtRecipAlpha[0], s.SqrtRecipAlphaBar[0] = 1, 1, 1
	s.LogBeta[0] = math.Inf(-1)
	for t := 1; t <= T; t++ {
		beta := s.Beta[t]
		s.Alpha[t] = 1 - beta
		s.AlphaBarPrev[t] = s.AlphaBar[t-1]
		s.AlphaBar[t] = s.AlphaBar[t-1] * s.Alpha[t]
		ab, abPrev := s.AlphaBar[t], s.AlphaBarPrev[t]
		s.SqrtAlphaBar[t] = math.Sqrt(ab)
		s.SqrtOneMinusAlphaBar[t] = math.Sqrt(1 - ab)
		s.SqrtRecipAlpha[t] = 1 / math.Sqrt(s.Alpha[t])
		s.SqrtRecipAlphaBar[t] = 1 / math.Sqrt(ab)
		s.SqrtRecipAlphaBarM1[t] = math.Sqrt(1/ab - 1)
		s.EpsCoef[t] = beta / math.Sqrt(1-ab)
		s.PosteriorVariance[t] = beta * (1 - abPrev) / (1 - ab)
		s.PosteriorMeanCoefX0[t] = beta * math.Sqrt(abPrev) / (1 - ab)
		s.PosteriorMeanCoefXt[t] = (1 - abPrev) * math.Sqrt(s.Alpha[t]) / (1 - ab)
		s.LogBeta[t] = math.Log(beta)
	}
	for t := 1; t <= T; t++ {
		v := s.PosteriorVariance[t]
		if t == 1 {
			// β̃_1 = 0; like the paper's code, use β̃_2 (or β_1 when T = 1) for its log.
			v = s.Beta[1]
			if T > 1 {
				v = s.PosteriorVariance[2]
			}
		}
		s.PosteriorLogVarClip[t] = math.Log(v)
	}
	for t := 1; t <= T; t++ {
		if math.IsInf(1/s.AlphaBar[t], 1) { // x̂_0 = x_t/√ᾱ_t − √(1/ᾱ_t − 1) ε is then Inf
			return nil, fmt.Errorf("%s schedule of T=%d: ᾱ_t falls out of float64's range at t=%d (%g), where x_0 cannot be told from x_t: use fewer steps or smaller betas",
				name, T, t, s.AlphaBar[t])
		}
	}
	if err := s.checkTables(); err != nil {
		return nil, err
	}
	return s, nil
}

// minBeta is the least β that 1 − β tells from 1 in float64.
const minBeta = 0x1p-53

// Check refuses a schedule that cannot be sampled from or bounded: none, T < 1, tables of another
// length than T + 1, or a value at t = 1..T that is not finite. A zero Schedule sampled pure noise
// without an error, and panicked in the bound (thirty-second probe): the samplers, the bound and
// training check their schedule with it.
func (s *Schedule) Check() error {
	if err := s.checkTables(); err != nil {
		return err
	}
	// And tables that its betas give: negated and scaled ones, finite, sampled a mean |x| of 4 277 with
	// no error (thirty-third probe).
	rebuilt, err := ScheduleFromBetas(s.Name, s.Beta[1:])
	if err != nil {
		return fmt.Errorf("schedule %q: %w", s.Name, err)
	}
	for i, tbl := range s.tables() {
		want := rebuilt.tables()[i]
		for t := 1; t <= s.T; t++ {
			if tbl.values[t] != want.values[t] {
				return fmt.Errorf("schedule %q: %s at t=%d is %g, where its betas give %g (NewSchedule, ScheduleFromBetas and Respace make schedules)",
					s.Name, tbl.name, t, tbl.values[t], want.values[t])
			}
		}
	}
	return nil
}

// tableOf is one of a schedule's tables, with its name for messages.
type tableOf struct {
	name   string
	values []float64
}

// tables lists the schedule's tables, Beta first.
func (s *Schedule) tables() []tableOf {
	return []tableOf{{"Beta", s.Beta}, {"Alpha", s.Alpha}, {"AlphaBar", s.AlphaBar}, {"AlphaBarPrev", s.AlphaBarPrev},
		{"SqrtAlphaBar", s.SqrtAlphaBar}, {"SqrtOneMinusAlphaBar", s.SqrtOneMinusAlphaBar}, {"SqrtRecipAlpha", s.SqrtRecipAlpha},
		{"SqrtRecipAlphaBar", s.SqrtRecipAlphaBar}, {"SqrtRecipAlphaBarM1", s.SqrtRecipAlphaBarM1}, {"EpsCoef", s.EpsCoef},
		{"PosteriorVariance", s.PosteriorVariance}, {"PosteriorLogVarClip", s.PosteriorLogVarClip},
		{"PosteriorMeanCoefX0", s.PosteriorMeanCoefX0}, {"PosteriorMeanCoefXt", s.PosteriorMeanCoefXt}, {"LogBeta", s.LogBeta}}
}

// checkTables is Check's first part: T, the tables' lengths and finite values.
func (s *Schedule) checkTables() error {
	if s == nil {
		return errors.New("no schedule given (nil)")
	}
	if s.T < 1 {
		return fmt.Errorf("schedule %q of T=%d: a schedule has at least one step (NewSchedule makes one)", s.Name, s.T)
	}
	for _, tbl := range s.tables() {
		if len(tbl.values) != s.T+1 {
			return fmt.Errorf("schedule %q of T=%d: its %s table has %d values, want T + 1 (NewSchedule makes a whole schedule)", s.Name, s.T, tbl.name, len(tbl.values))
		}
		for t := 1; t <= s.T; t++ {
			if v := tbl.values[t]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("schedule %q: %s at t=%d is %g, not a finite number", s.Name, tbl.name, t, v)
			}
		}
	}
	if s.ModelSteps != nil && len(s.ModelSteps) != s.T+1 {
		return fmt.Errorf("schedule %q of T=%d: %d model steps, want T + 1", s.Name, s.T, len(s.ModelSteps))
	}
	return nil
}

// SNR returns the signal-to-noise ratio of q(x_t | x_0), ᾱ_t/(1−ᾱ_t), for t = 1..T (index t−1).
// Nil for a schedule that Check refuses (an incomplete one panicked; forty-eighth sweep).
func (s *Schedule) SNR() []float64 {
	if s.Check() != nil {
		return nil
	}
	snr := make([]float64, s.T)
	for t := 1; t <= s.T; t++ {
		snr[t-1] = s.AlphaBar[t] / (1 - s.AlphaBar[t])
	}
	return snr
}

// Steps returns the values of table at t = 1..T, dropping the t = 0 boundary: handy for plots; nil for
// a table without it (an empty one panicked; forty-third probe's nit).
func Steps(table []float64) []float64 {
	if len(table) < 1 {
		return nil
	}
	return slices.Clone(table[1:])
}

// CheckStep returns an error unless 1 ≤ t ≤ T.
func (s *Schedule) CheckStep(t int) error {
	if s == nil {
		return errors.New("no schedule given (nil)")
	}
	if t < 1 || t > s.T {
		return fmt.Errorf("time step t=%d is outside 1..%d of the %s schedule", t, s.T, s.Name)
	}
	return nil
}

func checkT(T int) error {
	if T < 1 {
		return fmt.Errorf("number of diffusion steps T=%d: it must be at least 1", T)
	}
	return CheckMemory(fmt.Sprintf("a schedule of T=%d steps", T), scheduleBytesPerStep*float64(T))
}
