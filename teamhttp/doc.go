// Package teamhttp serves team.Service as a JSON API: one http.Handler a
// host mounts under any prefix, for every use case of a signed-in user
// (HTTP-1): teams, upgrade, members and roles, invitations (with preview,
// accept and decline by the link's token), invite links (create, list,
// revoke, join by token), email domain claims (claim, verify through the
// host's team.DomainVerifier, join policy, remove), joining through a
// verified domain and join requests (file, list, approve, reject),
// leaving, ownership transfer, deletion preflight and deletion,
// permissions, usage, billing, the audit log and the host's own audit
// events. It uses only the standard library.
//
// The host supplies one thing, its sign-in, as a function from a request to
// the signed-in team.User:
//
//	api := teamhttp.New(svc, teamhttp.WithAuthenticate(func(r *http.Request) (team.User, error) {
//		s, err := sessions.Get(r) // the host's own session or token check
//		if err != nil {
//			return team.User{}, err // answered with 401
//		}
//		return team.User{ID: s.UserID, Email: s.VerifiedEmail, Name: s.Name}, nil
//	}))
//	mux.Handle("/api/teams/", http.StripPrefix("/api/teams", api))
//
// The operations only the host may perform stay Go calls and have no route:
// SetAccountStatus, UpdateUser, OffboardUser, HostAuditLog and
// VerifyAuditChain. GET /openapi.json serves the OpenAPI 3.1 document of
// every route (HTTP-3); Routes lists them.
//
// # Responses
//
// Bodies are JSON in snake_case: the record types of team, billing and audit
// as they marshal (token hashes never do), lists wrapped in an object
// ({"members": [...]}), and the audit log one page at a time with a cursor
// (next_cursor, passed back as ?cursor=). The invitation token is in the
// answer to the inviter's own POST (create or resend) and nowhere else: a
// host without email shows the link to copy (INV-9); the token is a
// credential, so listings, previews and every other response leave it out.
// An invite link's token is likewise only in its creator's POST
// /teams/{teamID}/links answer (LINK-1). A domain claim's challenge and TXT
// record (txt_record_name, txt_record_value) are public once published in
// DNS, but only members with the settings permission, who claim and verify
// domains, see them; other members list claims without them.
//
// # Errors
//
// Every error is an RFC 9457 problem (Content-Type application/problem+json,
// see Problem) with a stable code and the public message of SEC-4 as its
// detail (HTTP-2); resources_remain adds the counts, seat_limit the limit
// and seats used, and an internal error only an error_id, under which the
// full error is logged (WithLogger). The code decides the status, by this
// table, which docs/http.md repeats:
//
//	400  confirmation_mismatch
//	400  invalid_amount
//	400  invalid_input
//	400  invalid_request
//	400  public_email_domain
//	400  unknown_role
//	401  session_expired
//	401  unauthenticated
//	402  insufficient_balance
//	403  email_mismatch
//	403  join_not_allowed
//	403  not_member
//	403  permission_denied
//	404  not_found
//	409  already_invited
//	409  already_member
//	409  already_requested
//	409  conflict
//	409  consumer_busy
//	409  domain_claimed
//	409  domain_not_verified
//	409  idempotency_conflict
//	409  invalid_account
//	409  join_request_closed
//	409  lease_lost
//	409  owner_cannot_leave
//	409  owns_teams
//	409  personal_team
//	409  resources_remain
//	409  seat_limit
//	409  subscription_required
//	409  team_limit
//	410  invitation_cancelled
//	410  invitation_declined
//	410  invitation_expired
//	410  invitation_used
//	410  link_authority_lost
//	410  link_expired
//	410  link_revoked
//	410  link_used_up
//	413  body_too_large
//	415  unsupported_media_type
//	422  total_overflow
//	429  rate_limited
//	499  canceled
//	500  broken_chain
//	500  internal
//	501  feed_unsupported
//	502  notify_failed
//	503  deadline_exceeded
//
// The codes of the service's errors are team.Code's; invalid_request (a
// malformed body or query), unauthenticated, session_expired,
// body_too_large, unsupported_media_type and rate_limited are this
// package's. A code the table does not list is answered as internal.
//
// # Requests
//
// Bodies are JSON (415 otherwise), at most WithMaxBodyBytes (413), a single
// object with no unknown fields and nothing after it (400) (HTTP-4).
// Invitation and invite link tokens travel in bodies, never in URLs, so
// access logs do not keep them.
//
// # Limits
//
// Sending invitations and creating invite links (one bucket) and presenting
// tokens, joining by link included (another), are rate-limited per actor and
// per client address (HTTP-6, RateLimits, DefaultRateLimits), answered with
// 429 and Retry-After; no other route is limited.
//
// # The Team Settings page
//
// NewSettingsPage serves the same use cases as HTML pages for a browser
// (UI-1): server-rendered with html/template from embedded files, no build
// step, working without JavaScript. Its forms call the same Service
// methods under the same Options (sign-in, session epochs, rate limits,
// error mapping), refuse cross-origin posts, and show each control only to
// roles that may use it (ROLE-8). Its browser test is the nested module
// teamhttp/uitest.
//
// # The host's own routes
//
// Authenticated, RequireAction, RequirePermission and RequireSessionEpoch
// guard the host's own handlers with the same rules (HTTP-5); see
// CheckSessionEpoch for when a host needs the epoch check at all.
package teamhttp
