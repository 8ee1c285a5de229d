package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// pipSetting is one option of a pip configuration file: its section, its name as pip normalizes it
// (lower case, "-" for "_"), and its value.
type pipSetting struct{ section, key, value string }

// pipConfigSections are the sections that `pip install` reads (its own and the global one).
var pipConfigSections = []string{"global", "install"}

// pipConfigSettings reads a pip configuration file as Python's configparser does, for the sections
// pip install reads: "[section]" headers, "key = value" or "key: value", a value continued on the
// indented lines after it, whole-line comments (# or ;).
func pipConfigSettings(config string) []pipSetting {
	var settings []pipSetting
	section, last := "", -1
	for _, line := range strings.Split(config, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case line[0] == ' ' || line[0] == '\t': // a continuation of the last value
			if last >= 0 {
				settings[last].value += "\n" + trimmed
			}
			continue
		case trimmed[0] == '[':
			section, _, _ = strings.Cut(trimmed[1:], "]")
			last = -1
			continue
		}
		i := strings.IndexAny(trimmed, "=:")
		if i < 0 || !slices.Contains(pipConfigSections, section) {
			last = -1
			continue
		}
		key := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(trimmed[:i])), "_", "-")
		settings = append(settings, pipSetting{section, strings.TrimPrefix(key, "--"), strings.TrimSpace(trimmed[i+1:])})
		last = len(settings) - 1
	}
	return settings
}

// checkPipConfigs holds the options of pip's configuration files (files no other user can change,
// checked already) to the rules of the variables that set the same options: a pip.conf of root's own
// that named another user's program as its python, a log through their link, or their constraints
// file, had root's setup run, write and read them, where $PIP_PYTHON, $PIP_LOG and $PIP_CONSTRAINT
// were refused or checked (sixty-eighth probe).
func checkPipConfigs(configs []string, home string) error {
	for _, file := range configs {
		raw, err := os.ReadFile(file)
		if err != nil {
			continue // not there: checked as a file no other user could make
		}
		for _, s := range pipConfigSettings(string(raw)) {
			name := "PIP_" + strings.ToUpper(strings.ReplaceAll(s.key, "-", "_"))
			where := fmt.Sprintf("pip's configuration %s sets %s (section [%s]; the option of $%s)", file, s.key, s.section, name)
			if !slices.Contains(pipVars, name) || name == "PIP_CONFIG_FILE" {
				return fmt.Errorf("%s: setup has pip use only the options of where and how it downloads: its others change what it installs, "+
					"where or with which Python, or have it write files; remove it from the file, or set $PIP_CONFIG_FILE=%s for %s",
					where, os.DevNull, ddpm.UserSetupCommand)
			}
			var err error
			switch {
			case slices.Contains(pipLocations, name):
				err = checkPipLocation(name, s.value, home)
			case name == "PIP_CERT" || name == "PIP_CLIENT_CERT":
				if err = checkPathShape(name, s.value, s.value, home); err == nil {
					err = trust.CheckRead(expandUser(s.value, home))
				}
			case name == "PIP_CACHE_DIR":
				if err = checkPathShape(name, s.value, s.value, home); err == nil {
					err = trust.CheckOwnFolder(expandUser(s.value, home))
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	return nil
}
