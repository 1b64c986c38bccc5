package shadowdoc

// UpdateResult is everything the service does for one accepted update: the
// document to store and the three messages to publish.
type UpdateResult struct {
	// Document is the new stored document: version incremented, Timestamp the
	// update time, delta computed, no ClientToken.
	Document Document
	// Accepted is the update/accepted message.
	Accepted UpdateAccepted
	// Delta is the update/delta message, nil when desired equals reported
	// after the update. It is produced for every update that leaves a delta,
	// including reported-only ones (AWS's data-flow page and its Greengrass
	// implementation both publish it then).
	Delta *DeltaMessage
	// Documents is the update/documents message.
	Documents DocumentsMessage
}

// ApplyUpdate is the service's update operation, without I/O: it validates
// req against lim (ValidateRequest), checks req.Version against the current
// version (409 "Version conflict"), merges (ApplyState), checks the size of
// the result (413), and builds the document and messages with timestamp ts
// (Unix seconds).
//
// current is the stored shadow, or nil when there is none (the update creates
// it at version 1 and update/documents has no "previous"). For a shadow that
// was deleted, pass a Document holding only the deleted shadow's Version:
// the service continues versions after a delete.
//
// Inputs are not modified, and the result shares no maps with them. Errors
// are *Error values; answer them on update/rejected with
// err.Response(ts, req.ClientToken).
func ApplyUpdate(current *Document, req *UpdateRequest, ts int64, lim Limits) (*UpdateResult, error) {
	if err := ValidateRequest(req, lim); err != nil {
		return nil, err
	}
	var cur Document
	if current != nil {
		cur = *current
	}
	if req.Version != nil && *req.Version != cur.Version {
		return nil, &Error{Code: CodeConflict, Message: MsgVersionConflict}
	}
	next := ApplyState(Document{State: cur.State, Metadata: cur.Metadata}, req.State, ts)
	if err := CheckStateSize(next.State.Desired, next.State.Reported, lim.MaxStateSize); err != nil {
		return nil, err
	}
	next.Version = cur.Version + 1

	res := &UpdateResult{
		Document: next,
		Accepted: UpdateAccepted{
			State:       copyUpdateState(req.State),
			Metadata:    acceptedMetadata(req.State, ts),
			Version:     next.Version,
			Timestamp:   ts,
			ClientToken: req.ClientToken,
		},
		Documents: DocumentsMessage{
			Current:     snapshotOf(next),
			Timestamp:   ts,
			ClientToken: req.ClientToken,
		},
	}
	if current != nil {
		prev := snapshotOf(cur)
		res.Documents.Previous = &prev
	}
	if next.State.Delta != nil {
		res.Delta = &DeltaMessage{
			State:       copyObject(next.State.Delta),
			Metadata:    DeltaMetadata(next.State.Delta, next.Metadata.Desired),
			Version:     next.Version,
			Timestamp:   ts,
			ClientToken: req.ClientToken,
		}
	}
	return res, nil
}

// snapshotOf copies the state (without delta), metadata and version of d.
func snapshotOf(d Document) Snapshot {
	return Snapshot{
		State:    State{Desired: copyObject(d.State.Desired), Reported: copyObject(d.State.Reported)},
		Metadata: Metadata{Desired: copyObject(d.Metadata.Desired), Reported: copyObject(d.Metadata.Reported)},
		Version:  d.Version,
	}
}

func copyUpdateState(s UpdateState) UpdateState {
	return UpdateState{
		Null:     s.Null,
		Desired:  Section{Null: s.Desired.Null, Fields: copyObject(s.Desired.Fields)},
		Reported: Section{Null: s.Reported.Null, Fields: copyObject(s.Reported.Fields)},
	}
}
