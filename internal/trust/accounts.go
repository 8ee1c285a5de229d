package trust

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// notYoursAlone says why another user may be in group gid, or "" when it is this user's private
// group: a group-writable plugin folder was trusted whenever its group was the user's primary one, and
// a shared primary group (users) let every member replace the plugin (thirty-fifth probe). Tests
// replace it.
var notYoursAlone = func(gid int) string {
	if gid != os.Getgid() {
		return "it is not your primary group"
	}
	return privateGroupOnce()
}

// ownGroup says whether gid is this user's private group (notYoursAlone).
func ownGroup(gid int) bool { return notYoursAlone(gid) == "" }

var privateGroupOnce = sync.OnceValue(func() string {
	files, err := readAccountFiles()
	if err != nil {
		return err.Error()
	}
	if why := notPrivate(files, os.Getuid(), os.Getgid()); why != "" {
		return why
	}
	return otherProcessInGroup(os.Getuid(), os.Getgid())
})

// otherProcessInGroup says which process of another user (neither uid nor root) carries group gid, or
// "": a container's --group-add 0, or systemd's SupplementaryGroups, gives one the group that the
// account files keep private, and such a process of another user's put its library into root's 775
// folder of group 0 (seventy-ninth probe). Processes that /proc hides from this one cannot be seen.
func otherProcessInGroup(uid, gid int) string {
	entries, _ := os.ReadDir("/proc")
	me, g := strconv.Itoa(uid), strconv.Itoa(gid)
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		status := "/proc/" + e.Name() + "/status"
		uids := StatusField(status, "Uid")
		if !slices.ContainsFunc(uids, func(id string) bool { return id != me && id != "0" }) {
			continue
		}
		if slices.Contains(StatusField(status, "Gid"), g) || slices.Contains(StatusField(status, "Groups"), g) {
			return fmt.Sprintf("process %s of uid %s carries it, though the account files do not list it", e.Name(), uids[0])
		}
	}
	return ""
}

// readAccountFiles reads the account files once, for the private-group test and for the names of
// groups in its messages.
var readAccountFiles = sync.OnceValues(func() (accountFiles, error) {
	var files accountFiles
	for _, f := range []struct {
		path string
		raw  *[]byte
	}{{"/etc/passwd", &files.passwd}, {"/etc/group", &files.group}} {
		raw, err := os.ReadFile(f.path)
		if err != nil {
			return files, err
		}
		*f.raw = raw
	}
	files.gshadow, _ = os.ReadFile("/etc/gshadow")        // root's alone to read: nil for the others
	files.nsswitch, _ = os.ReadFile("/etc/nsswitch.conf") // none: glibc reads the files
	return files, nil
})

// accountFiles are the files that say who is in a group.
type accountFiles struct{ passwd, group, gshadow, nsswitch []byte }

// notPrivate says why gid may not be a group of uid alone, or "" when the account files say it is: no
// other account has it as its primary group (passwd), it lists no other member (group), and, where
// gshadow could be read, it lists no other member or administrator and has no password (newgrp lets
// in whom gshadow lists, and whoever knows the password; thirty-seventh probe). It cannot be sure, and
// says so, where accounts come from a directory service too (nsswitch names a source other than the
// files), where a line cannot be read (glibc reads lines of 6 or 8 fields, and ids with spaces, that
// were skipped, so that another account of the group went unseen; thirty-sixth probe), or where the
// files do not name the group or the user.
func notPrivate(files accountFiles, uid, gid int) string {
	for _, db := range []string{"passwd", "group"} {
		if source := otherSource(files.nsswitch, db); source != "" {
			return fmt.Sprintf("accounts come from %s too (/etc/nsswitch.conf), whose members cannot all be known", source)
		}
	}
	name := ""
	for _, f := range accountLines(files.passwd) {
		if len(f) < 4 || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") { // NIS's compat entries
			return unreadLine("/etc/passwd", f)
		}
		u, errU := strconv.Atoi(strings.TrimSpace(f[2]))
		g, errG := strconv.Atoi(strings.TrimSpace(f[3]))
		switch {
		case errU != nil || errG != nil:
			return unreadLine("/etc/passwd", f)
		case u == uid:
			name = f[0]
		case g == gid:
			return fmt.Sprintf("%s has it as primary group", f[0])
		}
	}
	if name == "" {
		return "/etc/passwd does not name you"
	}
	// Every name of the group: two lines of one id are two names, each with its own gshadow line (the
	// first name's was not read; forty-seventh probe's nit).
	groups := map[string]string{} // each name's password field in /etc/group
	for _, f := range accountLines(files.group) {
		if len(f) < 3 || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			return unreadLine("/etc/group", f)
		}
		g, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			return unreadLine("/etc/group", f)
		}
		if g != gid {
			continue
		}
		groups[f[0]] = strings.TrimSpace(f[1])
		if len(f) > 3 {
			if other := otherMember(strings.Join(f[3:], ":"), name); other != "" {
				return fmt.Sprintf("/etc/group lists %s in it", other)
			}
		}
	}
	if len(groups) == 0 {
		return "/etc/group does not name it"
	}
	shadowed := map[string]bool{}
	for _, f := range accountLines(files.gshadow) {
		if _, ok := groups[f[0]]; !ok || len(f) < 4 {
			continue
		}
		shadowed[f[0]] = true
		if isPassword(f[1]) {
			return "it has a password in /etc/gshadow, with which anyone may join it"
		}
		for _, list := range f[2:4] {
			if other := otherMember(list, name); other != "" {
				return fmt.Sprintf("/etc/gshadow lists %s in it", other)
			}
		}
	}
	// A name that gshadow does not list has its password in /etc/group, which newgrp and sg then ask for
	// ("x" sends them to gshadow): one there was missed (sixty-seventh probe).
	for group, password := range groups {
		if !shadowed[group] && password != "x" && isPassword(password) {
			return "it has a password in /etc/group (and no line in /etc/gshadow), with which anyone may join it"
		}
	}
	return ""
}

// isPassword says whether an account file's password field lets in whoever knows a password: not
// empty, not locked ("!…"), not "*".
func isPassword(field string) bool {
	field = strings.TrimSpace(field)
	return field != "" && !strings.HasPrefix(field, "!") && field != "*"
}

// unreadLine says that a line of an account file could not be read, and which.
func unreadLine(file string, fields []string) string {
	line := strings.Join(fields, ":")
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return fmt.Sprintf("a line of %s cannot be read (%q)", file, line)
}

// otherMember is the first name of a comma-separated list that is not name, or "".
func otherMember(list, name string) string {
	for _, member := range strings.Split(list, ",") {
		if member = strings.TrimSpace(member); member != "" && member != name {
			return member
		}
	}
	return ""
}

// otherSource is the first source nsswitch.conf reads the database db from besides the local files
// (files, compat, systemd's own accounts), or "" (as when it does not name db).
func otherSource(nsswitch []byte, db string) string {
	for _, line := range strings.Split(string(nsswitch), "\n") {
		line, _, _ = strings.Cut(line, "#")
		key, sources, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(key) != db {
			continue
		}
		for _, source := range strings.Fields(sources) {
			switch {
			case strings.HasPrefix(source, "["): // an action, [NOTFOUND=return]
			case source == "files" || source == "compat" || source == "systemd" || source == "db":
			default:
				return source
			}
		}
	}
	return ""
}

// accountLines splits the lines of an account file into their colon-separated fields; comments and
// empty lines are left out.
func accountLines(raw []byte) [][]string {
	var lines [][]string
	// Every line, however long, as glibc reads them: a scanner's 1 MiB limit ended the reading at the
	// first longer line, and a member listed after it was not seen (seventy-first probe). A "\r" before
	// the "\n" is dropped, as the scanner did: a member's name is read without it, so counted, not missed.
	for line := range strings.SplitSeq(string(raw), "\n") {
		if line = strings.TrimSuffix(line, "\r"); strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, strings.Split(line, ":"))
		}
	}
	return lines
}

// groupName is how a message names a group: "group users (gid 100)".
func groupName(gid int) string {
	if files, err := readAccountFiles(); err == nil {
		for _, f := range accountLines(files.group) {
			if len(f) >= 3 && strings.TrimSpace(f[2]) == strconv.Itoa(gid) {
				return fmt.Sprintf("group %s (gid %d)", f[0], gid)
			}
		}
	}
	return fmt.Sprintf("group %d", gid)
}
