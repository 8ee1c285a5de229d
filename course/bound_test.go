package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// A bound's files are held to their report: the course's own pass, and another model's terms, terms
// swapped between t, or digits of another mean beside the report are refused (eighty-second probe).
func TestBoundFilesAreHeldToTheirReport(t *testing.T) {
	for _, folder := range []string{"../docs/eval", "../docs/learned/hybrid-learned", "../docs/learned/simple-beta"} {
		if n := BoundTerms(folder, 1000).Len(); n != 1000 {
			t.Errorf("%s: %d terms", folder, n)
		}
		BoundPerImage(folder)
	}
	copyOf := func(from string, edit func(name, text string) string) string {
		dir := t.TempDir()
		for _, name := range []string{"eval.json", "nll-terms.csv", "nll-per-image.csv"} {
			raw, err := os.ReadFile(filepath.Join(from, name))
			if err != nil {
				t.Fatal(err)
			}
			sweep.Write(t, filepath.Join(dir, name), []byte(edit(name, string(raw))))
		}
		return dir
	}
	other := func(name, text string) string { // another model's terms and digits beside this report
		if name == "eval.json" {
			return text
		}
		raw, _ := os.ReadFile(filepath.Join("../docs/learned/hybrid-learned", name))
		return string(raw)
	}
	swapped := func(name, text string) string { // the terms at t = 1 and t = 2 swapped, their sum kept
		if name != "nll-terms.csv" {
			return text
		}
		lines := strings.Split(text, "\n")
		a, b := strings.SplitN(lines[1], ",", 3), strings.SplitN(lines[2], ",", 3)
		a[1], b[1] = b[1], a[1]
		lines[1], lines[2] = strings.Join(a, ","), strings.Join(b, ",")
		return strings.Join(lines, "\n")
	}
	row := func(t int, column int, value string) func(name, text string) string { // one number of nll-terms.csv
		return func(name, text string) string {
			if name != "nll-terms.csv" {
				return text
			}
			lines := strings.Split(text, "\n")
			cells := strings.Split(lines[t], ",")
			cells[column] = value
			lines[t] = strings.Join(cells, ",")
			return strings.Join(lines, "\n")
		}
	}
	for _, c := range []struct {
		name string
		dir  string
		want string
	}{
		{"a distortion below 0", copyOf("../docs/eval", row(5, 3, "-61.3")), "at t = 5 the term is"},
		{"a distortion above 255", copyOf("../docs/eval", row(5, 3, "255.5")), "lies in 0…255"},
		{"L_T below 0", copyOf("../docs/eval", func(name, text string) string {
			if name != "eval.json" {
				return text
			}
			return strings.Replace(text, `"L_T": 0.0000`, `"L_T": -0.0000`, 1)
		}), "L_T is -2.6"},
		{"a term below 0", copyOf("../docs/eval", row(7, 1, "-0.001")), "at t = 7 the term is -0.001"},
		{"another model's terms", copyOf("../docs/learned/hybrid-beta", other), "the term at t = 1 and L_0 are not the report's"},
		{"terms swapped between t = 1 and 2", copyOf("../docs/eval", swapped), "at t = 1 the rate is"},
	} {
		if err := sweep.WantPanic(func() { BoundTerms(c.dir, 1000) }, c.want); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := sweep.WantPanic(func() { BoundPerImage(copyOf("../docs/learned/hybrid-beta", other)) }, "is not the report's bound"); err != nil {
		t.Errorf("another model's digits: %v", err)
	}
}
