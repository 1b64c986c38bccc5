package outbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

const (
	crashDirEnv  = "TETHER_OUTBOX_CRASH_DIR"
	crashIterEnv = "TETHER_OUTBOX_CRASH_ITER"
	crashPrefix  = "outbox-crash:"
)

// TestHelperProcess is the child of TestCrashKill9; without its
// environment variable it does nothing. It puts records durably with
// SyncAlways as fast as it can while a paced Run acknowledges them, and
// prints each fact on stdout once it is true: "put SEQ PAYLOAD" after Put
// returned, "acked SEQ" before send returns nil, "dropped SEQ".
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return
	}
	iter := os.Getenv(crashIterEnv)
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stdout, crashPrefix+format+"\n", args...) // one write per line
	}
	o, err := Open(Options{
		Dir: dir, Sync: SyncAlways, SegmentSize: 2048, MaxMessages: 300,
		OnDrop: func(rec Record, err error) {
			if rec.Seq != 0 {
				say("dropped %d", rec.Seq)
			}
		},
	})
	if err != nil {
		say("error %v", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // the parent kills us long before
	defer cancel()
	go o.Run(ctx, func(ctx context.Context, rec Record) error {
		say("acked %d", rec.Seq)
		return nil
	}, Pace{Messages: rate.NewLimiter(2000, 10)})
	for i := 0; ctx.Err() == nil; i++ {
		p := fmt.Sprintf("%s-%d-%s", iter, i, strings.Repeat("x", i%50))
		seq, err := o.Put(Record{Topic: "crash/" + iter, Payload: []byte(p), QoS: 1})
		if err != nil {
			say("error %v", err)
			os.Exit(2)
		}
		say("put %d %s", seq, p)
	}
	os.Exit(3)
}

// TestCrashKill9 kills a child process that writes durably at random
// points and checks after each kill that every record the child reported
// as committed and not yet acknowledged or dropped is read back intact, in
// order, and that nothing unreadable is found except possibly a torn tail.
func TestCrashKill9(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, seed))
	dir := t.TempDir()
	committed := map[uint64]string{} // seq -> payload
	gone := map[uint64]bool{}        // acknowledged or dropped

	for iter := range 4 {
		killAfter := 50 + rnd.IntN(400) // lines
		lines := runAndKill(t, dir, iter, killAfter)
		if len(lines) < killAfter {
			t.Fatalf("iteration %d: child printed %d lines before dying, want %d: %q", iter, len(lines), killAfter, lines)
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) < 2 {
				t.Fatalf("bad line %q", l)
			}
			seq, err := strconv.ParseUint(f[1], 10, 64)
			switch {
			case f[0] == "error" || err != nil:
				t.Fatalf("child: %q", l)
			case f[0] == "put" && len(f) == 3:
				committed[seq] = f[2]
			case f[0] == "acked" || f[0] == "dropped":
				gone[seq] = true
			default:
				t.Fatalf("bad line %q", l)
			}
		}

		o, log := open(t, Options{Dir: dir, SegmentSize: 2048, MaxMessages: 300})
		recs := snapshot(o)
		present := map[uint64]bool{}
		for i, r := range recs {
			present[r.Seq] = true
			if i > 0 && r.Seq <= recs[i-1].Seq {
				t.Fatalf("iteration %d: records out of order: %d after %d", iter, r.Seq, recs[i-1].Seq)
			}
			if want, ok := committed[r.Seq]; ok && string(r.Payload) != want {
				t.Fatalf("iteration %d: record %d = %q, want %q", iter, r.Seq, r.Payload, want)
			}
			if !ok(r) {
				t.Fatalf("iteration %d: record %d is not one the child wrote: %+v", iter, r.Seq, r)
			}
		}
		missing := 0
		for seq := range committed {
			if !gone[seq] && !present[seq] {
				t.Errorf("iteration %d: committed record %d lost", iter, seq)
				missing++
			}
		}
		drops := log.all()
		ce := corruptErrors(drops)
		if len(ce) != len(drops) || len(ce) > 1 {
			t.Errorf("iteration %d: reopen reported %v; want at most one torn tail", iter, drops)
		}
		files := segmentFiles(t, dir)
		for _, c := range ce {
			if c.Path != files[len(files)-1] {
				t.Errorf("iteration %d: corruption in %s, not at the tail of the newest segment %s", iter, c.Path, files[len(files)-1])
			}
		}
		t.Logf("iteration %d: killed after %d lines; %d committed, %d gone, %d present, %d segment files",
			iter, killAfter, len(committed), len(gone), len(recs), len(files))
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		if missing > 0 {
			t.FailNow()
		}
	}
}

// ok reports whether rec looks like one the helper process wrote.
func ok(rec Record) bool {
	f := strings.SplitN(string(rec.Payload), "-", 3)
	return rec.QoS == 1 && len(f) == 3 && rec.Topic == "crash/"+f[0]
}

// runAndKill starts the helper process on dir, kills it with SIGKILL (on
// Windows TerminateProcess) after it printed n lines, and returns every
// complete line it printed.
func runAndKill(t *testing.T, dir string, iter, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashIterEnv+"="+strconv.Itoa(iter))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	var lines []string
	r := bufio.NewReader(out)
	killed := false
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break // a partial last line is not a fact
		}
		if s, ok := strings.CutPrefix(l, crashPrefix); ok {
			lines = append(lines, strings.TrimSpace(s))
		}
		if len(lines) == n && !killed {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited by itself: %v", err)
	}
	return lines
}
