package course

import (
	"fmt"
	"strings"
	"sync"

	"github.com/learn-ddpm/ddpm-go/internal/safefile"
)

// MutantsFile lists, for every check of the notebooks, the wrong implementation it catches: a mutant,
// which is the check's cell with that mistake put in. scripts/check_mutants.py runs every mutant in
// make test, and each must fail on its check. The notebooks run in notebooks/, beside the file.
var MutantsFile = "mutants.json"

// MutantEnv, set in the environment, makes a failed Check print "CHECK FAILED: …" and return instead of
// panicking: scripts/check_mutants.py sets it to see every check of a mutant's cell fail.
const MutantEnv = "COURSE_MUTANT"

// Mutant is one entry of MutantsFile.
type Mutant struct {
	Cell  string // the id of the notebook cell that makes the check
	Claim string // part of a check's claim: the mutant must fail every check whose claim contains it (longest match)
	// Wrong says what the mutant gets wrong, as the end of "it would fail if …".
	Wrong   string
	Replace [][2]string // text of the cell as written → text of the mutant, each occurring once
	In      string      `json:",omitempty"` // the declaration cell that Replace edits, when not Cell
	// Shrink, applied to the cell as written and to the mutant alike, makes both cheaper (fewer samples,
	// fewer steps); the shrunk cell as written must still pass.
	Shrink [][2]string `json:",omitempty"`
}

var mutants = sync.OnceValues(func() (map[string][]Mutant, error) {
	raw, err := safefile.ReadFile(MutantsFile, maxReadBytes)
	if err != nil {
		return nil, err
	}
	var m map[string][]Mutant
	if err := decodeJSON(MutantsFile, raw, &m); err != nil {
		return nil, err
	}
	return m, nil
})

// catches returns what the mutant of claim gets wrong: the entry whose Claim is the longest part of
// claim. A check without one panics, so a ✓ that nothing shows able to fail cannot be added.
func catches(claim string) string {
	m, err := mutants()
	if err != nil {
		panic(fmt.Sprintf("every check needs a mutant in %s: %v", MutantsFile, err))
	}
	best := Mutant{}
	for _, list := range m {
		for _, mu := range list {
			if strings.Contains(claim, mu.Claim) && len(mu.Claim) > len(best.Claim) {
				best = mu
			}
		}
	}
	if best.Claim == "" {
		panic(fmt.Sprintf("CHECK WITHOUT A MUTANT: %q: add to %s the wrong implementation that makes it fail", claim, MutantsFile))
	}
	return best.Wrong
}
