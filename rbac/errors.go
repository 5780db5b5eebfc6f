package rbac

import "errors"

// Sentinel errors. Every error returned by this package matches one or more of
// them with errors.Is; the error text says what is wrong and what to do.
var (
	// ErrInvalidPolicy is matched by every error returned from Builder.Build.
	ErrInvalidPolicy = errors.New("rbac: invalid policy")

	// ErrUnknownRole is matched when a role name is not defined by the policy
	// (Policy.Role, and Builder.Build when Owner, Default or Regular name a
	// role that was never added). There is never a fallback role.
	ErrUnknownRole = errors.New("rbac: unknown role")

	// ErrUnknownPermission is matched when a permission name is not known
	// (ParsePermission, Builder.RoleNamed) or when a Permission value carries
	// bits outside AllPermissions (Builder.Role).
	ErrUnknownPermission = errors.New("rbac: unknown permission")

	// ErrUnknownAction is matched when ParseAction is given a name that is not
	// one of "view", "use", "create", "edit" or "delete".
	ErrUnknownAction = errors.New("rbac: unknown action")
)
