package outbox

import "testing"

// benchmarkPut measures Put at a steady state: the outbox holds 1024
// records and each Put drops the oldest, as it would during an outage.
func benchmarkPut(b *testing.B, opts Options) {
	opts.MaxMessages = 1024
	opts.MaxBytes = -1
	opts.OnDrop = func(Record, error) {}
	o, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	rec := Record{Topic: "devices/d1/messages/events/", Payload: make([]byte, 256), QoS: 1}
	b.SetBytes(rec.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Put(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutMemory(b *testing.B) { benchmarkPut(b, Options{}) }

func BenchmarkPutDurableSyncNever(b *testing.B) {
	benchmarkPut(b, Options{Dir: b.TempDir(), Sync: SyncNever})
}
