package azureiottest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/tether-iot/tether/mqttx/mqttxtest"
	"github.com/tether-iot/tether/transport/azureiot"
)

// CONNACK return codes the hub answers with (MQTT 3.1.1 §3.2.2.3).
const (
	codeAccepted           byte = 0
	codeIdentifierRejected byte = 2
	codeBadCredentials     byte = 4
	codeNotAuthorized      byte = 5
)

// authenticate checks a CONNECT as IoT Hub does: the username's format and
// host, the client id against the username's identity, and the SAS token's
// resource, signature and expiry, or the certificate of an X.509 identity.
// An accepted SAS connection is closed when its token expires.
func (h *Hub) authenticate(ci mqttxtest.ConnectInfo) byte {
	now := h.cfg.clock()
	a := ConnectAttempt{Time: now, ClientID: ci.ClientID, Username: ci.Username,
		KeepAlive: time.Duration(ci.KeepAlive) * time.Second, CleanSession: ci.CleanSession}
	a.Code = h.check(ci, now, &a)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.attempts[ci.ClientID] = append(h.attempts[ci.ClientID], a)
	if a.Code != codeAccepted || h.closed {
		h.log.Debug("azureiottest: connection refused", "client", ci.ClientID, "code", a.Code)
		return a.Code
	}
	s := h.session(ci.ClientID)
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if ci.CleanSession {
		s.subs = make(map[string]struct{})
	}
	if !a.TokenExpiry.IsZero() {
		gen, clientID := s.gen, ci.ClientID
		s.timer = time.AfterFunc(a.TokenExpiry.Sub(now), func() { h.expire(clientID, gen) })
	}
	return codeAccepted
}

// check returns the CONNACK code for a CONNECT and fills the attempt's
// token details.
func (h *Hub) check(ci mqttxtest.ConnectInfo, now time.Time, a *ConnectAttempt) byte {
	u, err := parseUsername(ci.Username)
	if err != nil || !strings.EqualFold(u.host, h.cfg.hostName) {
		return codeBadCredentials
	}
	want, err := azureiot.ClientID(u.deviceID, u.moduleID)
	if err != nil || ci.ClientID != want {
		return codeIdentifierRejected
	}
	h.mu.Lock()
	id := h.identities[want]
	h.mu.Unlock()
	if id == nil {
		return codeNotAuthorized
	}
	if id.key == nil {
		a.X509 = true
		if len(ci.PeerCertificates) == 0 {
			return codeNotAuthorized
		}
		sum := sha256.Sum256(ci.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(id.thumbprint)) != 1 {
			return codeNotAuthorized
		}
		return codeAccepted
	}
	if !ci.HasPassword {
		return codeNotAuthorized
	}
	tok, err := parseSASToken(string(ci.Password))
	if err != nil {
		return codeBadCredentials
	}
	a.TokenExpiry = tok.expiry
	resource := azureiot.DeviceResource(h.cfg.hostName, id.deviceID, id.moduleID)
	switch {
	case tok.hasSkn: // shared access policies are not emulated
		return codeNotAuthorized
	case !strings.EqualFold(tok.decoded, resource):
		return codeNotAuthorized
	case !tok.validSignature(id.key):
		return codeNotAuthorized
	case !tok.expiry.After(now):
		return codeNotAuthorized
	}
	return codeAccepted
}

// expire closes the connection of generation gen of clientID, if it is
// still the current one, because its token expired.
func (h *Hub) expire(clientID string, gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[clientID]
	if h.closed || s == nil || s.gen != gen {
		return
	}
	s.timer = nil
	// The broker never calls the hub's hooks while holding its own lock,
	// so calling it under h.mu cannot deadlock; holding h.mu keeps a
	// renewing connection from being accepted in between.
	if h.broker.Disconnect(clientID) {
		h.expiries++
		h.log.Debug("azureiottest: SAS token expired, connection closed", "client", clientID)
	}
}
