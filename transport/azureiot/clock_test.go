package azureiot

import (
	"errors"
	"testing"
	"time"
)

func TestCheckClock(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		wantErr bool
	}{
		{"unix epoch (no RTC)", time.Unix(0, 0), true},
		{"a few seconds after boot in 1970", time.Unix(42, 0), true},
		{"zero time", time.Time{}, true},
		{"one second before threshold", time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{"threshold", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"threshold in another zone", time.Date(2020, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), false},
		{"now-ish", time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckClock(tt.now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckClock(%v) = %v, wantErr %v", tt.now, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrClockNotSet) {
				t.Errorf("error %v does not match ErrClockNotSet", err)
			}
		})
	}
	if got := time.Unix(MinPlausibleUnixTime, 0).UTC(); !got.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("MinPlausibleUnixTime is %v, want 2020-01-01", got)
	}
}
