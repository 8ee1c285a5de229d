package viz

import (
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// CSVSeries reads the columns x and y of a CSV file with a header (as the measurement scripts write
// them) as lines: one Series per value of the column group, named by it, in order of first
// appearance; with group "" every row goes to one unnamed Series. Errors name the file, and the line
// and column of a value that is not a number.
func CSVSeries(path, x, y, group string) ([]Series, error) {
	f, err := safefile.Open(path) // a FIFO hung the reader (thirty-third probe's nit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no rows under the header", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{x, y, group} {
		if _, ok := col[need]; need != "" && !ok {
			return nil, fmt.Errorf("%s: no column %q in the header %v", path, need, rows[0])
		}
	}
	var series []Series
	index := map[string]int{}
	for line, row := range rows[1:] {
		xv, err1 := strconv.ParseFloat(row[col[x]], 64)
		yv, err2 := strconv.ParseFloat(row[col[y]], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s line %d: %s %q and %s %q must be numbers", path, line+2, x, row[col[x]], y, row[col[y]])
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
	return series, nil
}
