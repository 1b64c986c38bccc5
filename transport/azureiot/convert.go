package azureiot

import "github.com/tether-iot/tether/transport"

// FromTransportProperties converts tether's cloud-neutral message
// properties to IoT Hub's. A System entry with a field of its own in
// Properties (such as "$.ctime" or "$.exp") fills that field; any other
// System entry is copied by name. The maps are copied.
func FromTransportProperties(p transport.Properties) Properties {
	out := Properties{
		MessageID:       p.MessageID,
		CorrelationID:   p.CorrelationID,
		UserID:          p.UserID,
		ContentType:     p.ContentType,
		ContentEncoding: p.ContentEncoding,
	}
	for name, v := range p.System {
		if f := fieldFor(&out, name); f != nil {
			*f = v
			continue
		}
		if out.System == nil {
			out.System = make(map[string]string, len(p.System))
		}
		out.System[name] = v
	}
	if len(p.Application) > 0 {
		out.Application = make(map[string]string, len(p.Application))
		for k, v := range p.Application {
			out.Application[k] = v
		}
	}
	return out
}

// ToTransportProperties converts IoT Hub message properties to tether's
// cloud-neutral ones: the system properties without a field in
// transport.Properties (such as "$.to" or "iothub-ack") go to System by
// their wire name. The maps are copied.
func ToTransportProperties(p Properties) transport.Properties {
	out := transport.Properties{
		MessageID:       p.MessageID,
		CorrelationID:   p.CorrelationID,
		UserID:          p.UserID,
		ContentType:     p.ContentType,
		ContentEncoding: p.ContentEncoding,
	}
	set := func(name, v string) {
		if out.System == nil {
			out.System = make(map[string]string)
		}
		out.System[name] = v
	}
	for i, name := range systemNames {
		switch name {
		case PropMessageID, PropCorrelationID, PropUserID, PropContentType, PropContentEncoding:
			continue
		}
		if v := *p.field(i); v != "" {
			set(name, v)
		}
	}
	for name, v := range p.System {
		set(name, v)
	}
	if len(p.Application) > 0 {
		out.Application = make(map[string]string, len(p.Application))
		for k, v := range p.Application {
			out.Application[k] = v
		}
	}
	return out
}
