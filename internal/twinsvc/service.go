package twinsvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/tether-iot/tether/internal/twindoc"
)

// InitialVersion is the $version of the desired and reported properties of
// a twin the service has just created, as for a new device on IoT Hub.
const InitialVersion int64 = 1

// ErrInvalidPatch: UpdateDesired was given a patch the hub would refuse.
// The error also matches the twindoc sentinel of the broken rule.
var ErrInvalidPatch = errors.New("twinsvc: invalid desired patch")

// Publish is a message the service sends to a device.
type Publish struct {
	Topic   string
	Payload []byte
}

// Service holds the twins of any number of devices. A twin is created, empty
// and at InitialVersion, the first time a device id is used. Device ids are
// opaque: use "dev/mod" for a module's twin. The zero value is not usable;
// call New. A Service is safe for concurrent use.
type Service struct {
	mu      sync.Mutex
	devices map[string]*device
}

type device struct {
	twin  twindoc.Twin
	fails []failure
}

// failure is an injected answer for the next n requests of a kind.
type failure struct {
	kind   twindoc.RequestKind // 0: any kind
	status int                 // 0: no answer at all
	n      int
}

// New returns an empty Service.
func New() *Service {
	return &Service{devices: make(map[string]*device)}
}

// device returns deviceID's state, creating it. s.mu must be held.
func (s *Service) device(deviceID string) *device {
	d := s.devices[deviceID]
	if d == nil {
		d = &device{twin: twindoc.Twin{
			Desired:  twindoc.Properties{Values: map[string]any{}, Version: InitialVersion},
			Reported: twindoc.Properties{Values: map[string]any{}, Version: InitialVersion},
		}}
		s.devices[deviceID] = d
	}
	return d
}

// HandlePublish processes a message deviceID published and returns the
// messages the hub sends back to it (at most one response). Topics that are
// not twin requests, and twin requests without a usable $rid, get no reply:
// what the connection does about them is the emulator's business.
func (s *Service) HandlePublish(deviceID, topic string, payload []byte) []Publish {
	req, err := twindoc.ParseRequestTopic(topic)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.device(deviceID)
	if status, injected := d.takeFailure(req.Kind); injected {
		if status == 0 {
			return nil
		}
		return respond(twindoc.Response{Status: status, RequestID: req.RequestID}, nil)
	}
	switch req.Kind {
	case twindoc.RequestGet:
		body, err := d.twin.MarshalJSON()
		if err != nil { // cannot happen: the twin holds decoded JSON only
			return respond(twindoc.Response{Status: twindoc.StatusInternalError, RequestID: req.RequestID}, nil)
		}
		return respond(twindoc.Response{Status: twindoc.StatusOK, RequestID: req.RequestID}, body)
	case twindoc.RequestPatchReported:
		patch, err := twindoc.ParseReportedPatch(payload)
		if err != nil {
			return badRequest(req.RequestID, err)
		}
		merged := twindoc.Merge(d.twin.Reported.Values, patch)
		if err := twindoc.CheckSize(merged); err != nil {
			return badRequest(req.RequestID, err)
		}
		d.twin.Reported.Values = merged
		d.twin.Reported.Version++
		return respond(twindoc.Response{
			Status:     twindoc.StatusNoContent,
			RequestID:  req.RequestID,
			Version:    d.twin.Reported.Version,
			HasVersion: true,
		}, nil)
	}
	return nil
}

// respond builds the single reply r, or none if r cannot be put in a topic
// (a $rid the hub could not echo).
func respond(r twindoc.Response, payload []byte) []Publish {
	topic, err := twindoc.ResponseTopic(r)
	if err != nil {
		return nil
	}
	return []Publish{{Topic: topic, Payload: payload}}
}

// badRequest answers 400 with a JSON body naming the problem.
func badRequest(rid string, cause error) []Publish {
	body, _ := json.Marshal(map[string]any{"errorCode": twindoc.StatusBadRequest, "message": cause.Error()})
	return respond(twindoc.Response{Status: twindoc.StatusBadRequest, RequestID: rid}, body)
}

// UpdateDesired applies patch (a JSON merge patch: nil deletes a key) to
// deviceID's desired properties, as the service API does, and returns the
// new desired $version and the notification for the device. Deliver it only
// if the device is connected and subscribed to
// $iothub/twin/PATCH/properties/desired/#; the hub does not queue it.
//
// patch may hold any values encoding/json can marshal. A patch the hub would
// refuse (twin rules, or desired properties over the size limit) changes
// nothing and returns an error matching ErrInvalidPatch.
func (s *Service) UpdateDesired(deviceID string, patch map[string]any) (int64, []Publish, error) {
	doc, err := normalize(patch)
	if err != nil {
		return 0, nil, err
	}
	if err := twindoc.Validate(doc); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.device(deviceID)
	merged := twindoc.Merge(d.twin.Desired.Values, doc)
	if err := twindoc.CheckSize(merged); err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	version := d.twin.Desired.Version + 1
	payload, err := twindoc.Properties{Values: doc, Version: version}.MarshalJSON()
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	topic, err := twindoc.DesiredTopic(version)
	if err != nil { // cannot happen: version > 0
		return 0, nil, err
	}
	d.twin.Desired.Values = merged
	d.twin.Desired.Version = version
	return version, []Publish{{Topic: topic, Payload: payload}}, nil
}

// normalize turns any marshalable map into the decoded form twindoc works
// on (json.Number numbers), so the stored twin holds what a device would.
func normalize(patch map[string]any) (map[string]any, error) {
	if patch == nil {
		return nil, fmt.Errorf("%w: nil patch", ErrInvalidPatch)
	}
	doc, err := twindoc.Normalize(patch)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPatch, err)
	}
	return doc, nil
}

// Twin returns a deep copy of deviceID's twin, and false if the service has
// never seen the device.
func (s *Service) Twin(deviceID string) (twindoc.Twin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[deviceID]
	if d == nil {
		return twindoc.Twin{}, false
	}
	t := d.twin
	t.Desired.Values = twindoc.Clone(t.Desired.Values)
	t.Reported.Values = twindoc.Clone(t.Reported.Values)
	t.Desired.Metadata = twindoc.Clone(t.Desired.Metadata)
	t.Reported.Metadata = twindoc.Clone(t.Reported.Metadata)
	return t, true
}

// FailNext makes the service answer deviceID's next n twin requests, of any
// kind, with status instead of processing them: 429 (throttled), 5xx, or
// any other failure status. Status 0 means no answer at all (a lost
// response). Injections queue up: each applies to the requests after the
// previous one is used up. n < 1 does nothing.
func (s *Service) FailNext(deviceID string, status, n int) {
	s.FailNextOf(deviceID, 0, status, n)
}

// FailNextOf is FailNext for requests of one kind only (twindoc.RequestGet
// or twindoc.RequestPatchReported; 0 means any). Requests of other kinds
// are processed normally and do not use up the injection.
func (s *Service) FailNextOf(deviceID string, kind twindoc.RequestKind, status, n int) {
	if n < 1 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.device(deviceID)
	d.fails = append(d.fails, failure{kind: kind, status: status, n: n})
}

// takeFailure uses up the first injected failure that applies to kind.
func (d *device) takeFailure(kind twindoc.RequestKind) (status int, ok bool) {
	for i := range d.fails {
		f := &d.fails[i]
		if f.kind != 0 && f.kind != kind {
			continue
		}
		status = f.status
		f.n--
		if f.n == 0 {
			d.fails = append(d.fails[:i], d.fails[i+1:]...)
		}
		return status, true
	}
	return 0, false
}
