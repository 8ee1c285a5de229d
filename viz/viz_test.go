package viz

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func TestGridPlacesPixelsAndClips(t *testing.T) {
	// Two 2×2 grey images: the first black to white, the second out of range on both sides.
	g := Grid{Pixels: []float32{-1, 0, 0.5, 1, -3, 3, 0, 0}, N: 2, Height: 2, Width: 2, Channels: 1, Cols: 2, Scale: 3}
	img, err := g.Image()
	if err != nil {
		t.Fatal(err)
	}
	wantW := 2*2*3 + 3*gridGap
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != 2*3+2*gridGap {
		t.Fatalf("grid is %v, want %dx%d", b, wantW, 2*3+2*gridGap)
	}
	check := func(x, y int, want uint8) {
		t.Helper()
		if got := img.RGBAAt(x, y).R; got != want {
			t.Errorf("pixel (%d,%d) = %d, want %d", x, y, got, want)
		}
	}
	check(gridGap, gridGap, 0)       // −1 → black
	check(gridGap+3, gridGap, 128)   // 0 → mid grey
	check(gridGap+5, gridGap+5, 255) // 1 → white (scaled: the whole 3×3 block)
	x1 := 2*gridGap + 2*3            // second image
	check(x1, gridGap, 0)            // −3 clipped to black
	check(x1+3, gridGap, 255)        // 3 clipped to white
	check(0, 0, 255)                 // white background in the gap
	if _, err := (Grid{Pixels: []float32{1}, N: 2, Height: 1, Width: 1, Channels: 1}).Image(); err == nil ||
		!strings.Contains(err.Error(), "1 values for 2 images") {
		t.Errorf("wrong pixel count: error %v", err)
	}
}

func TestGridCaptionsAndPlotEncodePNG(t *testing.T) {
	g := Grid{Pixels: make([]float32, 3*28*28), N: 3, Height: 28, Width: 28, Channels: 1, Captions: []string{"t=0", "t=10", "t=100"}}
	data, err := g.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("grid PNG does not decode: %v", err)
	}
	p := Plot{Title: "x", LogY: true, Series: []Series{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 10, 100}}}}
	data, err = p.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("plot PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 960 || b.Dy() != 600 {
		t.Errorf("plot is %v, want 960x600 (480x300 points at 144 dpi)", b)
	}
	p.Series[0].Y[0] = 0
	if _, err := p.PNG(); err == nil || !strings.Contains(err.Error(), "y[0] = 0") {
		t.Errorf("log plot of 0: error %v", err)
	}
	p.LogY, p.LogX = false, true
	if _, err := p.PNG(); err != nil {
		t.Errorf("log-x plot: %v", err)
	}
	p.Series[0].X[1] = -1
	if _, err := p.PNG(); err == nil || !strings.Contains(err.Error(), "x[1] = -1") {
		t.Errorf("log-x plot of -1: error %v", err)
	}
}

// Log ticks are powers of ten computed in floating point; their labels are rounded. On the range of
// notebook 6's plot of the bound's terms, gonum's LogTicks label 10⁻⁵ "9.999999999999999e-06".
// And on 15 decades or more, where the labels' readback was measured on the values, not their logs,
// and came out at 16 digits: "9.999999999999999e-12", "9999.999999999998" (hundred-and-second probe).
func TestLogTickLabelsAreRounded(t *testing.T) {
	for _, r := range [][2]float64{{8e-7, 1.07}, {1e-12, 1e4}, {1e-14, 10}, {1e-300, 1e300}} {
		labels := ""
		for _, tick := range ticker(true).Ticks(r[0], r[1]) {
			if strings.Contains(tick.Label, "9999") || strings.Contains(tick.Label, "0000001") {
				t.Errorf("a log axis from %g to %g labels its tick at %g %q", r[0], r[1], tick.Value, tick.Label)
			}
			labels += tick.Label + " "
		}
		if !strings.Contains(labels, "1e-05") || !strings.Contains(labels, " 1 ") {
			t.Errorf("a log axis from %g to %g is labelled %q: want 1e-05 and 1 among them", r[0], r[1], labels)
		}
	}
}

// A log axis within one power of ten still carries two numbers or more: gonum labels powers of ten
// only, and FIDs from 2.04 to 7.01 drew a y axis with none (ninety-seventh probe); and no two alike.
func TestLogAxisWithinADecadeIsLabelled(t *testing.T) {
	for _, r := range [][2]float64{{12, 60}, {2.04, 7.01}, {2.2, 2.9}, {1, 10}, {8e-7, 1.07}} {
		var in []string
		for _, tick := range (roundedTicks{plot.LogTicks{Prec: -1}}).Ticks(r[0], r[1]) {
			if tick.Label != "" && tick.Value >= r[0] && tick.Value <= r[1] {
				in = append(in, tick.Label)
			}
		}
		if len(in) < 2 {
			t.Errorf("a log axis from %g to %g is labelled %q: want two numbers or more", r[0], r[1], in)
		}
	}
	// Labels in range are told apart, with more digits where 6 do not (ninety-eighth probe: "100" three times).
	for _, r := range [][2]float64{{1000.0001, 1000.0004}, {99.99999, 100.00001}} {
		at := map[string]float64{}
		for _, tick := range ticker(true).Ticks(r[0], r[1]) {
			if tick.Label != "" && tick.Value >= r[0] && tick.Value <= r[1] {
				if v, ok := at[tick.Label]; ok && v != tick.Value {
					t.Errorf("a log axis from %g to %g labels %g and %g alike, %q", r[0], r[1], v, tick.Value, tick.Label)
				}
				at[tick.Label] = tick.Value
			}
		}
		if len(at) < 2 {
			t.Errorf("a log axis from %g to %g is labelled %v: want two numbers or more", r[0], r[1], at)
		}
	}
}

// A linear axis's labels read as their values: gonum's labelled 100…100.01 "100" three times, and
// 12 345…12 345.1 "1.2e+04" three times (ninety-ninth probe), and past 10⁸ wrote one digit, ticks at
// 1.3e8 and 1.7e8 reading "1e+08" and "2e+08" (hundred-and-first probe); where gonum's are true they
// are kept.
func TestLinearTickLabelsAreDistinct(t *testing.T) {
	for _, r := range [][2]float64{{100, 100.01}, {12345, 12345.1}, {1e6, 1e6 + 1e-3}, {1, 1 + 1e-8}, {0, 1}, {-3, 250},
		{8.06e7, 1.74e8}, {8.6e9, 1.6e10}, {-1.3e8, -5.2e7}, {8.06e6, 1.74e7}, {3e17, 9e18}} {
		at := map[string]float64{}
		for _, tick := range ticker(false).Ticks(r[0], r[1]) {
			if tick.Label != "" && tick.Value >= r[0] && tick.Value <= r[1] {
				if v, ok := at[tick.Label]; ok && v != tick.Value {
					t.Errorf("a linear axis from %g to %g labels %g and %g alike, %q", r[0], r[1], v, tick.Value, tick.Label)
				}
				at[tick.Label] = tick.Value
				if read, err := strconv.ParseFloat(tick.Label, 64); err != nil || math.Abs(read-tick.Value) > (r[1]-r[0])/1000 {
					t.Errorf("a linear axis from %g to %g labels its tick at %g %q", r[0], r[1], tick.Value, tick.Label)
				}
			}
		}
		if len(at) < 2 {
			t.Errorf("a linear axis from %g to %g is labelled %v: want two numbers or more", r[0], r[1], at)
		}
	}
	var labels []string
	for _, tick := range ticker(false).Ticks(0, 1) {
		if tick.Label != "" {
			labels = append(labels, tick.Label)
		}
	}
	if want := []string{"0.0", "0.5", "1.0"}; !slices.Equal(labels, want) {
		t.Errorf("a linear axis from 0 to 1 is labelled %q: want gonum's %q", labels, want)
	}
}

func TestArrowsDrawPairsAndRefuseAnOddCount(t *testing.T) {
	colourPixels := func(p Plot) int {
		t.Helper()
		data, err := p.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := palette[0].(color.RGBA)
		n := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if r, g, b, _ := img.At(x, y).RGBA(); uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(b>>8) == want.B {
					n++
				}
			}
		}
		return n
	}
	// Two arrows, (0,0)→(1,1) and (1,0)→(0,1): drawn in the first colour, as long as two diagonals.
	both := colourPixels(Plot{Series: []Series{{X: []float64{0, 1, 1, 0}, Y: []float64{0, 1, 0, 1}, Arrows: true}}})
	one := colourPixels(Plot{Series: []Series{{X: []float64{0, 1, 1, 1}, Y: []float64{0, 1, 0, 0}, Arrows: true}}})
	if one == 0 || both < 3*one/2 {
		t.Errorf("arrows drew %d pixels for two diagonals and %d for one (and a point): want about twice", both, one)
	}
	_, err := Plot{Title: "field", Series: []Series{{Name: "s", X: []float64{0, 1, 2}, Y: []float64{0, 1, 2}, Arrows: true}}}.PNG()
	if err == nil || !strings.Contains(err.Error(), "pairs of points, but has 3 points") {
		t.Errorf("odd number of points: error %v", err)
	}
}

func TestChainDiagramDrawsAndRefusesBadLinks(t *testing.T) {
	width := func(nodes int) int {
		t.Helper()
		names := make([]string, nodes)
		for i := range names {
			names[i] = "x"
		}
		data, err := Chain{Nodes: names, Above: "p", Below: "q"}.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("chain PNG does not decode: %v", err)
		}
		return img.Bounds().Dx()
	}
	// Each node adds one gap of chainGap points, drawn at 2 pixels per point.
	if w3, w4 := width(3), width(4); w4-w3 != 2*chainGap {
		t.Errorf("4 nodes are %d pixels wide, 3 nodes %d: want a difference of %d", w4, w3, 2*chainGap)
	}
	for _, c := range []Chain{{Nodes: []string{"x"}}, {Nodes: []string{"a", "b"}, Labelled: 1}, {Nodes: []string{"a", "b"}, Labelled: -1}} {
		if _, err := c.PNG(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestCSVSeriesGroupsRowsAndNamesBadValues(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.csv", "sampler,steps,fid\nA,100,30\nB,10,70\nA,10,50\n") // A's points in the order of x (eighty-fourth probe)
	series, err := CSVSeries(good, "steps", "fid", "sampler")
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 || series[0].Name != "A" || series[1].Name != "B" ||
		!slices.Equal(series[0].X, []float64{10, 100}) || !slices.Equal(series[0].Y, []float64{50, 30}) || !slices.Equal(series[1].Y, []float64{70}) {
		t.Errorf("series %+v: want A (10, 50), (100, 30) and B (10, 70)", series)
	}
	if one, err := CSVSeries(good, "steps", "fid", ""); err != nil || len(one) != 1 || len(one[0].X) != 3 || one[0].Name != "" {
		t.Errorf("without a group: %+v, %v; want one unnamed series of 3 points", one, err)
	}
	// A spreadsheet's byte-order mark is not part of the first column's name (forty-fourth probe's nit).
	if bom, err := CSVSeries(write("bom.csv", "\uFEFFsampler,steps,fid\nA,10,50\n"), "steps", "fid", "sampler"); err != nil || len(bom) != 1 || bom[0].Name != "A" {
		t.Errorf("a header after a byte-order mark: %+v, %v", bom, err)
	}
	for _, c := range []struct{ path, x, want string }{
		{good, "K", `no column "K"`},
		{write("bad.csv", "steps,fid\n10,50\n20,n/a\n"), "steps", `bad.csv line 3: steps "20" and fid "n/a" must be numbers`},
		{write("nan.csv", "steps,fid\n10,50\n20,NaN\n"), "steps", `nan.csv line 3: steps "20" and fid "NaN" must be finite`}, // sixty-eighth probe
		{write("inf.csv", "steps,fid\ninf,50\n"), "steps", `inf.csv line 2: steps "inf" and fid "50" must be finite`},
		// The value's own line, where a quoted field before it spans lines (sixty-ninth probe's nit).
		{write("quoted.csv", "note,steps,fid\n\"multi\nline\nnote\",1,NaN\n"), "steps", `quoted.csv line 4: steps "1" and fid "NaN" must be finite`},
		{write("empty.csv", "steps,fid\n"), "steps", "no rows under the header"},
		// A long field is quoted by its start only (a 512 MB one made a 2 GB message; fortieth probe).
		{write("long.csv", "steps,fid\n10,"+strings.Repeat("x", 1<<20)+"\n"), "steps", `must be numbers`},
		// A column named twice: the last was read, without a word (forty-fourth probe's nit).
		{write("twice.csv", "steps,fid,fid\n10,50,60\n"), "steps", `names column "fid" twice`},
	} {
		if _, err := CSVSeries(c.path, c.x, "fid", ""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with x %q: error %v, want %q", c.path, c.x, err, c.want)
		}
	}
}

// A table larger than MaxCSVBytes is refused before it is read: a sparse file of 512 MB, 4 KB on disk,
// ran the reader out of memory (fortieth probe); and a long field is quoted by its start.
func TestCSVSeriesRefusesWhatItCannotHold(t *testing.T) {
	path := t.TempDir() + "/big.csv"
	if err := os.WriteFile(path, []byte("x,y\n1,"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxCSVBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := CSVSeries(path, "x", "y", ""); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("a table of %d bytes: %v, want a refusal naming its size", MaxCSVBytes+1, err)
	}
	long := t.TempDir() + "/long.csv"
	if err := os.WriteFile(long, []byte("x,y\n1,"+strings.Repeat("x", 1<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CSVSeries(long, "x", "y", ""); err == nil || len(err.Error()) > 500 || !strings.Contains(err.Error(), "(1048576 bytes)") {
		t.Errorf("a field of a megabyte: a message of %d bytes, want its start and size", len(fmt.Sprint(err)))
	}
	// A name with spaces around it, which a reader that trims takes for another series's (eighty-third probe).
	spaced := t.TempDir() + "/spaced.csv"
	if err := os.WriteFile(spaced, []byte("x,y,s\n1,2,a\n2,3,a \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CSVSeries(spaced, "x", "y", "s"); err == nil || !strings.Contains(err.Error(), `line 3: the field "a " has spaces around it`) {
		t.Errorf("a field with a space after it: %v, want a refusal naming it", err)
	}
}

// A series whose points are all equal is drawn at any magnitude: gonum's ±1 padding is lost beyond
// 1e16, and its ticks panicked ("illegal range") on a toy model's scatter of points at 1e16 (eighth
// probe). A range too wide to draw is an error, not a panic.
func TestPlotOfEqualPointsAtAnyMagnitude(t *testing.T) {
	for _, v := range []float64{0, 1, -3, 1e12, 1e16, -1e20, 1e25, 1e300} {
		for _, log := range []bool{false, true} {
			if log && v <= 0 {
				continue
			}
			p := Plot{Title: "samples", LogY: log, Series: []Series{{X: []float64{v, v, v}, Y: []float64{v, v, v}, Scatter: true}}}
			if _, err := p.PNG(); err != nil {
				t.Errorf("points at %g (log %v): %v", v, log, err)
			}
		}
	}
	wide := Plot{Series: []Series{{X: []float64{-1e308, 1e308}, Y: []float64{0, 1}, Scatter: true}}}
	if _, err := wide.PNG(); err == nil || !strings.Contains(err.Error(), "too wide to draw") {
		t.Errorf("x from -1e308 to 1e308: error %v, want a refusal", err)
	}
}

// A grid of no image is an error (it divided by zero; ninth probe), and so are a negative scale or
// number of columns, which were taken for 1 and for one row; a huge grid's Size is not negative
// (forty-third probe's nits). Check refuses what Image refuses, without the pixels.
func TestGridOfNoImage(t *testing.T) {
	for name, g := range map[string]Grid{"0 images": {N: 0, Height: 2, Width: 2, Channels: 1}, "scale −3": {N: 1, Height: 2, Width: 2, Channels: 1, Scale: -3},
		"columns −1": {N: 1, Height: 2, Width: 2, Channels: 1, Cols: -1}} {
		if _, err := g.Image(); err == nil {
			t.Errorf("a grid of %s: no error", name)
		}
		if err := g.Check(); err == nil {
			t.Errorf("a grid of %s: Check lets it pass", name)
		}
	}
	huge := Grid{N: math.MaxInt, Height: 28, Width: 28, Channels: 1, Cols: 8, Scale: 2}
	if w, h := huge.Size(); w <= 0 || h <= 0 {
		t.Errorf("a grid of MaxInt images is %d×%d pixels", w, h)
	}
	if err := huge.Check(); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("a grid of MaxInt images: %v", err)
	}
}

// Figures too large to draw are refused before anything is allocated: a grid of scale 2²⁰, sizes whose
// product overflowed an int, plots of 10⁷ points a side or of no size, and a chain of 2 million nodes
// were a fatal out-of-memory or a panic; a log axis of values at float64's least panicked
// (thirty-third probe).
func TestFiguresTooLargeAreRefused(t *testing.T) {
	for name, g := range map[string]Grid{
		"scale 2²⁰":        {Pixels: make([]float32, 4), N: 1, Height: 2, Width: 2, Channels: 1, Scale: 1 << 20},
		"scale 1024":       {Pixels: make([]float32, 4*28*28), N: 4, Height: 28, Width: 28, Channels: 1, Scale: 1024},
		"an int overflown": {N: 1 << 32, Height: 1 << 32, Width: 1, Channels: 1},
	} {
		if _, err := g.PNG(); err == nil {
			t.Errorf("a grid of %s: no error", name)
		}
	}
	for name, p := range map[string]Plot{"10⁷ points a side": {Width: 1e7, Height: 1e7}, "−100": {Width: -100, Height: -100},
		"NaN": {Width: math.NaN(), Height: math.Inf(1)}} {
		if _, err := p.PNG(); err == nil {
			t.Errorf("a plot of %s: no error", name)
		}
	}
	if _, err := (Chain{Nodes: make([]string, 2e6)}).PNG(); err == nil {
		t.Error("a chain of 2 million nodes: no error")
	}
	tiny := Plot{LogY: true, Series: []Series{{X: []float64{1, 2}, Y: []float64{0x1p-1022, 0x1p-1022}}}}
	if _, err := tiny.PNG(); err != nil {
		t.Errorf("a log axis at float64's least normal: %v", err)
	}
}

// A grid's pixel is the byte the sample store keeps for the same value, (v+1)·127.5 rounded in float64:
// in float32, values next to the half-levels rounded the other way (sixty-second probe's nit).
func TestGridBytesRoundAsTheStore(t *testing.T) {
	for _, c := range []struct {
		v    float32
		want uint8
	}{{-0.494117647, 64}, {-1, 0}, {1, 255}, {0, 128}, {-2, 0}, {2, 255}} {
		if got := toByte(c.v); got != c.want {
			t.Errorf("toByte(%v) = %d, want %d ((v+1)·127.5 = %.9f in float64)", c.v, got, c.want, (float64(c.v)+1)*127.5)
		}
	}
	for i := 0; i <= 1<<16; i++ { // every 2^-15 of [−1, 1], against the store's rounding
		v := float32(i)/(1<<15) - 1
		want := uint8(math.Round(math.Min(math.Max((float64(v)+1)*127.5, 0), 255)))
		if got := toByte(v); got != want {
			t.Fatalf("toByte(%v) = %d, the store's byte %d", v, got, want)
		}
	}
}

// SortByX orders the points by X with their Y, stably, and leaves arrows and mismatched series alone.
func TestSeriesSortByX(t *testing.T) {
	s := Series{X: []float64{1, 0, 0.5, 0}, Y: []float64{10, 20, 30, 40}}
	s.SortByX()
	if !slices.Equal(s.X, []float64{0, 0, 0.5, 1}) || !slices.Equal(s.Y, []float64{20, 40, 30, 10}) {
		t.Errorf("sorted: X %v Y %v, want X [0 0 0.5 1] Y [20 40 30 10]", s.X, s.Y)
	}
	arrows := Series{X: []float64{1, 0}, Y: []float64{1, 0}, Arrows: true}
	arrows.SortByX()
	if !slices.Equal(arrows.X, []float64{1, 0}) {
		t.Errorf("arrows were reordered: %v", arrows.X)
	}
}

// No two of the first 15 series look alike: past the palette's colours a series differs from the one
// of its colour in its line's dashes and its dots' shape (dashes alone drew a one-point reference's
// dots, and its legend, as those of the dashed series of its colour; seventy-fourth probe).
func TestSeriesLooksAreDistinct(t *testing.T) {
	var series []Series
	for i := range looks + 1 {
		series = append(series, Series{Name: fmt.Sprint(i), X: []float64{0, 1}, Y: []float64{0, float64(i)}, Marked: true})
	}
	if _, err := (Plot{Title: "many", Width: 200, Height: 100, Series: series[:looks]}).PNG(); err != nil {
		t.Errorf("%d named series: %v", looks, err)
	}
	if _, err := (Plot{Title: "many", Width: 200, Height: 100, Series: series}).PNG(); err == nil || !strings.Contains(err.Error(), "would look like series 0") {
		t.Errorf("%d named series: %v, want a refusal", looks+1, err)
	}
	seen := map[string]int{}
	for i := range looks {
		lk := lookOf(i)
		key := fmt.Sprintf("%v %v %T", lk.colour, lk.dashes, lk.glyph)
		if j, ok := seen[key]; ok {
			t.Errorf("series %d looks like series %d (%s)", i, j, key)
		}
		seen[key] = i
		if i >= len(palette) && fmt.Sprintf("%T", lk.glyph) == fmt.Sprintf("%T", lookOf(i%len(palette)).glyph) {
			t.Errorf("series %d has the dots of series %d, of the same colour", i, i%len(palette))
		}
	}
}

// A named series with no points, and a plot with none at all, are refused: the legend named a line
// that was not drawn, and empty axes passed for a measurement (ninety-second probe). An unnamed empty
// series beside others (a chain that stopped at once) draws nothing and is taken.
func TestPlotOfNothingIsRefused(t *testing.T) {
	line := Series{Name: "measured", X: []float64{0, 1}, Y: []float64{1, 2}}
	for _, c := range []struct {
		name   string
		series []Series
		want   string
	}{
		{"a named series of no points", []Series{line, {Name: "DDIM"}}, `series "DDIM" has no points`},
		{"a named arrow series of no points", []Series{line, {Name: "field", Arrows: true}}, `series "field" has no points`},
		{"no series", nil, "no points to draw"},
		{"unnamed series of no points", []Series{{}, {Scatter: true}}, "no points to draw"},
		{"two series of one name", []Series{line, {Name: "measured", X: []float64{0}, Y: []float64{3}}}, `series 0 and 1 are both named "measured"`}, // (hundredth probe)
	} {
		if _, err := (Plot{Title: "p", Width: 200, Height: 100, Series: c.series}).PNG(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
	if _, err := (Plot{Title: "p", Width: 200, Height: 100, Series: []Series{line, {}, {X: []float64{0}, Y: []float64{1}}}}).PNG(); err != nil {
		t.Errorf("a named line and two unnamed series: %v", err)
	}
}
