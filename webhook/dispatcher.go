package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

// Defaults of Options.
const (
	DefaultMaxTries   = 8
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultTimeout    = 10 * time.Second
	DefaultRefresh    = 10 * time.Second
	DefaultPrefix     = "webhook:"
)

// ErrInvalidOptions: Options or an Endpoint are out of range; the message
// says which field.
var ErrInvalidOptions = errors.New("webhook: invalid options")

// Options configure a Dispatcher.
type Options struct {
	// Key seals endpoint secrets in the Store (AES-GCM; 16, 24 or 32
	// bytes). Required. Keep it outside the store.
	Key []byte
	// Client sends the requests (default: an http.Client with
	// DefaultTimeout and no redirects followed).
	Client *http.Client
	// MaxTries is how many times a delivery is tried before it is marked
	// failed (default DefaultMaxTries).
	MaxTries int
	// Backoff is the wait after the first failed try; it doubles after
	// each, up to MaxBackoff (defaults DefaultBackoff, DefaultMaxBackoff).
	// Each wait is drawn in [d/2, d) (jitter).
	Backoff, MaxBackoff time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter (default
	// math/rand/v2.Float64).
	Rand func() float64
	// Sleep waits d or until ctx is done (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// ConsumerPrefix starts the consumer name of each endpoint (default
	// DefaultPrefix).
	ConsumerPrefix string
	// Consumer sets the lease, page size and polling of the endpoints'
	// consumers (Name is ignored; see team.ConsumerParams for defaults).
	Consumer team.ConsumerParams
	// Refresh is how often Run reloads the endpoints (default
	// DefaultRefresh).
	Refresh time.Duration
	// OnError, when set, is told each error Run recovers from.
	OnError func(err error)
}

// Endpoint is an endpoint as the host registers it.
type Endpoint struct {
	// ID names the endpoint; Register makes one when empty.
	ID string
	// URL receives the POSTs: http or https.
	URL string
	// Secret signs the deliveries; Register makes one (NewSecret) when
	// empty. Register returns it: it is stored sealed, so keep it.
	Secret string
	// Actions filters the events by action; empty means every action.
	Actions []audit.Action
	// FromStart makes the endpoint get the whole feed, from its start;
	// otherwise it gets the events committed after Register.
	FromStart bool
}

// Dispatcher delivers the change feed to the registered endpoints. Create
// it with New; it is safe for concurrent use.
type Dispatcher struct {
	svc *team.Service
	st  Store
	o   Options
	box sealer
}

// New returns a Dispatcher of svc's feed over st. Errors match
// ErrInvalidOptions.
func New(svc *team.Service, st Store, o Options) (*Dispatcher, error) {
	if svc == nil || st == nil {
		return nil, fmt.Errorf("%w: the service and the store must not be nil", ErrInvalidOptions)
	}
	box, err := newSealer(o.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if o.MaxTries < 0 || o.Backoff < 0 || o.MaxBackoff < 0 || o.Refresh < 0 {
		return nil, fmt.Errorf("%w: MaxTries, Backoff, MaxBackoff and Refresh must not be negative", ErrInvalidOptions)
	}
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout:       DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.MaxTries == 0 {
		o.MaxTries = DefaultMaxTries
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.ConsumerPrefix == "" {
		o.ConsumerPrefix = DefaultPrefix
	}
	if o.Refresh == 0 {
		o.Refresh = DefaultRefresh
	}
	return &Dispatcher{svc: svc, st: st, o: o, box: box}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func randomID() string {
	var b [8]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails
	return "ep_" + hex.EncodeToString(b[:])
}

// Register stores e (a new endpoint, or a replacement of the one with its
// ID, keeping that one's cursor) and returns it with its ID and secret.
// Unless e.FromStart, a new endpoint starts after the events the feed
// shows now: Register reads the feed to its end once, which takes a while
// on a long feed. An event committed just before Register that the store
// still holds back (see team.FeedStore) is delivered. Errors match ErrInvalidOptions, ErrInvalidSecret or the stores'.
func (d *Dispatcher) Register(ctx context.Context, e Endpoint) (Endpoint, error) {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Endpoint{}, fmt.Errorf("%w: URL %q must be an absolute http or https URL", ErrInvalidOptions, e.URL)
	}
	if e.ID == "" {
		e.ID = randomID()
	}
	if e.Secret == "" {
		if e.Secret, err = NewSecret(); err != nil {
			return Endpoint{}, err
		}
	}
	if _, err := secretKey(e.Secret); err != nil {
		return Endpoint{}, err
	}
	sealed, err := d.box.seal(e.ID, e.Secret)
	if err != nil {
		return Endpoint{}, err
	}
	if !e.FromStart {
		if err := d.skipToEnd(ctx, e.ID); err != nil {
			return Endpoint{}, err
		}
	}
	err = d.st.PutEndpoint(ctx, StoredEndpoint{ID: e.ID, URL: e.URL, SealedSecret: sealed, Actions: slices.Clone(e.Actions), CreatedAt: d.o.Now().UTC()})
	if err != nil {
		return Endpoint{}, err
	}
	return e, nil
}

// skipToEnd acknowledges the feed's end for a new endpoint's consumer.
func (d *Dispatcher) skipToEnd(ctx context.Context, id string) error {
	c, err := d.consumer(id)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	last := ""
	for {
		events, err := c.Next(ctx)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			break
		}
		last = events[len(events)-1].Cursor
	}
	if last == "" {
		return nil
	}
	return c.Ack(ctx, last)
}

func (d *Dispatcher) consumer(id string) (*team.Consumer, error) {
	p := d.o.Consumer
	p.Name = d.o.ConsumerPrefix + id
	if p.OnError == nil {
		p.OnError = d.o.OnError
	}
	return d.svc.Consumer(p)
}

// Remove deletes an endpoint and its failed deliveries. Its consumer's
// cursor stays in the team store. Errors match ErrNotFound.
func (d *Dispatcher) Remove(ctx context.Context, id string) error {
	return d.st.DeleteEndpoint(ctx, id)
}

// Failures returns the deliveries to endpointID that were marked failed.
func (d *Dispatcher) Failures(ctx context.Context, endpointID string) ([]Failure, error) {
	return d.st.Failures(ctx, endpointID)
}

// Replay sends the failed delivery of eventID to endpointID again, with
// the same webhook-id and body and the usual retries; on success it removes
// the failure, otherwise it records the new attempt. Errors match
// ErrNotFound, or say why the delivery failed again.
func (d *Dispatcher) Replay(ctx context.Context, endpointID, eventID string) error {
	ep, key, err := d.endpoint(ctx, endpointID)
	if err != nil {
		return err
	}
	fs, err := d.st.Failures(ctx, endpointID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(fs, func(f Failure) bool { return f.EventID == eventID })
	if i < 0 {
		return fmt.Errorf("%w: no failed delivery of event %s to endpoint %s", ErrNotFound, eventID, endpointID)
	}
	f := fs[i]
	tries, err := d.deliver(ctx, ep, key, f.EventID, f.Body, nil)
	if err == nil {
		return d.st.DeleteFailure(ctx, endpointID, eventID)
	}
	f.Tries, f.LastError, f.FailedAt = f.Tries+tries, err.Error(), d.o.Now().UTC()
	if perr := d.st.PutFailure(ctx, f); perr != nil {
		return errors.Join(err, perr)
	}
	return err
}

// endpoint loads an endpoint and opens its secret.
func (d *Dispatcher) endpoint(ctx context.Context, id string) (StoredEndpoint, []byte, error) {
	eps, err := d.st.Endpoints(ctx)
	if err != nil {
		return StoredEndpoint{}, nil, err
	}
	i := slices.IndexFunc(eps, func(e StoredEndpoint) bool { return e.ID == id })
	if i < 0 {
		return StoredEndpoint{}, nil, fmt.Errorf("%w: endpoint %s", ErrNotFound, id)
	}
	secret, err := d.box.open(id, eps[i].SealedSecret)
	if err != nil {
		return StoredEndpoint{}, nil, err
	}
	key, err := secretKey(secret)
	return eps[i], key, err
}

// payload is the body of a delivery.
type payload struct {
	Type      audit.Action `json:"type"`
	Timestamp time.Time    `json:"timestamp"`
	Data      audit.Event  `json:"data"`
}

// Body returns the JSON body a delivery of e carries.
func Body(e audit.Event) ([]byte, error) {
	return json.Marshal(payload{Type: e.Action, Timestamp: e.Time, Data: e})
}

// Run delivers the feed to every endpoint until ctx is done, one
// goroutine and one team.Consumer per endpoint, reloading the endpoints
// every Options.Refresh. It returns ctx's error. Several processes may run
// it: each endpoint's consumer lease lets one of them deliver at a time.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	running := map[string]context.CancelFunc{}
	defer func() {
		for _, cancel := range running {
			cancel()
		}
	}()
	for {
		eps, err := d.st.Endpoints(ctx)
		if err != nil && d.o.OnError != nil && ctx.Err() == nil {
			d.o.OnError(err)
		}
		if err == nil {
			live := map[string]bool{}
			for _, ep := range eps {
				live[ep.ID] = true
				if running[ep.ID] != nil {
					continue
				}
				epCtx, cancel := context.WithCancel(ctx)
				running[ep.ID] = cancel
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.runEndpoint(epCtx, ep.ID)
				}()
			}
			for id, cancel := range running {
				if !live[id] {
					cancel()
					delete(running, id)
				}
			}
		}
		if err := sleep(ctx, d.o.Refresh); err != nil {
			return err
		}
	}
}

// runEndpoint delivers the feed to one endpoint until ctx is done.
func (d *Dispatcher) runEndpoint(ctx context.Context, id string) {
	for ctx.Err() == nil {
		ep, key, err := d.endpoint(ctx, id)
		if err == nil {
			var c *team.Consumer
			if c, err = d.consumer(id); err == nil {
				err = c.Run(ctx, func(ctx context.Context, fe team.FeedEvent) error {
					return d.handle(ctx, c, ep, key, fe.Event)
				})
			}
		}
		if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
			return
		}
		if d.o.OnError != nil {
			d.o.OnError(fmt.Errorf("webhook: endpoint %s: %w", id, err))
		}
		_ = sleep(ctx, d.o.Backoff)
	}
}

// handle delivers one event to one endpoint, marking it failed after the
// last try. An error makes the consumer hand the event out again.
func (d *Dispatcher) handle(ctx context.Context, c *team.Consumer, ep StoredEndpoint, key []byte, e audit.Event) error {
	if len(ep.Actions) > 0 && !slices.Contains(ep.Actions, e.Action) {
		return nil
	}
	body, err := Body(e)
	if err != nil {
		return err
	}
	tries, err := d.deliver(ctx, ep, key, e.ID, body, c)
	if err == nil || ctx.Err() != nil || errors.Is(err, team.ErrLeaseLost) || errors.Is(err, team.ErrConsumerBusy) {
		return err // delivered; or stopped: the next holder sends it again
	}
	return d.st.PutFailure(ctx, Failure{
		EndpointID: ep.ID, EventID: e.ID, Action: e.Action, Body: body,
		Tries: tries, LastError: err.Error(), FailedAt: d.o.Now().UTC(),
	})
}

// deliver tries to send body up to MaxTries times with backoff and returns
// how many tries it made and the last error (nil on success). Between
// tries it renews c's lease, when c is given.
func (d *Dispatcher) deliver(ctx context.Context, ep StoredEndpoint, key []byte, id string, body []byte, c *team.Consumer) (int, error) {
	wait := d.o.Backoff
	var last error
	for try := 1; try <= d.o.MaxTries; try++ {
		if last = d.send(ctx, ep.URL, key, id, body); last == nil {
			return try, nil
		}
		if ctx.Err() != nil || try == d.o.MaxTries {
			return try, last
		}
		jittered := wait/2 + time.Duration(d.o.Rand()*float64(wait/2))
		if err := d.o.Sleep(ctx, jittered); err != nil {
			return try, err
		}
		wait = min(wait*2, d.o.MaxBackoff)
		if c != nil {
			if err := c.Renew(ctx); err != nil {
				return try, err
			}
		}
	}
	return d.o.MaxTries, last
}

// send makes one signed POST.
func (d *Dispatcher) send(ctx context.Context, target string, key []byte, id string, body []byte) error {
	ts := d.o.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sign(key, id, ts, body))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: POST %s: %w", target, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: POST %s: status %d", target, resp.StatusCode)
	}
	return nil
}
