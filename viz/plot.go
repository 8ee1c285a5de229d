package viz

import (
	"bytes"
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one line of a plot, a cloud of points when Scatter is set, or arrows when Arrows is set:
// then the points go in pairs, each (X[2k], Y[2k]) → (X[2k+1], Y[2k+1]) drawn as a segment ending in a
// dot (a vector field).
type Series struct {
	Name    string
	X, Y    []float64
	Scatter bool
	Arrows  bool
	Marked  bool // a line with a dot on each point (a series of one point shows as its dot)
}

// SortByX puts the points in the order of X, each Y with its X (stably: equal X keep their order), as a
// line joins them: a line read from a file in another order zig-zags, and a test of its shape reads the
// file's order. A series of arrows, whose points go in pairs, or of more X than Y or fewer (which Render
// refuses) is left as it is.
func (s *Series) SortByX() {
	if s.Arrows || len(s.X) != len(s.Y) {
		return
	}
	order := make([]int, len(s.X))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.X[a], s.X[b]) })
	x, y := make([]float64, len(order)), make([]float64, len(order))
	for i, j := range order {
		x[i], y[i] = s.X[j], s.Y[j]
	}
	s.X, s.Y = x, y
}

// Plot describes a line plot. Width and Height are in points (1/72 inch); zero means 480×300.
type Plot struct {
	Title, XLabel, YLabel string
	Alt                   string // what the figure shows, in words, for readers who cannot see it
	LogX, LogY            bool
	LegendBottom          bool // the legend in the bottom right corner instead of the top right
	Width, Height         float64
	Series                []Series
}

// palette holds colours that stay distinct when printed in grey.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// ticker is an axis's tick marker: labels rounded and told apart on either scale.
func ticker(log bool) plot.Ticker {
	if log {
		return roundedTicks{plot.LogTicks{Prec: -1}}
	}
	return distinctTicks{plot.DefaultTicks{}}
}

// roundedTicks labels a marker's ticks with 6 significant digits: log ticks are computed as powers
// of ten, and 10⁻⁵ in floating point prints as 9.999999999999999e-06. An axis with fewer than two
// labels in its range has its other ticks labelled, or its ends: gonum's log ticks label powers of ten
// only, and data within one power of ten drew an axis with no number on it (ninety-seventh probe).
type roundedTicks struct{ plot.Ticker }

func (r roundedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := r.Ticker.Ticks(lo, hi)
	labelled := func() int { // positions in range with a label (gonum puts a minor tick under each major one)
		at := map[float64]bool{}
		for _, t := range ticks {
			if t.Label != "" && t.Value >= lo && t.Value <= hi {
				at[t.Value] = true
			}
		}
		return len(at)
	}
	if labelled() < 2 {
		for i := range ticks {
			if ticks[i].Value >= lo && ticks[i].Value <= hi {
				ticks[i].Label = "?" // written below
			}
		}
	}
	if labelled() < 2 {
		ticks = append(ticks, plot.Tick{Value: lo, Label: "?"}, plot.Tick{Value: hi, Label: "?"})
	}
	return relabel(ticks, lo, hi, true)
}

// distinctTicks keeps gonum's linear tick labels where they read as their values; where two in range
// read alike (100, 100.005 and 100.01 all "100"; 12 345…12 345.1 all "1.2e+04": ninety-ninth probe),
// or one reads as another number (gonum writes one digit past 10⁸: ticks at 1.3e8 and 1.7e8 read
// "1e+08" and "2e+08"; hundred-and-first probe), it relabels them as roundedTicks does.
type distinctTicks struct{ plot.Ticker }

func (d distinctTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := d.Ticker.Ticks(lo, hi)
	if labelsTrue(ticks, lo, hi, false) {
		return ticks
	}
	return relabel(ticks, lo, hi, false)
}

// relabel writes each labelled tick's value with the fewest significant digits, from 6 up, that tell
// the labels in range apart, each read as its own value (labelsTrue, on a log scale where log): three
// ticks of 99.99999…100.00001 all read "100" at 6 (ninety-eighth probe).
func relabel(ticks []plot.Tick, lo, hi float64, log bool) []plot.Tick {
	for digits := 6; digits <= 17; digits++ {
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', digits, 64)
			}
		}
		if labelsTrue(ticks, lo, hi, log) {
			break
		}
	}
	return ticks
}

// labelsTrue says whether the labelled ticks in [lo, hi] read as their values: no two at different
// values alike, and each label, read as a number, within a hundredth of the least gap between them
// (of the range, for one) from its tick; on a log scale (log) the gaps are of the logarithms: measured
// on the values, 10⁴ and 10⁻¹² apart needed 16 digits, and the labels read "9999.999999999998"
// (hundred-and-second probe).
func labelsTrue(ticks []plot.Tick, lo, hi float64, log bool) bool {
	scale := func(v float64) float64 { return v }
	if log {
		scale = math.Log10
	}
	seen := map[string]float64{} // each label's position
	var at []float64
	for _, t := range ticks {
		if t.Label == "" || t.Value < lo || t.Value > hi {
			continue
		}
		if v, ok := seen[t.Label]; ok && v != t.Value {
			return false
		}
		if _, ok := seen[t.Label]; !ok {
			at = append(at, scale(t.Value))
		}
		seen[t.Label] = t.Value
	}
	slices.Sort(at)
	gap := scale(hi) - scale(lo)
	for i := 1; i < len(at); i++ {
		gap = min(gap, at[i]-at[i-1])
	}
	for label, v := range seen {
		read, err := strconv.ParseFloat(label, 64)
		if err != nil || !(math.Abs(scale(read)-scale(v)) <= gap/100) { // (a log of 0 or less is NaN)
			return false
		}
	}
	return true
}

// look is how the i-th series is drawn: the palette's colour, and past the palette dashed lines and
// square dots, then dotted lines and triangles, so that no two of the first 15 look alike, in their
// lines, their dots or their legend entries (dashes alone left a one-point series' dots, and its legend's
// solid line, the same as another's; seventy-fourth probe).
type look struct {
	colour color.Color
	dashes []vg.Length
	glyph  draw.GlyphDrawer
}

// looks is how many series lookOf tells apart.
var looks = 3 * len(palette)

func lookOf(i int) look {
	l := look{colour: palette[i%len(palette)], glyph: draw.CircleGlyph{}}
	switch (i / len(palette)) % 3 {
	case 1:
		l.dashes, l.glyph = []vg.Length{vg.Points(5), vg.Points(3)}, draw.BoxGlyph{}
	case 2:
		l.dashes, l.glyph = []vg.Length{vg.Points(1.5), vg.Points(2)}, draw.TriangleGlyph{}
	}
	return l
}

// addSeries draws one series in its look: a line, dots (Scatter), both (Marked) or arrows (Arrows),
// and returns what its legend entry shows.
func addSeries(pl *plot.Plot, s Series, xys plotter.XYs, lk look) ([]plot.Thumbnailer, error) {
	line := func(points plotter.XYs, width float64) (*plotter.Line, error) {
		l, err := plotter.NewLine(points)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width, l.Dashes = lk.colour, vg.Points(width), lk.dashes
		pl.Add(l)
		return l, nil
	}
	dots := func(points plotter.XYs, radius float64) (*plotter.Scatter, error) {
		sc, err := plotter.NewScatter(points)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = lk.colour, vg.Points(radius), lk.glyph
		pl.Add(sc)
		return sc, nil
	}
	one := func(t plot.Thumbnailer, err error) ([]plot.Thumbnailer, error) {
		if err != nil || t == nil {
			return nil, err
		}
		return []plot.Thumbnailer{t}, nil
	}
	switch {
	case s.Arrows:
		if len(xys)%2 != 0 {
			return nil, fmt.Errorf("it draws arrows from pairs of points, but has %d points", len(xys))
		}
		var first []plot.Thumbnailer
		heads := make(plotter.XYs, 0, len(xys)/2)
		for k := 0; k < len(xys); k += 2 {
			l, err := line(xys[k:k+2], 1)
			if err != nil {
				return nil, err
			}
			if first == nil {
				first = []plot.Thumbnailer{l}
			}
			heads = append(heads, xys[k+1])
		}
		if len(heads) > 0 {
			if _, err := dots(heads, 1.3); err != nil {
				return nil, err
			}
		}
		return first, nil
	case s.Scatter:
		return one(dots(xys, 1))
	case s.Marked:
		sc, err := dots(xys, 2)
		if err != nil {
			return nil, err
		}
		l, err := line(xys, 1.5)
		if err != nil {
			return nil, err
		}
		return []plot.Thumbnailer{l, sc}, nil
	default:
		return one(line(xys, 1.5))
	}
}

// AltText is the plot's description in words (its Alt).
func (p Plot) AltText() string { return p.Alt }

// PNG renders the plot at twice its size in points, for sharp figures on screens.
func (p Plot) PNG() ([]byte, error) {
	if w, h := p.points(); !(w > 0 && h > 0) || checkPixels("plot", w*plotDPI/72, h*plotDPI/72) != nil {
		return nil, fmt.Errorf("plot %q: %w", p.Title, checkPixels("a size", w*plotDPI/72, h*plotDPI/72))
	}
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.X.Tick.Marker, pl.Y.Tick.Marker = ticker(p.LogX), ticker(p.LogY)
	if p.LogX {
		pl.X.Scale = plot.LogScale{}
	}
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
	}
	pl.Add(plotter.NewGrid())
	points, named := 0, map[string]int{}
	for i, s := range p.Series {
		// Two legend entries of one name, in two colours, tell no reader which line is which (hundredth probe).
		if j, ok := named[s.Name]; ok && s.Name != "" {
			return nil, fmt.Errorf("plot %q: series %d and %d are both named %q, which the legend cannot tell apart", p.Title, j, i, s.Name)
		}
		named[s.Name] = i
		// Past 15 looks repeat: a named series there would share another's legend entry (seventy-fifth
		// probe). Unnamed ones (the paths of many chains) are not told apart by a legend.
		if i >= looks && s.Name != "" {
			return nil, fmt.Errorf("plot %q: series %d, %q, would look like series %d: at most %d series with names can be told apart", p.Title, i, s.Name, i%looks, looks)
		}
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plot %q: series %q has %d x values and %d y values", p.Title, s.Name, len(s.X), len(s.Y))
		}
		// A legend entry for nothing, or a figure of empty axes, says something was measured that was
		// not (ninety-second probe).
		if s.Name != "" && len(s.X) == 0 {
			return nil, fmt.Errorf("plot %q: series %q has no points, and its legend entry would name nothing drawn", p.Title, s.Name)
		}
		points += len(s.X)
		xys := make(plotter.XYs, len(s.X))
		for j := range s.X {
			xys[j].X, xys[j].Y = s.X[j], s.Y[j]
			// Subnormal values drew an empty figure on a log axis (ninety-fourth probe): its ticks and
			// lines need a normal float64.
			if p.LogY && !(s.Y[j] >= minLog) {
				return nil, fmt.Errorf("plot %q: series %q has y[%d] = %g, which a log scale cannot show (it takes %g or more)", p.Title, s.Name, j, s.Y[j], minLog)
			}
			if p.LogX && !(s.X[j] >= minLog) {
				return nil, fmt.Errorf("plot %q: series %q has x[%d] = %g, which a log scale cannot show (it takes %g or more)", p.Title, s.Name, j, s.X[j], minLog)
			}
		}
		things, err := addSeries(pl, s, xys, lookOf(i))
		if err != nil {
			return nil, fmt.Errorf("plot %q, series %q: %w", p.Title, s.Name, err)
		}
		if s.Name != "" && things != nil { // (an empty arrow series has nothing to show)
			pl.Legend.Add(s.Name, things...)
		}
	}
	if points == 0 {
		return nil, fmt.Errorf("plot %q: no points to draw", p.Title)
	}
	for _, a := range []struct {
		axis *plot.Axis
		name string
		log  bool
	}{{&pl.X, "x", p.LogX}, {&pl.Y, "y", p.LogY}} {
		if err := widenAxis(a.axis, a.log); err != nil {
			return nil, fmt.Errorf("plot %q: %s axis: %w", p.Title, a.name, err)
		}
	}
	pl.Legend.Top = !p.LegendBottom
	w, h := p.points()
	canvas := vgimg.NewWith(vgimg.UseWH(vg.Points(w), vg.Points(h)), vgimg.UseDPI(plotDPI))
	pl.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot %q: %w", p.Title, err)
	}
	return buf.Bytes(), nil
}

// minLog is the least value a log axis shows: the least normal float64 (2⁻¹⁰²²).
const minLog = 0x1p-1022

// plotDPI renders a plot at twice its size in points (72 to the inch).
const plotDPI = 144

// points is the plot's width and height in points, with the defaults.
func (p Plot) points() (w, h float64) {
	w, h = p.Width, p.Height
	if w == 0 {
		w = 480
	}
	if h == 0 {
		h = 300
	}
	return w, h
}

// Size is the plot's width and height in pixels, as PNG renders it.
func (p Plot) Size() (w, h int) {
	pw, ph := p.points()
	return int(math.Ceil(pw * plotDPI / 72)), int(math.Ceil(ph * plotDPI / 72))
}

// widenAxis gives an axis whose values are all (nearly) equal a range that its ticks can divide. gonum
// pads such an axis by ±1, which is lost beyond 1e16: its ticks then panicked ("illegal range") on the
// points of a model that put every sample at 1e16 (eighth probe). A range too wide to draw is an error.
func widenAxis(a *plot.Axis, log bool) error {
	lo, hi := a.Min, a.Max
	if !(lo <= hi) { // no data
		if log { // gonum's range for no data, [0, 1], has no logarithm: it panicked (forty-seventh probe)
			a.Min, a.Max = 1, 10
		}
		return nil
	}
	if math.IsInf(hi-lo, 0) {
		return fmt.Errorf("values from %g to %g: a range too wide to draw", lo, hi)
	}
	if hi-lo > 1e-9*math.Max(math.Abs(lo), math.Abs(hi)) {
		return nil
	}
	if log {
		a.Min, a.Max = lo/2, hi*2
		if !(a.Min > 0) { // half the least positive float64 is 0, which a log scale panicked on (thirty-third probe)
			a.Min = lo
		}
	} else {
		pad := math.Max(math.Max(math.Abs(lo), math.Abs(hi))/20, 1)
		a.Min, a.Max = lo-pad, hi+pad
	}
	if math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) {
		return fmt.Errorf("values of %g: too large to draw", hi)
	}
	return nil
}
