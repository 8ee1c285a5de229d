package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readPins reads a requirements file as pip reads it (each case's reading checked against pip 23's
// parse_requirements), and refuses before any work what pip would refuse, or read otherwise, after the
// venv was removed (seventy-fourth probe).
func TestReadPinsReadsAsPipReads(t *testing.T) {
	h := strings.Repeat("0123abcd", 8)
	hash := " --hash=sha256:" + h
	for _, c := range []struct {
		text, refused string // refused: "" where the file is taken
	}{
		// Continued lines: pip joins them with nothing between, stripping backslashes at both ends of a
		// continued line. With a space added, these two passed and pip then read one word.
		{"six==1.16.0 \\\n    --hash=sha256:" + h + "\\\n--hash=sha256:" + h + "\n", "write a digest as"},
		{"six==1.16.0\\\n--hash=sha256:" + h + "\n", "no space before it"},
		{"six==1.16.0 \\\n    --hash=sha256:" + h + "\n", ""},
		{"six==1.16.0 \\\n\\\\ --hash=sha256:" + h + "\n", "takes packages by name"}, // pip: Invalid requirement
		{"six==1.16.0" + hash + " \\", ""},                                           // continued to the file's end, as pip takes it
		{"six==1.16.0 \\\n# note\n--hash=sha256:" + h + "\n", "has no --hash"},
		{"six==1.16.0;--hash=sha256:" + h + "\n", "no space before it"},
		{"six==1.16.0 ; python_version < \"4\"--hash=sha256:" + h + "\n", "no space before it"},
		// Extras are a list of names; a marker is PEP 508's.
		{"six[a, b]==1.16.0 ; python_version < \"3.13\" and (os_name == \"posix\" or extra == \"x\")" + hash + "\n", ""},
		{"six==1.16.0 ; python_version not in \"3.8, 3.9\"" + hash + "\n", ""},
		{"six[a, -rfoo]==1.16.0" + hash + "\n", "takes packages by name"},
		{"six==1.16.0 ; )(" + hash + "\n", `the marker ")("`},
		{"six==1.16.0 ;" + hash + "\n", "with no marker after it"}, // pip: no marker (ninety-third probe's nit)
		{"six==1.16.0;  " + hash + "\n", "with no marker after it"},
		{"six==1.16.0 ; python_version < \"3.13\" and" + hash + "\n", "the marker"},
		{"six==1.16.0 ; python_versio < \"3.13\"" + hash + "\n", `"python_versio" is neither`},
		{"six==1.16.0 ; python_version < \"3.13" + hash + "\n", "not closed"},
		{"six==1.16.0 ; python_version <> \"3\"" + hash + "\n", `">" is neither`},
		{"six==1.16.0 ; extra == \"a -b\"" + hash + "\n", "a word that starts with -"},
		// Grammatical, and still failing in pip's evaluation (seventy-fifth probe).
		{"six==1.16.0 ; python_version ~= \"3\"" + hash + "\n", "~= (compatible release)"},
		{"six==1.16.0 ; python_version ~= \"3.0\"" + hash + "\n", "~= (compatible release), which setup does not take in a marker"}, // (hundred-and-first probe's nit)
		{"six==1.16.0 ; \"a\" == \"b\"" + hash + "\n", "a comparison of two strings"},
		{"six==1.16.0 ; python_version in python_version" + hash + "\n", "a comparison of two variables"},
		{"six==1.16.0 ; \"3.8\" < python_version and(os_name == \"posix\")" + hash + "\n", ""},
		{"six==1.16.0 ; python_version === \"3.11\"" + hash + "\n", "=== (arbitrary equality)"},
		{"six==1.16.0 ; os_name === \"a b\"" + hash + "\n", "=== (arbitrary equality)"}, // pip: UndefinedComparison (seventy-ninth probe)
		// One package, two versions: pip cannot resolve them; under markers they may be for two Pythons.
		{"six==1.16.0" + hash + "\nSix==1.17.0" + hash + "\n", "Six is pinned on line 1 too"},
		{"six==1.16.0 ; python_version < \"3.12\"" + hash + "\nsix==1.17.0 ; python_version >= \"3.12\"" + hash + "\n", ""},
		// One version twice under markers that both hold: pip checked a wheel against either line's digests
		// (ninety-fourth probe); so one version once, whatever the markers.
		{"six==1.16.0 ; python_version >= \"3\"" + hash + "\nsix==1.16.0 ; python_version >= \"3.5\" --hash=sha512:" + strings.Repeat("a", 128) + "\n", "six==1.16.0 is pinned on line 1 too"},
		{"six==1.16 ; python_version < \"3.12\"" + hash + "\nSix==1.16.0 ; python_version >= \"3.12\"" + hash + "\n", "Six==1.16.0 is pinned on line 1 too"},
		// The seventy-ninth probe: one pin without a marker holds wherever the other does; a digest's
		// line with a comment after it is no comment line, so pip joins it with nothing; no pin at all.
		{"six==1.16.0" + hash + "\nsix==1.17.0 ; python_version >= \"3\"" + hash + "\n", "six is pinned on line 1 too"},
		{"six==1.16.0 ; python_version >= \"3\"" + hash + "\nsix==1.17.0" + hash + "\n", "six is pinned on line 1 too"},
		{"six==1.16.0" + hash + "\\\n--hash=sha256:" + h + " # both wheels\n", "write a digest as"},
		// A comment that ends in \ takes the next line into it, as pip reads it: a digest or a pin there is
		// dropped (eighty-ninth probe: the pin's package was never installed, and the venv "made now").
		{"six==1.16.0" + hash + " # a note \\\n--hash=sha256:" + h + "\n", "so pip reads line 2"},
		{"six==1.16.0" + hash + "  # pinned for py2 \\\nidna==3.6" + hash + "\n", `so pip reads line 2 ("idna==3.6`},
		{"# my pins\nsix==1.16.0 \\\n    --hash=sha256:" + h + "  # six \\\nidna==3.4" + hash + "\n", `line 3: its comment ends in \, so pip reads line 4`}, // the comment's line (ninetieth probe's nit)
		{"six [a]==1.16.0" + hash + "\n", "extras written right after the name"},
		{"six==1.16.0" + hash + " # a note \\\n\n", ""},
		{"six==1.16.0" + hash + " # a note \\\n# and more\n", ""},
		{"", "pins no package"},
		{"six==1.16.0 \\\n --hash=sha256:" + h + " \\\nidna==3.7 \\\n --hash=sha256:" + h + "\n", `"idna==3.7" after its digests`},                // a \ into the next pin (eightieth probe's nit)
		{"six==1.16.0 \\\n#c\n --hash=sha256:" + h + "\n", "line 2, a comment, ends its continuation, so the --hash on line 3 is not part of it"}, // (hundred-and-third probe's nit)
		{"six==1.16.0" + hash + " --no-deps\n", `"--no-deps", an option, which setup --venv does not take before or after the digests`},           // not advised to move (hundred-and-first probe's nit)
		{"six==1.16.0" + hash + " --config-settings=a=b\n", "an option, which setup --venv does not take"},
		{"six==1.16.0\\\n--hash=sha256:" + h + " #note\n", "no space before it"},                  // (pip: one word)
		{"six==1.16.0 ; os_name == \"a#b\" or os_name == \" #\"" + hash + "\n", "has no --hash"},  // pip cuts at " #"
		{"six==1.16.0 ; os_name not  in \"posix\"" + hash + "\n", "apart by more than one space"}, // pip: InvalidMarker
		{"six==1.16.0 ; os_name not in \"posix\"" + hash + "\n", ""},
		{"# only a comment\n\n", "pins no package"},
		// The eighty-second: a version pip takes for a file's path, ${NAME} that pip fills in, and a
		// comment line that ends in \ (pip never continues one).
		{"six==1.16.0.zip" + hash + "\n", "takes packages by name"},
		{"six==1.16.0+local.tar.gz" + hash + "\n", "ends as an archive's name"},
		{"six==1.16.0+cpu" + hash + "\n", ""},
		{"six==v1.0rc1.post2.dev3" + hash + "\n", ""},
		{"six==1.16.0foo" + hash + "\n", "takes packages by name"},
		{"six==1.16.0; os_name == \"${TERM}\"" + hash + "\n", "${…}"},
		{"# pinned for 3.11 \\\nsix==1.16.0" + hash + "\n", ""},
		{"six==1.16.0" + hash + "\n# more \\\n-r other.txt\n", "line 3"},
	} {
		path := filepath.Join(t.TempDir(), "r.txt")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := readPins(path, "r.txt")
		switch {
		case c.refused == "" && err != nil:
			t.Errorf("%q refused: %v", c.text, err)
		case c.refused != "" && (err == nil || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%q: %v, want a refusal containing %q", c.text, err, c.refused)
		}
	}
}

// A marked pin counts where pip installed it, an upgrade of what ensurepip put there included: one of
// pip at another version than ensurepip's was called "every pin's marker is false" (eighty-second probe).
func TestCheckInstalledCountsWhatPipChanged(t *testing.T) {
	venv := t.TempDir()
	site := filepath.Join(venv, "lib", "python3.11", "site-packages")
	if err := os.MkdirAll(filepath.Join(site, "pip-24.0.dist-info"), 0o755); err != nil {
		t.Fatal(err)
	}
	pins := []pin{{line: 1, marked: true, name: "pip", version: "24.0"}}
	if err := checkInstalled(venv, pins, map[string]string{"pip": "pip-23.0.1.dist-info"}); err != nil {
		t.Errorf("pip upgraded by a marked pin: %v, want it counted", err)
	}
	// A pin at the version ensurepip put there, which pip takes unchecked, marked (eighty-fourth probe) or
	// not (eighty-third): a pin of ensurepip's setuptools with any digest passed.
	for _, marked := range []bool{true, false} {
		pins[0].marked = marked
		if err := checkInstalled(venv, pins, map[string]string{"pip": "pip-24.0.dist-info"}); err == nil || !strings.Contains(err.Error(), "checking no digest") {
			t.Errorf("a pin (marked: %v) of what ensurepip had put there: %v, want a refusal saying so", marked, err)
		}
	}
	// Spelled otherwise, the same version (eighty-fifth probe).
	for _, v := range []string{"24.0.0", "0!24.0", "24.00", "V24.0"} {
		pins[0].version, pins[0].marked = v, true
		if err := checkInstalled(venv, pins, map[string]string{"pip": "pip-24.0.dist-info"}); err == nil || !strings.Contains(err.Error(), "checking no digest") {
			t.Errorf("a pin of %s, ensurepip's 24.0 spelled otherwise: %v, want a refusal", v, err)
		}
	}
	if a, b := canonicalVersion("1.10"), canonicalVersion("1.1"); a == b {
		t.Errorf("1.10 and 1.1 read as one version, %q", a)
	}
	// PEP 440's spellings of one version are one (ninety-fifth probe), and other versions stay apart.
	for _, same := range [][2]string{{"1.0-1", "1.0.post1"}, {"1.0a1", "1.0alpha1"}, {"1.0rc1", "1.0c1"}, {"1.0rc1", "1.0-rc.1"},
		{"1.0.dev0", "1.0dev"}, {"1.0.post1", "1.0r1"}, {"1.0+ab-1", "1.0+ab.1"}, {"1.0a0", "1.0a"}, {"1.0.post1", "1.0post1"},
		{"1.0", "1.0.0"}, {"1.0_PRE_2", "1rc2"}, {"1.0+AB.01", "1+ab.1"}, {"0!1.0.rev", "1.post0"}, {"1.0-beta.3.dev", "1b3.dev0"}} {
		if a, b := canonicalVersion(same[0]), canonicalVersion(same[1]); a != b {
			t.Errorf("%s and %s, one version, read as %q and %q", same[0], same[1], a, b)
		}
	}
	for _, other := range [][2]string{{"1.0a1", "1.0b1"}, {"1.0.post1", "1.0.dev1"}, {"1.0", "1.0+1"}, {"1!1.0", "1.0"}, {"1.0rc1", "1.0.post1"}, {"1.0+ab1", "1.0+ab.1"}} {
		if a, b := canonicalVersion(other[0]), canonicalVersion(other[1]); a == b {
			t.Errorf("%s and %s, two versions, read as one, %q", other[0], other[1], a)
		}
	}
	// Of another version than ensurepip's and left as it was: under a marker, one that is false; without,
	// pip did not install it.
	pins[0].version = "25.0"
	pins[0].marked = true
	if err := checkInstalled(venv, pins, map[string]string{"pip": "pip-24.0.dist-info"}); err == nil || !strings.Contains(err.Error(), "installed none") {
		t.Errorf("a pin under a false marker alone: %v, want none installed", err)
	}
	pins[0].marked = false
	if err := checkInstalled(venv, pins, map[string]string{"pip": "pip-24.0.dist-info"}); err == nil || !strings.Contains(err.Error(), "pip did not install pip==25.0") {
		t.Errorf("an unmarked pin pip left as it was: %v, want a refusal", err)
	}
	// A venv's name is read literally: "[" in it was a pattern, and nothing was found (eighty-third probe).
	odd := filepath.Join(t.TempDir(), "w[1]")
	if err := os.MkdirAll(filepath.Join(odd, "lib", "python3.11", "site-packages", "six-1.16.0.dist-info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := distInfos(odd); got["six"] != "six-1.16.0.dist-info" {
		t.Errorf("distInfos(%s) = %v, want six", odd, got)
	}
}

// A byte that is no UTF-8 is named by its escape, which a user can type: it was printed as "�"
// (eighty-fifth probe's nit); control characters are escaped too, and valid text is kept.
func TestTerminalSafeEscapesWhatItCannotShow(t *testing.T) {
	for in, want := range map[string]string{"a\xffb": `a\xffb`, "a\x1b[1m": `a\x1b[1m`, "é�": "é�", "a\nb": `a\nb`} {
		if got := terminalSafe(in, false); got != want {
			t.Errorf("terminalSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// pip's lines are passed on naming the user's requirements file, not the venv's copy, however pip's
// writes cut them (ninety-eighth probe's nit).
func TestPipLinesNameTheUsersFile(t *testing.T) {
	var got bytes.Buffer
	r := &renamingLines{w: &got, from: "/v/ddpm-requirements.txt", to: "bad.txt"}
	for _, chunk := range []string{"six (from -r /v/ddpm-requ", "irements.txt (line 1))\nExpected sha256 x\n(from -r /v/ddpm-requirements.txt (line 2))"} {
		r.Write([]byte(chunk)) //nolint:errcheck
	}
	r.flush()
	if want := "six (from -r bad.txt (line 1))\nExpected sha256 x\n(from -r bad.txt (line 2))"; got.String() != want {
		t.Errorf("passed on %q, want %q", got.String(), want)
	}
}
