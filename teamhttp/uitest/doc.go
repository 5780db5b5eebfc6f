// Package uitest drives teamhttp's Team Settings page (UI-1) in a real
// browser, Debian's chromium, through the Chrome DevTools Protocol
// (github.com/chromedp/chromedp). It is a nested module, so the core module
// does not depend on chromedp; ci.sh installs chromium when it is missing
// and runs the tests. Screenshots of each step go to screenshots/ (or
// $TEAMKIT_UI_SCREENSHOTS); TEAMKIT_UI_UPDATE_README=1 also refreshes the
// committed screenshots/settings-owner.png.
//
// The browser is found as $TEAMKIT_CHROMIUM, or chromium, chromium-browser
// or google-chrome on PATH. Without one the test fails, unless
// TEAMKIT_UI_SKIP=1 says to skip it (ci.sh never sets it).
package uitest
