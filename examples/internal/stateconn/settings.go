package stateconn

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tether-iot/tether/transport/awsiot"
	"github.com/tether-iot/tether/transport/azureiot"
)

// ConnectionStringEnv holds the Azure device connection string when
// -connection-string is not given.
const ConnectionStringEnv = "TETHER_AZURE_CONNECTION_STRING"

// Settings are the connection settings the state examples share: an
// endpoint, thing, certificate and key for AWS, a connection string for
// Azure, and an optional CA file for either.
type Settings struct {
	Endpoint, Thing, CertFile, KeyFile, CAFile string
	ConnectionString                           string
}

// RegisterFlags defines -endpoint, -thing (default defaultThing), -cert,
// -key, -ca and -connection-string on fs.
func (s *Settings) RegisterFlags(fs *flag.FlagSet, defaultThing string) {
	fs.StringVar(&s.Endpoint, "endpoint", "", "AWS IoT Core data endpoint (aws)")
	fs.StringVar(&s.Thing, "thing", defaultThing, "thing name (aws)")
	fs.StringVar(&s.CertFile, "cert", "", "PEM file of the device certificate (aws)")
	fs.StringVar(&s.KeyFile, "key", "", "PEM file of the device key (aws)")
	fs.StringVar(&s.CAFile, "ca", "", "PEM file of the server's root CA (default: system roots)")
	// The environment is read after parsing (ReadEnv), not used as the
	// flag's default: -help prints defaults, and this one holds the key.
	fs.StringVar(&s.ConnectionString, "connection-string", "",
		"device connection string (azure; default $"+ConnectionStringEnv+")")
}

// ReadEnv fills the connection string from $ConnectionStringEnv when the
// flag did not set it.
func (s *Settings) ReadEnv() {
	if s.ConnectionString == "" {
		s.ConnectionString = os.Getenv(ConnectionStringEnv)
	}
}

// Check reports a setting cloud needs that is missing.
func (s Settings) Check(cloud string) error {
	switch {
	case cloud == "aws" && (s.Endpoint == "" || s.Thing == "" || s.CertFile == "" || s.KeyFile == ""):
		return errors.New("-cloud aws needs -endpoint, -thing, -cert and -key (or -emulate)")
	case cloud == "azure" && s.ConnectionString == "":
		return errors.New("-cloud azure needs -connection-string (or -emulate)")
	}
	return nil
}

// Connect connects to "aws" or "azure" with s.
func (s Settings) Connect(ctx context.Context, cloud string) (*Device, error) {
	switch cloud {
	case "aws":
		return AWS(ctx, awsiot.Config{Endpoint: s.Endpoint, ThingName: s.Thing, CertFile: s.CertFile, KeyFile: s.KeyFile, CAFile: s.CAFile})
	case "azure":
		c := azureiot.Config{ConnectionString: s.ConnectionString}
		if s.CAFile != "" {
			pool, err := loadCA(s.CAFile)
			if err != nil {
				return nil, err
			}
			c.RootCAs = pool
		}
		return Azure(ctx, c)
	}
	return nil, fmt.Errorf("unknown cloud %q", cloud)
}
