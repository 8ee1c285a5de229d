package course

import (
	"fmt"
	"math"
)

// GuidanceSweep is the table of a guidance sweep that scripts/guidance_sweep.sh wrote (guidance.csv:
// guidance, samples, conditional_accuracy and its _stderr, classifier_fid and its _stderr,
// accuracy_0 … accuracy_9), one row per weight in the order of w. It panics unless two weights or more
// were measured, every FID has a standard error a difference can be divided by, and each accuracy is a
// fraction with its error, the mean of its ten digits' (each digit drawn as often). Both of notebook 7's
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
		// An accuracy of 1, all drawn right, has an error of 0.
		if !(acc >= 0 && acc <= 1 && se >= 0 && se <= 0.5) {
			panic(fmt.Sprintf("%s, w = %g: accuracy %g ± %g is no fraction and its standard error", sweep.Path, w, acc, se))
		}
		digits := 0.0
		for d := range 10 {
			digits += sweep.Float(i, fmt.Sprintf("accuracy_%d", d)) / 10
		}
		if math.Abs(digits-acc) > 0.0006 { // the digits' are written to 3 decimals
			panic(fmt.Sprintf("%s, w = %g: accuracy %g, and its ten digits' average %g", sweep.Path, w, acc, digits))
		}
	}
	return sweep
}
