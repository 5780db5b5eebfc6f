package team

import (
	"context"
	"time"
)

//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -destination=mocks_test.go -package=team_test . Store,Tx,Notifier,ResourceCounter

// InvitationMessage is what a Notifier delivers: the invitation and the raw
// token for the link. The token exists only here, in the InviteResult
// returned to the inviter, and in the invitee's link.
type InvitationMessage struct {
	Invitation Invitation
	TeamName   string
	Token      string
	InviterID  string
}

// Notifier delivers invitation links, usually by email (INV-4). If Notify
// fails the invitation is kept and the service's error matches
// ErrNotifyFailed; ResendInvitation tries again (INV-7).
type Notifier interface {
	NotifyInvitation(ctx context.Context, msg InvitationMessage) error
}

// ResourceCounter reports how many resources of each type the host still
// keeps in a team (DEL-2), such as {"agents": 2, "documents": 5}. Types with
// zero may be left out.
type ResourceCounter interface {
	CountResources(ctx context.Context, teamID string) (map[string]int, error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, msg InvitationMessage) error

// NotifyInvitation calls f.
func (f NotifierFunc) NotifyInvitation(ctx context.Context, msg InvitationMessage) error {
	return f(ctx, msg)
}

// ResourceCounterFunc adapts a function to ResourceCounter.
type ResourceCounterFunc func(ctx context.Context, teamID string) (map[string]int, error)

// CountResources calls f.
func (f ResourceCounterFunc) CountResources(ctx context.Context, teamID string) (map[string]int, error) {
	return f(ctx, teamID)
}

// Clock returns the current time; the service reads time only through it.
type Clock func() time.Time
