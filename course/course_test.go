package course

import (
	"strings"
	"testing"
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
