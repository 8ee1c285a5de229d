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
	"math"
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

// maxAnimationPixels bounds the pixels of all an animation's frames together: 2²⁵, some 15 s to draw
// (the course's are thousands of times smaller).
const maxAnimationPixels = 1 << 25

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
	// Bounded before any frame is drawn: every frame is kept, and one of viz.MaxPixels took two minutes
	// to put on the palette; forty would have run out of memory (fortieth probe). A GIF's delay is a
	// 16-bit count of hundredths (70 000 was written as 4 464).
	total := 0.0
	for i, frame := range a.Frames {
		// Grey frames only: the palette is grey, and a red frame came out grey, without a word
		// (forty-seventh sweep).
		if frame.Channels > 1 {
			return nil, fmt.Errorf("animation frame %d has %d channels: an animation's frames are grey (1 channel)", i, frame.Channels)
		}
		w, h := frame.Size()
		total += float64(w) * float64(h)
	}
	if total > maxAnimationPixels {
		return nil, fmt.Errorf("animation of %d frames and %.0f pixels in all: at most %d", len(a.Frames), total, maxAnimationPixels)
	}
	// The product in floats: Delay 100 × Hold MaxInt wrapped to a negative number, and 0 was written
	// (forty-third probe).
	if a.Delay < 0 || a.Hold < 0 || float64(a.Delay)*float64(max(a.Hold, 1)) > math.MaxUint16 {
		return nil, fmt.Errorf("animation: Delay %d and Hold %d: want Delay ≥ 0, Hold ≥ 0, and Delay × Hold at most %d hundredths of a second", a.Delay, a.Hold, math.MaxUint16)
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
