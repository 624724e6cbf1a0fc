// Package configfile reads feedpub.toml: the scalar settings that
// config.Settings names, and the [categories."…"], [listings."…"] and
// [topics."…"] tables. Every problem, unknown keys included, is an *Error naming the
// key and its line, so that a typo is found, not silently ignored.
//
// The TOML itself is read by github.com/pelletier/go-toml/v2: its
// decoder reports syntax errors with line and column, and its parser
// gives the position of every key, which our own checks (unknown keys,
// types, values) need to point at the right line.
package configfile

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/identity"
	"github.com/feedpub/feedpub/internal/topic"
)

// DefaultName is the config file read from the working directory when
// none is named.
const DefaultName = "feedpub.toml"

// Error is one problem in the config file.
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Key  string // "site.title", `categories."News".name`; "" for syntax errors
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// File is a config file read and checked.
type File struct {
	Path string
	// Values are the scalar settings it sets, in file order, each as
	// config.Setting.Set reads it.
	Values     []Value
	Categories []config.Category
	Listings   []config.Listing
	Topics     []config.Topic
	lines      map[string]int // key as Error shows it → line
}

// Value is one scalar setting set by the file.
type Value struct {
	Key  string // config.Setting.Key
	Text string
	Line int
}

// Line returns the line of key (a scalar key, or a category's or
// listing's field key as config.CategoryKey makes it), or 0.
func (f *File) Line(key string) int { return f.lines[key] }

// Load reads and checks the config file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(path, data)
}

// Parse checks data, the contents of the config file name. The errors it
// returns are *Error, joined, in line order.
func Parse(name string, data []byte) (*File, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &Error{File: name, Line: line, Msg: fmt.Sprintf("column %d: %s", col, strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	f := &File{Path: name, lines: keyLines(data)}
	c := &checker{f: f}
	c.top(raw)
	c.folds()
	if len(c.errs) == 0 {
		return f, nil
	}
	slices.SortStableFunc(c.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	errs := make([]error, len(c.errs))
	for i, e := range c.errs {
		errs[i] = e
	}
	return nil, errors.Join(errs...)
}

// keyName shows a key path as errors show it.
func keyName(parts []string) string { return config.KeyName(parts...) }

// keyLines maps every key of the document, table headers included, to the
// line it is written on. The document already decoded, so it parses.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(data)
	var prefix []string
	var visit func(prefix []string, n *unstable.Node)
	record := func(prefix []string, n *unstable.Node) []string {
		parts := slices.Clone(prefix)
		it := n.Key()
		line := 0
		for it.Next() {
			k := it.Node()
			if line == 0 {
				line = p.Shape(k.Raw).Start.Line
			}
			parts = append(parts, string(k.Data))
			// A dotted key defines its parents on the same line.
			if _, ok := lines[keyName(parts)]; !ok {
				lines[keyName(parts)] = line
			}
		}
		return parts
	}
	visit = func(prefix []string, n *unstable.Node) {
		parts := record(prefix, n)
		if v := n.Value(); v.Kind == unstable.InlineTable {
			it := v.Children()
			for it.Next() {
				visit(parts, it.Node())
			}
		}
	}
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			prefix = record(nil, n)
		case unstable.KeyValue:
			visit(prefix, n)
		}
	}
	return lines
}

type checker struct {
	f    *File
	errs []*Error
}

func (c *checker) fail(key string, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.f.Path, Line: c.f.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)})
}

// scalarTables are the tables holding scalar settings: "site", "paths"...
func scalarTables() map[string]bool {
	t := map[string]bool{}
	for _, s := range config.Settings {
		table, _, _ := strings.Cut(s.Key, ".")
		t[table] = true
	}
	return t
}

func (c *checker) top(raw map[string]any) {
	tables := scalarTables()
	for _, k := range sortedKeys(raw) {
		v := raw[k]
		switch {
		case k == config.CategoriesTable:
			c.named(k, v, func(label string, fields map[string]any) {
				c.category(label, fields)
			})
		case k == config.ListingsTable:
			c.named(k, v, func(title string, fields map[string]any) {
				c.listing(title, fields)
			})
		case k == config.TopicsTable:
			c.named(k, v, func(name string, fields map[string]any) {
				c.topic(name, fields)
			})
		case tables[k]:
			m, ok := v.(map[string]any)
			if !ok {
				c.fail(keyName([]string{k}), "want a table ([%s]), got %s", k, describe(v))
				continue
			}
			for _, sk := range sortedKeys(m) {
				c.scalar(k+"."+sk, m[sk])
			}
		default:
			c.unknownTable(k, tables)
		}
	}
	slices.SortStableFunc(c.f.Values, func(a, b Value) int { return cmp.Compare(a.Line, b.Line) })
	// In file order, so that of two conflicting tables the later is blamed.
	slices.SortStableFunc(c.f.Categories, func(a, b config.Category) int {
		return cmp.Compare(c.f.lines[keyName([]string{config.CategoriesTable, a.Label})], c.f.lines[keyName([]string{config.CategoriesTable, b.Label})])
	})
	slices.SortStableFunc(c.f.Listings, func(a, b config.Listing) int {
		return cmp.Compare(c.f.lines[keyName([]string{config.ListingsTable, a.Title})], c.f.lines[keyName([]string{config.ListingsTable, b.Title})])
	})
	slices.SortStableFunc(c.f.Topics, func(a, b config.Topic) int {
		return cmp.Compare(c.f.lines[keyName([]string{config.TopicsTable, a.Name})], c.f.lines[keyName([]string{config.TopicsTable, b.Name})])
	})
}

// unknownTable reports a top-level key that is no table of ours.
func (c *checker) unknownTable(k string, tables map[string]bool) {
	best, bestDist := "", 3
	for _, t := range append(sortedKeys(tables), config.CategoriesTable, config.ListingsTable, config.TopicsTable) {
		if d := distance(k, t); d < bestDist {
			best, bestDist = t, d
		}
	}
	if best != "" {
		c.fail(keyName([]string{k}), "unknown key (did you mean [%s]?)", best)
		return
	}
	c.fail(keyName([]string{k}), "unknown key; the tables are [%s], [%s.\"…\"], [%s.\"…\"] and [%s.\"…\"]", strings.Join(sortedKeys(tables), "], ["), config.CategoriesTable, config.ListingsTable, config.TopicsTable)
}

// unknown reports key as unknown, suggesting the setting it may mean: one
// of that name in another table, or one a typo or two away.
func (c *checker) unknown(key, last string) {
	best, bestDist := "", 3
	for _, s := range config.Settings {
		_, name, _ := strings.Cut(s.Key, ".")
		d := distance(last, name)
		if strings.HasSuffix(key, "."+last) && !strings.HasPrefix(s.Key, strings.TrimSuffix(key, last)) {
			d++ // the same name in another table is a likely mistake too, but less
		}
		if d < bestDist {
			best, bestDist = s.Key, d
		}
	}
	if best != "" {
		c.fail(key, "unknown key (did you mean %s?)", best)
		return
	}
	c.fail(key, "unknown key")
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (c *checker) scalar(key string, v any) {
	s, ok := config.Lookup(key)
	if !ok {
		_, last, _ := strings.Cut(key, ".")
		c.unknown(key, last)
		return
	}
	text, ok := asText(s.Kind, v)
	if !ok {
		c.fail(key, "want %s, got %s", s.Kind, describe(v))
		return
	}
	c.f.Values = append(c.f.Values, Value{Key: key, Text: text, Line: c.f.lines[key]})
}

// asText converts a decoded TOML value to the text Setting.Set reads, if
// it is of kind k.
func asText(k config.Kind, v any) (string, bool) {
	switch k {
	case config.String, config.Duration:
		s, ok := v.(string)
		return s, ok
	case config.Int:
		n, ok := v.(int64)
		return strconv.FormatInt(n, 10), ok
	case config.Bool:
		b, ok := v.(bool)
		return strconv.FormatBool(b), ok
	case config.List:
		list, ok := strings_(v)
		return strings.Join(list, ","), ok
	}
	return "", false
}

// strings_ returns v as a list of strings, if it is one.
func strings_(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// describe names the type of a decoded TOML value, for errors.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return "the string " + strconv.Quote(v)
	case int64:
		return "the integer " + strconv.FormatInt(v, 10)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// named walks a table of tables: [categories."News"], [listings."…"].
func (c *checker) named(table string, v any, fn func(name string, fields map[string]any)) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(table, "want tables like [%s.\"Name\"], got %s", table, describe(v))
		return
	}
	for _, name := range sortedKeys(m) {
		fields, ok := m[name].(map[string]any)
		if !ok {
			c.fail(keyName([]string{table, name}), "want a table of %s settings, got %s", strings.TrimSuffix(table, "s"), describe(m[name]))
			continue
		}
		if strings.TrimSpace(name) == "" {
			c.fail(keyName([]string{table, name}), "the name must not be empty")
			continue
		}
		fn(name, fields)
	}
}

// fields reads a category's or listing's table: strings, and the lists
// named in lists. It reports unknown and mistyped keys.
func (c *checker) fields(key func(string) string, known []string, lists map[string]bool, m map[string]any) (map[string]string, map[string][]string) {
	strs, arrs := map[string]string{}, map[string][]string{}
	for _, k := range sortedKeys(m) {
		switch {
		case !slices.Contains(known, k):
			c.fail(key(k), "unknown key (want one of %s)", strings.Join(known, ", "))
		case lists[k]:
			list, ok := strings_(m[k])
			if !ok {
				c.fail(key(k), "want a list of strings, got %s", describe(m[k]))
				continue
			}
			arrs[k] = list
		default:
			s, ok := m[k].(string)
			if !ok {
				c.fail(key(k), "want a string, got %s", describe(m[k]))
				continue
			}
			strs[k] = s
		}
	}
	return strs, arrs
}

func (c *checker) category(label string, m map[string]any) {
	key := func(f string) string { return config.CategoryKey(label, f) }
	s, l := c.fields(key, config.CategoryFields, map[string]bool{"merge": true}, m)
	cat := config.Category{Label: label, Name: s["name"], Slug: s["slug"], Description: s["description"], Merge: l["merge"]}
	c.slug(key("slug"), cat.Slug)
	c.f.Categories = append(c.f.Categories, cat)
}

func (c *checker) listing(title string, m map[string]any) {
	key := func(f string) string { return config.ListingKey(title, f) }
	s, _ := c.fields(key, config.ListingFields, nil, m)
	l := config.Listing{Title: title, Name: s["name"], Slug: s["slug"], Description: s["description"], DefaultCategory: s["default_category"]}
	c.slug(key("slug"), l.Slug)
	if _, ok := m["default_category"]; ok && strings.TrimSpace(l.DefaultCategory) == "" {
		c.fail(key("default_category"), "must not be empty")
	}
	c.f.Listings = append(c.f.Listings, l)
}

func (c *checker) topic(name string, m map[string]any) {
	key := func(f string) string { return config.TopicKey(name, f) }
	lists := map[string]bool{"match": true, "exclude": true, "fields": true, "categories": true, "listings": true}
	s, l := c.fields(key, config.TopicFields, lists, m)
	t := config.Topic{
		Name: name, Match: l["match"], Exclude: l["exclude"], Fields: l["fields"],
		Categories: l["categories"], Listings: l["listings"], Description: s["description"], Slug: s["slug"],
	}
	c.slug(key("slug"), t.Slug)
	if _, ok := m["match"]; !ok {
		c.fail(keyName([]string{config.TopicsTable, name}), "match is missing: list the words or phrases the topic's items contain")
	} else if len(t.Match) == 0 {
		c.fail(key("match"), "must list at least one word or phrase")
	}
	// A phrase of punctuation only would match nothing, silently.
	for _, f := range []string{"match", "exclude"} {
		for _, p := range l[f] {
			if topic.Fold(p) == "" {
				c.fail(key(f), "%q has no letter or digit to match", p)
			}
		}
	}
	if _, ok := m["fields"]; ok && len(t.Fields) == 0 {
		c.fail(key("fields"), "must not be empty (leave it out to look in both %s)", strings.Join(config.TopicFieldNames, " and "))
	}
	for _, f := range t.Fields {
		if !slices.Contains(config.TopicFieldNames, f) {
			c.fail(key("fields"), "%q: want %s", f, strings.Join(config.TopicFieldNames, " or "))
		}
	}
	for _, f := range []string{"categories", "listings"} {
		for _, n := range l[f] {
			if strings.TrimSpace(n) == "" {
				c.fail(key(f), "a name must not be empty")
			}
		}
	}
	c.f.Topics = append(c.f.Topics, t)
}

func (c *checker) slug(key, slug string) {
	if slug != "" && !config.ValidSlug(slug) {
		c.fail(key, "%q: want lowercase letters, digits and single hyphens, at most %d characters", slug, config.MaxSlugLength)
	}
}

// folds checks that no two tables configure one category or listing
// (their names fold alike) and that a label is merged into one category
// at most, never into itself, and is not configured as a category of its
// own at the same time.
func (c *checker) folds() {
	tableKey := func(table, name string) string { return keyName([]string{table, name}) }
	line := func(key string) int { return c.f.lines[key] }
	// One table per category, listing and topic: names that fold alike
	// are one. Each map is fold → name of its table.
	distinct := func(table, kind, what string, names []string) map[string]string {
		seen := map[string]string{}
		for _, n := range names {
			fold := identity.FoldName(n)
			if prev, ok := seen[fold]; ok {
				c.fail(tableKey(table, n), "the same %s as [%s] (line %d): %s that differ only in case, punctuation or spacing are one %s", kind, tableKey(table, prev), line(tableKey(table, prev)), what, kind)
				continue
			}
			seen[fold] = n
		}
		return seen
	}
	var labels, titles, names []string
	for _, cat := range c.f.Categories {
		labels = append(labels, cat.Label)
	}
	for _, l := range c.f.Listings {
		titles = append(titles, l.Title)
	}
	for _, t := range c.f.Topics {
		names = append(names, t.Name)
	}
	cats := distinct(config.CategoriesTable, "category", "labels", labels)
	distinct(config.ListingsTable, "listing", "titles", titles)
	distinct(config.TopicsTable, "topic", "names", names)
	merged := map[string]string{} // fold of a merged label → label of the category it joins
	for _, cat := range c.f.Categories {
		own := identity.FoldName(cat.Label)
		for _, m := range cat.Merge {
			fold := identity.FoldName(m)
			switch prev, isCat := cats[fold]; {
			case strings.TrimSpace(m) == "":
				c.fail(config.CategoryKey(cat.Label, "merge"), "a merged label must not be empty")
			case fold == own:
				c.fail(config.CategoryKey(cat.Label, "merge"), "%q is this category's own label", m)
			case isCat:
				c.fail(config.CategoryKey(cat.Label, "merge"), "%q has its own table [%s]: a merged label cannot be a category of its own", m, tableKey(config.CategoriesTable, prev))
			case merged[fold] != "" && merged[fold] != cat.Label:
				c.fail(config.CategoryKey(cat.Label, "merge"), "%q is already merged into [%s]", m, tableKey(config.CategoriesTable, merged[fold]))
			default:
				merged[fold] = cat.Label
			}
		}
	}
	// Two feeds of one kind cannot ask for one URL.
	for _, group := range []struct {
		table string
		slugs map[string]string
		items func(func(name, slug string))
	}{
		{config.CategoriesTable, map[string]string{}, func(fn func(string, string)) {
			for _, cat := range c.f.Categories {
				fn(cat.Label, cat.Slug)
			}
		}},
		{config.ListingsTable, map[string]string{}, func(fn func(string, string)) {
			for _, l := range c.f.Listings {
				fn(l.Title, l.Slug)
			}
		}},
		{config.TopicsTable, map[string]string{}, func(fn func(string, string)) {
			for _, t := range c.f.Topics {
				fn(t.Name, t.Slug)
			}
		}},
	} {
		group.items(func(name, slug string) {
			if slug == "" {
				return
			}
			if prev, ok := group.slugs[slug]; ok {
				c.fail(keyName([]string{group.table, name, "slug"}), "%q is already the slug of [%s]", slug, tableKey(group.table, prev))
				return
			}
			group.slugs[slug] = name
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
