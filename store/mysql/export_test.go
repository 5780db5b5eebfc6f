package mysql

// Statements exposes statements, the splitter of migration files (tests).
var Statements = statements
