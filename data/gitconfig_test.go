package data

import (
	"os"
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

// The programs a repository's configuration names for git to run are git's own helpers, named as git
// names them, with words ddpm reads as the helper would: a credential.helper of another user's ran as
// root (eighty-third probe), a module behind a joined "-m" (eighty-seventh), node's ~/.node_modules
// through "!node -r evil" (eighty-eighth).
func TestCheckGitProgramHoldsItsPaths(t *testing.T) {
	theirs := t.TempDir()
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Skipf("no other user's folder: %v", err)
	}
	for _, c := range []struct{ command, refused string }{
		{"store", ""},
		{"cache --timeout 300", ""},
		{"store --file /root/.git-credentials", ""},
		{"store --file=" + theirs + "/creds", theirs + " belongs to another user"},
		{"store --file " + theirs + "/creds", theirs + " belongs to another user"},
		{"store -f" + theirs, "a word ddpm cannot read"},
		{"store --file=..", `"..", a word ddpm cannot read`},
		{"store x:y", `"x:y", a word ddpm cannot read`},
		{"store file://" + theirs + "/x", "a file's URL"},
		{"!node -r evil", "a program of its own"},
		{"!gh auth git-credential https://example.org/a", "a program of its own"},
		{"/usr/bin/env", "a program of its own"},
		{theirs + "/helper.sh", "a program of its own"},
		{"!f() { echo x; }; f", "more than words"}, // a shell's syntax, which ddpm cannot follow (eighty-fourth probe)
		{"!cd " + theirs + "&&sh evil.sh", "more than words"},
		{"store /usr\v" + theirs, "other than printable ASCII"},
	} {
		err := checkGitProgram(strings.ReplaceAll(c.command, "\\v", "\v"))
		if c.refused == "" && err != nil || c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)) {
			t.Errorf("%q: %v, want %q", c.command, err, c.refused)
		}
	}
}
