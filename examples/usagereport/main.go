// Command usagereport shows teamkit's usage analytics (BILL-10) and a
// statement (BILL-12): it prints each member's daily usage over the last
// two weeks as an ASCII bar chart and writes the same series as an SVG
// chart a person can open in a browser, then prints the month's statement
// of the owner's account.
//
//	go run ./examples/usagereport               # writes usagereport.svg
//	go run ./examples/usagereport -svg /tmp/u.svg -tz Europe/Berlin
//
// The service runs with its production defaults. The team's history is
// imported the way a host moving to teamkit would load its old ledger:
// through the Store contract, in one unit of work that locks the team and
// the account; today's charges go through RecordUsage.
package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/teamkit/teamkit/billing"
	"github.com/teamkit/teamkit/rbac"
	"github.com/teamkit/teamkit/store"
	"github.com/teamkit/teamkit/team"
)

func main() {
	svgPath := flag.String("svg", "usagereport.svg", "where to write the SVG chart")
	tz := flag.String("tz", "UTC", "the time zone whose days the chart shows (an IANA name)")
	flag.Parse()
	loc, err := time.LoadLocation(*tz)
	if err == nil {
		err = run(context.Background(), os.Stdout, *svgPath, time.Now(), loc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "usagereport:", err)
		os.Exit(1)
	}
}

// days is how many days the report covers, today included.
const days = 14

var (
	owner   = team.User{ID: "ana", Email: "ana@example.com", Name: "Ana"}
	members = []team.User{
		{ID: "bo", Email: "bo@example.com", Name: "Bo"},
		{ID: "cy", Email: "cy@example.com", Name: "Cy"},
		{ID: "di", Email: "di@example.com", Name: "Di"},
	}
)

// run builds the team, imports its history up to now, prints the chart and
// the statement to w and writes the SVG to svgPath.
func run(ctx context.Context, w io.Writer, svgPath string, now time.Time, loc *time.Location) error {
	mem := store.NewMemory()
	links := map[string]string{}
	svc, err := team.New(mem, team.WithNotifier(team.NotifierFunc(func(_ context.Context, m team.InvitationMessage) error {
		links[m.Invitation.Email] = m.Token
		return nil
	})))
	if err != nil {
		return err
	}
	tm, err := setUp(ctx, svc, links)
	if err != nil {
		return err
	}
	to := billing.NextBucket(billing.BucketStart(now, billing.BucketDay, loc), billing.BucketDay, loc)
	from := to.AddDate(0, 0, -days)
	if err := importHistory(ctx, mem, tm, from, now); err != nil {
		return err
	}
	for i, u := range append([]team.User{owner}, members...) { // today's charges, through the service
		if _, err := svc.RecordUsage(ctx, team.RecordUsageParams{ActorID: u.ID, TeamID: tm.ID, Amount: int64(40 + 10*i),
			IdempotencyKey: "today-" + u.ID, Metadata: map[string]string{"model": "large"}}); err != nil {
			return err
		}
	}

	points, err := svc.UsageSeries(ctx, team.UsageSeriesParams{ActorID: owner.ID, TeamID: tm.ID, From: from, To: to,
		Bucket: billing.BucketDay, Location: loc})
	if err != nil {
		return err
	}
	s := newSeries(points, from, loc)
	fmt.Fprintf(w, "Daily usage of team %q, %s to %s (%s), tokens per member\n\n", tm.Name,
		from.Format("2006-01-02"), to.AddDate(0, 0, -1).Format("2006-01-02"), loc)
	s.writeASCII(w)
	f, err := os.Create(svgPath)
	if err != nil {
		return err
	}
	if err := s.writeSVG(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe same series as an SVG chart: %s\n", svgPath)

	b, err := svc.UsageBreakdown(ctx, team.UsageBreakdownParams{ActorID: owner.ID, TeamID: tm.ID, From: from, To: to, Key: "model", Top: 2})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nBy model (top 2):\n")
	for _, r := range b.Rows {
		name := r.Value
		if r.Other {
			name = "(other)"
		}
		fmt.Fprintf(w, "  %-8s %7d tokens in %3d charges\n", name, r.Amount, r.Records)
	}

	month, next := team.MonthPeriod(now, loc)
	st, err := svc.Statement(ctx, team.StatementParams{ActorID: owner.ID, AccountUserID: owner.ID, From: month, To: next})
	if err != nil {
		return err
	}
	writeStatement(w, st, map[string]string{tm.ID: tm.Name})
	return nil
}

// setUp registers the people, subscribes Ana, creates the team, invites
// the members and funds Ana's account through the host (a payment webhook).
func setUp(ctx context.Context, svc *team.Service, links map[string]string) (team.Team, error) {
	if _, err := svc.EnsurePersonalTeam(ctx, owner); err != nil {
		return team.Team{}, err
	}
	if _, err := svc.ChangePlan(ctx, team.ChangePlanParams{ActorID: owner.ID, AccountUserID: owner.ID, Plan: billing.PlanTeam}); err != nil {
		return team.Team{}, err
	}
	if _, err := svc.TopUp(ctx, team.TopUpParams{ActorID: team.SystemActor, AccountUserID: owner.ID, Amount: 200_000, IdempotencyKey: "pay-0001"}); err != nil {
		return team.Team{}, err
	}
	tm, err := svc.CreateTeam(ctx, team.CreateTeamParams{Owner: owner, Name: "Acme Research"})
	if err != nil {
		return team.Team{}, err
	}
	for _, u := range members {
		if _, err := svc.Invite(ctx, team.InviteParams{ActorID: owner.ID, TeamID: tm.ID, Email: u.Email, Role: rbac.RoleMember}); err != nil {
			return team.Team{}, err
		}
		if _, err := svc.AcceptInvitation(ctx, u, links[u.Email]); err != nil {
			return team.Team{}, err
		}
	}
	return tm, nil
}

// importHistory loads the opening balance and the usage of [from, the
// start of today) as a host would import its old ledger: every record with
// its original time, the account credited and debited by the same
// amounts, in one unit of work. (An import writes the ledger, not the
// audit trails: those start with the service.) Each member
// has a steady pattern with some noise (a fixed seed: the same history on
// every run).
func importHistory(ctx context.Context, st team.Store, tm team.Team, from, now time.Time) error {
	rng := rand.New(rand.NewPCG(2026, 3))
	today := billing.BucketStart(now, billing.BucketDay, from.Location())
	return st.InTx(ctx, func(ctx context.Context, tx team.Tx) error {
		if _, err := tx.LockTeam(ctx, tm.ID); err != nil {
			return err
		}
		acct, err := tx.LockAccount(ctx, owner.ID)
		if err != nil {
			return err
		}
		// The balance the old system held, credited before the history.
		const opening = 20_000
		if acct, err = acct.Credit(opening); err != nil {
			return err
		}
		if err := tx.InsertTopUp(ctx, billing.TopUp{ID: "import-opening", AccountID: acct.ID, ActorID: team.SystemActor,
			Amount: opening, Time: from.Add(-time.Hour).UTC(), IdempotencyKey: "import-opening"}); err != nil {
			return err
		}
		n := 0
		for day := from; day.Before(today); day = billing.NextBucket(day, billing.BucketDay, from.Location()) {
			for i, u := range append([]team.User{owner}, members...) {
				weekday := day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
				runs := 1 + rng.IntN(3)
				if weekday {
					runs += 2 * i
				}
				for r := range runs {
					model := []string{"small", "large", "vision"}[(i+r)%3]
					amount := int64(20 + rng.IntN(60))
					if acct, err = acct.Debit(amount); err != nil {
						return err
					}
					n++
					if err := tx.InsertUsage(ctx, billing.UsageRecord{
						ID: fmt.Sprintf("import-%05d", n), TeamID: tm.ID, UserID: u.ID, AccountID: acct.ID, Amount: amount,
						Time: day.Add(time.Duration(9+r) * time.Hour).UTC(), IdempotencyKey: fmt.Sprintf("import-%05d", n),
						Metadata: map[string]string{"model": model},
					}); err != nil {
						return err
					}
				}
			}
		}
		acct.UpdatedAt = now.UTC().Truncate(time.Microsecond)
		return tx.UpdateAccount(ctx, acct)
	})
}

// series is the chart's data: per member, the tokens of each day.
type series struct {
	days    []time.Time
	users   []string
	amounts map[string][]int64
	max     int64
}

func newSeries(points []billing.SeriesPoint, from time.Time, loc *time.Location) series {
	s := series{amounts: map[string][]int64{}}
	for d := from; len(s.days) < days; d = billing.NextBucket(d, billing.BucketDay, loc) {
		s.days = append(s.days, d)
	}
	for _, u := range append([]team.User{owner}, members...) {
		s.users = append(s.users, u.ID)
		s.amounts[u.ID] = make([]int64, days)
	}
	for _, p := range points {
		i := slices.IndexFunc(s.days, func(d time.Time) bool { return d.Equal(p.Start) })
		if row, ok := s.amounts[p.UserID]; ok && i >= 0 {
			row[i] += p.Amount
			s.max = max(s.max, row[i])
		}
	}
	return s
}

// writeASCII prints one block per member: a bar per day, scaled to the
// largest day of anyone.
func (s series) writeASCII(w io.Writer) {
	const width = 40
	for _, u := range s.users {
		var total int64
		for _, a := range s.amounts[u] {
			total += a
		}
		fmt.Fprintf(w, "%s (%d tokens)\n", u, total)
		for i, d := range s.days {
			a := s.amounts[u][i]
			bar := 0
			if s.max > 0 {
				bar = int(a * width / s.max)
			}
			fmt.Fprintf(w, "  %s %s |%-*s %d\n", d.Format("01-02"), d.Format("Mon"), width, strings.Repeat("#", bar), a)
		}
	}
}

// writeSVG draws grouped bars: one group per day, one bar per member, with
// a legend and a value axis.
func (s series) writeSVG(w io.Writer) error {
	const (
		left, top, plotW, plotH = 60, 40, 840, 300
		width, height           = left + plotW + 160, top + plotH + 60
	)
	colors := []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="16">Daily usage per member (tokens)</text>`+"\n", left)
	top64 := max(s.max, 1)
	for i := 0; i <= 4; i++ {
		v := top64 * int64(i) / 4
		y := top + plotH - int(int64(plotH)*v/top64)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" text-anchor="end">%d</text>`+"\n",
			left, y, left+plotW, y, left-6, y+4, v)
	}
	group := plotW / len(s.days)
	bar := (group - 6) / len(s.users)
	for di, d := range s.days {
		x0 := left + di*group + 3
		for ui, u := range s.users {
			a := s.amounts[u][di]
			h := int(int64(plotH) * a / top64)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s: %d</title></rect>`+"\n",
				x0+ui*bar, top+plotH-h, bar, h, colors[ui%len(colors)], html.EscapeString(u), d.Format("2006-01-02"), a)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+group/2-3, top+plotH+16, d.Format("01-02"))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, top+plotH, left+plotW, top+plotH)
	for ui, u := range s.users {
		y := top + 10 + ui*20
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			left+plotW+20, y, colors[ui%len(colors)], left+plotW+38, y+10, html.EscapeString(u))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeStatement prints a statement as an invoice-like table.
func writeStatement(w io.Writer, st billing.Statement, teamNames map[string]string) {
	fmt.Fprintf(w, "\nStatement of %s's account, %s to %s\n", st.UserID, st.From.Format("2006-01-02"), st.To.Format("2006-01-02"))
	fmt.Fprintf(w, "  opening balance  %9d\n", st.Opening)
	for _, t := range st.TopUps {
		fmt.Fprintf(w, "  top-up %-15s %+9d  by %s\n", t.IdempotencyKey, t.Amount, t.ActorID)
	}
	for _, c := range st.Charges {
		fmt.Fprintf(w, "  team %q: %d charges\n", teamNames[c.TeamID], c.Records)
		for _, m := range c.Members {
			fmt.Fprintf(w, "    %-13s %+9d\n", m.UserID, -m.Amount)
		}
	}
	fmt.Fprintf(w, "  closing balance  %9d  (= %d + %d - %d)\n", st.Closing, st.Opening, st.TopUpTotal, st.ChargeTotal)
}
