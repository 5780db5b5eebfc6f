package webhook

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
)

// ErrNotFound: no endpoint or failed delivery with that ID.
var ErrNotFound = errors.New("webhook: not found")

// StoredEndpoint is an endpoint as a Store keeps it: the secret sealed.
type StoredEndpoint struct {
	ID           string
	URL          string
	SealedSecret []byte         // AES-GCM: nonce, then ciphertext and tag
	Actions      []audit.Action // empty: every action
	CreatedAt    time.Time
}

// Failure is a delivery that failed its last try: what was sent, how often
// and why.
type Failure struct {
	EndpointID string
	EventID    string
	Action     audit.Action
	Body       []byte // the payload, sent again as it is by Replay
	Tries      int
	LastError  string
	FailedAt   time.Time
}

// Store keeps endpoints and failed deliveries. Methods that name one record
// return an error matching ErrNotFound when it does not exist. Values are
// copies. Implementations are safe for concurrent use.
type Store interface {
	// PutEndpoint stores e, replacing the endpoint with the same ID.
	PutEndpoint(ctx context.Context, e StoredEndpoint) error
	// Endpoints returns every endpoint, by CreatedAt then ID.
	Endpoints(ctx context.Context) ([]StoredEndpoint, error)
	// DeleteEndpoint removes an endpoint and its failures.
	DeleteEndpoint(ctx context.Context, id string) error
	// PutFailure stores f, replacing the failure of the same endpoint and
	// event.
	PutFailure(ctx context.Context, f Failure) error
	// Failures returns the failures of an endpoint, by FailedAt then EventID.
	Failures(ctx context.Context, endpointID string) ([]Failure, error)
	// DeleteFailure removes the failure of an endpoint and event.
	DeleteFailure(ctx context.Context, endpointID, eventID string) error
}

// MemoryStore is a Store in memory. The zero value is not usable; call
// NewMemoryStore.
type MemoryStore struct {
	mu        sync.Mutex
	endpoints map[string]StoredEndpoint
	failures  map[[2]string]Failure
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{endpoints: map[string]StoredEndpoint{}, failures: map[[2]string]Failure{}}
}

func copyEndpoint(e StoredEndpoint) StoredEndpoint {
	e.SealedSecret, e.Actions = slices.Clone(e.SealedSecret), slices.Clone(e.Actions)
	return e
}

// PutEndpoint implements Store.
func (m *MemoryStore) PutEndpoint(_ context.Context, e StoredEndpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.endpoints[e.ID] = copyEndpoint(e)
	return nil
}

// Endpoints implements Store.
func (m *MemoryStore) Endpoints(_ context.Context) ([]StoredEndpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]StoredEndpoint, 0, len(m.endpoints))
	for _, e := range m.endpoints {
		out = append(out, copyEndpoint(e))
	}
	slices.SortFunc(out, func(a, b StoredEndpoint) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DeleteEndpoint implements Store.
func (m *MemoryStore) DeleteEndpoint(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.endpoints[id]; !ok {
		return fmt.Errorf("%w: endpoint %s", ErrNotFound, id)
	}
	delete(m.endpoints, id)
	for k := range m.failures {
		if k[0] == id {
			delete(m.failures, k)
		}
	}
	return nil
}

// PutFailure implements Store.
func (m *MemoryStore) PutFailure(_ context.Context, f Failure) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f.Body = slices.Clone(f.Body)
	m.failures[[2]string{f.EndpointID, f.EventID}] = f
	return nil
}

// Failures implements Store.
func (m *MemoryStore) Failures(_ context.Context, endpointID string) ([]Failure, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Failure{}
	for k, f := range m.failures {
		if k[0] == endpointID {
			f.Body = slices.Clone(f.Body)
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Failure) int {
		if c := a.FailedAt.Compare(b.FailedAt); c != 0 {
			return c
		}
		return compareStrings(a.EventID, b.EventID)
	})
	return out, nil
}

// DeleteFailure implements Store.
func (m *MemoryStore) DeleteFailure(_ context.Context, endpointID, eventID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{endpointID, eventID}
	if _, ok := m.failures[k]; !ok {
		return fmt.Errorf("%w: failed delivery of event %s to endpoint %s", ErrNotFound, eventID, endpointID)
	}
	delete(m.failures, k)
	return nil
}

// sealer seals and opens endpoint secrets with AES-GCM.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("webhook: Options.Key must be 16, 24 or 32 bytes (AES): %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("webhook: AES-GCM: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts secret bound to endpointID.
func (s sealer) seal(endpointID, secret string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("webhook: sealing a secret: %w", err)
	}
	return s.aead.Seal(nonce, nonce, []byte(secret), []byte(endpointID)), nil
}

// ErrSealedSecret: a stored secret does not open with Options.Key (another
// key, or the record was changed or copied to another endpoint).
var ErrSealedSecret = errors.New("webhook: the endpoint's stored secret does not open with this key")

// open decrypts a sealed secret of endpointID.
func (s sealer) open(endpointID string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", fmt.Errorf("%w: endpoint %s", ErrSealedSecret, endpointID)
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(endpointID))
	if err != nil {
		return "", fmt.Errorf("%w: endpoint %s", ErrSealedSecret, endpointID)
	}
	return string(plain), nil
}
