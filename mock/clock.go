package mock

import (
	"strconv"
	"time"
)

// Clock is the mock's source of "now" for resource lifecycles (creation dates, scheduled deletions).
// It is never used to check request signatures: those are always checked against the wall clock,
// because a client signs with its own real time.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// kmsDate formats t as KMS does: a 13-digit string of epoch milliseconds; the zero time is "".
func kmsDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// csmsTime formats t as CSMS does: int64 epoch milliseconds.
func csmsTime(t time.Time) int64 { return t.UnixMilli() }
