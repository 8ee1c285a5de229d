package course

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/learn-ddpm/ddpm-go/viz"
)

// Animation is a sequence of grids shown one after the other, looping: a GIF inline in the page, which
// plays offline in the rendered notebook and in JupyterLab alike, with a description in words.
type Animation struct {
	Frames []viz.Grid
	Delay  int    // hundredths of a second per frame; the last frame stays Hold times as long
	Hold   int    // 0 means 1
	Alt    string // what the animation shows, in words, for readers who cannot see it
}

// grey is the palette of the frames: the digits are grey, and so are the captions of viz.Grid.
var grey = func() color.Palette {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.Gray{Y: uint8(i)}
	}
	return p
}()

// GIF encodes the frames, every one the size of the first.
func (a Animation) GIF() ([]byte, error) {
	if len(a.Frames) == 0 {
		return nil, fmt.Errorf("animation without frames")
	}
	anim := &gif.GIF{}
	var bounds image.Rectangle
	for i, frame := range a.Frames {
		img, err := frame.Image()
		if err != nil {
			return nil, fmt.Errorf("animation frame %d: %w", i, err)
		}
		if i == 0 {
			bounds = img.Bounds()
		} else if img.Bounds() != bounds {
			return nil, fmt.Errorf("animation frame %d is %v, frame 0 %v: every frame must have the same size", i, img.Bounds().Size(), bounds.Size())
		}
		paletted := image.NewPaletted(bounds, grey)
		draw.Draw(paletted, bounds, img, bounds.Min, draw.Src)
		delay := a.Delay
		if i == len(a.Frames)-1 {
			delay *= max(a.Hold, 1)
		}
		anim.Image, anim.Delay = append(anim.Image, paletted), append(anim.Delay, delay)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Play displays the animation inline; it panics, failing the cell, when it cannot be encoded or has no
// description.
func Play(a Animation) {
	if strings.TrimSpace(a.Alt) == "" {
		panic("animation without a description: give it alt text (Animation.Alt)")
	}
	data, err := a.GIF()
	if err != nil {
		panic(fmt.Sprintf("animation: %v", err))
	}
	gonbui.DisplayHTML(fmt.Sprintf(`<img alt="%s" src="data:image/gif;base64,%s">`, html.EscapeString(a.Alt), base64.StdEncoding.EncodeToString(data)))
}
