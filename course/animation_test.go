package course

import (
	"bytes"
	"image/gif"
	"math"
	"strings"
	"testing"

	"github.com/learn-ddpm/ddpm-go/viz"
)

func TestAnimationEncodesEveryFrameAndHoldsTheLast(t *testing.T) {
	frame := func(v float32) []float32 {
		px := make([]float32, 2*784)
		for i := range px {
			px[i] = v
		}
		return px
	}
	a := Animation{Frames: []viz.Grid{Digits(frame(-1), 2, nil, "dark"), Digits(frame(0), 2, nil, "grey"), Digits(frame(1), 2, nil, "light")},
		Delay: 5, Hold: 4, Alt: "three frames"}
	data, err := a.GIF()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 3 || g.Delay[0] != 5 || g.Delay[2] != 20 {
		t.Fatalf("%d frames with delays %v, want 3 with [5 5 20]", len(g.Image), g.Delay)
	}
	// Each frame keeps its own grey: black, mid-grey and white digits (the point is inside the first digit).
	for i, want := range []int{0, 127, 255} {
		r, _, _, _ := g.Image[i].At(28, 28).RGBA()
		if got := int(r >> 8); got < want-1 || got > want+1 {
			t.Errorf("frame %d: grey %d inside the first digit, want %d", i, got, want)
		}
	}
}

func TestAnimationRefusesFramesOfDifferentSizes(t *testing.T) {
	a := Animation{Frames: []viz.Grid{Digits(make([]float32, 784), 1, nil, "one"), Digits(make([]float32, 2*784), 2, nil, "two")}, Alt: "x"}
	if _, err := a.GIF(); err == nil || !strings.Contains(err.Error(), "same size") {
		t.Errorf("frames of two sizes: error %v, want one saying they must have the same size", err)
	}
}

func TestAnimationWithoutDescriptionFails(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "without a description") {
			t.Errorf("Play with no alt text: recovered %v, want a panic naming the missing description", r)
		}
	}()
	Play(Animation{Frames: []viz.Grid{Digits(make([]float32, 784), 1, nil, "x")}})
}

// An animation is bounded before any frame is drawn: one frame of viz.MaxPixels took two minutes, and
// forty would have run out of memory; a delay past a GIF's 16 bits was written modulo 65 536 (fortieth
// probe).
func TestAnimationRefusesWhatItCannotDraw(t *testing.T) {
	big := viz.Grid{Pixels: make([]float32, 16*16), N: 1, Height: 16, Width: 16, Channels: 1, Cols: 1, Scale: 1000}
	if _, err := (Animation{Frames: []viz.Grid{big}, Alt: "x"}).GIF(); err == nil || !strings.Contains(err.Error(), "pixels in all") {
		t.Errorf("a frame of 2^28 pixels: %v, want a refusal naming the pixels", err)
	}
	small := Digits(make([]float32, 784), 1, nil, "x")
	for _, a := range []Animation{{Delay: 70000}, {Delay: -1}, {Delay: 5, Hold: -2}, {Delay: 1000, Hold: 100}, {Delay: 100, Hold: math.MaxInt}, {Delay: 3, Hold: 3074457345618258603}} {
		a.Frames, a.Alt = []viz.Grid{small}, "x"
		if _, err := a.GIF(); err == nil || !strings.Contains(err.Error(), "Delay") {
			t.Errorf("Delay %d, Hold %d: %v, want a refusal", a.Delay, a.Hold, err)
		}
	}
}
