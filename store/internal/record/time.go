package record

import "time"

// Time returns t as every store keeps it: UTC, truncated to the millisecond.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// TimePtr returns an optional time as every store keeps it (see Time); nil stays nil. The
// result never aliases t.
func TimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// orEmpty returns list, or an empty slice for nil.
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
