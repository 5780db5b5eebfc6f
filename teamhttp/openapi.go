package teamhttp

import _ "embed"

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.1 document of the handler's API (HTTP-3),
// the one GET /openapi.json serves. Its paths are relative to where the
// handler is mounted; a host that mounts it under a prefix sets the
// document's servers entry when it republishes it. The returned slice is a
// copy.
func OpenAPI() []byte { return append([]byte(nil), openapiJSON...) }
