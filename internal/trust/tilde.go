package trust

import (
	"os/user"
	"regexp"
	"strings"
)

// UnexpandedTilde says whether path begins with a ~ that a shell expands to a folder, and so was
// meant as one where it came unexpanded (quoted, after "=", set in a file, or past a shell that could
// not): ~ alone or before a /, ~user of a user there (a shell leaves ~nobody-such as it is), and bash's
// ~+, ~- and ~N, ~+N, ~-N (the working folder, the one before, the folder stack's). tilde is that
// prefix, means what a shell reads it as. To the kernel it is a folder named so: setup --venv=~/x made
// ./~/x (ninety-second probe), train --ckpt=~-/run trained into ./~-/run (ninety-fourth).
func UnexpandedTilde(path string) (tilde, means string, ok bool) {
	if !strings.HasPrefix(path, "~") {
		return "", "", false
	}
	tilde, _, _ = strings.Cut(path, "/")
	switch {
	case tilde == "~":
		return tilde, "your home folder ($HOME)", true
	case tilde == "~+" || tilde == "~0" || tilde == "~+0":
		return tilde, "the working folder ($PWD)", true
	case tilde == "~-": // (~-0 is the stack's last entry, below)
		return tilde, "the folder before it ($OLDPWD)", true
	case bashFolder.MatchString(tilde):
		return tilde, "a folder of bash's folder stack (dirs)", true
	}
	if u, err := user.Lookup(tilde[1:]); err == nil {
		return tilde, u.Username + "'s home folder (" + u.HomeDir + ")", true
	}
	return "", "", false
}

// bashFolder is bash's tilde prefixes of folders of its stack: ~N, ~+N, ~-N.
var bashFolder = regexp.MustCompile(`^~[+-]?[0-9]+$`)
