package mqttxtest

import "errors"

var (
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("mqttxtest: broker closed")
	// ErrDown is returned by DialPipe, Publish and PublishTo while the broker is down for a Restart.
	ErrDown = errors.New("mqttxtest: broker down for a restart")
	// ErrNoSession is returned by PublishTo when the client is neither connected nor holds a persistent
	// session that can queue the message.
	ErrNoSession = errors.New("mqttxtest: client not connected")
	// ErrInvalidTopic is returned for a topic name that is not valid in a PUBLISH.
	ErrInvalidTopic = errors.New("mqttxtest: invalid topic name")
	// ErrInvalidQoS is returned for a QoS other than 0, 1 or 2.
	ErrInvalidQoS = errors.New("mqttxtest: invalid QoS")
)
