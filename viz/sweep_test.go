package viz

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// sweepCase is one call with hostile arguments (sweep.Call runs it).
type sweepCase struct {
	name  string
	check func() error
}

// TestHostileArguments calls every exported function and method of the package with arguments out of
// its range, files that are not what it reads, and sizes that would not fit in memory: each must answer
// with an error (or its documented result), at once, without a panic.
func TestHostileArguments(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return sweep.Write(t, filepath.Join(dir, name), []byte(content)) }
	fifo := sweep.FIFO(t, filepath.Join(dir, "fifo.csv"))
	valid := "step,loss,run\n1,0.5,a\n2,0.25,a\n1,0.7,\"b, c\"\n"
	good := write("good.csv", valid)
	empty := write("empty.csv", "")
	headerOnly := write("header.csv", "step,loss\n")
	junk := write("junk.csv", strings.Repeat("ju\"nk\x00\xff,", 50)+"\n"+strings.Repeat("\xfe\"\n", 20))
	cut := write("cut.csv", valid[:len(valid)-4]) // inside the quoted field
	ragged := write("ragged.csv", "step,loss\n1,2\n3\n")
	twice := write("twice.csv", "step,step\n1,2\n")
	overflow := write("overflow.csv", "step,loss\n1,1e400\n")
	words := write("words.csv", "step,loss\n1,one\n")
	big := write("big.csv", "step,loss\n1,")
	if err := os.Truncate(big, MaxCSVBytes+1); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv")

	ok := func(err error) error {
		if err != nil {
			return fmt.Errorf("error %v, want none", err)
		}
		return nil
	}
	grid := func(mod func(g *Grid)) Grid {
		g := Grid{Pixels: make([]float32, 2*3*4), N: 2, Height: 3, Width: 4, Channels: 1, Alt: "two"}
		mod(&g)
		return g
	}
	plot := func(series ...Series) Plot { return Plot{Title: "p", Alt: "a plot", Series: series} }
	line := func(x, y []float64) Series { return Series{Name: "s", X: x, Y: y} }
	nan, inf := math.NaN(), math.Inf(1)

	cases := []sweepCase{
		// CheckFigure.
		{"CheckFigure 0×0", func() error { return sweep.WantErr(CheckFigure("fig", 0, 0), "fig of 0×0") }},
		{"CheckFigure negative", func() error { return sweep.WantErr(CheckFigure("fig", -1, 5), "fig of -1×5") }},
		{"CheckFigure MaxInt²", func() error { return sweep.WantErr(CheckFigure("fig", math.MaxInt, math.MaxInt), "at most") }},
		{"CheckFigure MinInt", func() error { return sweep.WantErr(CheckFigure("fig", math.MinInt, math.MinInt), "at least 1×1") }},
		{"CheckFigure 1<<40 × 1", func() error { return sweep.WantErr(CheckFigure("fig", 1<<40, 1), "at most") }},
		{"CheckFigure one past MaxPixels", func() error { return sweep.WantErr(CheckFigure("fig", 1<<14+1, 1<<14), "at most") }},
		{"CheckFigure MaxPixels", func() error { return ok(CheckFigure("", 1<<14, 1<<14)) }},

		// PNGBound.
		{"PNGBound negative is the header's", func() error {
			if b := PNGBound(-1, -5); b != PNGBound(0, 0) || !(b > 0) {
				return fmt.Errorf("PNGBound(-1, -5) = %g, PNGBound(0, 0) = %g", b, PNGBound(0, 0))
			}
			return nil
		}},
		{"PNGBound MinInt", func() error {
			if b := PNGBound(math.MinInt, math.MinInt); b != PNGBound(0, 0) {
				return fmt.Errorf("PNGBound(MinInt, MinInt) = %g", b)
			}
			return nil
		}},
		{"PNGBound MaxInt is finite and above the pixels", func() error {
			b := PNGBound(math.MaxInt, math.MaxInt)
			if math.IsInf(b, 0) || math.IsNaN(b) || b < 4*float64(math.MaxInt)*float64(math.MaxInt) {
				return fmt.Errorf("PNGBound(MaxInt, MaxInt) = %g", b)
			}
			return nil
		}},

		// QuoteStart.
		{"QuoteStart empty", func() error {
			if q := QuoteStart(""); q != `""` {
				return fmt.Errorf("QuoteStart(\"\") = %s", q)
			}
			return nil
		}},
		{"QuoteStart 1 MB", func() error {
			if q := QuoteStart(strings.Repeat("é", 1<<19)); len(q) > 100 || !strings.Contains(q, "(1048576 bytes)") {
				return fmt.Errorf("QuoteStart of 1 MB = %s", q)
			}
			return nil
		}},
		{"QuoteStart invalid UTF-8", func() error {
			if q := QuoteStart("\xff\xfe"); q != `"\xff\xfe"` {
				return fmt.Errorf("QuoteStart = %s", q)
			}
			return nil
		}},

		// Grid.
		{"Grid zero Check", func() error { return sweep.WantErr(Grid{}.Check(), "0 images") }},
		{"Grid zero Image", func() error { _, err := Grid{}.Image(); return sweep.WantErr(err, "0 images") }},
		{"Grid zero PNG", func() error { _, err := Grid{}.PNG(); return sweep.WantErr(err, "0 images") }},
		{"Grid of a NaN pixel", func() error {
			_, err := Grid{Pixels: []float32{0, float32(math.NaN()), 0, 0}, N: 2, Height: 1, Width: 2, Channels: 1}.PNG()
			return sweep.WantErr(err, "pixel value 1 (of image 0) is NaN")
		}},
		{"Grid of infinities, clipped", func() error {
			_, err := Grid{Pixels: []float32{float32(math.Inf(1)), float32(math.Inf(-1))}, N: 1, Height: 1, Width: 2, Channels: 1}.PNG()
			return err
		}},
		{"Grid zero Size", func() error {
			if w, h := (Grid{}).Size(); w != 0 || h != 0 {
				return fmt.Errorf("Size %d×%d, want 0×0", w, h)
			}
			return nil
		}},
		{"Grid N -1", func() error { return sweep.WantErr(grid(func(g *Grid) { g.N = -1 }).Check(), "-1 images") }},
		{"Grid Height 0", func() error { return sweep.WantErr(grid(func(g *Grid) { g.Height = 0 }).Check(), "4x0") }},
		{"Grid Width MinInt", func() error {
			_, err := grid(func(g *Grid) { g.Width = math.MinInt }).PNG()
			return sweep.WantErr(err, "images of")
		}},
		{"Grid Channels 0", func() error { return sweep.WantErr(grid(func(g *Grid) { g.Channels = 0 }).Check(), "0 channels") }},
		{"Grid Channels 2", func() error {
			_, err := grid(func(g *Grid) { g.Channels = 2 }).Image()
			return sweep.WantErr(err, "2 channels")
		}},
		{"Grid Channels 4", func() error {
			return sweep.WantErr(grid(func(g *Grid) { g.Channels = 4 }).CheckAs("frames"), "frames: 4 channels")
		}},
		{"Grid Scale -1", func() error { return sweep.WantErr(grid(func(g *Grid) { g.Scale = -1 }).Check(), "scale -1") }},
		{"Grid Scale MaxInt", func() error {
			_, err := grid(func(g *Grid) { g.Scale = math.MaxInt }).PNG()
			return sweep.WantErr(err, "scale")
		}},
		{"Grid Scale 1025", func() error { return sweep.WantErr(grid(func(g *Grid) { g.Scale = 1025 }).Check(), "scale 1025") }},
		{"Grid Cols -1", func() error { return sweep.WantErr(grid(func(g *Grid) { g.Cols = -1 }).Check(), "-1 columns") }},
		{"Grid Cols MaxInt is one row", func() error {
			g := grid(func(g *Grid) { g.Cols = math.MaxInt })
			w, h := g.Size()
			one := grid(func(g *Grid) {})
			if w1, h1 := one.Size(); w != w1 || h != h1 {
				return fmt.Errorf("Size %d×%d, want one row's %d×%d", w, h, w1, h1)
			}
			_, err := g.PNG()
			return ok(err)
		}},
		{"Grid captions of another count", func() error {
			return sweep.WantErr(grid(func(g *Grid) { g.Captions = []string{"a"} }).Check(), "1 captions for 2 images")
		}},
		{"Grid empty captions are none", func() error { _, err := grid(func(g *Grid) { g.Captions = []string{} }).PNG(); return ok(err) }},
		{"Grid N MaxInt", func() error { return sweep.WantErr(grid(func(g *Grid) { g.N = math.MaxInt }).Check(), "at most") }},
		{"Grid sizes of MaxInt", func() error {
			g := grid(func(g *Grid) { g.N, g.Height, g.Width, g.Scale = math.MaxInt, math.MaxInt, math.MaxInt, 1024 })
			if w, h := g.Size(); w != math.MaxInt32 || h != math.MaxInt32 {
				return fmt.Errorf("Size %d×%d, want MaxInt32 each", w, h)
			}
			_, err := g.Image()
			return sweep.WantErr(err, "at most")
		}},
		{"Grid 1<<40 images of one pixel", func() error {
			_, err := grid(func(g *Grid) { g.N, g.Height, g.Width = 1<<40, 1, 1 }).PNG()
			return sweep.WantErr(err, "at most")
		}},
		{"Grid nil pixels", func() error {
			_, err := grid(func(g *Grid) { g.Pixels = nil }).Image()
			return sweep.WantErr(err, "0 values for 2 images")
		}},
		{"Grid partial image", func() error {
			_, err := grid(func(g *Grid) { g.Pixels = g.Pixels[:23] }).PNG()
			return sweep.WantErr(err, "23 values")
		}},
		{"Grid a value too many", func() error {
			_, err := grid(func(g *Grid) { g.Pixels = append(g.Pixels, 0) }).PNG()
			return sweep.WantErr(err, "25 values")
		}},
		{"Grid pixels when the shape overflows int", func() error {
			// 2³² × 2³² wraps to 0 as an int: no pixels must not pass for it.
			_, err := grid(func(g *Grid) { g.Pixels, g.N, g.Height, g.Width = nil, 1, 1<<32, 1<<32 }).Image()
			return sweep.WantErr(err, "at most")
		}},
		{"Grid values not finite are clipped or refused", func() error {
			g := grid(func(g *Grid) {
				g.Pixels[0], g.Pixels[1], g.Pixels[2] = float32(nan), float32(inf), float32(math.Inf(-1))
			})
			img, err := g.Image()
			if err != nil {
				return nil
			}
			if img.RGBAAt(4, 4).R != 0 || img.RGBAAt(5, 4).R != 255 || img.RGBAAt(6, 4).R != 0 {
				return fmt.Errorf("NaN, +Inf, -Inf drawn as %v %v %v", img.RGBAAt(4, 4), img.RGBAAt(5, 4), img.RGBAAt(6, 4))
			}
			return nil
		}},

		// Plot.
		{"Plot Width NaN", func() error { _, err := Plot{Width: nan, Height: 100}.PNG(); return sweep.WantErr(err, "pixels") }},
		{"Plot Height NaN", func() error { _, err := Plot{Height: nan}.PNG(); return sweep.WantErr(err, "pixels") }},
		{"Plot Width -1", func() error { _, err := Plot{Width: -1}.PNG(); return sweep.WantErr(err, "pixels") }},
		{"Plot of no points on log axes", func() error { // refused as on linear axes
			for _, p := range []Plot{{LogY: true}, {LogX: true}, {LogX: true, Series: []Series{{Arrows: true}}}} {
				if _, err := p.PNG(); sweep.WantErr(err, "no points to draw") != nil {
					return fmt.Errorf("%+v: %v, want a refusal naming no points", p, err)
				}
			}
			return nil
		}},
		{"Plot Width +Inf", func() error { _, err := Plot{Width: inf}.PNG(); return sweep.WantErr(err, "pixels") }},
		{"Plot Height -Inf", func() error { _, err := Plot{Height: math.Inf(-1)}.PNG(); return sweep.WantErr(err, "pixels") }},
		{"Plot Width 1e308", func() error { _, err := Plot{Width: 1e308, Height: 1e308}.PNG(); return sweep.WantErr(err, "at most") }},
		{"Plot Width 1e-300", func() error { _, err := Plot{Width: 1e-300}.PNG(); return sweep.WantErr(err, "at least 1×1") }},
		{"Plot Width 1<<40", func() error { _, err := Plot{Width: 1 << 40}.PNG(); return sweep.WantErr(err, "at most") }},
		{"Plot x and y of other lengths", func() error {
			_, err := plot(line([]float64{1, 2}, []float64{1})).PNG()
			return sweep.WantErr(err, "2 x values and 1 y values")
		}},
		{"Plot nil y", func() error {
			_, err := plot(line([]float64{1}, nil)).PNG()
			return sweep.WantErr(err, "1 x values and 0 y values")
		}},
		{"Plot NaN", func() error {
			_, err := plot(line([]float64{1, nan}, []float64{1, 2})).PNG()
			return sweep.WantErr(err, "NaN")
		}},
		{"Plot +Inf", func() error {
			_, err := plot(line([]float64{1, 2}, []float64{inf, 2})).PNG()
			return sweep.WantErr(err, "infinite")
		}},
		{"Plot scatter NaN", func() error {
			s := line([]float64{nan}, []float64{1})
			s.Scatter = true
			_, err := plot(s).PNG()
			return sweep.WantErr(err, "NaN")
		}},
		{"Plot marked -Inf", func() error {
			s := line([]float64{1}, []float64{math.Inf(-1)})
			s.Marked = true
			_, err := plot(s).PNG()
			return sweep.WantErr(err, "infinite")
		}},
		{"Plot arrows NaN", func() error {
			s := line([]float64{0, nan}, []float64{0, 1})
			s.Arrows = true
			_, err := plot(s).PNG()
			return sweep.WantErr(err, "NaN")
		}},
		{"Plot arrows odd count", func() error {
			s := line([]float64{0, 1, 2}, []float64{0, 1, 2})
			s.Arrows = true
			_, err := plot(s).PNG()
			return sweep.WantErr(err, "3 points")
		}},
		{"Plot ±1e308", func() error {
			_, err := plot(line([]float64{-1e308, 1e308}, []float64{0, 1})).PNG()
			return sweep.WantErr(err, "too wide")
		}},
		{"Plot ±MaxFloat64 in y", func() error {
			_, err := plot(line([]float64{0, 1}, []float64{math.MaxFloat64, -math.MaxFloat64})).PNG()
			return sweep.WantErr(err, "y axis")
		}},
		{"Plot one value of MaxFloat64 on a log scale", func() error {
			p := plot(line([]float64{1}, []float64{math.MaxFloat64}))
			p.LogY = true
			_, err := p.PNG()
			return sweep.WantErr(err, "too large")
		}},
		{"Plot log y of 0", func() error {
			p := plot(line([]float64{1, 2}, []float64{1, 0}))
			p.LogY = true
			_, err := p.PNG()
			return sweep.WantErr(err, "y[1] = 0")
		}},
		{"Plot log x of -1", func() error {
			p := plot(line([]float64{-1}, []float64{1}))
			p.LogX = true
			_, err := p.PNG()
			return sweep.WantErr(err, "x[0] = -1")
		}},
		{"Plot log y of NaN", func() error {
			p := plot(line([]float64{1}, []float64{nan}))
			p.LogY = true
			_, err := p.PNG()
			return sweep.WantErr(err, "NaN")
		}},
		{"Plot log of the least subnormal", func() error { // refused: it drew an empty figure (ninety-fourth probe)
			p := plot(line([]float64{1, 2}, []float64{5e-324, 5e-324}))
			p.LogY = true
			_, err := p.PNG()
			return sweep.WantErr(err, "y[0] = 5e-324, which a log scale cannot show")
		}},
		{"Plot log of the least normal", func() error {
			p := plot(line([]float64{0x1p-1022, 1}, []float64{0x1p-1022, 0x1p-1022}))
			p.LogX, p.LogY = true, true
			_, err := p.PNG()
			return ok(err)
		}},
		{"Plot of nothing", func() error { _, err := (Plot{}).PNG(); return sweep.WantErr(err, "no points to draw") }},
		{"Plot of empty series", func() error {
			_, err := plot(Series{Arrows: true}, Series{Scatter: true}).PNG()
			return sweep.WantErr(err, "no points to draw")
		}},
		{"Plot of an empty named series", func() error {
			_, err := plot(line([]float64{1}, []float64{2}), Series{Name: "arrows", Arrows: true}).PNG()
			return sweep.WantErr(err, `series "arrows" has no points`)
		}},

		// Chain.
		{"Chain of no node", func() error { _, err := Chain{}.PNG(); return sweep.WantErr(err, "0 nodes") }},
		{"Chain of one node", func() error { _, err := Chain{Nodes: []string{"x"}}.PNG(); return sweep.WantErr(err, "1 nodes") }},
		{"Chain Labelled -1", func() error {
			_, err := Chain{Nodes: []string{"a", "b"}, Labelled: -1}.PNG()
			return sweep.WantErr(err, "Labelled = -1")
		}},
		{"Chain Labelled past the last link", func() error {
			_, err := Chain{Nodes: []string{"a", "b"}, Labelled: 1}.PNG()
			return sweep.WantErr(err, "Labelled = 1")
		}},
		{"Chain Labelled MaxInt", func() error {
			_, err := Chain{Nodes: []string{"a", "b"}, Labelled: math.MaxInt}.PNG()
			return sweep.WantErr(err, "Labelled")
		}},
		{"Chain of a million nodes", func() error {
			_, err := Chain{Nodes: make([]string, 1e6)}.PNG()
			return sweep.WantErr(err, "at most")
		}},
		{"Chain of empty names", func() error { _, err := Chain{Nodes: []string{"", ""}}.PNG(); return ok(err) }},

		// CSVSeries.
		{"CSVSeries empty path", func() error { _, err := CSVSeries("", "step", "loss", ""); return sweep.WantErr(err, "no such file") }},
		{"CSVSeries x of \"\"", func() error { _, err := CSVSeries(good, "", "loss", ""); return sweep.WantErr(err, `no column ""`) }},
		{"CSVSeries y of \"\"", func() error { _, err := CSVSeries(good, "step", "", ""); return sweep.WantErr(err, `no column ""`) }},
		// The line of a bad value is the file's, blank lines and quoted line breaks counted (fifty-sixth probe: line 4 for 5).
		{"CSVSeries line of a bad value", func() error {
			_, err := CSVSeries(write("blank.csv", "x,y,note\n1,2,\"a\nb\"\n\n3,4,c\n5,oops,d\n"), "x", "y", "")
			return sweep.WantErr(err, "blank.csv line 6: x")
		}},
		{"CSVSeries missing", func() error {
			_, err := CSVSeries(missing, "step", "loss", "")
			return sweep.WantErr(err, "missing.csv")
		}},
		{"CSVSeries folder", func() error { _, err := CSVSeries(dir, "step", "loss", ""); return sweep.WantErr(err, "folder") }},
		{"CSVSeries FIFO", func() error { _, err := CSVSeries(fifo, "step", "loss", ""); return sweep.WantErr(err, "FIFO") }},
		{"CSVSeries empty file", func() error { _, err := CSVSeries(empty, "step", "loss", ""); return sweep.WantErr(err, "no rows") }},
		{"CSVSeries header only", func() error {
			_, err := CSVSeries(headerOnly, "step", "loss", "")
			return sweep.WantErr(err, "no rows")
		}},
		{"CSVSeries junk", func() error { _, err := CSVSeries(junk, "step", "loss", ""); return sweep.WantErr(err, "junk.csv") }},
		{"CSVSeries truncated", func() error { _, err := CSVSeries(cut, "step", "loss", "run"); return sweep.WantErr(err, "cut.csv") }},
		{"CSVSeries ragged", func() error { _, err := CSVSeries(ragged, "step", "loss", ""); return sweep.WantErr(err, "ragged.csv") }},
		{"CSVSeries a column twice", func() error {
			_, err := CSVSeries(twice, "step", "step", "")
			return sweep.WantErr(err, `column "step" twice`)
		}},
		{"CSVSeries value out of float64", func() error { _, err := CSVSeries(overflow, "step", "loss", ""); return sweep.WantErr(err, "line 2") }},
		{"CSVSeries word for a number", func() error { _, err := CSVSeries(words, "step", "loss", ""); return sweep.WantErr(err, `"one"`) }},
		{"CSVSeries over MaxCSVBytes", func() error { _, err := CSVSeries(big, "step", "loss", ""); return sweep.WantErr(err, "more than") }},
		{"CSVSeries missing column", func() error {
			_, err := CSVSeries(good, "step", "lost", "")
			return sweep.WantErr(err, `no column "lost"`)
		}},
		{"CSVSeries missing group", func() error {
			_, err := CSVSeries(good, "step", "loss", "runs")
			return sweep.WantErr(err, `no column "runs"`)
		}},
		{"CSVSeries valid", func() error {
			s, err := CSVSeries(good, "step", "loss", "run")
			if err != nil || len(s) != 2 || s[1].Name != "b, c" || s[0].Y[1] != 0.25 {
				return fmt.Errorf("got %+v, %v", s, err)
			}
			return nil
		}},
	}
	for _, c := range cases {
		sweep.Call(t, c.name, c.check)
	}
}
