package teamhttp

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limit is a token bucket: it holds at most Burst requests and refills at
// Burst per Per, so a client may send Burst at once and then Burst per Per
// on average. The zero Limit (or a non-positive Burst or Per) limits
// nothing.
type Limit struct {
	Burst int           `json:"burst"`
	Per   time.Duration `json:"per"`
}

func (l Limit) off() bool { return l.Burst <= 0 || l.Per <= 0 }

// RateLimits are the abuse limits of the handler (HTTP-6). Only two kinds of
// routes are limited: sending invitations and creating invite links (create
// and resend an invitation, which mail a stranger, and create a link, which
// hands out a credential; they share one bucket) and presenting a token
// (preview, accept and decline an invitation, join through an invite link,
// where a guesser would try tokens; one bucket). Every other route, the
// ordinary management of owners and admins included (listing and revoking
// links, domains, deciding join requests), is never limited.
type RateLimits struct {
	// InvitesPerActor limits the invitations one signed-in user sends and
	// the invite links they create, together.
	InvitesPerActor Limit
	// InvitesPerAddress limits the invitations sent and links created from
	// one client address, whoever is signed in.
	InvitesPerAddress Limit
	// TokensPerActor limits the tokens one signed-in user presents.
	TokensPerActor Limit
	// TokensPerAddress limits the tokens presented from one client address,
	// signed in or not (a preview needs no sign-in).
	TokensPerAddress Limit
}

// DefaultRateLimits returns the limits a product would ship:
//
//   - 100 invitations per actor per hour, burst 100: an admin onboarding a
//     full team (50 seats by default) twice over in one sitting is never
//     stopped, while a hijacked account cannot mail thousands of strangers
//     (invitation spam is the abuse Clerk's and Auth0's hourly caps target).
//   - 300 invitations per address per hour: several admins behind one office
//     NAT still fit.
//   - 30 token presentations per actor and 60 per address per 10 minutes:
//     a person opens a link a handful of times; tokens have 128 random bits,
//     so the limit is against floods and scanners, not a real guessing risk.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		InvitesPerActor:   Limit{Burst: 100, Per: time.Hour},
		InvitesPerAddress: Limit{Burst: 300, Per: time.Hour},
		TokensPerActor:    Limit{Burst: 30, Per: 10 * time.Minute},
		TokensPerAddress:  Limit{Burst: 60, Per: 10 * time.Minute},
	}
}

// Limiter keeps the token buckets. Allow takes one request from the bucket
// of key under limit and reports whether there was one; when there was not,
// retryAfter says when there will be. The in-memory NewMemoryLimiter serves
// one process; a host running several instances implements Limiter over a
// store they share (Redis, its database), so the limits hold across them.
// An error from Allow fails the request with 500 (the limiter is broken;
// failing open would turn the limit off for an attacker who breaks it).
type Limiter interface {
	Allow(ctx context.Context, key string, limit Limit) (ok bool, retryAfter time.Duration, err error)
}

// MemoryLimiterConfig configures NewMemoryLimiter.
type MemoryLimiterConfig struct {
	// MaxKeys bounds the buckets kept (default 100,000, about 10 MB). When
	// it is reached, full buckets are dropped (they hold no state worth
	// keeping), and if none is full, one bucket at random.
	MaxKeys int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// MemoryLimiter is the in-memory Limiter: token buckets in a map of bounded
// size, safe for concurrent use.
type MemoryLimiter struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewMemoryLimiter returns an in-memory Limiter.
func NewMemoryLimiter(c MemoryLimiterConfig) *MemoryLimiter {
	if c.MaxKeys <= 0 {
		c.MaxKeys = 100_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &MemoryLimiter{max: c.MaxKeys, now: c.Now, buckets: make(map[string]*bucket)}
}

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(_ context.Context, key string, l Limit) (bool, time.Duration, error) {
	if l.off() {
		return true, 0, nil
	}
	now := m.now()
	rate := float64(l.Burst) / float64(l.Per) // tokens per nanosecond
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.buckets[key]
	if !ok {
		if len(m.buckets) >= m.max {
			m.evict(now, rate, float64(l.Burst))
		}
		b = &bucket{tokens: float64(l.Burst), last: now}
		m.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(l.Burst), b.tokens+float64(elapsed)*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	return false, time.Duration(math.Ceil((1 - b.tokens) / rate)), nil
}

// evict makes room for one bucket; m.mu is held.
func (m *MemoryLimiter) evict(now time.Time, rate, burst float64) {
	for k, b := range m.buckets {
		if b.tokens+float64(now.Sub(b.last))*rate >= burst {
			delete(m.buckets, k)
		}
	}
	for k := range m.buckets {
		if len(m.buckets) < m.max {
			return
		}
		delete(m.buckets, k)
	}
}

// Len returns the number of buckets kept.
func (m *MemoryLimiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}

type limitKind int

const (
	limitNone   limitKind = iota
	limitInvite           // sending an invitation or creating an invite link
	limitToken            // presenting an invitation or invite link token
)

// checkLimit takes one request from the buckets of kind for the actor (if
// signed in) and the client address; a refusal is a *rateLimitError.
func (a *api) checkLimit(r *http.Request, kind limitKind, actorID string) error {
	var perActor, perAddr Limit
	var name string
	switch kind {
	case limitInvite:
		name, perActor, perAddr = "invite", a.limits.InvitesPerActor, a.limits.InvitesPerAddress
	case limitToken:
		name, perActor, perAddr = "token", a.limits.TokensPerActor, a.limits.TokensPerAddress
	default:
		return nil
	}
	checks := []struct {
		key   string
		limit Limit
	}{{name + ":addr:" + a.clientAddr(r), perAddr}}
	if actorID != "" {
		checks = append(checks, struct {
			key   string
			limit Limit
		}{name + ":actor:" + actorID, perActor})
	}
	for _, c := range checks {
		ok, wait, err := a.limiter.Allow(r.Context(), c.key, c.limit)
		if err != nil {
			return err
		}
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			return &rateLimitError{retryAfter: max(secs, 1)}
		}
	}
	return nil
}

// remoteHost is the default client address: the host of r.RemoteAddr, with
// an IPv6 address cut to its /64 (one subscriber's usual allocation, so one
// client cannot spread over 2^64 buckets).
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
