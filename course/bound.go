package course

import (
	"fmt"
	"math"
	"path/filepath"
)

// boundTol is how far a bound's files may be from their report (eval.json): their numbers are written
// to six significant digits, which moves a sum of a thousand terms by far less.
const boundTol = 1e-4

// BoundTerms is the table of a bound's terms that `ddpm eval` wrote in folder (nll-terms.csv: t,
// term_bits_per_dim, rate_bits_per_dim, …), in the order of t, one row for each t = 1 … T, each term at
// least 0 and each distortion in 0…255, held to the report beside it (eval.json): the term at t = 1 is
// its L_0, the later ones sum to its sum_L_t, each row's rate is the terms after it with L_T, and all of
// them with L_T are its bits_per_dim. It panics
// otherwise: another model's terms beside a report were read as its own, and terms swapped between t
// kept their sum (eighty-second probe).
func BoundTerms(folder string, T int) *Table {
	terms := ReadCSV(filepath.Join(folder, "nll-terms.csv"), "t").SortedBy("t")
	terms.Every("t", 1, T)
	report := filepath.Join(folder, "eval.json")
	l0, sumLt, lT := ReadJSONNumber(report, "nll", "L_0"), ReadJSONNumber(report, "nll", "sum_L_t"), ReadJSONNumber(report, "nll", "L_T")
	bound := ReadJSONNumber(report, "nll", "bits_per_dim")
	term, rate := terms.Column("term_bits_per_dim"), terms.Column("rate_bits_per_dim")
	// Each term is a KL divergence or −log of a probability, and a distortion is an RMSE of pixels in
	// 0…255: "a distortion of −61.3 of 255" was printed from edited terms (ninety-second probe).
	for i, d := range terms.Column("distortion_rmse") {
		if !(term[i] >= 0) || !(d >= 0 && d <= 255) {
			panic(fmt.Sprintf("%s: at t = %d the term is %g bits/dim and the distortion %g, where a term is at least 0 and a distortion (RMSE of pixels) lies in 0…255", terms.Path, i+1, term[i], d))
		}
	}
	if !(lT >= 0) {
		panic(fmt.Sprintf("%s: L_T is %g, where a KL divergence is at least 0", report, lT))
	}
	after := lT // the terms after row i, with L_T: row i's rate
	for i := len(term) - 1; i >= 0; i-- {
		if math.Abs(rate[i]-after) > boundTol {
			panic(fmt.Sprintf("%s: at t = %d the rate is %.6f, where the terms after it with the report's L_T make %.6f", terms.Path, i+1, rate[i], after))
		}
		after += term[i]
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"the term at t = 1 and L_0", term[0], l0}, {"the terms after t = 1 and sum_L_t", after - lT - term[0], sumLt}, {"all the terms with L_T and bits_per_dim", after, bound}} {
		if math.Abs(c.got-c.want) > boundTol {
			panic(fmt.Sprintf("%s: %s are not the report's (%.6f and %.6f in %s)", terms.Path, c.name, c.got, c.want, report))
		}
	}
	return terms
}

// BoundPerImage is the table of the bound of each test digit that `ddpm eval` wrote in folder
// (nll-per-image.csv: test_index, bits_per_dim), in the order of test_index, one row for each digit the
// report beside it (eval.json) measured, whose mean is the report's bits_per_dim; it panics otherwise
// (a per-image file of other digits made a report's L_T negative; eightieth probe).
func BoundPerImage(folder string) *Table {
	report := filepath.Join(folder, "eval.json")
	digits := ReadCSV(filepath.Join(folder, "nll-per-image.csv"), "test_index").SortedBy("test_index")
	digits.Every("test_index", 0, ReadJSONCount(report, "nll", "images")-1)
	mean := 0.0
	for _, v := range digits.Column("bits_per_dim") {
		mean += v / float64(digits.Len())
	}
	if bound := ReadJSONNumber(report, "nll", "bits_per_dim"); math.Abs(mean-bound) > boundTol {
		panic(fmt.Sprintf("%s: the digits' mean %.6f is not the report's bound %.6f (%s)", digits.Path, mean, bound, report))
	}
	return digits
}
