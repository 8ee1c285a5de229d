package trust

import "testing"

// mountinfo's fields: a folder's name with a space is written \040, and a mount is writable only where
// both its own options and its file system's say rw.
func TestParseMountinfo(t *testing.T) {
	raw := []byte("22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
		"40 27 8:1 /my\\040runs /mnt/my\\040view ro,relatime shared:1 - ext4 /dev/sda1 rw\n" +
		"41 27 8:2 / /data rw,relatime - ext4 /dev/sda2 ro\n" +
		"42 27 0:50 / /srv/venv/lib rw,relatime - tmpfs  rw\n" + // a source of "" (mount -t tmpfs "" DIR)
		"garbage\n")
	mounts := parseMountinfo(raw)
	if len(mounts) != 4 {
		t.Fatalf("%d mounts, want 4: %v", len(mounts), mounts)
	}
	want := map[uint64]mount{
		22: {device: "0:21", root: "/", point: "/proc", writable: true},
		40: {device: "8:1", root: "/my runs", point: "/mnt/my view", writable: false},
		41: {device: "8:2", root: "/", point: "/data", writable: false},
		42: {device: "0:50", root: "/", point: "/srv/venv/lib", writable: true},
	}
	for id, m := range want {
		if mounts[id] != m {
			t.Errorf("mount %d: %+v, want %+v", id, mounts[id], m)
		}
	}
}
