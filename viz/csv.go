package viz

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// MaxCSVBytes bounds a table that CSVSeries reads: read into rows of strings, one takes some 75 times
// its size in memory (a 32 MiB file took 2.4 GB; forty-first probe), and the course's are kilobytes.
const MaxCSVBytes = 8 << 20

// QuoteStart quotes at most the first 60 bytes of a value, for a message: a field of 512 MB, quoted
// whole, made a message of 2 GB (fortieth probe).
func QuoteStart(v string) string {
	if len(v) <= 60 {
		return strconv.Quote(v)
	}
	return strconv.Quote(v[:60]) + fmt.Sprintf("… (%d bytes)", len(v))
}

// ReadCSV reads a CSV file with a header and at least one row under it: rows[0] is the header, and
// col the index of each column by name. A header that names a column twice is refused.
func ReadCSV(path string) (rows [][]string, col map[string]int, err error) {
	rows, col, _, err = readCSV(path)
	return rows, col, err
}

// readCSV is ReadCSV that also gives the file's line number of each field of each row: blank lines
// and quoted fields over several lines are not rows, so a row's index is not its line (a bad value on
// line 5 was said to be on line 4; fifty-sixth probe).
func readCSV(path string) (rows [][]string, col map[string]int, lines [][]int, err error) {
	// A regular file (a FIFO hung the reader; thirty-third probe's nit) of bounded size: a sparse 512 MB
	// file ran the reader out of memory (fortieth probe).
	raw, err := safefile.ReadFile(path, MaxCSVBytes)
	if err != nil {
		return nil, nil, nil, err
	}
	// A byte-order mark, as spreadsheets write one, is no part of the first column's name (it was, unseen
	// in the message that the column was missing; forty-fourth probe's nit).
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF"))))
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		// Each field's own line: a quoted field may hold newlines, and the row's first line named
		// a line without the bad value (sixty-ninth probe's nit).
		at := make([]int, len(row))
		for i := range row {
			at[i], _ = r.FieldPos(i)
			// A field with spaces around it was one value to a reader that trims and another to one that
			// does not: " true" was a key's "true" and not the plot's (eighty-third probe).
			if strings.TrimSpace(row[i]) != row[i] {
				return nil, nil, nil, fmt.Errorf("%s line %d: the field %s has spaces around it, which readers take apart or not: write it without", path, at[i], QuoteStart(row[i]))
			}
		}
		rows, lines = append(rows, row), append(lines, at)
	}
	if len(rows) < 2 {
		return nil, nil, nil, fmt.Errorf("%s: no rows under the header", path)
	}
	col = map[string]int{}
	for i, name := range rows[0] {
		if _, twice := col[name]; twice { // the last of them was read, without a word
			return nil, nil, nil, fmt.Errorf("%s: the header names column %s twice", path, QuoteStart(name))
		}
		col[name] = i
	}
	return rows, col, lines, nil
}

// CSVSeries reads the columns x and y of a CSV file with a header (as the measurement scripts write
// them) as lines: one Series per value of the column group, named by it, in order of first
// appearance, its points in the order of x (in the file's, a row appended later drew a line back;
// eighty-fourth probe); with group "" every row goes to one unnamed Series. Errors name the file, and
// the line and column of a value that is not a finite number.
func CSVSeries(path, x, y, group string) ([]Series, error) {
	rows, col, lines, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	for i, need := range []string{x, y, group} {
		// Only the group may be "" (none): an x or y of "" read the first column (forty-seventh sweep).
		if _, ok := col[need]; !ok && (need != "" || i < 2) {
			return nil, fmt.Errorf("%s: no column %q in the header %v", path, need, rows[0])
		}
	}
	var series []Series
	index := map[string]int{}
	for r, row := range rows[1:] {
		xv, err1 := strconv.ParseFloat(row[col[x]], 64)
		yv, err2 := strconv.ParseFloat(row[col[y]], 64)
		// The line of the value at fault (x's where both are).
		line := lines[r+1][col[y]]
		if err1 != nil || math.IsNaN(xv) || math.IsInf(xv, 0) {
			line = lines[r+1][col[x]]
		}
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s line %d: %s %s and %s %s must be numbers", path, line, x, QuoteStart(row[col[x]]), y, QuoteStart(row[col[y]]))
		}
		// NaN and ±Inf parse as numbers, and the plot refused them later without naming the file
		// (sixty-eighth probe).
		if math.IsNaN(xv) || math.IsInf(xv, 0) || math.IsNaN(yv) || math.IsInf(yv, 0) {
			return nil, fmt.Errorf("%s line %d: %s %s and %s %s must be finite: a plot has no place for NaN or ±Inf", path, line, x, QuoteStart(row[col[x]]), y, QuoteStart(row[col[y]]))
		}
		name := ""
		if group != "" {
			name = row[col[group]]
		}
		i, ok := index[name]
		if !ok {
			i = len(series)
			index[name] = i
			series = append(series, Series{Name: name})
		}
		series[i].X = append(series[i].X, xv)
		series[i].Y = append(series[i].Y, yv)
	}
	for i := range series {
		series[i].SortByX()
	}
	return series, nil
}
