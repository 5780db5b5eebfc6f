package rbac

import "fmt"

// Action is an operation on a team resource (rule RES-1).
type Action uint8

// The actions on a resource. The zero Action is not an action: every decision
// about it is "no".
const (
	// View reads a resource.
	View Action = iota + 1
	// Use runs or otherwise uses a resource.
	Use
	// Create adds a new resource to the team.
	Create
	// Edit changes a resource.
	Edit
	// Delete removes a resource.
	Delete
)

var actionNames = [...]string{"", "view", "use", "create", "edit", "delete"}

// String returns the action's name: "view", "use", "create", "edit" or
// "delete"; any other value is shown as "action(N)".
func (a Action) String() string {
	if a.Valid() {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Valid reports whether a is one of View, Use, Create, Edit and Delete.
func (a Action) Valid() bool { return a >= View && a <= Delete }

// ParseAction returns the action named "view", "use", "create", "edit" or
// "delete" (case-sensitive). Any other name returns an error matching
// ErrUnknownAction.
func ParseAction(s string) (Action, error) {
	for i := View; i <= Delete; i++ {
		if actionNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: %q is not an action; use one of: view, use, create, edit, delete", ErrUnknownAction, s)
}
