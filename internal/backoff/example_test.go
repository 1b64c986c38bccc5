package backoff_test

import (
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/backoff"
)

func ExamplePolicy_Delay() {
	// A deterministic "random" source that always picks the top of the range shows the ceilings.
	p := backoff.Policy{Min: time.Second, Max: 10 * time.Second, Rand: func(n int64) int64 { return n - 1 }}
	for attempt := 1; attempt <= 6; attempt++ {
		fmt.Println(attempt, p.Delay(attempt))
	}
	// Output:
	// 1 1s
	// 2 2s
	// 3 4s
	// 4 8s
	// 5 10s
	// 6 10s
}
