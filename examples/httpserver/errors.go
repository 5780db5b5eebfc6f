package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/teamkit/teamkit/audit"
	"github.com/teamkit/teamkit/team"
)

// maxBodyBytes caps request bodies; larger ones are refused with 413.
const maxBodyBytes = 64 << 10

// Errors of the HTTP layer itself. They map to 401 in errorResponse.
var (
	errNoSession      = errors.New("sign in first: send Authorization: Bearer <token> from POST /session")
	errBadSession     = errors.New("invalid session token: sign in again")
	errSessionExpired = errors.New("session expired: sign in again")
)

// requestError is a refusal of the request's body or query string, before
// the service is called. It maps to status (400 or 413) and names the field
// when it is known.
type requestError struct {
	status int
	field  string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// badRequest returns a 400 requestError for field.
func badRequest(field, format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error  string         `json:"error"`
	Field  string         `json:"field,omitempty"`
	Counts map[string]int `json:"counts,omitempty"` // resources left, for ErrResourcesRemain
}

// errorResponse is the one place where errors become HTTP statuses. Every
// service refusal is matched with errors.Is (or errors.As for the typed
// errors that carry details); anything unknown is a 500 whose message is not
// shown to the client.
func errorResponse(err error) (int, errorBody) {
	body := errorBody{Error: err.Error()}
	var (
		reqErr   *requestError
		inputErr *team.InputError
		remain   *team.ResourcesRemainError
	)
	switch {
	case errors.As(err, &reqErr):
		body.Field = reqErr.field
		return reqErr.status, body
	case errors.Is(err, errNoSession), errors.Is(err, errBadSession), errors.Is(err, errSessionExpired):
		return http.StatusUnauthorized, body
	case errors.As(err, &inputErr):
		body.Field = inputErr.Field
		return http.StatusBadRequest, body
	case errors.Is(err, audit.ErrInvalidCursor):
		body.Field = "cursor"
		return http.StatusBadRequest, body
	case errors.Is(err, team.ErrInvalidInput),
		errors.Is(err, team.ErrUnknownRole),
		errors.Is(err, team.ErrInvalidAmount),
		errors.Is(err, team.ErrConfirmationMismatch),
		errors.Is(err, audit.ErrInvalidQuery):
		return http.StatusBadRequest, body
	case errors.Is(err, team.ErrPermissionDenied),
		errors.Is(err, team.ErrNotMember),
		errors.Is(err, team.ErrEmailMismatch),
		errors.Is(err, team.ErrInviterLacksAuthority):
		return http.StatusForbidden, body
	case errors.Is(err, team.ErrNotFound):
		return http.StatusNotFound, body
	case errors.As(err, &remain):
		body.Counts = remain.Counts
		return http.StatusConflict, body
	case errors.Is(err, team.ErrConflict),
		errors.Is(err, team.ErrAlreadyMember),
		errors.Is(err, team.ErrAlreadyInvited),
		errors.Is(err, team.ErrSeatLimit),
		errors.Is(err, team.ErrTeamLimit),
		errors.Is(err, team.ErrSubscriptionRequired),
		errors.Is(err, team.ErrInvalidAccount),
		errors.Is(err, team.ErrOwnerCannotLeave),
		errors.Is(err, team.ErrResourcesRemain),
		errors.Is(err, team.ErrPersonalTeam),
		errors.Is(err, team.ErrIdempotencyConflict),
		errors.Is(err, team.ErrInvitationExpired),
		errors.Is(err, team.ErrInvitationCancelled),
		errors.Is(err, team.ErrInvitationDeclined),
		errors.Is(err, team.ErrInvitationUsed):
		return http.StatusConflict, body
	case errors.Is(err, team.ErrInsufficientBalance):
		return http.StatusPaymentRequired, body
	case errors.Is(err, team.ErrNotifyFailed):
		return http.StatusBadGateway, body
	}
	return http.StatusInternalServerError, errorBody{Error: "internal error"}
}

// writeError answers with err's status and body, logging what a 500 hides.
func writeError(w http.ResponseWriter, r *http.Request, logger *log.Logger, err error) {
	status, body := errorResponse(err)
	if status == http.StatusInternalServerError {
		logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	writeJSON(w, status, body)
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent; a failed write has no one to tell
}

// decodeJSON reads r's body, at most maxBodyBytes, into dst: one JSON value
// with no unknown fields. Its errors are *requestError (400, or 413 for a
// body that is too large), naming the field when the decoder knows it.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeBody(http.MaxBytesReader(w, r.Body, maxBodyBytes), dst)
}

// decodeBody decodes one JSON value from body into dst; see decodeJSON.
func decodeBody(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err)
		}
		return badRequest("", "the body must hold a single JSON object")
	}
	return nil
}

// jsonError explains a decoding error as a *requestError.
func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		tooLarge  *http.MaxBytesError
		invalidIn *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &requestError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "the body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("", "the body must be a JSON object, not %s", typ.Value)
		}
		return badRequest(typ.Field, "field %q must be %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &invalidIn):
		return err // a programming error: a 500
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badRequest(name, "unknown field %q", name)
	}
	return badRequest("", "invalid JSON body: %v", err)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "map", kind == "struct":
		return "an object"
	case kind == "slice", kind == "array":
		return "an array"
	}
	return "of another type"
}
