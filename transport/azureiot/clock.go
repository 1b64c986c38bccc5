package azureiot

import (
	"fmt"
	"time"
)

// MinPlausibleUnixTime is the earliest wall-clock time, in Unix seconds
// (2020-01-01T00:00:00Z), that CheckClock accepts. A device without a
// real-time clock boots in 1970; a SAS token minted then expired long ago.
const MinPlausibleUnixTime = 1577836800

// CheckClock returns an error matching ErrClockNotSet if now is before
// MinPlausibleUnixTime, i.e. the clock has not been set (by NTP or a
// real-time clock) and cannot be used to mint tokens.
func CheckClock(now time.Time) error {
	if now.Unix() < MinPlausibleUnixTime {
		return fmt.Errorf("%w: %s is before %s", ErrClockNotSet,
			now.UTC().Format(time.RFC3339), time.Unix(MinPlausibleUnixTime, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
