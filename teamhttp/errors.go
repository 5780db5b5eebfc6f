package teamhttp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/teamkit/teamkit/team"
)

// ProblemContentType is the media type of every error response (RFC 9457).
const ProblemContentType = "application/problem+json"

// problemTypeBase prefixes a problem's code to make its type URI; the
// fragment names the row of the table in docs/http.md.
const problemTypeBase = "https://github.com/teamkit/teamkit/blob/main/docs/http.md#"

// Problem is the body of every error response: an RFC 9457 problem detail
// with teamkit's stable machine code (HTTP-2). Detail is the public message
// of SEC-4, safe to show the caller; the full error goes only to the log.
type Problem struct {
	// Type is a URI naming the problem: problemTypeBase + Code.
	Type string `json:"type"`
	// Title is the HTTP status text of Status.
	Title string `json:"title"`
	// Status is the HTTP status code, repeated from the response.
	Status int `json:"status"`
	// Detail is the public message (SEC-4).
	Detail string `json:"detail"`
	// Code is the stable machine code; see the table in the package doc.
	Code string `json:"code"`
	// Field names the refused request field, when one is known.
	Field string `json:"field,omitempty"`
	// Counts are the resources a team still holds (code resources_remain).
	Counts map[string]int `json:"counts,omitempty"`
	// Limit and Used are the seat limit and the seats in use (code
	// seat_limit).
	Limit int `json:"limit,omitempty"`
	Used  int `json:"used,omitempty"`
	// ErrorID identifies an internal error (code internal) in the server's
	// log; the response says nothing else about it.
	ErrorID string `json:"error_id,omitempty"`
}

// Errors of the HTTP layer itself, matched with errors.Is. They have their
// own codes in the status table.
var (
	// ErrUnauthenticated: the request carries no valid sign-in; the
	// host's Authenticate function refused it (401, code unauthenticated).
	ErrUnauthenticated = errors.New("teamhttp: sign-in required")
	// ErrSessionExpired: the session was issued under another session epoch
	// of the membership (ROLE-5); sign in again (401, code
	// session_expired).
	ErrSessionExpired = errors.New("teamhttp: session expired for this team; sign in again")
	// ErrRateLimited: too many requests of a limited kind (HTTP-6); retry
	// after the time in the Retry-After header (429, code rate_limited).
	ErrRateLimited = errors.New("teamhttp: too many requests; retry later")
)

// requestError is a refusal of the request itself (body, query string,
// content type) before the service is called.
type requestError struct {
	status int
	code   string
	field  string
	msg    string // public: it describes the caller's own request
}

func (e *requestError) Error() string { return "teamhttp: " + e.msg }

func badRequest(field, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, code: "invalid_request", field: field, msg: fmt.Sprintf(format, args...)}
}

// rateLimitError is ErrRateLimited with the wait.
type rateLimitError struct{ retryAfter int } // whole seconds, at least 1

func (e *rateLimitError) Error() string     { return ErrRateLimited.Error() }
func (e *rateLimitError) Is(err error) bool { return err == ErrRateLimited }

// statusByCode is THE table of codes to statuses (HTTP-2); the package doc
// and docs/http.md print it, and a test checks the three agree. A code
// missing here is a 500.
var statusByCode = map[string]int{
	"invalid_request":        http.StatusBadRequest,
	"invalid_input":          http.StatusBadRequest,
	"unknown_role":           http.StatusBadRequest,
	"invalid_amount":         http.StatusBadRequest,
	"confirmation_mismatch":  http.StatusBadRequest,
	"unauthenticated":        http.StatusUnauthorized,
	"session_expired":        http.StatusUnauthorized,
	"insufficient_balance":   http.StatusPaymentRequired,
	"permission_denied":      http.StatusForbidden,
	"not_member":             http.StatusForbidden,
	"email_mismatch":         http.StatusForbidden,
	"not_found":              http.StatusNotFound,
	"already_member":         http.StatusConflict,
	"already_invited":        http.StatusConflict,
	"seat_limit":             http.StatusConflict,
	"personal_team":          http.StatusConflict,
	"owner_cannot_leave":     http.StatusConflict,
	"resources_remain":       http.StatusConflict,
	"owns_teams":             http.StatusConflict,
	"subscription_required":  http.StatusConflict,
	"team_limit":             http.StatusConflict,
	"invalid_account":        http.StatusConflict,
	"idempotency_conflict":   http.StatusConflict,
	"conflict":               http.StatusConflict,
	"consumer_busy":          http.StatusConflict,       // FEED-2: host-only, never from the handler
	"lease_lost":             http.StatusConflict,       // FEED-2: host-only, never from the handler
	"feed_unsupported":       http.StatusNotImplemented, // FEED-1: host-only, never from the handler
	"invitation_expired":     http.StatusGone,
	"invitation_cancelled":   http.StatusGone,
	"invitation_declined":    http.StatusGone,
	"invitation_used":        http.StatusGone,
	"total_overflow":         http.StatusUnprocessableEntity,
	"body_too_large":         http.StatusRequestEntityTooLarge,
	"unsupported_media_type": http.StatusUnsupportedMediaType,
	"rate_limited":           http.StatusTooManyRequests,
	"canceled":               499, // the client went away; nobody reads it
	"notify_failed":          http.StatusBadGateway,
	"deadline_exceeded":      http.StatusServiceUnavailable,
	"internal":               http.StatusInternalServerError,
	"broken_chain":           http.StatusInternalServerError,
	// Invite links, domains and join requests (LINK, JOIN).
	"link_revoked":        http.StatusGone,
	"link_expired":        http.StatusGone,
	"link_used_up":        http.StatusGone,
	"link_authority_lost": http.StatusGone,
	"public_email_domain": http.StatusBadRequest,
	"domain_claimed":      http.StatusConflict,
	"domain_not_verified": http.StatusConflict,
	"join_not_allowed":    http.StatusForbidden,
	"already_requested":   http.StatusConflict,
	"join_request_closed": http.StatusConflict,
}

// problemFor turns err into its status and problem (without ErrorID).
func problemFor(err error) Problem {
	var (
		reqErr *requestError
		input  *team.InputError
		remain *team.ResourcesRemainError
		seats  *team.SeatLimitError
	)
	p := Problem{}
	switch {
	case errors.As(err, &reqErr):
		p.Code, p.Field, p.Detail = reqErr.code, reqErr.field, reqErr.msg
	case errors.Is(err, ErrUnauthenticated):
		p.Code, p.Detail = "unauthenticated", "Sign in first."
	case errors.Is(err, ErrSessionExpired):
		p.Code, p.Detail = "session_expired", "Your role in this team changed since you signed in; sign in again."
	case errors.Is(err, ErrRateLimited):
		p.Code, p.Detail = "rate_limited", "Too many requests of this kind; retry after the time in the Retry-After header."
	default:
		p.Code, p.Detail = errorCode(err), publicMessage(err)
	}
	if errors.As(err, &input) {
		p.Field = input.Field
	}
	if p.Code == "resources_remain" && errors.As(err, &remain) {
		p.Counts = remain.Counts
	}
	if p.Code == "seat_limit" && errors.As(err, &seats) {
		p.Limit, p.Used = seats.Limit, seats.Used
	}
	status, ok := statusByCode[p.Code]
	if !ok {
		p.Code, status = "internal", http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		p.Detail, p.Field = "Something went wrong on our side; try again later, quoting the error ID.", ""
	}
	p.Status = status
	p.Type = problemTypeBase + p.Code
	p.Title = http.StatusText(status)
	if p.Title == "" {
		p.Title = "Client Closed Request"
	}
	return p
}

// writeError answers with err as a problem. Internal errors get an opaque
// ID, and the full error is logged under it; other errors are logged at
// debug level.
func (h *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, h.log, err)
}

func writeProblem(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	p := logProblem(r, logger, err)
	var rl *rateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.retryAfter))
	}
	writeJSONAs(w, p.Status, ProblemContentType, p)
}

// logProblem returns err's problem and logs err: an internal error at Error
// level under a new ErrorID, a refusal at Debug level.
func logProblem(r *http.Request, logger *slog.Logger, err error) Problem {
	p := problemFor(err)
	if p.Status >= 500 {
		p.ErrorID = newErrorID()
		logger.ErrorContext(r.Context(), "teamhttp: internal error", "error_id", p.ErrorID,
			"method", r.Method, "path", r.URL.Path, "code", p.Code, "error", err.Error())
	} else {
		logger.DebugContext(r.Context(), "teamhttp: request refused", "method", r.Method, "path", r.URL.Path,
			"status", p.Status, "code", p.Code, "error", err.Error())
	}
	return p
}

func newErrorID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// errorCode and publicMessage are the one place where the service's errors
// get their code and public message (SEC-4).
func errorCode(err error) string     { return team.Code(err) }
func publicMessage(err error) string { return team.PublicMessage(err) }
