package awsiot

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tether-iot/tether/transport"
)

// Connection loop detection (Config.OnConnectionLoop).
const (
	// ConnectionLoopWindow: a connection lost within this time of being
	// established counts as knocked off.
	ConnectionLoopWindow = 10 * time.Second
	// ConnectionLoopCount is the number of connections in a row knocked off
	// that is reported as a loop; it is reported again at twice, four
	// times, ... as many while the loop lasts.
	ConnectionLoopCount = 3
)

// ErrConnectionLoop: the connection keeps being lost right after it is
// established. On AWS IoT Core that is usually a second connection with
// the same client ID (AWS disconnects the older one, which reconnects and
// disconnects the newer one, forever), or a policy that forbids a topic the
// client subscribes to on every connect.
var ErrConnectionLoop = errors.New("awsiot: connection lost repeatedly right after connecting")

// loopDetector watches connection events for a connection loop.
type loopDetector struct {
	clientID string
	log      *slog.Logger
	report   func(error)

	mu          sync.Mutex
	connectedAt time.Time // zero while not connected
	short       int       // connections in a row lost within the window
	next        int       // short count at which to report
}

func newLoopDetector(clientID string, log *slog.Logger, report func(error)) *loopDetector {
	return &loopDetector{clientID: clientID, log: log, report: report, next: ConnectionLoopCount}
}

// observe is a transport.Conn Watch function.
func (l *loopDetector) observe(ev transport.Event) {
	now := ev.Time
	if now.IsZero() {
		now = time.Now()
	}
	l.mu.Lock()
	var err error
	switch ev.Kind {
	case transport.EventConnected:
		l.connectedAt = now
	case transport.EventConnectionLost:
		if l.connectedAt.IsZero() {
			break
		}
		if now.Sub(l.connectedAt) < ConnectionLoopWindow {
			l.short++
		} else {
			l.short, l.next = 0, ConnectionLoopCount
		}
		l.connectedAt = time.Time{}
		if l.short == l.next {
			l.next *= 2
			err = fmt.Errorf("%w: %d connections in a row lost within %s of connecting; "+
				"is another device or process connected with client ID %q? (AWS IoT Core disconnects "+
				"the older of two connections with one client ID) Otherwise check the policy allows "+
				"every topic the client subscribes to", ErrConnectionLoop, l.short, ConnectionLoopWindow, l.clientID)
		}
	}
	l.mu.Unlock()
	if err == nil {
		return
	}
	l.log.Warn(err.Error(), "client_id", l.clientID, "last_reason", errString(ev.Err))
	if l.report != nil {
		l.report(err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
