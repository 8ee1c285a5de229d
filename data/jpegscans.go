package data

import (
	"errors"
	"fmt"
	"io"
)

// Go's JPEG decoder has no limit on a progressive file's scans, and each scan walks every block of
// the image: a 210 KB file of 2 500 scans over 8192×8192 pixels took 100 s to decode (eighteenth
// probe). libjpeg has a limit for the same reason. jpegScanLimit gives a file at most maxJPEGScanWork
// pixel-scans (32 scans at the largest size a folder takes, 8192²; a progressive encoder makes about
// ten), and never more than maxJPEGScans.
const (
	maxJPEGScanWork = 1 << 31
	maxJPEGScans    = 1000
)

func jpegScanLimit(width, height int) int {
	return min(maxJPEGScans, max(32, maxJPEGScanWork/max(1, width*height)))
}

// errTooManyScans is the error of a JPEG stream with more scans than its limit.
var errTooManyScans = errors.New("too many scans")

// jpegScans passes a JPEG stream through, counting its scans (SOS markers) as it goes, and fails once
// there are more than limit. It follows the stream's structure, so that bytes of a segment's payload
// or of the compressed data are never taken for markers: segments are skipped by their length, and
// in the compressed data after a scan's header only a 0xFF followed by neither 0x00 (stuffing) nor a
// restart marker starts a marker.
type jpegScans struct {
	r            io.Reader
	limit, scans int
	state        int // one of the states below
	code         byte
	left         int // bytes of a segment's payload still to skip
}

const (
	wantFF = iota
	wantCode
	wantLengthHigh
	wantLengthLow
	inPayload
	inData
	inDataAfterFF
	done
)

func (j *jpegScans) Read(p []byte) (int, error) {
	n, err := j.r.Read(p)
	for i := 0; i < n; i++ {
		if j.state == inPayload { // the common case of a long segment: skipped whole
			skip := min(j.left, n-i)
			j.left -= skip
			i += skip - 1
			if j.left == 0 {
				j.state = j.afterSegment()
			}
			continue
		}
		if e := j.next(p[i]); e != nil {
			return i, e
		}
	}
	return n, err
}

// afterSegment is the state after a segment's payload: a scan's compressed data, or the next marker.
func (j *jpegScans) afterSegment() int {
	if j.code == 0xda {
		return inData
	}
	return wantFF
}

func (j *jpegScans) next(b byte) error {
	switch j.state {
	case wantFF:
		if b == 0xff { // other bytes before a marker are skipped, as Go's decoder skips them: a junk byte
			j.state = wantCode // that stopped the count let 2 500 scans through (nineteenth probe)
		}
	case wantCode, inDataAfterFF:
		switch {
		case b == 0xff: // fill bytes
		case j.state == inDataAfterFF && (b == 0x00 || b >= 0xd0 && b <= 0xd7):
			j.state = inData // stuffing, or a restart marker within the scan
		case b == 0x00: // "\xff\x00" outside a scan: skipped by the decoder as junk
			j.state = wantFF
		case b == 0xd8 || b == 0x01 || b >= 0xd0 && b <= 0xd7: // markers without a payload
			j.state = wantFF
		case b == 0xd9: // the end of the image
			j.state = done
		default:
			j.code, j.state = b, wantLengthHigh
		}
	case wantLengthHigh:
		j.left, j.state = int(b)<<8, wantLengthLow
	case wantLengthLow:
		j.left += int(b) - 2
		if j.code == 0xda {
			if j.scans++; j.scans > j.limit {
				return fmt.Errorf("%w: more than %d", errTooManyScans, j.limit)
			}
		}
		j.state = inPayload
		if j.left <= 0 {
			j.left, j.state = 0, j.afterSegment()
		}
	case inData:
		if b == 0xff {
			j.state = inDataAfterFF
		}
	}
	return nil
}
