package course

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/learn-ddpm/ddpm-go/internal/sweep"
)

// A report whose keys repeat one another but for case is refused wherever the course reads it: a Go
// struct took one and a map the other (ninety-second probe).
func TestReadJSONRefusesKeysTheSameButForCase(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		path := filepath.Join(dir, "eval.json")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, c := range []struct{ name, text, want string }{
		{"case", `{"checkpoint_sha256": "a", "Checkpoint_SHA256": "b", "nll": {"images": 1}}`, `"checkpoint_sha256" and "Checkpoint_SHA256"`},
		{"nested", `{"nll": {"bits_per_dim": 2, "images": 1, "Bits_Per_Dim": 9}}`, `"bits_per_dim" and "Bits_Per_Dim"`},
		{"twice", `{"nll": {"images": 1, "images": 2}}`, `"images" and "images"`},
		{"in a list", `{"nll": {"images": 1}, "runs": [{"k": 1}, {"s": 1, "ſ": 2}]}`, `"s" and "ſ"`},
		{"Kelvin sign", `{"nll": {"images": 1}, "k": 1, "\u212a": 2}`, "\"k\" and \"\u212a\""},
	} {
		path := write(c.text)
		if err := sweep.WantPanic(func() { ReadJSONCount(path, "nll", "images") }, c.want); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Keys alike in their letters but not the same letters are kept apart, and lists are walked whole.
	path := write(`{"nll": {"images": 3, "image": 1, "L_0": 1, "L_T": [1, {"a": 2, "b": [3]}]}, "class_counts": [0, 5, 12]}`)
	if got := ReadJSONCount(path, "nll", "images"); got != 3 {
		t.Errorf("nll.images = %d, want 3", got)
	}
	if got := ReadJSONCounts(path, "class_counts"); len(got) != 3 || got[0] != 0 || got[2] != 12 {
		t.Errorf("class_counts = %v, want [0 5 12]", got)
	}
	for _, bad := range []string{`[1, 2.5]`, `[1, -1]`, `[1, "2"]`, `[1e300]`, `{"a": 1}`} {
		path := write(`{"class_counts": ` + bad + `}`)
		if err := sweep.WantPanic(func() { ReadJSONCounts(path, "class_counts") }, "class_counts"); err != nil {
			t.Errorf("class_counts %s: %v", bad, err)
		}
	}
}
