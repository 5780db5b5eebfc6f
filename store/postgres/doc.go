// Package postgres is a PostgreSQL implementation of team.Store.
package postgres
