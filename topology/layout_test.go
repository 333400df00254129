package topology

import (
	"testing"
	"unsafe"
)

// TestReplicaLayout keeps what Replica's comment promises large fleets: an
// attempt's fields in the first four cache lines, and a size whose
// allocator class starts every replica on a 128-byte boundary (so those
// lines are two aligned pairs, which the hardware fetches together).
func TestReplicaLayout(t *testing.T) {
	var r Replica
	if s := unsafe.Sizeof(r); s != 384 {
		t.Fatalf("Replica is %d bytes; keep it 384 (adjust the padding)", s)
	}
	hot := map[string]uintptr{
		"busyArea": unsafe.Offsetof(r.busyArea), "busyAt": unsafe.Offsetof(r.busyAt),
		"lastActive": unsafe.Offsetof(r.lastActive), "Served": unsafe.Offsetof(r.Served),
		"Errors": unsafe.Offsetof(r.Errors), "LatencySum": unsafe.Offsetof(r.LatencySum),
		"idle": unsafe.Offsetof(r.idle), "coldFactor": unsafe.Offsetof(r.coldFactor),
		"queueBuf": unsafe.Offsetof(r.queueBuf),
	}
	for name, off := range hot {
		if off >= 256 {
			t.Errorf("%s at offset %d, outside the hot lines", name, off)
		}
	}
	for i := 0; i < 64; i++ {
		p := newReplica(Replica{})
		if a := uintptr(unsafe.Pointer(p)) % 128; a != 0 {
			t.Fatalf("replica %d starts %d bytes past a 128-byte boundary", i, a)
		}
		if &p.serving[:1][0] != &p.servingBuf[0] || &p.queue.buf[0] != &p.queueBuf[0] {
			t.Fatal("serving and queue do not start in the replica's own buffers")
		}
	}
}

// TestRequestAndJobSize keeps a request and an attempt to two cache lines
// each: a large fleet's arenas are page-aligned slabs, so each item is one
// aligned pair of lines.
func TestRequestAndJobSize(t *testing.T) {
	if s := unsafe.Sizeof(Request{}); s != 128 {
		t.Errorf("Request is %d bytes; keep it 128", s)
	}
	if s := unsafe.Sizeof(Job{}); s != 128 {
		t.Errorf("Job is %d bytes; keep it 128", s)
	}
}
