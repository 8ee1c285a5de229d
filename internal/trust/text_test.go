package trust

import "testing"

func TestNotPlain(t *testing.T) {
	for _, c := range []struct {
		s, allowed string
		want       int
	}{
		{"sh /usr/bin/x --flag=~!", "", -1},
		{"a\tb", "", 1},
		{"a\tb", "\t", -1},
		{"a\vb", "\t", 1},
		{"a\x1fb", "\t\n", 1},
		{"a\nb", "\t\n", -1},
		{"a\u00a0b", "", 1},
		{"a\x7f", "", 1},
	} {
		if got := NotPlain(c.s, c.allowed); got != c.want {
			t.Errorf("NotPlain(%q, %q) = %d, want %d", c.s, c.allowed, got, c.want)
		}
	}
}
