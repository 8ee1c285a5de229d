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
		{"[includeIf.gitdir:/srv/]\npath=/a;c\n", nil, "section header"}, // git fails on ":" in the old spelling of a subsection
		{"[include.x]\npath=/a;c\n", []string{"/a"}, ""},                 // the old spelling, read as too many
		{"[include]\npath = ~/a\n[url \"x\"]\n\tpath = /b\n", []string{"~/a"}, ""},
		{"[include]\n  x = a \\\n[core]\n  path = /a\n", nil, "line 2 is continued"},
		{"[include]\npath = /a\\tb\n", nil, "escape"},
		{"[include]\npath = /a\v\f\n", []string{"/a\v\f"}, ""},  // git trims spaces, tabs and CRs only (eighty-third probe)
		{"[x \"]\"] [include] path = /a\n", []string{"/a"}, ""}, // a "]" inside the quotes ended the header here, not in git (eighty-fourth probe)
		{"[x \"a\\\"b\"]\n[include]\npath = /a\n", nil, "section header"},
		{"[includeIf \"gitdir:~/work/\"]\n\tpath = /a\n", []string{"/a"}, ""},
		{"[include]\npath = /a\"b\"\n", nil, "quote inside"},
		{"[include]\npath = \"/a\"b\n", nil, "one pair of quotes"},
		{"[core]\n\tpath = /a\n", nil, ""},
	} {
		paths, err := includePaths(c.config)
		switch {
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%q: paths %q, error %v; want a refusal containing %q", c.config, paths, err, c.refused)
		case c.refused == "" && (err != nil || !slices.Equal(paths, c.want)):
			t.Errorf("%q: paths %q, error %v; want %q", c.config, paths, err, c.want)
		}
	}
}

// includePaths are the files a git configuration includes, as checkGitConfig reads them.
func includePaths(config string) ([]string, error) {
	entries, err := gitEntries(config)
	var paths []string
	for _, e := range entries {
		if e.including() {
			value, err := gitValue(e.value)
			if err != nil {
				return nil, err
			}
			paths = append(paths, value)
		}
	}
	return paths, err
}
