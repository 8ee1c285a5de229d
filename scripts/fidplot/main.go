// Command fidplot draws the classifier-FID against the number of sampling steps, one line per
// sampler, from the CSV that scripts/fid_vs_steps.sh writes:
//
//	go run ./scripts/fidplot runs/fid-vs-steps/fid-vs-steps.csv docs/sampling/fid-vs-steps.png
package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"

	"github.com/learn-ddpm/ddpm-go/viz"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: fidplot FID_VS_STEPS.csv OUT.png")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "fidplot:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
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
	for _, need := range []string{"sampler", "steps", "classifier_fid"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("%s: no column %q in the header %v", in, need, rows[0])
		}
	}
	var series []viz.Series
	index := map[string]int{}
	for line, row := range rows[1:] {
		steps, err1 := strconv.ParseFloat(row[col["steps"]], 64)
		fid, err2 := strconv.ParseFloat(row[col["classifier_fid"]], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s line %d: steps %q and classifier_fid %q must be numbers", in, line+2, row[col["steps"]], row[col["classifier_fid"]])
		}
		name := row[col["sampler"]]
		i, ok := index[name]
		if !ok {
			i = len(series)
			index[name] = i
			series = append(series, viz.Series{Name: name})
		}
		series[i].X = append(series[i].X, steps)
		series[i].Y = append(series[i].Y, fid)
	}
	png, err := viz.Plot{Title: "Sample quality against sampling steps", XLabel: "sampling steps K", YLabel: "classifier-FID (lower is better)",
		LogX: true, Width: 480, Height: 320, Series: series}.PNG()
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, png, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
