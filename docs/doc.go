// Package docs holds the repository's reference documents, such as
// rules.md, the definitions of the rule IDs the code cites, and the test
// that keeps every cited ID defined there. It has no API.
package docs
