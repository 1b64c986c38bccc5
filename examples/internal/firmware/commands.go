package firmware

import (
	"context"
	"encoding/json"

	"github.com/tether-iot/tether/command"
)

// Sensor describes one sensor of the device.
type Sensor struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Unit string `json:"unit"`
}

// sensors are the device's sensors.
var sensors = []Sensor{
	{ID: "temp-1", Kind: "temperature", Unit: "celsius"},
	{ID: "hum-1", Kind: "humidity", Unit: "percent"},
}

// Router returns the device's commands:
//
//	sensor.list                 → {"sensors":[{"id":"temp-1",...},...]}
//	sensor.read {"id":"temp-1"} → {"id":"temp-1","value":21.4,"unit":"celsius"}
//	reboot                      → {"rebooting":true,"bootId":"..."}
//
// The command server around it (command.NewDevice) runs each transaction
// once: a retry or a redelivery with the same TID gets the first answer,
// so an application may retry a reboot safely.
func (d *Device) Router() *command.Router {
	r := command.NewRouter()
	r.HandleFunc("sensor.list", d.listSensors)
	r.HandleFunc("sensor.read", d.readSensor)
	r.HandleFunc("reboot", d.reboot)
	return r
}

func (d *Device) listSensors(_ context.Context, req *command.Request) command.Response {
	d.logf("command %s (tid %s)", req.Method, req.TID)
	return command.JSON(command.StatusOK, map[string]any{"sensors": sensors})
}

func (d *Device) readSensor(_ context.Context, req *command.Request) command.Response {
	var args struct {
		ID string `json:"id"`
	}
	if len(req.Payload) > 0 {
		if err := json.Unmarshal(req.Payload, &args); err != nil {
			return command.Error(command.StatusBadRequest, "payload: want {\"id\":\"...\"}")
		}
	}
	d.logf("command %s %s (tid %s)", req.Method, args.ID, req.TID)
	r := d.read()
	switch args.ID {
	case "temp-1":
		return command.JSON(command.StatusOK, map[string]any{"id": args.ID, "value": r.Temperature, "unit": "celsius"})
	case "hum-1":
		return command.JSON(command.StatusOK, map[string]any{"id": args.ID, "value": r.Humidity, "unit": "percent"})
	}
	return command.Error(command.StatusNotFound, "no sensor "+args.ID)
}

func (d *Device) reboot(_ context.Context, req *command.Request) command.Response {
	d.logf("command %s (tid %s): rebooting", req.Method, req.TID)
	if d.onReboot != nil {
		d.onReboot()
	}
	return command.JSON(command.StatusOK, map[string]any{"rebooting": true, "bootId": d.bootID})
}
