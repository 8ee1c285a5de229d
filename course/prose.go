package course

import (
	"cmp"
	"encoding/json"
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

// Table is a CSV file of the repository (a measurement under docs/), read by column name.
type Table struct {
	Path   string
	header map[string]int
	rows   [][]string
}

// ReadCSV reads a CSV file with a header line; it panics on an error, which fails the cell.
func ReadCSV(path string) *Table {
	// As viz reads them: a column named twice was read from the last, and a byte-order mark made the
	// first column's name another (forty-seventh probe's nits).
	rows, col, err := viz.ReadCSV(path)
	if err != nil {
		panic(err)
	}
	return &Table{Path: filepath.Clean(path), header: col, rows: rows[1:]}
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
		panic(fmt.Sprintf("%s row %d, column %q: %s is not a number", t.Path, i+1, col, viz.QuoteStart(t.String(i, col))))
	}
	// Nor NaN or ±Inf, which a sentence would print as a result where viz.CSVSeries refuses to plot it
	// (seventy-first probe).
	if math.IsNaN(v) || math.IsInf(v, 0) {
		panic(fmt.Sprintf("%s row %d, column %q: %s is not a finite number", t.Path, i+1, col, viz.QuoteStart(t.String(i, col))))
	}
	return v
}

// Column is every row's number in column col.
func (t *Table) Column(col string) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.Float(i, col)
	}
	return out
}

// Row is the first row whose column col holds value, and each further pair of more (a column, then
// its value) too, as the file writes them; it panics when there is none: a missing row read as zeros
// became a measurement in a sentence (seventy-fourth probe).
func (t *Table) Row(col, value string, more ...string) int {
	if len(more)%2 != 0 {
		panic(fmt.Sprintf("%s: Row(%q, %q, %q): a column without its value", t.Path, col, value, more))
	}
	want := append([]string{col, value}, more...)
	var where []string
	for k := 0; k < len(want); k += 2 {
		if _, ok := t.header[want[k]]; !ok { // named as a missing column, not as a missing row
			panic(fmt.Sprintf("%s: no column %q", t.Path, want[k]))
		}
		where = append(where, fmt.Sprintf("%s = %q", want[k], want[k+1]))
	}
rows:
	for i := range t.rows {
		for k := 0; k < len(want); k += 2 {
			if t.String(i, want[k]) != want[k+1] {
				continue rows
			}
		}
		return i
	}
	panic(fmt.Sprintf("%s: no row with %s", t.Path, strings.Join(where, " and ")))
}

// SortedBy is the table with its rows in the order of column col's numbers; it panics where two rows
// hold the same number there (one measurement given twice). Sentences that say "the first step" or "the
// largest weight measured" took them in the file's order, and a file with two rows swapped read as
// another curve (seventy-fifth probe).
func (t *Table) SortedBy(col string) *Table {
	order := make([]int, t.Len())
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.Float(a, col), t.Float(b, col)) })
	out := &Table{Path: t.Path, header: t.header}
	for k, i := range order {
		if k > 0 && t.Float(i, col) == t.Float(order[k-1], col) {
			panic(fmt.Sprintf("%s rows %d and %d: %s is %s in both; each is one measurement, given once", t.Path, order[k-1]+1, i+1, col, t.String(i, col)))
		}
		out.rows = append(out.rows, t.rows[i])
	}
	return out
}

// Distinct panics where two rows hold the same values in all of cols: one measurement given twice,
// which two cells read as two different values (the first copy and the last; seventy-fifth probe).
func (t *Table) Distinct(cols ...string) {
	seen := map[string]int{}
	for i := range t.Len() {
		var key []string
		for _, c := range cols {
			key = append(key, t.String(i, c))
		}
		k := strings.Join(key, "\x00")
		if j, ok := seen[k]; ok {
			panic(fmt.Sprintf("%s rows %d and %d: the same %s (%s); each is one measurement, given once", t.Path, j+1, i+1,
				strings.Join(cols, ", "), strings.Join(key, ", ")))
		}
		seen[k] = i
	}
}

// Positive panics unless every number in each of cols is above 0 (standard errors): a standard error
// of 0 made a difference of +Inf or NaN standard errors in a sentence (seventy-fifth probe).
func (t *Table) Positive(cols ...string) {
	for _, c := range cols {
		for i := range t.Len() {
			if v := t.Float(i, c); !(v > 0) {
				panic(fmt.Sprintf("%s row %d, column %q: %g; a measured standard error is above 0", t.Path, i+1, c, v))
			}
		}
	}
}

// Inside panics unless every number in column col lies strictly between lo and hi: a confident
// fraction of 1 has no binomial standard error, and its differences were "NaN standard errors".
func (t *Table) Inside(col string, lo, hi float64) {
	for i := range t.Len() {
		if v := t.Float(i, col); !(v > lo && v < hi) {
			panic(fmt.Sprintf("%s row %d, column %q: %g, not strictly between %g and %g, where the sentences compare it in standard errors", t.Path, i+1, col, v, lo, hi))
		}
	}
}

// TrainingMinutes is the wall time, in minutes on the project's 2 CPU cores, that tr's training run
// took to reach tr's step, as scripts/quality_per_minute.sh recorded it in docs/quality/quality.csv
// (its candidates are named by their base channels: ch8, ch16).
func TrainingMinutes(tr *ddpm.Trained) float64 {
	runs := ReadCSV(filepath.Join("..", "docs", "quality", "quality.csv"))
	candidate := fmt.Sprintf("ch%d", tr.Spec.UNet.BaseChannels)
	for i := range runs.Len() {
		if runs.String(i, "candidate") == candidate && int64(runs.Float(i, "steps")) == tr.Step {
			return runs.Float(i, "train_minutes")
		}
	}
	panic(fmt.Sprintf("%s: no row for %s at step %d", runs.Path, candidate, tr.Step))
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

// ReadJSONBool is ReadJSONNumber for a true or false, such as eval.json's "clip".
func ReadJSONBool(file string, path ...string) bool {
	b, ok := readJSON(file, path).(bool)
	if !ok {
		panic(fmt.Sprintf("%s: %v is not true or false", file, path))
	}
	return b
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
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(fmt.Sprintf("%s: %v", file, err))
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
