package viz

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chain is a diagram of a Markov chain as a graphical model, in the style of the DDPM paper's
// Figure 2: the nodes in a row, from left to right, each linked to the next by an arrow above
// (pointing right) and one below (dashed, pointing left). A node named "…" is drawn as an ellipsis
// without a circle. Labels are placed over and under the link from node Labelled to the next.
type Chain struct {
	Nodes        []string
	Above, Below string // the labels of the two kinds of arrow, e.g. p_θ(x_{t−1} | x_t) and q(x_t | x_{t−1})
	Labelled     int    // the link whose arrows carry the labels: from Nodes[Labelled] to Nodes[Labelled+1]
	Alt          string // what the diagram shows, in words
}

// AltText is the diagram's description in words (its Alt).
func (c Chain) AltText() string { return c.Alt }

const (
	chainRadius = 22 // points
	chainGap    = 78 // from one node's centre to the next
)

// PNG draws the diagram at 144 DPI (twice its size in points, as Plot).
func (c Chain) PNG() ([]byte, error) {
	if len(c.Nodes) < 2 {
		return nil, fmt.Errorf("chain diagram: %d nodes, want at least 2", len(c.Nodes))
	}
	if c.Labelled < 0 || c.Labelled >= len(c.Nodes)-1 {
		return nil, fmt.Errorf("chain diagram: Labelled = %d, want a link between 0 and %d", c.Labelled, len(c.Nodes)-2)
	}
	w := vg.Length(chainGap*(len(c.Nodes)-1) + 4*chainRadius)
	h := vg.Length(6 * chainRadius)
	if err := checkPixels("chain diagram", float64(w)*2, float64(h)*2); err != nil { // at 144 DPI
		return nil, err
	}
	canvas := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144))
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	text := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 13), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YCenter}
	small := text
	small.Font = font.From(plot.DefaultFont, 11)
	solid := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	dashed := solid
	dashed.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}

	mid := h / 2
	x := func(i int) vg.Length { return vg.Length(2*chainRadius + chainGap*i) }
	for i, name := range c.Nodes {
		centre := vg.Point{X: x(i), Y: mid}
		if name != "…" {
			var circle vg.Path
			circle.Move(vg.Point{X: centre.X + chainRadius, Y: centre.Y})
			circle.Arc(centre, chainRadius, 0, 2*3.141592653589793)
			circle.Close()
			dc.SetLineStyle(solid)
			dc.Stroke(circle)
		}
		dc.FillText(text, centre, name)
	}
	const lift = 0.45 * chainRadius // the arrows run above and below the centre line
	for i := 0; i+1 < len(c.Nodes); i++ {
		from, to := x(i)+chainRadius, x(i+1)-chainRadius
		arrow(dc, solid, vg.Point{X: from, Y: mid + lift}, vg.Point{X: to, Y: mid + lift})
		arrow(dc, dashed, vg.Point{X: to, Y: mid - lift}, vg.Point{X: from, Y: mid - lift})
		if i == c.Labelled {
			centre := (x(i) + x(i+1)) / 2
			dc.FillText(small, vg.Point{X: centre, Y: mid + 2.2*chainRadius}, c.Above)
			dc.FillText(small, vg.Point{X: centre, Y: mid - 2.2*chainRadius}, c.Below)
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chain diagram: %w", err)
	}
	return buf.Bytes(), nil
}

// arrow draws a horizontal line from a to b with a filled head at b.
func arrow(dc draw.Canvas, style draw.LineStyle, a, b vg.Point) {
	dc.StrokeLines(style, []vg.Point{a, b})
	dir := vg.Length(1)
	if b.X < a.X {
		dir = -1
	}
	const head = 5
	dc.FillPolygon(style.Color, []vg.Point{b, {X: b.X - dir*head, Y: b.Y + head/2}, {X: b.X - dir*head, Y: b.Y - head/2}})
}
