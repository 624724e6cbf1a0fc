package scan

// Phase is a stage of a scan, as progress reports name it.
type Phase string

const (
	PhaseRead   Phase = "read"   // reading, parsing and storing listing files
	PhaseTopics Phase = "topics" // applying new or changed topic rules to the items stored before
	PhasePages  Phase = "pages"  // writing item pages
	PhaseFeeds  Phase = "feeds"  // writing archive pages and subscription documents
)

// ProgressEvent tells how far a scan is. Done and Total count files in
// PhaseRead (only those that must be read: new, changed or touched),
// stored items visited in PhaseTopics, item pages in PhasePages and feed documents (each in every format) in
// PhaseFeeds; the two publishing phases are apart because a feed document
// costs many times an item page, and one rate for both would make the
// time left wrong. Items counts the items read so far.
type ProgressEvent struct {
	Phase       Phase
	Done, Total int
	Items       int
}

// progress reports to Options.Progress, if set. It is called from the
// scan's own goroutine only, never from the workers.
type progress struct {
	fn    func(ProgressEvent)
	event ProgressEvent
}

func (p *progress) start(phase Phase, total int) {
	p.event.Phase, p.event.Done, p.event.Total = phase, 0, total
	p.send()
}

func (p *progress) add(done, items int) {
	p.event.Done += done
	p.event.Items += items
	p.send()
}

func (p *progress) send() {
	if p.fn != nil {
		p.fn(p.event)
	}
}
