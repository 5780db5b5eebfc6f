package team

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on input, checked before anything is written (SEC-2).
const (
	MaxNameLength  = 100 // TEAM-5, in characters
	MaxIDLength    = 128
	MaxEmailLength = 254
)

// checkID refuses an empty, over-long or non-printable ID.
func checkID(field, id string) error {
	switch {
	case id == "":
		return invalid(field, "is empty")
	case len(id) > MaxIDLength:
		return invalid(field, "is longer than %d bytes", MaxIDLength)
	case !utf8.ValidString(id):
		return invalid(field, "is not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return invalid(field, "contains a space or control character")
		}
	}
	return nil
}

// NormalizeTeamName trims name and checks it (TEAM-5): 1 to 100 characters
// of valid UTF-8 with no control characters. The error matches
// ErrInvalidInput.
func NormalizeTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "", invalid("name", "is not valid UTF-8")
	}
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", invalid("name", "is empty; give the team a name")
	}
	if n > MaxNameLength {
		return "", invalid("name", "has %d characters; the limit is %d", n, MaxNameLength)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", invalid("name", "contains a control character")
		}
	}
	return name, nil
}

// NormalizeEmail trims and lower-cases an email address and checks that it
// is a single plain address such as "ana@example.com" (INV-2). The error
// matches ErrInvalidInput.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", invalid("email", "is empty")
	}
	if len(email) > MaxEmailLength || !utf8.ValidString(email) {
		return "", invalid("email", "is longer than %d bytes or not valid UTF-8", MaxEmailLength)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", invalid("email", "%q is not a plain email address like name@example.com", email)
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || !strings.Contains(email[at+1:], ".") {
		return "", invalid("email", "%q needs a user and a domain like name@example.com", email)
	}
	return email, nil
}
