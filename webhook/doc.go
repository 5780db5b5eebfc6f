// Package webhook delivers the change feed of a team.Service to HTTP
// endpoints the host registers (FEED-3), following the Standard Webhooks
// convention, and gives receivers Verify to check what they get.
//
// # Deliveries
//
// Each event goes to each endpoint whose filter matches its action, as a
// POST of the JSON {"type": action, "timestamp": event time, "data": the
// audit.Event} with the headers
//
//	webhook-id:        the event's ID (the same on every try and replay)
//	webhook-timestamp: the send time, Unix seconds
//	webhook-signature: v1,<base64 of HMAC-SHA256(secret, id "." timestamp "." body)>
//
// A 2xx answer is success. Anything else (another status, a transport
// error, a timeout) is retried after an exponential backoff with jitter
// (Options.Backoff doubling up to Options.MaxBackoff, each wait drawn in
// [d/2, d)); after Options.MaxTries tries the delivery is marked failed
// (Dispatcher.Failures) and the endpoint moves on. Dispatcher.Replay sends
// a failed delivery again.
//
// Delivery is at least once: receivers dedupe by webhook-id. Each endpoint
// reads the feed with its own team.Consumer (named Options.ConsumerPrefix
// + the endpoint ID), so its cursor is in the team store and survives a
// crash, and one slow or failing endpoint never delays another.
//
// # Ordering
//
// Per endpoint, deliveries are made one at a time in feed order (which
// keeps each team's events in Seq order): an event is sent only after the
// one before it succeeded or was marked failed. So an endpoint sees events
// in order, except that a replayed failed delivery and a redelivery after
// a crash arrive again later. Across endpoints there is no order.
//
// # Secrets
//
// An endpoint's secret (whsec_ and base64, as Standard Webhooks writes it)
// is stored sealed with AES-GCM under Options.Key, a key the host keeps
// outside the store (an environment variable, a KMS), with the endpoint ID
// as associated data. A dump of the store alone does not reveal secrets,
// and a sealed secret copied to another endpoint does not open.
//
// # Store
//
// Endpoints and failed deliveries live in a Store; NewMemoryStore is the
// in-process one (lost when the process ends). The cursors live in the team
// store (store.Memory or store/postgres), through team.FeedStore.
package webhook
