package team

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on identifiers, names and emails, checked before anything is
// written (SEC-2, SEC-6). The limits of other fields sit next to them:
// MaxSettingKeyLength and friends in teams.go, MaxIdempotencyKeyLength and
// friends in billing.go, MaxAuditActionLength and friends in audit.go.
const (
	// MaxNameLength is the longest team name and user display name, in
	// characters, after trimming (TEAM-5).
	MaxNameLength = 100
	// MaxIDLength is the longest ID (user, team, invitation, ...), in
	// bytes.
	MaxIDLength = 128
	// MaxEmailLength is the longest email address, in bytes, after
	// trimming (INV-2).
	MaxEmailLength = 254
)

// textField describes one free-text field for checkText, the single text
// validator behind every field a caller passes in (SEC-6). Every field
// refuses invalid UTF-8 and control characters (unicode.IsControl: C0, DEL
// and C1, NUL included); no field's doc allows them.
type textField struct {
	field    string // the InputError's Field, e.g. "metadata"
	subject  string // what within the field, e.g. `key "model"`; may be empty
	limit    int    // the longest accepted value
	runes    bool   // limit counts characters; otherwise bytes
	optional bool   // the empty string is accepted
	noSpace  bool   // white space is refused anywhere (IDs, keys)
}

// checkText refuses s unless it satisfies f: non-empty unless optional, at
// most f.limit bytes (or characters), valid UTF-8, no control characters,
// and no white space if noSpace. The error matches ErrInvalidInput and
// names f.field; nothing has been written when it is returned.
func checkText(f textField, s string) error {
	what := ""
	if f.subject != "" {
		what = f.subject + " "
	}
	if s == "" {
		if f.optional {
			return nil
		}
		return invalid(f.field, "%sis empty", what)
	}
	if !utf8.ValidString(s) {
		return invalid(f.field, "%sis not valid UTF-8", what)
	}
	n, unit := len(s), "bytes"
	if f.runes {
		n, unit = utf8.RuneCountInString(s), "characters"
	}
	if n > f.limit {
		return invalid(f.field, "%shas %d %s; the limit is %d", what, n, unit, f.limit)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return invalid(f.field, "%scontains the control character %U at byte %d; remove it", what, r, i)
		}
		if f.noSpace && unicode.IsSpace(r) {
			return invalid(f.field, "%scontains white space (%U at byte %d); remove it", what, r, i)
		}
	}
	return nil
}

// checkID refuses an empty, over-long (MaxIDLength bytes) or non-printable
// ID, or one containing white space.
func checkID(field, id string) error {
	return checkText(textField{field: field, limit: MaxIDLength, noSpace: true}, id)
}

// checkDisplayName trims a user's display name and checks it: optional, at
// most MaxNameLength characters, no control characters.
func checkDisplayName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if err := checkText(textField{field: field, limit: MaxNameLength, runes: true, optional: true}, name); err != nil {
		return "", err
	}
	return name, nil
}

// NormalizeTeamName trims name and checks it (TEAM-5): 1 to 100 characters
// of valid UTF-8 with no control characters. The error matches
// ErrInvalidInput.
func NormalizeTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalid("name", "is empty; give the team a name")
	}
	if err := checkText(textField{field: "name", limit: MaxNameLength, runes: true}, name); err != nil {
		return "", err
	}
	return name, nil
}

// NormalizeEmail trims an email address, lower-cases its ASCII letters and
// checks that it is a single plain address such as "ana@example.com" of at
// most MaxEmailLength bytes (INV-2). Every other character is kept exactly:
// there is no Unicode case or compatibility folding, so a lookalike such as
// "\u212Aim@example.com" (KELVIN SIGN) stays distinct from "kim@example.com".
// The error matches ErrInvalidInput.
func NormalizeEmail(email string) (string, error) {
	email = lowerASCII(strings.TrimSpace(email))
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

// lowerASCII maps 'A'..'Z' to 'a'..'z' and keeps every other byte, so
// multi-byte characters (KELVIN SIGN, dotted capital I, fullwidth forms)
// pass through unchanged (INV-2). Unlike strings.ToLower it never folds a
// non-ASCII character into an ASCII one.
func lowerASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if c := b[j]; 'A' <= c && c <= 'Z' {
			b[j] = c + ('a' - 'A')
		}
	}
	return string(b)
}
