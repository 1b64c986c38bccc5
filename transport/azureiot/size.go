package azureiot

// MessageSize returns a message's size as IoT Hub counts it against
// MaxD2CMessageSize and MaxC2DMessageSize: the body plus the decoded names
// and values of all its properties.
func MessageSize(body []byte, bag PropertyBag) int {
	return len(body) + bag.Size()
}

// CheckD2CSize returns a *MessageSizeError (matching ErrPayloadTooLarge) if
// the device-to-cloud message that D2CTopic would send for canonical, body and
// props, subtopic included, is over MaxD2CMessageSize. It returns D2CTopic's
// errors for an invalid canonical topic or props.
func CheckD2CSize(canonical string, body []byte, props Properties) error {
	subtopic, err := checkTopicBag(canonical, CanonicalEventsTopic, &props)
	if err != nil {
		return err
	}
	if props.count() > 0 {
		if err := props.check(); err != nil {
			return err
		}
	}
	if n := len(body) + bagSize(subtopic, &props); n > MaxD2CMessageSize {
		return &MessageSizeError{Size: n, Limit: MaxD2CMessageSize}
	}
	return nil
}
