package ddpm

import "github.com/learn-ddpm/ddpm-go/internal/trust"

// ErrOtherUser is wrapped by the refusals of what belongs to another user, which no change of mode by
// this one can mend: the advice is then to use a folder of one's own (forty-fourth probe's nit: setup
// said chmod go-w for another user's $HOME).
var ErrOtherUser = trust.ErrOtherUser

// CheckSecureFile returns the file that path leads to, its links resolved, where no other user can
// change it or what leads to it (internal/trust, which the data package shares).
func CheckSecureFile(path string) (string, error) { return trust.SecureFile(path) }

// CheckSecureFolder refuses a folder (or, where it does not exist yet, the nearest folder above it)
// where a plugin installed would not be loaded, since another user could change it, or whose default
// ACL would let another user write what is made in it.
func CheckSecureFolder(dir string) error { return trust.CheckSecureFolder(dir) }

// NearestFolder is dir resolved where it exists (as the kernel resolves it), or else the nearest folder above it that does,
// where what is made in dir would be made; a link there to what is not there is refused.
func NearestFolder(dir string) (string, error) { return trust.NearestFolder(dir) }

// Nearest is NearestFolder with the names below it that are not there yet, in order, dir resolved as
// the kernel resolves it.
func Nearest(dir string) (at string, rest []string, err error) { return trust.Nearest(dir) }

// securePath is trust.SecureFile: the plugin, the clone and the stamp are taken only where no other
// user can change them.
func securePath(path string) (string, error) { return trust.SecureFile(path) }

// pluginFileError refuses what dlopen would hang on or read without end (trust.CheckDiskFile).
func pluginFileError(path string) error { return trust.CheckDiskFile(path) }
