// Package gen writes realistic listing files at any scale, deterministic
// from a seed, in the shape of the shipped listings: labels with their
// spelling variants, unlabelled listings, items shared between listings,
// missing descriptions, typographic quotes and non-ASCII names. Benchmarks,
// load tests and the feedpub-gen command use it.
package gen

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Params shape a data set.
type Params struct {
	Files        int     // listing files to write
	ItemsPerFile int     // items in each file
	Listings     int     // distinct listing titles (files are pages of them); 0 means Files/50+1
	Shared       float64 // fraction of items repeated from an earlier file, 0..1
	Seed         uint64
	Start        int // number of the first file, so a later call can add files
}

// labels are the categories of the shipped listings with the spelling
// variants they use, repeated to weigh them roughly like the seeds (News
// dominates).
var labels = []string{
	"News", "News", "News", "News", "News", "News", "News", "News",
	"Spotlight Interviews with Cooperators", "Spotlight Interviews with Co-operators",
	"Our impact, Their voices", "Our impact, their voices",
	"COOP Champions", "International Day of Cooperatives", "Article", "Presentation",
	"Countries in Focus on Statistics of Cooperatives",
}

var (
	subjects = []string{"Cooperatives", "Workers’ unions", "Women’s groups", "Young farmers", "Credit unions", "Housing cooperatives", "Fisheries", "Coffee growers", "Artisans", "Platform workers", "Dairy producers", "Social enterprises"}
	verbs    = []string{"build", "strengthen", "celebrate", "launch", "review", "support", "discuss", "expand", "finance", "train"}
	objects  = []string{"inclusive economies", "decent work", "local development", "a solidarity fund", "the SDGs", "rural livelihoods", "fair trade networks", "digital skills", "resilience after crisis", "gender equality"}
	places   = []string{"Sri Lanka", "Japan", "Türkiye", "Côte d’Ivoire", "Perú", "Moldova", "Tanzania", "Chiapas, México", "Timor-Leste", "Kraków", "Québec", "São Paulo", "Zürich", "Nuuk"}
	people   = []string{"Özge Berber-Agtaş", "José Martí", "Zoë Ångström", "Nguyễn Thị Lan", "Søren Kierkegaard", "Chidi Okafor", "Ana Björk", "Łukasz Żółć"}
	words    = strings.Fields("the programme brought together participants from many countries to share practices and discuss how cooperatives can support workers in the informal economy while building sustainable enterprises and communities")
)

// Generator writes files one by one; items it has written can be shared
// by later files.
type Generator struct {
	p      Params
	rng    *rand.Rand
	titles []string // listing titles
	pool   []item   // earlier items, for sharing
	serial int

	// OnItem, if set, is called once for each distinct item, when it is
	// first written: benchmarks feed the same items to other tools.
	OnItem func(Item)
}

// Item is one distinct generated item.
type Item struct {
	Label, Title, Description string
	Date                      time.Time
	Listing                   string
}

type item struct {
	label, title, date, desc string
	day                      time.Time
}

// New returns a generator for p.
func New(p Params) *Generator {
	if p.Listings <= 0 {
		p.Listings = p.Files/50 + 1
	}
	g := &Generator{p: p, rng: rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))}
	for i := range p.Listings {
		g.titles = append(g.titles, fmt.Sprintf("%s on cooperatives, series %d", pick(g.rng, []string{"News, stories and statements", "Resources", "ILO’s work", "Updates"}), i+1))
	}
	return g
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Write writes all p.Files files into dir and returns their paths.
func (g *Generator) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	paths := make([]string, 0, g.p.Files)
	for i := range g.p.Files {
		n := g.p.Start + i
		name := fmt.Sprintf("%06d_%016x.txt", n, g.rng.Uint64())
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(g.File(n)), 0o644); err != nil {
			return nil, fmt.Errorf("gen: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// File returns the text of file number n.
func (g *Generator) File(n int) string {
	listing := g.titles[n%len(g.titles)]
	unlabeled := n%len(g.titles)%7 == 3 // some listings, like 004, have no labels
	// Each file is a page: items newest first, over a few weeks.
	day := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (n*3)%3650+g.p.ItemsPerFile)
	var b strings.Builder
	b.WriteString(listing)
	b.WriteString("\n\n")
	for i := range g.p.ItemsPerFile {
		var it item
		if len(g.pool) > 0 && g.rng.Float64() < g.p.Shared {
			it = g.pool[g.rng.IntN(len(g.pool))]
		} else {
			it = g.newItem(day)
			if g.OnItem != nil {
				g.OnItem(Item{Label: it.label, Title: it.title, Description: it.desc, Date: it.day, Listing: listing})
			}
			if len(g.pool) < 4096 {
				g.pool = append(g.pool, it)
			} else {
				g.pool[g.rng.IntN(len(g.pool))] = it
			}
		}
		if g.rng.IntN(3) == 0 {
			day = day.AddDate(0, 0, -1)
		}
		if unlabeled {
			fmt.Fprintf(&b, "  %d. %s\n\n    %s\n\n", i+1, it.title, it.date)
		} else {
			fmt.Fprintf(&b, "  %d. %s\n\n    %s\n\n    %s\n\n", i+1, it.label, it.title, it.date)
		}
		if it.desc != "" {
			fmt.Fprintf(&b, "    %s\n\n", it.desc)
		}
	}
	return b.String()
}

func (g *Generator) newItem(day time.Time) item {
	g.serial++
	r := g.rng
	var title string
	switch r.IntN(4) {
	case 0:
		title = fmt.Sprintf("%s, ILO Office in %s (%d)", pick(r, people), pick(r, places), g.serial)
	case 1:
		title = fmt.Sprintf("ILO COOP eNewsUpdate No. %d, %s %d", g.serial, day.Month(), day.Year())
	default:
		title = fmt.Sprintf("%s in %s %s %s: “report %d”", pick(r, subjects), pick(r, places), pick(r, verbs), pick(r, objects), g.serial)
	}
	var desc string
	if r.IntN(10) >= 3 { // three in ten items have no description
		n := 12 + r.IntN(60)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = pick(r, words)
		}
		desc = strings.ToUpper(ws[0][:1]) + ws[0][1:] + " " + strings.Join(ws[1:], " ") + "."
	}
	return item{
		label: pick(r, labels),
		title: title,
		date:  day.Format("02 January 2006"),
		desc:  desc,
		day:   day,
	}
}
