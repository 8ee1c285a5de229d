package course

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/sweep"
	"github.com/learn-ddpm/ddpm-go/viz"
)

// sweepCase is one call with hostile arguments (sweep.Call runs it).
type sweepCase struct {
	name  string
	check func() error
}

// TestHostileArguments calls every exported function and method of the package with arguments out of
// its range and files that are not what it reads: each must answer with an error, its documented
// result, or (the notebook helpers that fail a cell) a panic naming what is wrong, at once.
// Check, Near and Demonstrate are left out: failing is their job. So are MNIST, which takes no
// argument, Parameters and TrainingMinutes, which take a loaded model, and Markdown, Play and Show
// beyond their refusals, which display nothing outside a notebook.
func TestHostileArguments(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return sweep.Write(t, filepath.Join(dir, name), []byte(content)) }
	fifo := sweep.FIFO(t, filepath.Join(dir, "fifo"))
	missing := filepath.Join(dir, "missing")
	empty := write("empty", "")
	csvGood := write("good.csv", "name,value\na,1\nb,x\n")
	csvRepeated := write("repeated.csv", "w,se,p\n0,1,0.5\n0.5,0,0.5\n0,1,1\n")
	csvTwice := write("twice.csv", "a,b,a\n1,2,3\n")
	csvBOM := write("bom.csv", "\uFEFFa,b\n1,2\n")
	csvNotFinite := write("notfinite.csv", "a,b,c,d\nNaN,+Inf,-inf,-1e400\n")
	pngStart := write("start.png", "\x89PNG\r\n\x1a\n")
	csvJunk := write("junk.csv", strings.Repeat("ju\"nk\x00\xff,", 50)+"\n"+strings.Repeat("\xfe\"\n", 20))
	csvCut := write("cut.csv", "name,value\n\"a,1\n")
	csvHeader := write("header.csv", "name,value\n")
	csvAlike := write("alike.csv", "k,s,v\n1.0,a,3\n1,b,4\n2.5,b,5\n")
	csvOther := write("other.csv", "k,s,v\n1,a,3\n1,b,4\n2,b,6\n")
	csvCounts := write("counts.csv", "k,good,zero,neg,huge\n1,2000,0,-2000,1e300\n2,2000,0,-2000,1e300\n")
	csvNUL := write("nul.csv", "k,s\na\x00,b\na,\x00b\n") // two keys alike once joined on a NUL
	jsonCounts := write("counts.json", `{"good": 10000, "zero": 0, "frac": 10000.9}`)
	big := write("big", "{\"x\": 1,")
	if err := os.Truncate(big, 32<<20); err != nil {
		t.Fatal(err)
	}
	jsonGood := write("good.json", `{"a": {"b": 2.5, "c": true, "d": "text"}, "n": null}`)
	jsonCut := write("cut.json", `{"a": {"b": 2.`)
	jsonJunk := write("junk.json", "\x00\xff junk {")
	digit := make([]float32, 784)

	frame := func(n int) viz.Grid { return Digits(make([]float32, n*784), 0, nil, "frame") }

	cases := []sweepCase{
		// GaussianNoise.
		{"GaussianNoise n=0 with a nil source", func() error {
			if z := GaussianNoise(nil, 0); z != nil {
				return fmt.Errorf("got %d values, want nil", len(z))
			}
			return nil
		}},
		{"GaussianNoise n=-1", func() error {
			if z := GaussianNoise(rand.New(rand.NewPCG(1, 2)), -1); z != nil {
				return fmt.Errorf("got %d values, want nil", len(z))
			}
			return nil
		}},
		{"GaussianNoise n=MinInt", func() error {
			if z := GaussianNoise(rand.New(rand.NewPCG(1, 2)), math.MinInt); z != nil {
				return fmt.Errorf("got %d values, want nil", len(z))
			}
			return nil
		}},

		// Count.
		{"Count MinInt64", func() error {
			if s := Count(int64(math.MinInt64)); s != "-9 223 372 036 854 775 808" {
				return fmt.Errorf("Count(MinInt64) = %q", s)
			}
			return nil
		}},
		{"Count MaxInt", func() error {
			if s := Count(math.MaxInt); s != "9 223 372 036 854 775 807" {
				return fmt.Errorf("Count(MaxInt) = %q", s)
			}
			return nil
		}},
		{"Count -999 and -1000", func() error {
			if a, b := Count(-999), Count(-1000); a != "-999" || b != "-1 000" {
				return fmt.Errorf("Count(-999), Count(-1000) = %q, %q", a, b)
			}
			return nil
		}},
		{"Count 0", func() error {
			if s := Count(0); s != "0" {
				return fmt.Errorf("Count(0) = %q", s)
			}
			return nil
		}},

		// Digits.
		{"Digits of nothing", func() error { _, err := Digits(nil, 0, nil, "none").PNG(); return sweep.WantErr(err, "0 images") }},
		{"Digits of a partial digit", func() error {
			_, err := Digits(digit[:783], 1, nil, "part").PNG()
			return sweep.WantErr(err, "0 images")
		}},
		{"Digits of a digit and a value", func() error {
			_, err := Digits(append(append([]float32{}, digit...), 0), 1, nil, "more").PNG()
			return sweep.WantErr(err, "785 values")
		}},
		{"Digits cols -1", func() error { _, err := Digits(digit, -1, nil, "x").PNG(); return sweep.WantErr(err, "-1 columns") }},
		{"Digits captions of another count", func() error {
			_, err := Digits(digit, 1, []string{"a", "b"}, "x").PNG()
			return sweep.WantErr(err, "2 captions for 1 images")
		}},
		{"Digits NaN", func() error {
			d := append([]float32{}, digit...)
			d[0] = float32(math.NaN())
			_, err := Digits(d, 1, nil, "x").PNG()
			return sweep.WantErr(err, "is NaN") // refused, as viz.Grid refuses it (it drew it black)
		}},

		// Animation.
		{"Animation of no frame", func() error { _, err := Animation{}.GIF(); return sweep.WantErr(err, "without frames") }},
		{"Animation of empty frames", func() error {
			_, err := Animation{Frames: []viz.Grid{}}.GIF()
			return sweep.WantErr(err, "without frames")
		}},
		{"Animation Delay -1", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1)}, Delay: -1}.GIF()
			return sweep.WantErr(err, "Delay -1")
		}},
		{"Animation Hold -1", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1)}, Hold: -1}.GIF()
			return sweep.WantErr(err, "Hold -1")
		}},
		{"Animation Delay MaxInt", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1)}, Delay: math.MaxInt}.GIF()
			return sweep.WantErr(err, "Delay")
		}},
		{"Animation Delay × Hold overflowing int", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1)}, Delay: 1 << 32, Hold: 1 << 32}.GIF()
			return sweep.WantErr(err, "Delay × Hold")
		}},
		{"Animation Delay MinInt", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1)}, Delay: math.MinInt, Hold: math.MinInt}.GIF()
			return sweep.WantErr(err, "Delay")
		}},
		{"Animation frame of no image", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1), {}}}.GIF()
			return sweep.WantErr(err, "frame 1")
		}},
		{"Animation frames of other sizes", func() error {
			_, err := Animation{Frames: []viz.Grid{frame(1), frame(2)}}.GIF()
			return sweep.WantErr(err, "same size")
		}},
		{"Animation frame of MaxInt images", func() error {
			g := frame(1)
			g.N = math.MaxInt
			_, err := Animation{Frames: []viz.Grid{g}}.GIF()
			return sweep.WantErr(err, "at most")
		}},
		{"Animation of 100 000 frames", func() error {
			_, err := Animation{Frames: make([]viz.Grid, 1e5)}.GIF()
			return sweep.WantErr(err, "frame 0")
		}},
		{"Animation Play without a description", func() error {
			return sweep.WantPanic(func() { Play(Animation{Frames: []viz.Grid{frame(1)}}) }, "without a description")
		}},
		{"Animation Play of no frame", func() error { return sweep.WantPanic(func() { Play(Animation{Alt: "x"}) }, "without frames") }},

		// Show and ShowFile (they panic, by design, to fail the cell).
		{"Show a figure that cannot be drawn", func() error { return sweep.WantPanic(func() { Show(viz.Grid{Alt: "x"}) }, "0 images") }},
		{"Show without a description", func() error {
			return sweep.WantPanic(func() { Show(Digits(digit, 1, nil, "")) }, "without a description")
		}},
		{"ShowFile empty path", func() error { return sweep.WantPanic(func() { ShowFile("", "x") }, "no such file") }},
		{"ShowFile missing", func() error { return sweep.WantPanic(func() { ShowFile(missing, "x") }, "missing") }},
		{"ShowFile FIFO", func() error { return sweep.WantPanic(func() { ShowFile(fifo, "x") }, "FIFO") }},
		{"ShowFile folder", func() error { return sweep.WantPanic(func() { ShowFile(dir, "x") }, "folder") }},
		{"ShowFile without a description", func() error { return sweep.WantPanic(func() { ShowFile(pngStart, " ") }, "without a description") }},
		{"ShowFile of an empty file", func() error { return sweep.WantPanic(func() { ShowFile(empty, "x") }, "not a PNG") }},
		{"ShowFile of a CSV", func() error { return sweep.WantPanic(func() { ShowFile(csvGood, "x") }, "not a PNG") }},
		{"GaussianNoise n=MaxInt", func() error {
			return sweep.WantPanic(func() { GaussianNoise(rand.New(rand.NewPCG(1, 2)), math.MaxInt) }, "at most")
		}},
		{"GaussianNoise n=2^40", func() error {
			return sweep.WantPanic(func() { GaussianNoise(rand.New(rand.NewPCG(1, 2)), 1<<40) }, "at most")
		}},
		{"Animation of a colour frame", func() error {
			g := frame(1)
			g.Pixels, g.Channels = make([]float32, 784*3), 3
			_, err := Animation{Frames: []viz.Grid{g}}.GIF()
			return sweep.WantErr(err, "3 channels")
		}},

		// ReadCSV and Table.
		{"ReadCSV empty path", func() error { return sweep.WantPanic(func() { ReadCSV("", "name") }, "no such file") }},
		{"ReadCSV missing", func() error { return sweep.WantPanic(func() { ReadCSV(missing, "name") }, "missing") }},
		{"ReadCSV FIFO", func() error { return sweep.WantPanic(func() { ReadCSV(fifo, "name") }, "FIFO") }},
		{"ReadCSV folder", func() error { return sweep.WantPanic(func() { ReadCSV(dir, "name") }, "folder") }},
		{"ReadCSV empty", func() error { return sweep.WantPanic(func() { ReadCSV(empty, "name") }, "no rows") }},
		{"ReadCSV header only", func() error { return sweep.WantPanic(func() { ReadCSV(csvHeader, "name") }, "no rows") }},
		{"ReadCSV junk", func() error { return sweep.WantPanic(func() { ReadCSV(csvJunk, "name") }, "junk.csv") }},
		{"ReadCSV truncated", func() error { return sweep.WantPanic(func() { ReadCSV(csvCut, "name") }, "cut.csv") }},
		{"ReadCSV too big", func() error { return sweep.WantPanic(func() { ReadCSV(big, "name") }, "more than") }},
		{"Table of a column named twice", func() error { return sweep.WantPanic(func() { ReadCSV(csvTwice, "a") }, `column "a" twice`) }},
		{"Table after a byte-order mark", func() error {
			if v := ReadCSV(csvBOM, "a").Float(0, "a"); v != 1 {
				return fmt.Errorf("column a = %v, want 1", v)
			}
			return nil
		}},
		{"Table missing column", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").SortedBy("values") }, `no column "values"`)
		}},
		{"Table empty column name", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").String(0, "") }, `no column ""`)
		}},
		{"Table value not a number", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").SortedBy("value") }, `"x" is not a number`)
		}},
		// Read as a result, NaN and ±Inf would be printed in a sentence (seventy-first probe).
		{"Table NaN", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvNotFinite, "a").Float(0, "a") }, `"NaN" is not a finite number`)
		}},
		{"Table +Inf", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvNotFinite, "a").Float(0, "b") }, `"+Inf" is not a finite number`)
		}},
		{"Table -inf", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvNotFinite, "a").SortedBy("c") }, `"-inf" is not a finite number`)
		}},
		{"Table -1e400, beyond float64", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvNotFinite, "a").Float(0, "d") }, `"-1e400" is not a finite number`)
		}},
		{"Table Row of no such value", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Row("name", "c") }, `no row with name = "c"`)
		}},
		{"Table SortedBy a repeated value", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvRepeated, "w", "p").SortedBy("w") }, "rows 1 and 3: w is 0 and 0, one number")
		}},
		{"ReadCSV of a repeated key", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvRepeated, "w", "se") }, "rows 1 and 3: the same w, se (0, 1)")
		}},
		{"Table Positive of 1e-320", func() error { // +Inf standard errors in a sentence (eighty-fourth probe)
			return sweep.WantPanic(func() { ReadCSV(write("tiny.csv", "k,se\na,1e-320\n"), "k").Positive("se") }, "a measured standard error is at least")
		}},
		{"Table Positive of a zero", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvRepeated, "w", "p").Positive("se") }, `row 2, column "se": 0`)
		}},
		{"Table Inside of a 1", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvRepeated, "w", "p").Inside("p", 0, 1) }, `row 3, column "p": 1, not strictly between 0 and 1`)
		}},
		{"Table Row where one pair of two holds", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Row("name", "a", "value", "x") }, `no row with name = "a" and value = "x"`)
		}},
		{"Table Row of a column without its value", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Row("name", "a", "value") }, "a column without its value")
		}},
		{"Table Row of a missing second column", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Row("name", "a", "values", "1") }, `no column "values"`)
		}},
		{"Table Row of a missing column", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Row("names", "a") }, `no column "names"`)
		}},
		// Rows named by their key, read by it or in a column's order, never in the file's (seventy-ninth probe).
		{"ReadCSV without a key", func() error { return sweep.WantPanic(func() { ReadCSV(csvGood) }, "name the columns") }},
		{"ReadCSV of one key written two ways", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "k") }, "rows 1 and 2: the same k (1)")
		}},
		{"Table Column in the file's order", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Column("v") }, "read in the file's order")
		}},
		{"Table Row of two rows", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Row("k", "1") }, "rows 1 and 2: both hold k = \"1\"")
		}},
		{"Table Where of no row", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Where("s", "c") }, `no row with s = "c"`)
		}},
		{"Table Same of two values", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Same("v") }, "rows 1 and 2: v is 3 and 4")
		}},
		{"Table Every with a gap", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Every("v", 2, 5) }, "no row with v = 2")
		}},
		{"Table Every beyond its range", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Every("v", 3, 4) }, "row 3, column \"v\": 5")
		}},
		{"Table Every of a fraction", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Where("s", "b").Every("k", 1, 3) }, "row 3, column \"k\": 2.5")
		}},
		{"Paired in another order", func() error {
			a, b := ReadCSV(csvAlike, "v").SortedBy("v"), ReadCSV(csvOther, "v").SortedBy("v")
			return sweep.WantPanic(func() { Paired("v", a, b) }, "v 5 and 6 in the same row")
		}},
		{"Paired of other lengths", func() error {
			a, b := ReadCSV(csvAlike, "v").SortedBy("v"), ReadCSV(csvAlike, "v").Where("k", "1").SortedBy("v")
			return sweep.WantPanic(func() { Paired("v", a, b) }, "has 3 rows and")
		}},
		{"Paired of one table", func() error {
			return sweep.WantPanic(func() { Paired("v", ReadCSV(csvAlike, "v")) }, "1 tables, where two or more")
		}},
		// Counts: a whole number from 1; 0, a negative, a fraction and 1e300 made NaN, ±Inf or MinInt64 in
		// sentences (eightieth probe).
		{"Table Counts of a fraction", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvAlike, "v").Counts("k") }, `row 3, column "k": 2.5, where a count`)
		}},
		{"Table Count of zero", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvCounts, "k").Count("zero") }, `column "zero": 0, where a count`)
		}},
		{"Table Count of -2000", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvCounts, "k").Count("neg") }, `column "neg": -2000, where a count`)
		}},
		{"Table Count of 1e300", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvCounts, "k").Count("huge") }, `column "huge": 1e300, where a count`)
		}},
		{"Table Count", func() error {
			if n := ReadCSV(csvCounts, "k").Count("good"); n != 2000 {
				return fmt.Errorf("Count(good) = %d, want 2000", n)
			}
			return nil
		}},
		{"ReadJSONCount of 0", func() error {
			return sweep.WantPanic(func() { ReadJSONCount(jsonCounts, "zero") }, "[zero] is 0, where a count")
		}},
		{"ReadJSONCount of 10000.9", func() error {
			return sweep.WantPanic(func() { ReadJSONCount(jsonCounts, "frac") }, "[frac] is 10000.9, where a count")
		}},
		{"ReadJSONCount", func() error {
			if n := ReadJSONCount(jsonCounts, "good"); n != 10000 {
				return fmt.Errorf("ReadJSONCount(good) = %d, want 10000", n)
			}
			return nil
		}},
		{"ReadCSV of a key holding a NUL", func() error {
			if n := ReadCSV(csvNUL, "k", "s").Len(); n != 2 {
				return fmt.Errorf("%d rows, want 2", n)
			}
			return nil
		}},
		{"TrainingMinutes of a model without a U-Net", func() error {
			return sweep.WantPanic(func() { TrainingMinutes(&ddpm.Trained{Path: "toy.ddpm"}) }, "toy.ddpm: no U-Net")
		}},
		{"Table row -1", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").Float(-1, "value") }, "no row -1")
		}},
		{"Table row MaxInt", func() error {
			return sweep.WantPanic(func() { ReadCSV(csvGood, "name").String(math.MaxInt, "name") }, "2 rows")
		}},

		// ReadJSONNumber and ReadJSONBool.
		{"ReadJSONNumber empty path", func() error { return sweep.WantPanic(func() { ReadJSONNumber("", "a") }, "no such file") }},
		{"ReadJSONNumber missing", func() error { return sweep.WantPanic(func() { ReadJSONNumber(missing, "a") }, "missing") }},
		{"ReadJSONNumber FIFO", func() error { return sweep.WantPanic(func() { ReadJSONNumber(fifo, "a") }, "FIFO") }},
		{"ReadJSONNumber folder", func() error { return sweep.WantPanic(func() { ReadJSONNumber(dir, "a") }, "folder") }},
		{"ReadJSONNumber empty", func() error { return sweep.WantPanic(func() { ReadJSONNumber(empty, "a") }, "empty") }},
		{"ReadJSONNumber junk", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonJunk, "a") }, "junk.json") }},
		{"ReadJSONNumber truncated", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonCut, "a", "b") }, "cut.json") }},
		{"ReadJSONNumber too big", func() error { return sweep.WantPanic(func() { ReadJSONNumber(big, "x") }, "more than") }},
		{"ReadJSONNumber no path is the object", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonGood) }, "is not a number") }},
		{"ReadJSONNumber missing key", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonGood, "a", "z") }, `no "z"`) }},
		{"ReadJSONNumber empty key", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonGood, "") }, `no ""`) }},
		{"ReadJSONNumber through a number", func() error {
			return sweep.WantPanic(func() { ReadJSONNumber(jsonGood, "a", "b", "c") }, "not an object")
		}},
		{"ReadJSONNumber of a string", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonGood, "a", "d") }, "is not a number") }},
		{"ReadJSONNumber of null", func() error { return sweep.WantPanic(func() { ReadJSONNumber(jsonGood, "n") }, "is not a number") }},
		{"ReadJSONNumber valid", func() error {
			if v := ReadJSONNumber(jsonGood, "a", "b"); v != 2.5 {
				return fmt.Errorf("got %g, want 2.5", v)
			}
			return nil
		}},
		{"ReadJSONBool of a number", func() error { return sweep.WantPanic(func() { ReadJSONBool(jsonGood, "a", "b") }, "not true or false") }},
		{"ReadJSONBool FIFO", func() error { return sweep.WantPanic(func() { ReadJSONBool(fifo, "a") }, "FIFO") }},
		{"ReadJSONBool valid", func() error {
			if !ReadJSONBool(jsonGood, "a", "c") {
				return fmt.Errorf("got false, want true")
			}
			return nil
		}},

		{"ReadJSONString of a number", func() error { return sweep.WantPanic(func() { ReadJSONString(jsonGood, "a", "b") }, "is not a text") }},
		{"ReadJSONString valid", func() error {
			if v := ReadJSONString(jsonGood, "a", "d"); v != "text" {
				return fmt.Errorf("got %q, want text", v)
			}
			return nil
		}},
		// A key spaced otherwise is the same key (eighty-second probe).
		{"ReadCSV keys alike but for spaces", func() error {
			return sweep.WantPanic(func() { ReadCSV(write("spaced.csv", "k,v\nx,1\nx ,2\n"), "k") }, "has spaces around it")
		}},
		// BoundTerms and BoundPerImage (bound_test.go holds them to a report).
		{"BoundTerms of no folder", func() error { return sweep.WantPanic(func() { BoundTerms(missing, 1000) }, "missing") }},
		{"BoundTerms T=0", func() error { return sweep.WantPanic(func() { BoundTerms("../docs/eval", 0) }, "") }},
		{"BoundPerImage of a FIFO's folder", func() error { return sweep.WantPanic(func() { BoundPerImage(fifo) }, "fifo") }},

		// LoadModel, once.
		{"LoadModel of no such model", func() error { return sweep.WantPanic(func() { LoadModel("no-such-model.ckpt") }, "no-such-model") }},
	}
	for _, c := range cases {
		sweep.Call(t, c.name, c.check)
	}
}
