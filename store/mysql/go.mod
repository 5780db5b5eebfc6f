module github.com/teamkit/teamkit/store/mysql

go 1.25.0

require (
	github.com/go-sql-driver/mysql v1.10.1
	github.com/teamkit/teamkit v0.0.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
)

replace github.com/teamkit/teamkit => ../..
