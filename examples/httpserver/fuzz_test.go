package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeJSON feeds arbitrary bodies to the request decoding of the
// API's bodies: it never panics, and every refusal is a *requestError with
// a 4xx status (400, or 413 for a body over the size limit). The seed
// corpus is in testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"email":"bo@example.com","role":"admin"}`,
		`{"amount":100,"idempotency_key":"k","metadata":{"agent":"a1"}}`,
		`{"name":null,"settings":{}}`,
		`{"amount":"ten"}`,
		`{"unknown":1}`,
		`[1,2,3]`,
		`{} {}`,
		`{"email":`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{
			&struct {
				Email string `json:"email"`
				Role  string `json:"role"`
			}{},
			&struct {
				Amount         int64             `json:"amount"`
				IdempotencyKey string            `json:"idempotency_key"`
				Metadata       map[string]string `json:"metadata"`
			}{},
			&struct {
				Name     *string           `json:"name"`
				Settings map[string]string `json:"settings"`
			}{},
		}
		for _, dst := range targets {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			err := decodeJSON(httptest.NewRecorder(), r, dst)
			if err == nil {
				continue
			}
			var reqErr *requestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("body %q: error %v (%T) is not a *requestError", body, err, err)
			}
			status, _ := errorResponse(err)
			if status < 400 || status > 499 {
				t.Fatalf("body %q: status %d for %v", body, status, err)
			}
		}
	})
}
