package azureiottest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/tether-iot/tether/transport/azureiot"
)

// keySize is the length of generated shared access keys (IoT Hub's are 32
// bytes).
const keySize = 32

// AddDevice registers a device authenticated by a shared access key (one is
// generated) and returns a Config that connects it to the hub: HostName,
// DeviceID, SharedAccessKey, Server (URL) and RootCAs (CA). Adding an
// existing device replaces it. An invalid ID fails the test (or panics
// without one).
func (h *Hub) AddDevice(deviceID string) azureiot.Config {
	if h.t != nil {
		h.t.Helper()
	}
	key := h.newKey()
	if err := h.register(&identity{deviceID: deviceID, key: key}); err != nil {
		h.fail(err)
	}
	return h.config(deviceID, "", key)
}

// AddModule registers a module of a device added before, authenticated by a
// generated shared access key, and returns its Config (see AddDevice).
func (h *Hub) AddModule(deviceID, moduleID string) azureiot.Config {
	if h.t != nil {
		h.t.Helper()
	}
	h.mu.Lock()
	_, ok := h.identities[deviceID]
	h.mu.Unlock()
	if !ok {
		h.fail(fmt.Errorf("%w: %q (add the device before its modules)", ErrUnknownDevice, deviceID))
	}
	key := h.newKey()
	if err := h.register(&identity{deviceID: deviceID, moduleID: moduleID, key: key}); err != nil {
		h.fail(err)
	}
	return h.config(deviceID, moduleID, key)
}

// AddX509Device registers a device authenticated by an X.509 certificate,
// issued now by the hub's certificate authority with the device ID as its
// common name, and returns a Config with that Certificate (see AddDevice).
func (h *Hub) AddX509Device(deviceID string) azureiot.Config {
	if h.t != nil {
		h.t.Helper()
	}
	cert, err := h.broker.IssueClientCert(deviceID)
	if err != nil {
		h.fail(fmt.Errorf("azureiottest: %w", err))
	}
	sum := sha256.Sum256(cert.Certificate[0])
	if err := h.register(&identity{deviceID: deviceID, thumbprint: hex.EncodeToString(sum[:])}); err != nil {
		h.fail(err)
	}
	cfg := h.config(deviceID, "", nil)
	cfg.Certificate = &cert
	return cfg
}

// ConnectionString returns the connection string of a device ("dev") or
// module ("dev/mod") added with a shared access key, as the portal shows it.
// It does not include the emulator's address: set Config.Server and
// Config.RootCAs too.
func (h *Hub) ConnectionString(clientID string) (string, error) {
	h.mu.Lock()
	id := h.identities[clientID]
	h.mu.Unlock()
	if id == nil {
		return "", fmt.Errorf("%w: %q", ErrUnknownDevice, clientID)
	}
	if id.key == nil {
		return "HostName=" + h.cfg.hostName + ";DeviceId=" + id.deviceID + ";x509=true", nil
	}
	s := "HostName=" + h.cfg.hostName + ";DeviceId=" + id.deviceID
	if id.moduleID != "" {
		s += ";ModuleId=" + id.moduleID
	}
	return s + ";SharedAccessKey=" + base64.StdEncoding.EncodeToString(id.key), nil
}

func (h *Hub) register(id *identity) error {
	clientID, err := azureiot.ClientID(id.deviceID, id.moduleID)
	if err != nil {
		return fmt.Errorf("azureiottest: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	h.identities[clientID] = id
	return nil
}

func (h *Hub) newKey() []byte {
	key := make([]byte, keySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}

func (h *Hub) config(deviceID, moduleID string, key []byte) azureiot.Config {
	cfg := azureiot.Config{
		HostName: h.cfg.hostName,
		DeviceID: deviceID,
		ModuleID: moduleID,
		Server:   h.URL(),
		RootCAs:  h.CA(),
	}
	if key != nil {
		cfg.SharedAccessKey = base64.StdEncoding.EncodeToString(key)
	}
	return cfg
}
