package course

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/safefile"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// Markdown shows a paragraph of the text whose numbers the cell computed or read from the repository:
// fmt.Sprintf(format, args...), rendered as Markdown with $…$ math. The text and the data it describes
// then cannot disagree; scripts/check_prose.py fails on numbers typed into the text instead. (A literal
// % is written %%, as in every format.)
func Markdown(format string, args ...any) {
	gonbui.DisplayMarkdown(fmt.Sprintf(format, args...))
}

// Table is a CSV file of the repository (a measurement under docs/), read by column name. Its rows are
// measurements, each named by its values in the key columns; they are read one by one by those values
// (Row, Where), or in the order of a column's numbers once sorted (SortedBy), never in the file's order:
// a file with rows missing, repeated or swapped read as another measurement in the sentences of the
// seventy-fourth, seventy-fifth and seventy-ninth probes.
type Table struct {
	Path   string
	header map[string]int
	rows   [][]string
	lines  []int  // each row's number in the file, from 1 under the header, for messages
	sorted string // the column the rows are in the order of; "" for the file's order
}

// ReadCSV reads a CSV file with a header line whose rows are each one measurement, named by its values
// in the columns key (a sampler and its number of steps); it panics on an error, which fails the cell,
// and where two rows hold the same key: one measurement given twice, of which one sentence read the
// first copy and another the last, or counted both (seventy-fifth and seventy-ninth probes).
func ReadCSV(path string, key ...string) *Table {
	if len(key) == 0 {
		panic(fmt.Sprintf("ReadCSV(%q): name the columns whose values tell its rows apart", path))
	}
	// As viz reads them: a column named twice was read from the last, and a byte-order mark made the
	// first column's name another (forty-seventh probe's nits).
	rows, col, err := viz.ReadCSV(path)
	if err != nil {
		panic(err)
	}
	t := &Table{Path: filepath.Clean(path), header: col, rows: rows[1:]}
	for i := range t.rows {
		t.lines = append(t.lines, i+1)
	}
	t.distinct(key)
	return t
}

// Len is the number of rows under the header.
func (t *Table) Len() int { return len(t.rows) }

// String is the value in row i (from 0, under the header) and column col.
func (t *Table) String(i int, col string) string {
	c, ok := t.header[col]
	if !ok {
		panic(fmt.Sprintf("%s: no column %q", t.Path, col))
	}
	if i < 0 || i >= len(t.rows) {
		panic(fmt.Sprintf("%s: no row %d (%d rows)", t.Path, i, len(t.rows)))
	}
	return t.rows[i][c]
}

// Float is the number in row i and column col.
func (t *Table) Float(i int, col string) float64 {
	v, err := strconv.ParseFloat(t.String(i, col), 64)
	if errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0) { // 1e400: ParseFloat gives ±Inf, refused below as such
		err = nil
	}
	if err != nil {
		// The value's start only: strconv's error quoted it whole (fortieth probe).
		panic(fmt.Sprintf("%s row %d, column %q: %s is not a number", t.Path, t.lines[i], col, viz.QuoteStart(t.String(i, col))))
	}
	// Nor NaN or ±Inf, which a sentence would print as a result where viz.CSVSeries refuses to plot it
	// (seventy-first probe).
	if math.IsNaN(v) || math.IsInf(v, 0) {
		panic(fmt.Sprintf("%s row %d, column %q: %s is not a finite number", t.Path, t.lines[i], col, viz.QuoteStart(t.String(i, col))))
	}
	return v
}

// Column is every row's number in column col, in the order of the column the table is sorted by; it
// panics on a table in the file's order.
func (t *Table) Column(col string) []float64 {
	if t.sorted == "" {
		panic(fmt.Sprintf("%s: column %q read in the file's order: sort the rows first (SortedBy), or read each by its key (Row)", t.Path, col))
	}
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.Float(i, col)
	}
	return out
}

// Row is the row whose column col holds value, and each further pair of more (a column, then its
// value) too; it panics when there is none (a missing row read as zeros became a measurement in a
// sentence; seventy-fourth probe) or more than one. A value is matched as a number where both are
// numbers ("1" is "1.0"), as text otherwise.
func (t *Table) Row(col, value string, more ...string) int {
	rows := t.matching(col, value, more)
	if len(rows) > 1 {
		panic(fmt.Sprintf("%s rows %d and %d: both hold %s; say which", t.Path, t.lines[rows[0]], t.lines[rows[1]], t.where(col, value, more)))
	}
	return rows[0]
}

// Where is the table of the rows whose column col holds value, and each further pair of more too, in
// the order they had; it panics when there is none.
func (t *Table) Where(col, value string, more ...string) *Table {
	out := &Table{Path: t.Path, header: t.header, sorted: t.sorted}
	for _, i := range t.matching(col, value, more) {
		out.rows, out.lines = append(out.rows, t.rows[i]), append(out.lines, t.lines[i])
	}
	return out
}

// matching are the rows Row and Where look for, at least one.
func (t *Table) matching(col, value string, more []string) []int {
	if len(more)%2 != 0 {
		panic(fmt.Sprintf("%s: Row(%q, %q, %q): a column without its value", t.Path, col, value, more))
	}
	want := append([]string{col, value}, more...)
	for k := 0; k < len(want); k += 2 {
		if _, ok := t.header[want[k]]; !ok { // named as a missing column, not as a missing row
			panic(fmt.Sprintf("%s: no column %q", t.Path, want[k]))
		}
	}
	var found []int
rows:
	for i := range t.rows {
		for k := 0; k < len(want); k += 2 {
			if canonical(t.String(i, want[k])) != canonical(want[k+1]) {
				continue rows
			}
		}
		found = append(found, i)
	}
	if len(found) == 0 {
		panic(fmt.Sprintf("%s: no row with %s", t.Path, t.where(col, value, more)))
	}
	return found
}

// where says what Row and Where look for.
func (t *Table) where(col, value string, more []string) string {
	want := append([]string{col, value}, more...)
	var where []string
	for k := 0; k+1 < len(want); k += 2 {
		where = append(where, fmt.Sprintf("%s = %q", want[k], want[k+1]))
	}
	return strings.Join(where, " and ")
}

// canonical is a value as compared: a finite number by its value ("1.0", "1" and "1e0" alike, -0 as 0),
// anything else by its text (which viz.ReadCSV refuses with spaces around it).
func canonical(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	return strconv.FormatFloat(v+0, 'g', -1, 64) // v+0: -0 is 0
}

// SortedBy is the table with its rows in the order of column col's numbers; it panics where two rows
// hold the same number there (one measurement given twice). Sentences that say "the first step" or "the
// largest weight measured" took them in the file's order, and a file with two rows swapped read as
// another curve (seventy-fifth probe).
func (t *Table) SortedBy(col string) *Table {
	order, value := make([]int, t.Len()), make([]float64, t.Len())
	for i := range order {
		order[i], value[i] = i, t.Float(i, col) // each read, one row's too
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(value[a], value[b]) })
	out := &Table{Path: t.Path, header: t.header, sorted: col}
	for k, i := range order {
		if k > 0 && value[i] == value[order[k-1]] {
			panic(fmt.Sprintf("%s rows %d and %d: %s is %s and %s, one number; each is one measurement, given once", t.Path, t.lines[order[k-1]], t.lines[i], col,
				t.String(order[k-1], col), t.String(i, col)))
		}
		out.rows, out.lines = append(out.rows, t.rows[i]), append(out.lines, t.lines[i])
	}
	return out
}

// distinct panics where two rows hold the same values in all of cols, compared as Row compares them.
func (t *Table) distinct(cols []string) {
	seen := map[string]int{}
	for i := range t.Len() {
		var key []string
		for _, c := range cols {
			key = append(key, strconv.Quote(canonical(t.String(i, c)))) // quoted: any byte may be in a field
		}
		k := strings.Join(key, ",")
		if j, ok := seen[k]; ok {
			var values []string
			for _, c := range cols {
				values = append(values, t.String(i, c))
			}
			panic(fmt.Sprintf("%s rows %d and %d: the same %s (%s); each is one measurement, given once", t.Path, t.lines[j], t.lines[i],
				strings.Join(cols, ", "), strings.Join(values, ", ")))
		}
		seen[k] = i
	}
}

// Same is the number that every row holds in column col (the samples behind each measurement); it
// panics where two rows differ: row 1's count of samples was taken for every row's, and standard
// errors computed from it (seventy-ninth probe).
func (t *Table) Same(col string) float64 {
	v := t.Float(0, col)
	for i := range t.Len() {
		if t.Float(i, col) != v {
			panic(fmt.Sprintf("%s rows %d and %d: %s is %s and %s, where the text says one for all", t.Path, t.lines[0], t.lines[i], col, t.String(0, col), t.String(i, col)))
		}
	}
	return v
}

// maxCount bounds a count of samples, images or evaluations that a sentence prints (int is 64 bits).
const maxCount = 1 << 40

// Counts panics unless every number in each of cols is a whole number from 1 to maxCount (samples,
// images, steps, evaluations): a count of 0 made an infinite standard error and a sentence of "0.0
// standard errors", a negative one NaN, 1e300 printed as −9 223 372 036 854 775 808, and 100.5
// evaluations read as 100 took that row's place (eightieth probe).
func (t *Table) Counts(cols ...string) {
	for _, c := range cols {
		for i := range t.Len() {
			if v := t.Float(i, c); !isCount(v) {
				panic(fmt.Sprintf("%s row %d, column %q: %s, where a count (a whole number from 1) is wanted", t.Path, t.lines[i], c, t.String(i, c)))
			}
		}
	}
}

// Count is the count that every row holds in column col (Same, Counts).
func (t *Table) Count(col string) int {
	t.Counts(col)
	return int(t.Same(col))
}

// isCount says whether v is a whole number from 1 to maxCount.
func isCount(v float64) bool { return v >= 1 && v <= maxCount && v == math.Trunc(v) }

// Every panics unless column col holds each whole number from first to last, once: the terms of a bound
// at t = 1 … T, one missing of which was summed into another term (seventy-ninth probe).
func (t *Table) Every(col string, first, last int) {
	seen := map[int]bool{}
	for i := range t.Len() {
		v := t.Float(i, col)
		if v != math.Trunc(v) || v < float64(first) || v > float64(last) || seen[int(v)] {
			panic(fmt.Sprintf("%s row %d, column %q: %s, where each whole number from %d to %d is wanted once", t.Path, t.lines[i], col, t.String(i, col), first, last))
		}
		seen[int(v)] = true
	}
	for n := 0; n <= len(seen) && first+n <= last; n++ { // the first missing number is one of these
		if !seen[first+n] {
			panic(fmt.Sprintf("%s: no row with %s = %d (each whole number from %d to %d is wanted once)", t.Path, col, first+n, first, last))
		}
	}
}

// Paired panics unless every table holds the same numbers in column col, row by row (tables sorted by
// it): their other columns are then the same items' measurements, paired row by row. Per-image bounds
// were paired by the files' order, and a file in another order changed a verdict (seventy-ninth probe).
func Paired(col string, tables ...*Table) {
	if len(tables) < 2 {
		panic(fmt.Sprintf("Paired(%q): %d tables, where two or more are paired", col, len(tables)))
	}
	for _, u := range tables[1:] {
		t := tables[0]
		if t.Len() != u.Len() {
			panic(fmt.Sprintf("%s has %d rows and %s %d, where they are paired row by row", t.Path, t.Len(), u.Path, u.Len()))
		}
		for i := range t.Len() {
			if t.Float(i, col) != u.Float(i, col) {
				panic(fmt.Sprintf("%s and %s: %s %s and %s in the same row, where they are paired row by row", t.Path, u.Path, col, t.String(i, col), u.String(i, col)))
			}
		}
	}
}

// Positive panics unless every number in each of cols is a standard error that a difference can be
// divided by, at least minStdErr: one of 0 made a difference of +Inf or NaN standard errors in a
// sentence (seventy-fifth probe), and one of 1e-320 of +Inf again (eighty-fourth probe).
func (t *Table) Positive(cols ...string) {
	for _, c := range cols {
		for i := range t.Len() {
			if v := t.Float(i, c); !(v >= minStdErr) {
				panic(fmt.Sprintf("%s row %d, column %q: %g; a measured standard error is at least %g", t.Path, t.lines[i], c, v, minStdErr))
			}
		}
	}
}

// minStdErr is the least standard error Positive takes: far below any the course measures (FID's are
// tenths), far above where a difference divided by it overflows.
const minStdErr = 1e-9

// Inside panics unless every number in column col lies strictly between lo and hi: a confident
// fraction of 1 has no binomial standard error, and its differences were "NaN standard errors".
func (t *Table) Inside(col string, lo, hi float64) {
	for i := range t.Len() {
		if v := t.Float(i, col); !(v > lo && v < hi) {
			panic(fmt.Sprintf("%s row %d, column %q: %g, not strictly between %g and %g, where the sentences compare it in standard errors", t.Path, t.lines[i], col, v, lo, hi))
		}
	}
}

// TrainingMinutes is the wall time, in minutes (one or more) on the project's 2 CPU cores, that tr's
// training run took to reach tr's step, as scripts/quality_per_minute.sh recorded it in docs/quality/quality.csv
// (its candidates are named by their base channels: ch8, ch16).
func TrainingMinutes(tr *ddpm.Trained) float64 {
	if tr.Spec.UNet == nil {
		panic(fmt.Sprintf("%s: no U-Net, so no candidate of docs/quality/quality.csv", tr.Path))
	}
	runs := ReadCSV(filepath.Join("..", "docs", "quality", "quality.csv"), "candidate", "steps")
	minutes := runs.Float(runs.Row("candidate", fmt.Sprintf("ch%d", tr.Spec.UNet.BaseChannels), "steps", strconv.FormatInt(tr.Step, 10)), "train_minutes")
	// Counted in whole minutes by the sentences that print it: "trained … in -0 minutes" (eighty-second
	// probe) and "in 0 minutes" (eighty-third).
	if !(minutes >= 1) {
		panic(fmt.Sprintf("%s: ch%d at step %d trained for %v minutes, where a time of a minute or more is wanted (the course says it in whole minutes)",
			runs.Path, tr.Spec.UNet.BaseChannels, tr.Step, minutes))
	}
	return minutes
}

// Parameters is the number of trained values in tr's checkpoint.
func Parameters(tr *ddpm.Trained) int {
	n := 0
	for v := range tr.Ctx.IterVariables() {
		n += v.Shape().Size()
	}
	return n
}

// ReadJSONNumber is the number at path (object keys, outermost first) in a JSON file of the repository,
// such as a report of `ddpm eval`; it panics when the file or the number is missing.
func ReadJSONNumber(file string, path ...string) float64 {
	x, ok := readJSON(file, path).(float64)
	if !ok {
		panic(fmt.Sprintf("%s: %v is not a number", file, path))
	}
	return x
}

// ReadJSONCount is ReadJSONNumber of a count: a whole number from 1 (images, samples), refused
// otherwise (a report of 0 or 1e300 images made sentences of "0" and "−9 223 372 036 854 775 808" test
// digits; eightieth probe).
func ReadJSONCount(file string, path ...string) int {
	x := ReadJSONNumber(file, path...)
	if !isCount(x) {
		panic(fmt.Sprintf("%s: %v is %v, where a count (a whole number from 1) is wanted", file, path, x))
	}
	return int(x)
}

// ReadJSONBool is ReadJSONNumber for a true or false, such as eval.json's "clip".
func ReadJSONBool(file string, path ...string) bool {
	b, ok := readJSON(file, path).(bool)
	if !ok {
		panic(fmt.Sprintf("%s: %v is not true or false", file, path))
	}
	return b
}

// ReadJSONString is ReadJSONNumber for a text, such as eval.json's "variance".
func ReadJSONString(file string, path ...string) string {
	s, ok := readJSON(file, path).(string)
	if !ok {
		panic(fmt.Sprintf("%s: %v is not a text", file, path))
	}
	return s
}

// ReadJSONCounts is ReadJSONNumber of a list of counts, each a whole number from 0, such as eval.json's
// class_counts (a digit never drawn counts 0).
func ReadJSONCounts(file string, path ...string) []int {
	list, ok := readJSON(file, path).([]any)
	if !ok {
		panic(fmt.Sprintf("%s: %v is not a list", file, path))
	}
	counts := make([]int, len(list))
	for i, v := range list {
		x, ok := v.(float64)
		if !ok || !(x == 0 || isCount(x)) {
			panic(fmt.Sprintf("%s: %v[%d] is %v, where a count (a whole number from 0) is wanted", file, path, i, v))
		}
		counts[i] = int(x)
	}
	return counts
}

// maxJSONBytes bounds a JSON file that the course reads: decoded into values, one takes some 30 times
// its size in memory (a 32 MiB file took 0.97 GB; forty-first probe), and the course's are kilobytes.
const maxJSONBytes = 16 << 20

// readJSON returns the value at path (keys of nested objects) in the JSON file.
func readJSON(file string, path []string) any {
	raw, err := safefile.ReadFile(file, maxJSONBytes)
	if err != nil {
		panic(err)
	}
	var v any
	if err := decodeJSON(file, raw, &v); err != nil {
		panic(err)
	}
	for _, key := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			panic(fmt.Sprintf("%s: %v is not an object", file, path))
		}
		if v, ok = obj[key]; !ok {
			panic(fmt.Sprintf("%s: no %q in %v", file, key, path))
		}
	}
	return v
}

// Count writes n with a space between groups of three digits, as the text writes numbers: 40 000.
func Count[N ~int | ~int64](n N) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
