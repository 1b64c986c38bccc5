package azureiot

import (
	"fmt"
	"sort"
	"strings"
)

// Names of the IoT Hub system properties that Properties has fields for.
const (
	PropMessageID          = "$.mid"
	PropCorrelationID      = "$.cid"
	PropUserID             = "$.uid"
	PropContentType        = "$.ct"
	PropContentEncoding    = "$.ce"
	PropCreationTime       = "$.ctime"
	PropExpiryTime         = "$.exp"
	PropTo                 = "$.to"
	PropOutputName         = "$.on"
	PropConnectionDeviceID = "$.cdid"
	PropConnectionModuleID = "$.cmid"
)

// Prefixes of system property names. Properties puts names with either prefix
// and no field of their own into System, every other name into Application.
const (
	SystemPropertyPrefix = "$."
	HubPropertyPrefix    = "iothub-"
)

// Properties is the structured view of a message's property bag: the system
// properties IoT Hub defines, as fields, and the application's own
// properties. It is the metadata of a received (C2D) message and the
// properties of a sent (D2C) one.
//
// An empty field means the property is absent. A property that is present
// with a null value (a bare name) reads as the empty string here; use
// PropertyBag where that difference matters.
type Properties struct {
	MessageID          string // $.mid; at most MaxMessageIDLength ASCII characters when sent
	CorrelationID      string // $.cid
	UserID             string // $.uid
	ContentType        string // $.ct, e.g. "application/json"
	ContentEncoding    string // $.ce, e.g. "utf-8"
	CreationTime       string // $.ctime, ISO 8601 UTC as sent
	ExpiryTime         string // $.exp, ISO 8601 UTC as sent
	To                 string // $.to, set by the hub on C2D messages
	OutputName         string // $.on, the output of a module message
	ConnectionDeviceID string // $.cdid, set by the hub
	ConnectionModuleID string // $.cmid, set by the hub

	// System holds every other property whose name starts with "$." or
	// "iothub-" (such as "iothub-ack" on C2D messages), by full name. Nil
	// when there are none.
	System map[string]string

	// Application holds the application properties by name. Nil when there
	// are none.
	Application map[string]string
}

// systemNames lists the named system properties in encoding order;
// Properties.field(i) is the field of systemNames[i].
var systemNames = [...]string{
	PropMessageID,
	PropCorrelationID,
	PropUserID,
	PropContentType,
	PropContentEncoding,
	PropCreationTime,
	PropExpiryTime,
	PropTo,
	PropOutputName,
	PropConnectionDeviceID,
	PropConnectionModuleID,
}

// field returns the field of systemNames[i]. It is a switch rather than a
// table of accessor functions so that p does not escape to the heap.
func (p *Properties) field(i int) *string {
	switch i {
	case 0:
		return &p.MessageID
	case 1:
		return &p.CorrelationID
	case 2:
		return &p.UserID
	case 3:
		return &p.ContentType
	case 4:
		return &p.ContentEncoding
	case 5:
		return &p.CreationTime
	case 6:
		return &p.ExpiryTime
	case 7:
		return &p.To
	case 8:
		return &p.OutputName
	case 9:
		return &p.ConnectionDeviceID
	case 10:
		return &p.ConnectionModuleID
	}
	return nil
}

func fieldFor(p *Properties, name string) *string {
	for i, n := range systemNames {
		if n == name {
			return p.field(i)
		}
	}
	return nil
}

func isSystemName(name string) bool {
	return strings.HasPrefix(name, SystemPropertyPrefix) || strings.HasPrefix(name, HubPropertyPrefix)
}

// ParseProperties decodes an encoded property bag into Properties (see
// ParsePropertyBag and PropertiesFromBag).
func ParseProperties(s string) (Properties, error) {
	bag, err := ParsePropertyBag(s)
	if err != nil {
		return Properties{}, err
	}
	return PropertiesFromBag(bag)
}

// PropertiesFromBag sorts a decoded bag into Properties. A name that occurs
// twice is a *PropertyError: a map cannot keep both values.
func PropertiesFromBag(bag PropertyBag) (Properties, error) {
	var p Properties
	seen := make(map[string]struct{}, len(bag))
	for _, prop := range bag {
		if _, dup := seen[prop.Name]; dup {
			return Properties{}, &PropertyError{Name: prop.Name, Offset: -1, Reason: "duplicate property"}
		}
		seen[prop.Name] = struct{}{}
		switch f := fieldFor(&p, prop.Name); {
		case f != nil:
			*f = prop.Value
		case isSystemName(prop.Name):
			if p.System == nil {
				p.System = make(map[string]string)
			}
			p.System[prop.Name] = prop.Value
		default:
			if p.Application == nil {
				p.Application = make(map[string]string)
			}
			p.Application[prop.Name] = prop.Value
		}
	}
	return p, nil
}

// Bag returns p as a property bag in a deterministic order: the named system
// properties in the order of the Prop constants, then System and Application
// each sorted by name. Empty fields are left out; empty map values are sent as
// empty strings ("key=").
//
// It returns a *PropertyError for a MessageID longer than MaxMessageIDLength
// or not ASCII, a System name without a system prefix or with a field of its
// own, or an Application name that is empty or has a system prefix (it would
// come back as a system property).
func (p Properties) Bag() (PropertyBag, error) {
	n := p.count()
	if n == 0 {
		return nil, nil
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	bag := make(PropertyBag, 0, n)
	for i, name := range systemNames {
		if v := *p.field(i); v != "" {
			bag = append(bag, Property{Name: name, Value: v})
		}
	}
	for _, name := range sortedKeys(p.System) {
		bag = append(bag, Property{Name: name, Value: p.System[name]})
	}
	for _, name := range sortedKeys(p.Application) {
		bag = append(bag, Property{Name: name, Value: p.Application[name]})
	}
	return bag, nil
}

// count returns the number of properties in p's bag.
func (p *Properties) count() int {
	n := len(p.System) + len(p.Application)
	for i := range systemNames {
		if *p.field(i) != "" {
			n++
		}
	}
	return n
}

// check returns the error Bag returns for p, if any: the MessageID first,
// then the System names in sorted order, then the Application names in
// sorted order (the first bad name in Bag's order is the one reported).
func (p *Properties) check() error {
	if err := checkMessageID(p.MessageID); err != nil {
		return err
	}
	if name, ok := firstKey(p.System, func(name string) bool {
		return !isSystemName(name) || fieldFor(p, name) != nil
	}); ok {
		if !isSystemName(name) {
			return &PropertyError{Name: name, Offset: -1, Reason: `System name must start with "$." or "iothub-"`}
		}
		return &PropertyError{Name: name, Offset: -1, Reason: "has its own field in Properties"}
	}
	if name, ok := firstKey(p.Application, func(name string) bool {
		return name == "" || isSystemName(name)
	}); ok {
		if name == "" {
			return &PropertyError{Offset: -1, Reason: "empty application property name"}
		}
		return &PropertyError{Name: name, Offset: -1, Reason: `application property name starts with "$." or "iothub-"`}
	}
	return nil
}

// firstKey returns the smallest key of m for which bad is true, without
// sorting m: the valid case, the common one, costs no allocation.
func firstKey(m map[string]string, bad func(string) bool) (key string, found bool) {
	for k := range m {
		if bad(k) && (!found || k < key) {
			key, found = k, true
		}
	}
	return key, found
}

// Encode returns p encoded as a property bag string (see Bag and
// PropertyBag.Encode). Equal Properties always encode to the same string.
func (p Properties) Encode() (string, error) {
	return encodeTopic(nil, "", &p)
}

func checkMessageID(id string) error {
	if len(id) > MaxMessageIDLength {
		return &PropertyError{Name: PropMessageID, Offset: -1, Reason: fmt.Sprintf("%d characters, longer than %d", len(id), MaxMessageIDLength)}
	}
	for i := 0; i < len(id); i++ {
		if id[i] >= 0x80 {
			return &PropertyError{Name: PropMessageID, Offset: -1, Reason: "not ASCII"}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
