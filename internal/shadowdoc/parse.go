package shadowdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// ParseUpdateRequest parses a payload published to .../update as the Device
// Shadow service does, strictly, and returns the *Error it would answer on
// update/rejected:
//
//   - 415 when the payload is not UTF-8;
//   - 400 "Invalid JSON" when it is not one JSON object;
//   - 400 "Invalid clientToken" when clientToken is not a string of at most
//     MaxClientTokenLen bytes;
//   - 400 "Missing required node: state", "State node must be an object",
//     "State contains an invalid node: 'x'" (members other than desired and
//     reported), "Desired node must be an object", "Reported node must be an
//     object";
//   - 400 "Invalid version" when version is not an integer in 0..2^63-1.
//
// Other top-level members are ignored (the service ignores content outside
// state). "state": null and "desired": null are valid (they clear).
// Content limits (depth, nulls in arrays) are checked by ValidateRequest and
// the size limit by ApplyUpdate, because they depend on Limits and on the
// stored document.
//
// The returned request is never nil: on error it carries the ClientToken
// when that was valid, so the rejection can echo it.
func ParseUpdateRequest(payload []byte) (*UpdateRequest, error) {
	req := &UpdateRequest{}
	if !utf8.Valid(payload) {
		return req, &Error{Code: CodeUnsupportedMediaType, Message: MsgUnsupportedEncoding}
	}
	var top any
	if err := decode(payload, &top); err != nil {
		return req, badRequest(MsgInvalidJSON)
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return req, badRequest(MsgInvalidJSON)
	}
	if tok, ok := obj[keyClientToken]; ok {
		s, isString := tok.(string)
		if !isString || len(s) > MaxClientTokenLen {
			return req, badRequest(MsgInvalidClientToken)
		}
		req.ClientToken = s
	}
	st, ok := obj[keyState]
	if !ok {
		return req, badRequest(MsgMissingState)
	}
	switch st := st.(type) {
	case nil:
		req.State.Null = true
	case map[string]any:
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic choice of the reported node
		for _, k := range keys {
			if k != keyDesired && k != keyReported {
				return req, badRequest(fmt.Sprintf(msgInvalidNodeFormat, k))
			}
		}
		var err error
		if req.State.Desired, err = sectionOf(st, keyDesired); err != nil {
			return req, badRequest(MsgDesiredNotObject)
		}
		if req.State.Reported, err = sectionOf(st, keyReported); err != nil {
			return req, badRequest(MsgReportedNotObject)
		}
	default:
		return req, badRequest(MsgStateNotObject)
	}
	if v, ok := obj[keyVersion]; ok {
		n, isNumber := v.(json.Number)
		if !isNumber {
			return req, badRequest(MsgInvalidVersion)
		}
		ver, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || ver < 0 {
			return req, badRequest(MsgInvalidVersion)
		}
		req.Version = &ver
	}
	return req, nil
}

// ParseRequestClientToken returns the clientToken of a get or delete request
// payload, which the service echoes in its response. Those payloads are
// usually empty; anything that is not a JSON object with a valid clientToken
// yields "".
func ParseRequestClientToken(payload []byte) string {
	var v struct {
		ClientToken any `json:"clientToken"`
	}
	if decodeMessage(payload, &v) != nil {
		return ""
	}
	if s, ok := v.ClientToken.(string); ok && len(s) <= MaxClientTokenLen {
		return s
	}
	return ""
}

// ParseGetAccepted parses get/accepted. Unknown members are ignored.
func ParseGetAccepted(payload []byte) (*Document, error) {
	var d Document
	if err := decodeMessage(payload, &d); err != nil {
		return nil, malformed("get/accepted", err)
	}
	return &d, nil
}

// ParseUpdateAccepted parses update/accepted. Unknown members are ignored.
func ParseUpdateAccepted(payload []byte) (*UpdateAccepted, error) {
	var a UpdateAccepted
	if err := decodeMessage(payload, &a); err != nil {
		return nil, malformed("update/accepted", err)
	}
	return &a, nil
}

// ParseDelta parses update/delta. Unknown members are ignored.
func ParseDelta(payload []byte) (*DeltaMessage, error) {
	var d DeltaMessage
	if err := decodeMessage(payload, &d); err != nil {
		return nil, malformed("update/delta", err)
	}
	return &d, nil
}

// ParseDocuments parses update/documents. Unknown members are ignored.
func ParseDocuments(payload []byte) (*DocumentsMessage, error) {
	var d DocumentsMessage
	if err := decodeMessage(payload, &d); err != nil {
		return nil, malformed("update/documents", err)
	}
	return &d, nil
}

// ParseDeleteAccepted parses delete/accepted. Unknown members are ignored.
func ParseDeleteAccepted(payload []byte) (*DeleteAccepted, error) {
	var d DeleteAccepted
	if err := decodeMessage(payload, &d); err != nil {
		return nil, malformed("delete/accepted", err)
	}
	return &d, nil
}

// ParseRejected parses the error document of get/rejected, update/rejected
// or delete/rejected. A payload without a non-zero code is malformed.
func ParseRejected(payload []byte) (*ErrorResponse, error) {
	var r ErrorResponse
	if err := decodeMessage(payload, &r); err != nil {
		return nil, malformed("rejected", err)
	}
	if r.Code == 0 {
		return nil, malformed("rejected: no code", nil)
	}
	return &r, nil
}

var (
	errNotUTF8     = fmt.Errorf("shadowdoc: payload is not UTF-8")
	errNotAnObject = fmt.Errorf("shadowdoc: payload is not a JSON object")
)

// decodeMessage decodes a UTF-8 payload holding exactly one JSON object into v.
func decodeMessage(payload []byte, v any) error {
	if !utf8.Valid(payload) {
		return errNotUTF8
	}
	if t := bytes.TrimLeft(payload, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errNotAnObject
	}
	return decode(payload, v)
}
