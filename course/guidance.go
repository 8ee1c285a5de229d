package course

import (
	"fmt"
	"math"
)

// GuidanceSweep is the table of a guidance sweep that scripts/guidance_sweep.sh wrote (guidance.csv:
// guidance, samples, conditional_accuracy and its _stderr, classifier_fid and its _stderr,
// accuracy_0 … accuracy_9), one row per weight in the order of w. It panics unless two weights or more
// were measured, every FID has a standard error a difference can be divided by, and each accuracy is a
// fraction with its binomial error, the mean of its ten digits' fractions (each digit drawn as often). Both of notebook 7's
// cells that read the sweep hold it so: the first compared in standard errors before the second refused
// errors of 0, and called a rise of 0 ± 0 "by two standard errors" (ninety-third probe).
func GuidanceSweep(path string) *Table {
	sweep := ReadCSV(path, "guidance").SortedBy("guidance")
	if sweep.Len() < 2 {
		panic(fmt.Sprintf("%s: %d weight(s) measured; the sentences compare two or more", sweep.Path, sweep.Len()))
	}
	sweep.Positive("classifier_fid_stderr")
	for i := range sweep.Len() {
		w, acc, se := sweep.Float(i, "guidance"), sweep.Float(i, "conditional_accuracy"), sweep.Float(i, "conditional_accuracy_stderr")
		if !(acc >= 0 && acc <= 1) {
			panic(fmt.Sprintf("%s, w = %g: accuracy %g is no fraction", sweep.Path, w, acc))
		}
		// The binomial error of n samples, as the sweep wrote it (to 4 decimals): an error of 0 is an
		// accuracy of 0 or 1 only (one of 0 at 99% made a rise of +Inf standard errors; ninety-fourth
		// probe), and one written as 0.0000 beside an accuracy inside 0…1 is too coarse to compare by.
		binomial := math.Sqrt(acc * (1 - acc) / float64(sweep.Count("samples")))
		if math.Abs(se-binomial) > 0.0001 || se == 0 && acc > 0 && acc < 1 {
			panic(fmt.Sprintf("%s, w = %g: accuracy %g ± %g, where %s samples give a binomial standard error of %.5f (written to 4 decimals, and 0 only for an accuracy of 0 or 1)",
				sweep.Path, w, acc, se, Count(sweep.Count("samples")), binomial))
		}
		digits := 0.0
		for d := range 10 {
			a := sweep.Float(i, fmt.Sprintf("accuracy_%d", d))
			if !(a >= 0 && a <= 1) {
				panic(fmt.Sprintf("%s, w = %g: accuracy_%d is %g, no fraction", sweep.Path, w, d, a))
			}
			digits += a / 10
		}
		if math.Abs(digits-acc) > 0.0006 { // the digits' are written to 3 decimals
			panic(fmt.Sprintf("%s, w = %g: accuracy %g, and its ten digits' average %g", sweep.Path, w, acc, digits))
		}
	}
	return sweep
}
