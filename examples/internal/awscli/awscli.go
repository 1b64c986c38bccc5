// Package awscli holds what the AWS IoT Core examples share: the settings
// that say where and how to connect, from flags and environment variables
// (the standard AWS ones for credentials), turned into an awsiot.Config.
//
// It is example code, not part of tether's API.
package awscli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tether-iot/tether/examples/internal/cli"
	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/awsiot/awsiottest"
)

// The settings, with the environment variables they default to and the
// awsiot.Config fields they fill (for error messages).
var (
	Endpoint = cli.Setting{Flag: "endpoint", Env: "AWS_IOT_ENDPOINT", Fields: []string{"Endpoint"}}
	Thing    = cli.Setting{Flag: "thing", Env: "AWS_IOT_THING_NAME", Fields: []string{"ThingName", "ClientID"}}
	Cert     = cli.Setting{Flag: "cert", Env: "AWS_IOT_CERT", Fields: []string{"CertFile", "Certificate"}}
	Key      = cli.Setting{Flag: "key", Env: "AWS_IOT_KEY", Fields: []string{"KeyFile"}}
	CA       = cli.Setting{Flag: "ca", Env: "AWS_IOT_CA", Fields: []string{"CAFile", "RootCAs"}}
	Port     = cli.Setting{Flag: "port", Env: "AWS_IOT_PORT", Fields: []string{"Port"}}
	Auth     = cli.Setting{Flag: "auth", Env: "AWS_IOT_AUTH", Fields: []string{"Auth"}}
	Address  = cli.Setting{Flag: "address", Env: "AWS_IOT_ADDRESS", Fields: []string{"Address"}}
	Region   = cli.Setting{Flag: "region", Env: "AWS_REGION", Fields: []string{"Region"}}
	// The standard AWS credential variables, never flags: a command line
	// is visible to every user of the machine.
	AccessKey    = cli.Setting{Env: "AWS_ACCESS_KEY_ID", Fields: []string{"CredentialsProvider"}}
	SecretKey    = cli.Setting{Env: "AWS_SECRET_ACCESS_KEY"}
	SessionToken = cli.Setting{Env: "AWS_SESSION_TOKEN"}

	// Settings lists them for cli.Settings.Explain.
	Settings = cli.Settings{Endpoint, Thing, Cert, Key, CA, Port, Auth, Address, Region, AccessKey}
)

// The values of Connection.Auth.
const (
	AuthX509      = "x509"
	AuthWebSocket = "websocket"
)

// Connection is where and how a process connects to AWS IoT Core,
// whatever the identity (thing) it connects as.
type Connection struct {
	Endpoint, CAFile, Auth, Address, Region string
	Port                                    int // 0: the auth method's default

	AccessKeyID, SecretAccessKey, SessionToken string
	// Credentials, when set, replaces the environment's credentials
	// (UseEmulator sets the emulator's).
	Credentials func(context.Context) (awsiot.Credentials, error)
	// Logger receives the adapter's diagnostics (awsiot.Config.Logger).
	Logger *slog.Logger
}

// AddFlags defines the connection's flags and reads the credentials from
// the environment. The adapter's warnings go where fs reports errors.
func (c *Connection) AddFlags(fs *cli.FlagSet) {
	c.Logger = cli.WarnLogger(fs.Output())
	fs.String(&c.Endpoint, Endpoint, "", "`host` name of the account's device data endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS)")
	fs.String(&c.CAFile, CA, "", "PEM file of the server's root CA, e.g. AmazonRootCA1.pem (default: the system's roots)")
	fs.String(&c.Auth, Auth, AuthX509, "authentication: x509 (a certificate, port 8883 or 443 with ALPN) or websocket (SigV4 over wss, port 443)")
	fs.Int(&c.Port, Port, 0, "port: 8883 or 443 for x509, 443 for websocket (default: 8883 for x509, 443 for websocket)")
	fs.String(&c.Address, Address, "", "host:port to dial instead of the endpoint (a proxy, a VPC endpoint); TLS still verifies the endpoint")
	fs.String(&c.Region, Region, "", "region to sign for with -auth websocket (default: from the endpoint)")
	c.AccessKeyID = fs.Getenv(AccessKey.Env)
	c.SecretAccessKey = fs.Getenv(SecretKey.Env)
	c.SessionToken = fs.Getenv(SessionToken.Env)
}

// Config returns the adapter's configuration for thing, with its
// certificate files (for x509). The adapter validates it in awsiot.New.
func (c Connection) Config(thing, certFile, keyFile string) (awsiot.Config, error) {
	ac := awsiot.Config{
		Endpoint:  c.Endpoint,
		Port:      c.Port,
		Address:   c.Address,
		ThingName: thing,
		CertFile:  certFile,
		KeyFile:   keyFile,
		CAFile:    c.CAFile,
		Region:    c.Region,
		// The shared firmware marks its telemetry as JSON for Azure IoT
		// Hub; MQTT 3.1.1 on AWS cannot carry that, and does not need to.
		Properties: awsiot.PropertiesIgnore,
		Logger:     c.Logger,
	}
	switch c.Auth {
	case AuthX509:
		ac.Auth = awsiot.AuthX509
	case AuthWebSocket:
		ac.Auth = awsiot.AuthWebSocket
		ac.CredentialsProvider = c.Credentials
		if ac.CredentialsProvider == nil {
			creds := awsiot.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
			ac.CredentialsProvider = func(context.Context) (awsiot.Credentials, error) { return creds, nil }
		}
	default:
		return ac, &cli.SettingError{Setting: Auth, Reason: fmt.Sprintf("%q is not %s or %s", c.Auth, AuthX509, AuthWebSocket)}
	}
	return ac, nil
}

// CheckCredentials reports missing SigV4 credentials, before connecting.
func (c Connection) CheckCredentials() error {
	switch {
	case c.Auth != AuthWebSocket || c.Credentials != nil:
		return nil
	case c.AccessKeyID == "":
		return &cli.SettingError{Setting: AccessKey, Reason: "required with -auth websocket (with AWS_SECRET_ACCESS_KEY, and AWS_SESSION_TOKEN for temporary credentials)"}
	case c.SecretAccessKey == "":
		return &cli.SettingError{Setting: SecretKey, Reason: "required with -auth websocket"}
	}
	return nil
}

// Describe says how a configuration connects, for the log.
func Describe(ac awsiot.Config) string {
	switch {
	case ac.Auth == awsiot.AuthWebSocket:
		return "MQTT over WebSocket (wss, port 443, SigV4)"
	case ac.Port == awsiot.PortHTTPS:
		return "MQTT over TLS on port 443 (ALPN " + awsiot.ALPNX509 + ", X.509)"
	}
	return "MQTT over TLS on port 8883 (X.509)"
}

// UseEmulator points the connection at an AWS IoT Core emulator: its
// endpoint name, address and region, its CA written to a file in dir as a
// real device keeps AmazonRootCA1.pem, and its SigV4 credentials.
func (c *Connection) UseEmulator(emu *awsiottest.Emulator, dir string) error {
	c.Endpoint, c.Address, c.Region = awsiottest.Endpoint, emu.Address(), awsiottest.Region
	c.CAFile = filepath.Join(dir, "emulator-ca.pem")
	c.Credentials = emu.CredentialsProvider
	return os.WriteFile(c.CAFile, emu.CAPEM(), 0o600)
}
