package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// The guidance sweep is held before any sentence compares its weights: the shipped one passes, and one
// weight, an FID error of 0, an accuracy that is no fraction, not its digits' mean or without its
// binomial error are refused (an error of 0 made "rises by two standard errors" of no rise; ninety-third
// and ninety-fourth probes).
func TestGuidanceSweepIsHeldBeforeItIsCompared(t *testing.T) {
	const shipped = "../docs/guidance/guidance.csv"
	if n := GuidanceSweep(shipped).Len(); n < 2 {
		t.Fatalf("%s: %d weights", shipped, n)
	}
	raw, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	header := strings.Split(lines[0], ",")
	column := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("%s has no column %q", shipped, name)
		return -1
	}
	edited := func(name string, edit func(rows [][]string) [][]string) string {
		var rows [][]string
		for _, l := range lines[1:] {
			rows = append(rows, strings.Split(l, ","))
		}
		text := lines[0] + "\n"
		for _, r := range edit(rows) {
			text += strings.Join(r, ",") + "\n"
		}
		path := filepath.Join(t.TempDir(), name)
		sweep.Write(t, path, []byte(text))
		return path
	}
	set := func(col, value string) func([][]string) [][]string {
		return func(rows [][]string) [][]string { rows[1][column(col)] = value; return rows }
	}
	for _, c := range []struct {
		name string
		edit func([][]string) [][]string
		want string
	}{
		{"one weight", func(rows [][]string) [][]string { return rows[:1] }, "1 weight(s) measured"},
		{"an FID error of 0", set("classifier_fid_stderr", "0"), "classifier_fid_stderr"},
		{"an accuracy above 1", set("conditional_accuracy", "1.2"), "is no fraction"},
		{"a negative accuracy error", set("conditional_accuracy_stderr", "-0.01"), "binomial standard error"},
		{"an accuracy error of 0 inside 0…1", set("conditional_accuracy_stderr", "0.0000"), "binomial standard error"},
		{"an accuracy error not the binomial's", set("conditional_accuracy_stderr", "0.0010"), "binomial standard error"},
		{"a digit's accuracy outside 0…1", func(rows [][]string) [][]string { // their mean kept
			rows[1][column("accuracy_0")], rows[1][column("accuracy_1")] = "1.900", "0.090"
			return rows
		}, "accuracy_0 is 1.9, no fraction"},
		{"an accuracy not its digits' mean", func(rows [][]string) [][]string { // with its binomial error
			rows[1][column("conditional_accuracy")], rows[1][column("conditional_accuracy_stderr")] = "0.9600", "0.0044"
			return rows
		}, "ten digits' average"},
	} {
		path := edited(strings.ReplaceAll(c.name, " ", "-")+".csv", c.edit)
		if err := sweep.WantPanic(func() { GuidanceSweep(path) }, c.want); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
