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
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	flag.BoolVar(&plot.LogY, "logy", false, "logarithmic y axis")
	marked := flag.Bool("points", false, "a dot on each point of the lines (a group of one row shows as a dot)")
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
	if err := run(flag.Arg(0), flag.Arg(1), *x, *y, *group, *scale, *marked, plot); err != nil {
		fmt.Fprintln(os.Stderr, "csvplot:", err)
		os.Exit(1)
	}
}

func run(in, out, x, y, group string, scale float64, marked bool, plot viz.Plot) error {
	series, err := viz.CSVSeries(in, x, y, group)
	if err != nil {
		return err
	}
	if plot.XLabel == "" {
		plot.XLabel = x
	}
	if plot.YLabel == "" {
		plot.YLabel = y
	}
	for i, s := range series {
		series[i].Marked = marked
		for i := range s.Y {
			s.Y[i] *= scale
		}
	}
	plot.Series = series
	png, err := plot.PNG()
	if err != nil {
		return err
	}
	// A new file of a name of its own beside out, then renamed over it: at a fixed name, out.tmp, a link
	// left there had the plot written through it over another file (eighty-fourth probe).
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(png)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
