package data

import (
	"slices"
	"strings"
	"testing"
)

// TestGitIncludePathsReadsAsGitReads holds the reading of a git configuration's includes to git's:
// each include git would read is found, or the file is refused, never read past (seventieth and
// eighty-first probes: a byte-order mark, two headers on one line, a header inside a continued value,
// quotes inside a value).
func TestGitIncludePathsReadsAsGitReads(t *testing.T) {
	for _, c := range []struct {
		config  string
		want    []string
		refused string
	}{
		{"[include]\n\tpath = /a\n", []string{"/a"}, ""},
		{"\ufeff[include]\r\n\tpath = /a\r\n", []string{"/a"}, ""},
		{"[core] [include] path = /a\n", []string{"/a"}, ""},
		{"[includeIf \"gitdir:/srv/\"]\n  PATH = \"/a b\" # why\n", []string{"/a b"}, ""},
		{"[includeIf.gitdir:/srv/]\npath=/a;c\n", []string{"/a"}, ""}, // the old spelling of a subsection
		{"[include]\npath = ~/a\n[url \"x\"]\n\tpath = /b\n", []string{"~/a"}, ""},
		{"[include]\n  x = a \\\n[core]\n  path = /a\n", nil, "line 2 is continued"},
		{"[include]\npath = /a\\tb\n", nil, "escape"},
		{"[include]\npath = /a\"b\"\n", nil, "quote inside"},
		{"[include]\npath = \"/a\"b\n", nil, "one pair of quotes"},
		{"[core]\n\tpath = /a\n", nil, ""},
	} {
		paths, err := gitIncludePaths(c.config)
		switch {
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%q: paths %q, error %v; want a refusal containing %q", c.config, paths, err, c.refused)
		case c.refused == "" && (err != nil || !slices.Equal(paths, c.want)):
			t.Errorf("%q: paths %q, error %v; want %q", c.config, paths, err, c.want)
		}
	}
}
