package ddpm

import (
	"math"
	"slices"
	"testing"
)

// HFlip mirrors about half of the images of each batch left to right, each one wholly or not at all,
// and the flips of a step depend on nothing but (Seed, step), as the data order does: a dataset sought
// to a step (a resumed run) gives the batch an uninterrupted one gives. The paper flipped CIFAR-10's
// images in training, which this library did not do (fifty-ninth probe).
func TestArrayDatasetHFlip(t *testing.T) {
	const n, h, w, c = 64, 3, 4, 2
	data := make([]float32, n*h*w*c)
	for i := range data {
		data[i] = float32(i%251) / 251
	}
	mirrored := func(img []float32) []float32 {
		out := make([]float32, len(img))
		for y := range h {
			for x := range w {
				copy(out[(y*w+x)*c:(y*w+x+1)*c], img[(y*w+w-1-x)*c:(y*w+w-x)*c])
			}
		}
		return out
	}
	ds, err := NewArrayDataset("images", data, []int{h, w, c}, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	ds.HFlip = true
	plain, _ := NewArrayDataset("images", data, []int{h, w, c}, 16, 5)
	flipped, total := 0, 0
	size := h * w * c
	for step := range int64(40) {
		got, want := ds.Batch(step), plain.Batch(step)
		for j := range 16 {
			img, orig := got[j*size:(j+1)*size], want[j*size:(j+1)*size]
			switch {
			case slices.Equal(img, orig):
			case slices.Equal(img, mirrored(orig)):
				flipped++
			default:
				t.Fatalf("step %d, image %d: neither the image nor its mirror", step, j)
			}
			total++
		}
		again, _ := NewArrayDataset("images", data, []int{h, w, c}, 16, 5)
		again.HFlip = true
		if !slices.Equal(again.Batch(step), got) {
			t.Errorf("step %d: another dataset of the same seed gives another batch", step)
		}
	}
	// Binomial(640, 1/2): the fraction flipped is within 4 standard errors (0.079) of 1/2.
	if frac := float64(flipped) / float64(total); math.Abs(frac-0.5) > 4*math.Sqrt(0.25/float64(total)) {
		t.Errorf("%d of %d images flipped, want about half", flipped, total)
	}
	// Points are no images to mirror.
	points, _ := NewArrayDataset("moons", make([]float32, 64), []int{2}, 4, 1)
	points.HFlip = true
	if points.Batch(0) != nil {
		t.Error("HFlip on 2-D points: a batch, want none")
	}
	if _, _, _, err := points.Yield(); err == nil {
		t.Error("HFlip on 2-D points: Yield gave no error")
	}
}
