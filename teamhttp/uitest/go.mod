module github.com/teamkit/teamkit/teamhttp/uitest

go 1.25

replace github.com/teamkit/teamkit => ../..

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/teamkit/teamkit v0.0.0
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/uuid v1.6.0 // indirect
)
