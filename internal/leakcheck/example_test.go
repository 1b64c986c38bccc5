package leakcheck_test

import (
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/leakcheck"
)

func ExampleSnapshot_Leaked() {
	before := leakcheck.Take()
	stop := make(chan struct{})
	go func() { <-stop }()
	fmt.Println("running:", len(before.Leaked(20*time.Millisecond)))
	close(stop)
	fmt.Println("after stop:", len(before.Leaked(leakcheck.DefaultTimeout)))
	// Output:
	// running: 1
	// after stop: 0
}
