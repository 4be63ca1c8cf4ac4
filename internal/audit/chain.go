package audit

// # Tamper evidence
//
// Each sink that keeps events (the files, the store) keeps them as a trail:
// an ordered sequence of event records, exactly the CloudTrail-shaped JSON
// the Logger wrote, with nothing added. The chain and its signatures live
// beside the records, in digests, so that a record read back (by
// LookupEvents, by `sealbox audit`, by jq) is a CloudTrail record and
// nothing else.
//
// A trail is hash-chained: with H = SHA-256 and h(e) = H(the record's
// bytes, without its newline),
//
//	chain_0 = H("sealbox audit chain v1\x00" || trail name)
//	chain_i = H(chain_(i-1) || h(e_i))
//
// The trail name is the events file's name ("2026-11-23.jsonl": each day
// file is a trail of its own, in the order its lines were written) or
// "store" (the store's one trail, in the order the events committed).
//
// Every interval (--audit-digest-interval, and whenever 10,000 events
// wait) the sink signs a digest of the events written since its last one,
// as CloudTrail's log-file integrity validation signs a digest file every
// hour: where the events are (their first position and count; byte offsets
// for files), the chain before and after them, the first 16 bytes of each
// event's hash in order (so that a verifier can say which event was
// removed, altered, inserted or moved, not only that something was), the
// oldest and newest eventTime, and the hash of the previous digest. The
// signature is Ed25519 over "sealbox audit digest v1\n" || the digest's
// JSON bytes, with the server's audit key (key.go), which is kept sealed in
// the store through the barrier; its public key is exported to the data
// folder so that a trail verifies offline.
//
// Digests of the file sink are lines of <audit folder>/digests/<day>.jsonl,
// beside the day's events file; digests of the store sink are records of
// the store. Each digest line is {"digest": {...}, "signature": "..."}: the
// signature covers the digest's bytes exactly as they are stored, so no
// canonical form is needed.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// digestEvents is the most events one digest lists; more make several.
const digestEvents = 10000

// hashPrefix is how many bytes of each event's hash a digest lists: enough
// that no one can make another record with the same prefix (2^128 work),
// while the full hashes are bound by the chain.
const hashPrefix = 16

// Digest is one signed statement about a run of events of a trail.
type Digest struct {
	Version int    `json:"version"`
	Trail   string `json:"trail"` // "2026-11-23.jsonl" or "store"
	// Seq numbers the digests of a sink (the file sink's across all its
	// files), from 1; Previous is the hex SHA-256 of the previous one's
	// signed bytes ("" for the first), so that a removed digest shows.
	Seq      uint64 `json:"digestSeq"`
	Previous string `json:"previousDigestHash"`
	Time     string `json:"digestTime"`
	// First is the position of the first event: its line number in the
	// file (from 1), or its sequence number in the store (from 1).
	First uint64 `json:"first"`
	Count int    `json:"count"`
	// StartOffset and EndOffset are the events' bytes in the file.
	StartOffset int64 `json:"startOffset,omitempty"`
	EndOffset   int64 `json:"endOffset,omitempty"`
	// PreviousChain and Chain are the chain before the first event and
	// after the last, in hex.
	PreviousChain string `json:"previousChainHash"`
	Chain         string `json:"chainHash"`
	OldestEvent   string `json:"oldestEventTime,omitempty"`
	NewestEvent   string `json:"newestEventTime,omitempty"`
	// Hashes is the first hashPrefix bytes of each event's hash, in
	// order, concatenated, in base64 (standard, padded).
	Hashes string `json:"eventHashes"`
	// Key is the fingerprint of the key that signs (Fingerprint).
	Key string `json:"publicKeyFingerprint"`
	// Segment numbers a file's versions: when the server finds its file
	// deleted or replaced while it runs, it starts the file again, lines
	// from 1 and the chain from genesisSeg, as the next segment, and signs
	// a digest of no events that says so (Reason). 0 for the first.
	Segment uint64 `json:"segment,omitempty"`
	// Unverified marks a digest that places events without vouching for
	// them: lines the server found at start after its last digest that it
	// could not check against the store (Reason says why). They keep their
	// positions, so that the trail stays complete, and verify names them.
	Unverified bool `json:"unverified,omitempty"`
	// Reason says why a digest breaks the trail (Unverified, or a new
	// Segment).
	Reason string `json:"reason,omitempty"`
}

// signedDigest is a digest as stored: its exact bytes and their signature.
type signedDigest struct {
	Digest    json.RawMessage `json:"digest"`
	Signature string          `json:"signature"`
}

const (
	chainDomain  = "sealbox audit chain v1\x00"
	digestDomain = "sealbox audit digest v1\n"
)

// genesis is chain_0 of the trail named name.
func genesis(name string) [32]byte { return sha256.Sum256([]byte(chainDomain + name)) }

// genesisSeg is chain_0 of segment seg of the trail named name: the first
// segment's is genesis, a later one's names its number, so that no run of
// one segment chains into another.
func genesisSeg(name string, seg uint64) [32]byte {
	if seg == 0 {
		return genesis(name)
	}
	return sha256.Sum256(fmt.Appendf(nil, "%s%s#%d", chainDomain, name, seg))
}

// link is one step of the chain.
func link(chain, event [32]byte) [32]byte {
	var b [64]byte
	copy(b[:32], chain[:])
	copy(b[32:], event[:])
	return sha256.Sum256(b[:])
}

// RecordHash is h(e) of a record: the SHA-256 of its bytes without the
// trailing newline.
func RecordHash(record []byte) [32]byte {
	return sha256.Sum256(bytes.TrimSuffix(record, []byte{'\n'}))
}

// pendingEvent is what a sink remembers of an event not yet in a digest.
type pendingEvent struct {
	hash [32]byte
	size int64 // bytes in the file, newline included (files only)
	time int64 // eventTime, Unix nanoseconds
}

// run is a sink's input to one digest: a run of events after a chain.
type run struct {
	trail       string
	first       uint64
	startOffset int64
	prevChain   [32]byte
	events      []pendingEvent
	segment     uint64
	unverified  bool
	reason      string
}

// digest makes the (unsigned) digest of r; it returns the chain after r
// and r's end offset too.
func (r *run) digest(seq uint64, previous string, now time.Time, key string) (*Digest, [32]byte, int64) {
	chain := r.prevChain
	end := r.startOffset
	hashes := make([]byte, 0, len(r.events)*hashPrefix)
	var oldest, newest int64
	for _, e := range r.events {
		chain = link(chain, e.hash)
		end += e.size
		hashes = append(hashes, e.hash[:hashPrefix]...)
		if e.time != 0 && (oldest == 0 || e.time < oldest) {
			oldest = e.time
		}
		if e.time != 0 && (newest == 0 || e.time > newest) {
			newest = e.time
		}
	}
	d := &Digest{
		Version:       1,
		Trail:         r.trail,
		Seq:           seq,
		Previous:      previous,
		Time:          now.UTC().Format(time.RFC3339Nano),
		First:         r.first,
		Count:         len(r.events),
		PreviousChain: hex.EncodeToString(r.prevChain[:]),
		Chain:         hex.EncodeToString(chain[:]),
		Hashes:        base64.StdEncoding.EncodeToString(hashes),
		Key:           key,
		Segment:       r.segment,
		Unverified:    r.unverified,
		Reason:        r.reason,
	}
	if r.trail != storeTrail {
		d.StartOffset, d.EndOffset = r.startOffset, end
	}
	if oldest != 0 {
		d.OldestEvent = time.Unix(0, oldest).UTC().Format(time.RFC3339Nano)
		d.NewestEvent = time.Unix(0, newest).UTC().Format(time.RFC3339Nano)
	}
	return d, chain, end
}

// sign returns the stored form of d (one line, no newline) and the hash
// the next digest names as Previous.
func (s *Signer) sign(d *Digest) (line []byte, hash string, err error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, "", err
	}
	s.mu.RLock()
	if s.priv == nil {
		s.mu.RUnlock()
		return nil, "", ErrSignerForgotten
	}
	sig := ed25519.Sign(s.priv, append([]byte(digestDomain), raw...))
	s.mu.RUnlock()
	line = signedLine(raw, sig)
	sum := sha256.Sum256(raw)
	return line, hex.EncodeToString(sum[:]), nil
}

// signedLine is json.Marshal(signedDigest{raw, base64 of sig}) without
// encoding/json, which would compact raw again byte by byte (a digest lists
// 22 base64 bytes an event): raw is json.Marshal's output, compact and
// escaped already, and base64 needs no escaping.
func signedLine(raw, sig []byte) []byte {
	line := make([]byte, 0, len(`{"digest":,"signature":""}`)+len(raw)+base64.StdEncoding.EncodedLen(len(sig)))
	line = append(line, `{"digest":`...)
	line = append(line, raw...)
	line = append(line, `,"signature":"`...)
	line = base64.StdEncoding.AppendEncode(line, sig)
	return append(line, `"}`...)
}

// Errors of ParseDigest.
var (
	// ErrDigestSignature means a digest's signature does not verify with
	// any of the public keys given.
	ErrDigestSignature = errors.New("audit: digest signature does not verify")
	// ErrDigestFormat means a digest line is not a digest.
	ErrDigestFormat = errors.New("audit: not a digest")
)

// ParsedDigest is a digest read back, with what verification needs.
type ParsedDigest struct {
	Digest
	// Hash is what the next digest names as Previous.
	Hash string
	// EventHashes are the listed hash prefixes, one per event.
	EventHashes [][hashPrefix]byte
	prevChain   [32]byte
	chain       [32]byte
}

// ParseDigest reads one stored digest line and checks its signature with
// keys (by fingerprint). A digest that parses but is not signed by any of
// keys is returned with an error wrapping ErrDigestSignature; one that
// does not parse, or whose fields contradict each other, with an error
// wrapping ErrDigestFormat. line is untrusted input.
func ParseDigest(line []byte, keys []ed25519.PublicKey) (*ParsedDigest, error) {
	var sd signedDigest
	if err := json.Unmarshal(line, &sd); err != nil || len(sd.Digest) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrDigestFormat, err)
	}
	p := &ParsedDigest{}
	if err := json.Unmarshal(sd.Digest, &p.Digest); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDigestFormat, err)
	}
	d := &p.Digest
	sum := sha256.Sum256(sd.Digest)
	p.Hash = hex.EncodeToString(sum[:])
	hashes, err := base64.StdEncoding.DecodeString(d.Hashes)
	switch {
	case d.Version != 1:
		return nil, fmt.Errorf("%w: version %d", ErrDigestFormat, d.Version)
	case err != nil || len(hashes)%hashPrefix != 0 || len(hashes)/hashPrefix != d.Count || d.Count < 0:
		return nil, fmt.Errorf("%w: %d event hashes for %d events", ErrDigestFormat, len(hashes)/hashPrefix, d.Count)
	case d.First < 1 || d.First > 1<<62:
		return nil, fmt.Errorf("%w: first position %d", ErrDigestFormat, d.First)
	case d.StartOffset < 0 || d.EndOffset < d.StartOffset:
		return nil, fmt.Errorf("%w: offsets %d-%d", ErrDigestFormat, d.StartOffset, d.EndOffset)
	}
	if p.prevChain, err = hash32(d.PreviousChain); err != nil {
		return nil, err
	}
	if p.chain, err = hash32(d.Chain); err != nil {
		return nil, err
	}
	p.EventHashes = make([][hashPrefix]byte, d.Count)
	for i := range p.EventHashes {
		copy(p.EventHashes[i][:], hashes[i*hashPrefix:])
	}
	sig, err := base64.StdEncoding.DecodeString(sd.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return p, fmt.Errorf("%w (digest %d): malformed signature", ErrDigestSignature, d.Seq)
	}
	msg := append([]byte(digestDomain), sd.Digest...)
	for _, k := range keys {
		if Fingerprint(k) == d.Key && ed25519.Verify(k, msg, sig) {
			return p, nil
		}
	}
	return p, fmt.Errorf("%w (digest %d, key %s)", ErrDigestSignature, d.Seq, d.Key)
}

func hash32(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return h, fmt.Errorf("%w: bad chain hash %q", ErrDigestFormat, s)
	}
	copy(h[:], b)
	return h, nil
}
