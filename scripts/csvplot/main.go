// Command csvplot draws one column of a CSV against another, one line per value of a third (the
// group), as the measurement scripts write them:
//
//	go run ./scripts/csvplot -x steps -y classifier_fid -group sampler -logx \
//	    -title "Sample quality against sampling steps" -xlabel "sampling steps K" \
//	    -ylabel "classifier-FID (lower is better)" runs/fid-vs-steps/fid-vs-steps.csv docs/sampling/fid-vs-steps.png
//
// Without -group every row belongs to one line, drawn without a legend.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/learn-ddpm/ddpm-go/viz"
)

func main() {
	x := flag.String("x", "", "column of the x axis (numbers)")
	y := flag.String("y", "", "column of the y axis (numbers)")
	group := flag.String("group", "", "column whose values name the lines (empty: one line)")
	scale := flag.Float64("yscale", 1, "multiply y by this (e.g. 100 for percentages)")
	plot := viz.Plot{Width: 480, Height: 320}
	flag.StringVar(&plot.Title, "title", "", "plot title")
	flag.StringVar(&plot.XLabel, "xlabel", "", "x axis label (default: the column's name)")
	flag.StringVar(&plot.YLabel, "ylabel", "", "y axis label (default: the column's name)")
	flag.BoolVar(&plot.LogX, "logx", false, "logarithmic x axis")
	flag.BoolVar(&plot.LegendBottom, "legend-bottom", false, "legend in the bottom right corner")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: csvplot -x COLUMN -y COLUMN [-group COLUMN] [options] IN.csv OUT.png")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *x == "" || *y == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), *x, *y, *group, *scale, plot); err != nil {
		fmt.Fprintln(os.Stderr, "csvplot:", err)
		os.Exit(1)
	}
}

func run(in, out, x, y, group string, scale float64, plot viz.Plot) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(rows) < 2 {
		return fmt.Errorf("%s: no rows under the header", in)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{x, y, group} {
		if _, ok := col[need]; need != "" && !ok {
			return fmt.Errorf("%s: no column %q in the header %v", in, need, rows[0])
		}
	}
	if plot.XLabel == "" {
		plot.XLabel = x
	}
	if plot.YLabel == "" {
		plot.YLabel = y
	}
	index := map[string]int{}
	for line, row := range rows[1:] {
		xv, err1 := strconv.ParseFloat(row[col[x]], 64)
		yv, err2 := strconv.ParseFloat(row[col[y]], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s line %d: %s %q and %s %q must be numbers", in, line+2, x, row[col[x]], y, row[col[y]])
		}
		name := "" // one line: no legend
		if group != "" {
			name = row[col[group]]
		}
		i, ok := index[name]
		if !ok {
			i = len(plot.Series)
			index[name] = i
			plot.Series = append(plot.Series, viz.Series{Name: name})
		}
		plot.Series[i].X = append(plot.Series[i].X, xv)
		plot.Series[i].Y = append(plot.Series[i].Y, scale*yv)
	}
	png, err := plot.PNG()
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, png, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
