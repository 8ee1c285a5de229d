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

// The programs a configuration names for git to run are held to GOAUTH's rule, each word that names a
// path: a repository's credential.helper of another user's ran as root (eighty-third probe).
func TestCheckGitProgramHoldsItsPaths(t *testing.T) {
	theirs := t.TempDir()
	if err := os.Chown(theirs, 4242, 4242); err != nil {
		t.Skipf("no other user's folder: %v", err)
	}
	// Words ddpm cannot read as the program would: a short option's value joined to it, an option's
	// value of "..", a list, Perl's "::" (eighty-seventh probe).
	repo := t.TempDir()
	for _, c := range []struct{ command, refused string }{
		{"!/usr/bin/python3 -msub.evil", `"-msub.evil", a word ddpm cannot read`},
		{"!env --chdir=.. sh h.sh", `"..", a word ddpm cannot read`},
		{"!env PYTHONPATH=x:sub python3 -m evil", `"PYTHONPATH=x:sub", a word ddpm cannot read`},
		{"!perl -M sub::evil -e1", `"sub::evil", a word ddpm cannot read`},
		{"!sh file://" + theirs + "/x", "a file's URL"},
		{"!python3 -m sub.evil --flag=value -v -- x", ""},
		{"store", ""},
		{"/usr/bin/env", ""},
		{"!gh auth git-credential https://example.org/a", ""},
		{"!f() { echo x; }; f", "more than words"}, // a shell's syntax, which ddpm cannot follow (eighty-fourth probe)
		{"!cd " + theirs + "&&sh evil.sh", "more than words"},
		{theirs + "/helper.sh", theirs + " belongs to another user"},
		{"!sh " + theirs + "/x", theirs + " belongs to another user"},
		{"sh " + theirs + "/x://y", "no absolute path without"}, // a path, not a URL
		{"sh /usr\v" + theirs, "other than printable ASCII"},
		{"/proc/self/cwd/helper", "no absolute path without"},
	} {
		err := checkGitProgram(strings.ReplaceAll(c.command, "\\v", "\v"), repo)
		if c.refused == "" && err != nil || c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)) {
			t.Errorf("%q: %v, want %q", c.command, err, c.refused)
		}
	}
}
