package course

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/viz"
)

func TestImageHTMLEscapesTheDescription(t *testing.T) {
	got := imageHTML([]byte{1, 2, 3}, `x_t "noisy" <digit> & more`)
	want := `<img alt="x_t &#34;noisy&#34; &lt;digit&gt; &amp; more" src="data:image/png;base64,AQID">`
	if got != want {
		t.Errorf("imageHTML = %s, want %s", got, want)
	}
}

func TestFigureWithoutDescriptionFails(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "without a description") {
			t.Errorf("showPNG with blank alt text: recovered %v, want a panic naming the missing description", r)
		}
	}()
	showPNG([]byte{1}, "  ")
}

func TestTableReadsColumnsByName(t *testing.T) {
	path := t.TempDir() + "/m.csv"
	if err := os.WriteFile(path, []byte("candidate,steps,train_minutes\nch8,2000,4.07\nch16,40000,179.30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := ReadCSV(path, "candidate")
	if got := tab.Float(tab.Row("candidate", "ch16"), "train_minutes"); got != 179.3 {
		t.Errorf("train_minutes of ch16 = %g, want 179.3", got)
	}
	if got := tab.Row("steps", "40000", "candidate", "ch16"); got != 1 { // every pair must hold, not the first alone
		t.Errorf("Row(steps 40000, candidate ch16) = %d, want 1", got)
	}
	if got := tab.Row("steps", "4e4"); got != 1 { // a number matched by its value
		t.Errorf("Row(steps 4e4) = %d, want 1", got)
	}
	if got := ReadCSV(path, "candidate").SortedBy("train_minutes").Column("steps"); len(got) != 2 || got[0] != 2000 || got[1] != 40000 {
		t.Errorf("steps sorted by train_minutes = %v, want [2000 40000]", got)
	}
	back := t.TempDir() + "/b.csv" // the rows in the other order, sorted back
	if err := os.WriteFile(back, []byte("candidate,steps,train_minutes\nch16,40000,179.30\nch8,2000,4.07\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sorted := ReadCSV(back, "candidate").SortedBy("steps")
	if got := sorted.Column("train_minutes"); len(got) != 2 || got[0] != 4.07 || got[1] != 179.3 {
		t.Errorf("train_minutes sorted by steps = %v, want [4.07 179.3]", got)
	}
	Paired("steps", sorted, ReadCSV(path, "candidate").SortedBy("steps"))
	tab.Positive("steps", "train_minutes")
	tab.Inside("train_minutes", 0, 180)
	if got := tab.Where("candidate", "ch8").Same("steps"); got != 2000 {
		t.Errorf("Same(steps) of ch8's row = %g, want 2000", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `no column "minutes"`) {
			t.Errorf("a missing column: recovered %v, want a panic naming it", r)
		}
	}()
	tab.Float(0, "minutes")
}

// A table larger than viz.MaxCSVBytes is refused before it is read (a sparse file of 512 MB took
// 2.5 GB; fortieth probe), and a value that is not a number is quoted by its start.
func TestReadCSVIsBounded(t *testing.T) {
	path := t.TempDir() + "/big.csv"
	if err := os.WriteFile(path, []byte("x,y\n1,"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, viz.MaxCSVBytes+1); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "more than the") {
				t.Errorf("a table of %d bytes: recovered %v, want a panic naming its size", viz.MaxCSVBytes+1, r)
			}
		}()
		ReadCSV(path, "x")
	}()
	long := t.TempDir() + "/long.csv"
	if err := os.WriteFile(long, []byte("x,y\n1,"+strings.Repeat("x", 1<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil || len(fmt.Sprint(r)) > 500 || !strings.Contains(fmt.Sprint(r), "is not a number") {
			t.Errorf("a value of a megabyte: a panic of %d bytes, want its start", len(fmt.Sprint(r)))
		}
	}()
	ReadCSV(long, "x").Float(0, "y")
}

func TestReadJSONFollowsThePathAndChecksTheType(t *testing.T) {
	path := t.TempDir() + "/eval.json"
	if err := os.WriteFile(path, []byte(`{"clip": true, "nll": {"bits_per_dim": 1.9, "images": 500}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadJSONNumber(path, "nll", "images"); got != 500 {
		t.Errorf("nll.images = %g, want 500", got)
	}
	if !ReadJSONBool(path, "clip") {
		t.Errorf("clip = false, want true")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "is not true or false") {
			t.Errorf("a number read as a bool: recovered %v, want a panic saying so", r)
		}
	}()
	ReadJSONBool(path, "nll", "images")
}

func TestCountGroupsDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1 000", 40000: "40 000", 280177: "280 177", 1234567: "1 234 567", -60000: "-60 000"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCheckNamesItsMutantAndRefusesAClaimWithoutOne(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/mutants.json", []byte(`{"01-x.ipynb": [{"Cell": "c", "Claim": "variance is β", "Wrong": "σ² were β̃", "Replace": [["a", "b"]]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	old := MutantsFile
	MutantsFile = dir + "/mutants.json"
	defer func() { MutantsFile = old }()
	if got := catches("t=10: the variance is β_t"); got != "σ² were β̃" {
		t.Errorf("catches = %q, want the entry's Wrong", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "CHECK WITHOUT A MUTANT") {
			t.Errorf("a claim without a mutant: recovered %v, want a panic naming it", r)
		}
	}()
	Check("the mean is 0", true, "")
}

// No noise is nil, not a panic (a negative count panicked; forty-third probe's nit).
func TestGaussianNoiseOfNothing(t *testing.T) {
	if z := GaussianNoise(nil, -1); z != nil {
		t.Errorf("GaussianNoise(nil, -1) = %v", z)
	}
}

// Observe prints its statement marked "≈" when it holds and panics naming it when it does not.
func TestObserveMarksAndFails(t *testing.T) {
	t.Setenv(MutantEnv, "")
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "OBSERVATION FAILED: the error is largest at t = 2 (4 > 3)") {
				t.Errorf("Observe of a statement that does not hold: panic %v, want one naming it", r)
			}
		}()
		Observe("the error is largest at t = 2", false, "%d > %d", 4, 3)
	}()
}
