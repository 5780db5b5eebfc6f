package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks convention.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix starts every secret, as Standard Webhooks writes them.
const secretPrefix = "whsec_"

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock unless Verify is told otherwise.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify and of secrets.
var (
	// ErrInvalidSecret: the secret is not "whsec_" and base64 of 24 to 64
	// bytes.
	ErrInvalidSecret = errors.New("webhook: invalid secret; use one from NewSecret (\"whsec_\" and base64)")
	// ErrMissingHeaders: a webhook header is missing or malformed.
	ErrMissingHeaders = errors.New("webhook: missing or malformed webhook headers")
	// ErrTimestamp: webhook-timestamp is outside the tolerance window (an
	// old message replayed, or a clock far off).
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance window")
	// ErrSignature: no signature in webhook-signature matches the body.
	ErrSignature = errors.New("webhook: no valid signature")
)

// NewSecret returns a new random endpoint secret: "whsec_" and the base64
// of 32 random bytes.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhook: making a secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// secretKey returns the HMAC key a secret stands for.
func secretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, ErrInvalidSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// sign returns "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
func sign(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature value of a message with the given id,
// timestamp (Unix seconds) and body under secret. Errors match
// ErrInvalidSecret.
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return sign(key, id, timestamp, body), nil
}

// Verify checks a received webhook: its headers (webhook-id,
// webhook-timestamp, webhook-signature), a timestamp within tolerance of
// now (DefaultTolerance when tolerance is 0), and that one of the
// space-separated signatures (several during a secret rotation) is the
// v1 signature of body under one of secrets, compared in constant time. It
// returns the webhook-id, for deduplication. Errors match
// ErrMissingHeaders, ErrTimestamp, ErrSignature or ErrInvalidSecret.
func Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration, secrets ...string) (string, error) {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return "", fmt.Errorf("%w: need %s, %s and %s", ErrMissingHeaders, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q is not Unix seconds", ErrMissingHeaders, HeaderTimestamp, tsText)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return "", fmt.Errorf("%w: %s is %s from now, tolerance %s", ErrTimestamp, HeaderTimestamp, d.Round(time.Second), tolerance)
	}
	if len(secrets) == 0 {
		return "", fmt.Errorf("%w: no secret given", ErrInvalidSecret)
	}
	for _, secret := range secrets {
		key, err := secretKey(secret)
		if err != nil {
			return "", err
		}
		want := []byte(sign(key, id, ts, body))
		for _, got := range strings.Fields(sigs) {
			if hmac.Equal([]byte(got), want) {
				return id, nil
			}
		}
	}
	return "", ErrSignature
}
